#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run the live-patching stress test in every layout built for compiler CC.

usage: test_stress.py DIR CC [ITERATIONS] [DLCLOSE_CYCLES] [SPAWNS]"""
import os
import subprocess
import sys
import time

import frt_test  # noqa: F401  (runs the build's programs through its exe wrapper)

d, cc = sys.argv[1], sys.argv[2]
iterations = sys.argv[3] if len(sys.argv) > 3 else "2000"
cycles = sys.argv[4] if len(sys.argv) > 4 else "200"
spawns = sys.argv[5] if len(sys.argv) > 5 else "300"
# CC is a compiler (every layout of it) or one layout name
layouts = [l.strip() for l in open(os.path.join(d, "layouts.txt"))
           if (l.startswith(cc + "-") and "-" not in cc) or l.strip() == cc]
if not layouts:
    print(f"no {cc} layouts built")
    sys.exit(77)  # skipped
failed = 0
for l in layouts:
    cmd = [os.path.join(d, f"stress-{l}"), "-i", iterations, "-c", cycles, "-s", spawns,
           os.path.join(d, f"stressplugin-p-{l}.so"), os.path.join(d, f"stressplugin-q-{l}.so")]
    t0 = time.time()
    env = dict(os.environ)
    if os.environ.get("FRT_AUDIT"):
        # GCC plugins dlopen'ed while threads run: their NOP runs are rewritten as they load
        env["LD_AUDIT"] = os.environ["FRT_AUDIT"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = "timeout (hang)", str(e.stdout or ""), str(e.stderr or "")
    dt = time.time() - t0
    ok = rc == 0 and "stress: ok" in out
    print(f"{'ok  ' if ok else 'FAIL'} {l}: {dt:.1f}s")
    for line in out.splitlines():
        if line.startswith(("quiet:", "churn:", "stress:")):
            print("     ", line)
    if not ok:
        failed += 1
        print(f"     exit {rc}\n{err[-3000:]}")
sys.exit(1 if failed else 0)
