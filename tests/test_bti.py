#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""BTI enforcement (aarch64 under qemu-user; tests/bti/meson.build).

qemu-aarch64 -cpu max guards the executable pages of a BTI-marked object:
an indirect branch (BR/BLR) that lands anywhere but a landing pad raises
SIGILL. bti_prog and the copy of the runtime it links are both marked, so
every indirect branch the tracing takes must land on a pad: the veneer's
BR X16 into a trampoline, the runtime's calls of the callbacks, the threads'
calls of traced functions through pointers (`bti c`, then the site).

  usage: test_bti.py BTI_PROG BTI_RUNTIME AUDIT_MODULE BTI_PLUGIN
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from frt_test import fail, finish, rt_lines, run  # noqa: E402

prog, runtime, audit, plugin = (os.path.abspath(a) for a in sys.argv[1:5])
tmp = tempfile.mkdtemp(prefix="frt-bti-")
SIGILL = -signal.SIGILL


def bti_marked(path):
    out = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
    return "AArch64 feature: BTI" in out


for p in (prog, runtime, plugin):
    if not bti_marked(p):
        fail(f"{p} carries no BTI property: nothing would be enforced")


def go(mode, cpu="max", extra=None):
    # the copy, not the build's own libftrace_rt.so (meson puts the build
    # directory first on the library path)
    env = {"LD_AUDIT": audit, "QEMU_CPU": cpu, "FTRACE_RT_TRACER": "none",
           "LD_LIBRARY_PATH": os.path.dirname(os.path.abspath(runtime))}
    env.update(extra or {})
    r = run([prog, mode], env=env, timeout=300)
    print(f"== {mode} (-cpu {cpu}, {extra}): exit {r.returncode}")
    print(r.stdout.strip())
    for l in r.stderr.splitlines()[:20]:
        print("  stderr:", l)
    return r


# traced under enforcement: the ops toggled while four threads run, with and
# without a built-in tracer recording
for tracer in ("none", "function", "function_graph"):
    data = os.path.join(tmp, tracer)
    r = go("run", extra={"FTRACE_RT_TRACER": tracer, "FTRACE_RT_OUTPUT": data})
    if r.returncode != 0 or "rounds 12" not in r.stdout:
        fail(f"{tracer}: bti_prog run exited {r.returncode}")
    odd = [l for l in rt_lines(r.stderr) if not l.startswith(f"ftrace_rt: {tracer}: ")]
    if odd or (tracer != "none" and " 0 lost" not in r.stderr):
        fail(f"{tracer}: runtime messages {rt_lines(r.stderr)}")
    if tracer != "none":
        dats = [f for f in os.listdir(data) if f.endswith(".dat")] if os.path.isdir(data) else []
        if len(dats) < 5:
            fail(f"{tracer}: {len(dats)} .dat files in {data}, expected one per thread")
    shutil.rmtree(data, ignore_errors=True)

# The test can fail: a function without a landing pad, on a page the runtime
# patched (and so mprotect'ed twice per transaction), called through a
# pointer after the toggling. SIGILL: the page is still guarded.
r = go("nopad", extra={"FTRACE_RT_TRACER": "function_graph",
                       "FTRACE_RT_OUTPUT": os.path.join(tmp, "nopad")})
if r.returncode != SIGILL or "rounds 12" not in r.stdout:
    fail(f"nopad under -cpu max: exit {r.returncode}, expected SIGILL after the rounds "
         "(the traced pages lost their guard)")
# the same without BTI in the CPU: the call returns (the SIGILL above is BTI's)
r = go("nopad", cpu="cortex-a72")
if r.returncode != 11 or "nopad returned 8" not in r.stdout:
    fail(f"nopad under -cpu cortex-a72: exit {r.returncode}, expected 11")

# The runtime's own text is guarded: a BLR past the trampoline's `bti c`
# faults. The plugin's site reaches it through a veneer (the plugin is
# mapped further from the runtime than BL reaches), whose BR X16 lands on
# that pad in every run above.
r = go("tramp-nopad")
if r.returncode != SIGILL or "BLR to its second instruction" not in r.stdout:
    fail(f"tramp-nopad: exit {r.returncode}, expected SIGILL")
if os.path.abspath(runtime) not in r.stdout:
    fail(f"the trampoline is not in {runtime}: the BTI copy of the runtime was not the one loaded")
elif "through a veneer" not in r.stdout:
    fail("tramp-nopad: the site calls the trampoline directly, no veneer was exercised")

finish(tmp)
