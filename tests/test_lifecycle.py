#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The runtime's life cycle: the API works from the constructors and
destructors that dlopen, dlclose and exit run; an ops left registered by a
library that is unloaded is detected and dropped, never called; a probe
provider linked with the runtime loads into a program that does not have it.

usage: test_lifecycle.py BUILDDIR CYCLES"""
import os
import subprocess
import sys

from frt_test import fail, finish, rt_lines, run

bdir = os.path.abspath(sys.argv[1])
ncycles = sys.argv[2]
host = os.path.join(bdir, "lc_host")
plugin = os.path.join(bdir, "lc_plugin.so")
leak = os.path.join(bdir, "lc_leak.so")


def check(name, p, want_rc=0):
    if p.returncode != want_rc:
        fail(f"{name}: exit {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr[-3000:]}")
        return False
    return True


# register + set_filter in a constructor run by dlopen, unregister in the
# destructor run by dlclose, while two threads call the traced function
p = run([host, "cycles", ncycles, plugin], timeout=900)
if check("cycles", p) and f"cycles {ncycles} errors 0" not in p.stdout:
    fail(f"cycles: {p.stdout} {p.stderr[-2000:]}")

# a plugin that never unregisters: its ops goes with it, said once per unload
p = run([host, "cycles", "20", leak], timeout=900)
if check("leak", p):
    said = [l for l in rt_lines(p.stderr) if "unloaded while registered" in l]
    if len(said) != 20:
        fail(f"leak: {len(said)} messages for 20 unloads: {p.stderr[-2000:]}")

# the same, the ops in a dependency the closed library brought in
p = run([host, "cycles", "20", os.path.join(bdir, "lc_user.so")], timeout=900)
if check("leak-in-dependency", p):
    said = [l for l in rt_lines(p.stderr) if "lc_dep.so unloaded while registered" in l]
    if len(said) != 20:
        fail(f"leak-in-dependency: {len(said)} messages for 20 unloads: {p.stderr[-2000:]}")

# atexit handlers and ELF destructors at exit
p = run([host, "exit"])
want = ["main-hits 0", "atexit-unregister 0", "atexit-filter 0", "atexit-register 0",
        "atexit-unregister-late 0", "dtor-unregister 0"]
if check("exit", p) and p.stdout.split("\n")[:-1] != want:
    fail(f"exit: {p.stdout!r} != {want}\n{p.stderr}")

# a program without the runtime dlopens a probe provider linked with it
p = run([os.path.join(bdir, "lc_bare"), os.path.join(bdir, "lc_probe.so")])
if check("dlopen-provider", p) and "hits 200" not in p.stdout:
    fail(f"dlopen-provider: {p.stdout} {p.stderr}")

# fork() from a signal handler that interrupted a callback, while another
# thread registers and unregisters (holding the patch lock, waiting for grace
# periods): neither parent nor child may hang; the API works in the child
try:
    p = run([os.path.join(bdir, "lc_fork"), "200"], timeout=300)
    if check("fork-in-handler", p) and "forks 200 bad 0 churn ok" not in p.stdout:
        fail(f"fork-in-handler: {p.stdout} {p.stderr}")
except subprocess.TimeoutExpired:
    fail("fork-in-handler: hung (a fork from a signal handler waits for the patch lock)")

# fork() from a constructor run by dlopen while another thread's fork waits
# for that dlopen: each fork gives back what it took of the loader hooks'
# lock, so the dlclose and dlopen that follow do not hang
try:
    p = run([os.path.join(bdir, "lc_forkrace"), os.path.join(bdir, "lc_forkctor.so")],
            timeout=120)
    if check("fork-in-ctor", p) and "forkrace ok" not in p.stdout:
        fail(f"fork-in-ctor: {p.stdout} {p.stderr}")
    if "waited for the dlopen: no" in p.stdout:
        print("note: fork-in-ctor: the other thread's fork did not wait for the dlopen "
              "(seen under AddressSanitizer): the race was not set up this time")
except subprocess.TimeoutExpired:
    fail("fork-in-ctor: hung (a concurrent fork kept the loader hooks' lock)")

finish()
