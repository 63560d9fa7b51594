#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""An object unloaded and another (or the same file again) loaded at its place
is never taken for the old one: the new one is scanned and traced, and no byte
of it is written from the old one's records.

usage: test_reuse.py REUSE SRCDIR LIB AUDITLIB"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from frt_test import fail, finish, run

reuse, src, lib = (os.path.abspath(a) for a in sys.argv[1:4])
audit = os.path.abspath(sys.argv[4]) if sys.argv[4] else None  # none under ThreadSanitizer
tmp = tempfile.mkdtemp(prefix="frt-reuse-")
flags = ["-O2", "-fpatchable-function-entry=13,8", "-falign-functions=8", "-fPIC", "-shared"]
ran = 0
for cc in ("gcc", "clang"):
    if not shutil.which(cc):
        continue
    a, b = os.path.join(tmp, f"liba-{cc}.so"), os.path.join(tmp, f"libb-{cc}.so")
    subprocess.run([cc] + flags + ["-DLIB=a", "-o", a, os.path.join(src, "reuse_lib.c")],
                   check=True)
    subprocess.run([cc] + flags + ["-DLIB=b", "-DBIG", "-o", b, os.path.join(src, "reuse_lib.c")],
                   check=True)
    # behind the hooks: libc's own dlclose, then dlopen at the same place
    p = run([reuse, a, b, "30", "unhooked"])
    m = re.search(r"reused (\d+) of (\d+)", p.stdout)
    if p.returncode != 0 or not m:
        fail(f"{cc} unhooked: exit {p.returncode}: {p.stdout} {p.stderr[-2000:]}")
    elif int(m.group(1)) < int(m.group(2)) // 2:
        fail(f"{cc} unhooked: the loader rarely reused the place ({m.group(0)}): "
             "the test proves nothing")
    # the race: dlclose(A) and dlopen(B) in two threads while a third patches.
    # GCC's NOP runs of objects loaded while threads run need the audit module.
    if cc == "gcc" and not audit:
        continue
    env = {"LD_AUDIT": audit} if cc == "gcc" else {}
    # whether the loader puts B where A was depends on timing (about one run in
    # twenty reused it 0 of 150 times on a loaded machine): a run that never
    # reused proves nothing, so it is run again, up to three times
    for _ in range(3):
        p = run([reuse, a, b, "150"], env=env)
        m = re.search(r"reused (\d+) of (\d+)", p.stdout)
        if p.returncode != 0 or not m or int(m.group(1)) > 0:
            break
    if p.returncode != 0 or not m:
        fail(f"{cc} race: exit {p.returncode}: {p.stdout} {p.stderr[-2000:]}")
    elif int(m.group(1)) == 0:
        fail(f"{cc} race: the loader never reused the place: the test proves nothing")
    ran += 1
if not ran:
    print("no compiler")
    sys.exit(77)
finish(tmp)
