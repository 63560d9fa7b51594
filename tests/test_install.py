# SPDX-License-Identifier: MIT
"""The README's commands after the documented install: `meson install` into a
temporary root (DESTDIR), with the loader path that `ldconfig` gives an
installed prefix standing in as LD_LIBRARY_PATH, then build the example with
pkg-config's flags, preload the library by its bare name, record, report and
list with the installed command (which must find the installed library on
its own).

usage: test_install.py BUILD_ROOT SOURCE_ROOT"""
import json
import os
import subprocess
import sys
import tempfile

from frt_test import fail, finish, sanitizer_runtime

build, src = (os.path.abspath(a) for a in sys.argv[1:3])
tmp = tempfile.mkdtemp(prefix="frt-install-")
dest = os.path.join(tmp, "root")

p = subprocess.run(["meson", "install", "-C", build, "--no-rebuild", "--destdir", dest],
                   capture_output=True, text=True, timeout=300)
if p.returncode != 0:
    fail(f"meson install: {p.returncode} {p.stdout[-500:]} {p.stderr[-500:]}")
    finish()
opts = {o["name"]: o["value"] for o in json.loads(subprocess.run(
    ["meson", "introspect", build, "--buildoptions"], capture_output=True, text=True).stdout)}
prefix, libdir = opts["prefix"], opts["libdir"]
root = dest + prefix
libpath = os.path.join(root, libdir)
for f in ("bin/ftrace-rt", f"{libdir}/libftrace_rt.so", f"{libdir}/pkgconfig/ftrace_rt.pc",
          "include/ftrace_rt/ftrace_rt.h"):
    if not os.path.exists(os.path.join(root, f)):
        fail(f"not installed: {prefix}/{f}")

env = dict(os.environ)
for k in ("FTRACE_RT_LIB", "FTRACE_RT_SESSION_DIR", "LD_PRELOAD"):
    env.pop(k, None)
env.update({"PATH": os.path.join(root, "bin") + ":" + env.get("PATH", "/usr/bin:/bin"),
            "LD_LIBRARY_PATH": libpath,  # what ldconfig does for an installed prefix
            "PKG_CONFIG_PATH": os.path.join(libpath, "pkgconfig"),
            "PKG_CONFIG_SYSROOT_DIR": dest})
work = os.path.join(tmp, "work")
os.makedirs(work)


def sh(cmd):
    return subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, cwd=work, env=env,
                          timeout=120)


demo = os.path.join(src, "examples", "demo.c")
# a sanitizer build of the library needs its runtime loaded first
asan = sanitizer_runtime(os.path.join(libpath, "libftrace_rt.so"))
pre = f"{asan}:" if asan else ""
steps = [
    (f"cc $(pkg-config --cflags ftrace_rt) -O2 -pthread -o app {demo}", None),
    (f"LD_PRELOAD={pre}libftrace_rt.so ./app", "ftrace_rt: function_graph:"),
    ("ftrace-rt record -- ./app", "ftrace_rt: function_graph:"),
    ("ftrace-rt report", "Total time"),
    ("ftrace-rt report -d ftrace_rt.data", "main"),
    ("ftrace-rt list ./app", "main"),
    ("ftrace-rt list -- ./app", "main"),
    ("ftrace-rt replay", "# DURATION"),
    ("ftrace-rt dump --chrome > trace.json && grep -c traceEvents trace.json", "1"),
    ("ftrace-rt dump --flame-graph", "main"),
    ("ftrace-rt dump --flame-svg > flame.svg && grep -c '<svg' flame.svg", "1"),
    ("ftrace-rt record --tracer profile -d prof.data -- ./app", "ftrace_rt: profile:"),
    ("ftrace-rt report prof.data", "main"),
    ("ftrace-rt --version", "ftrace-rt "),
]
for cmd, want in steps:
    p = sh(cmd)
    if p.returncode != 0 or (want and want not in p.stdout + p.stderr):
        fail(f"`{cmd}`: rc {p.returncode}, no {want!r}: {p.stdout[-400:]} {p.stderr[-400:]}")
# the bare name finds the installed library
maps = sh(f"LD_PRELOAD={pre}libftrace_rt.so cat /proc/self/maps").stdout
if libpath not in maps:
    fail(f"LD_PRELOAD=libftrace_rt.so did not load {libpath}")
# the installed command preloads the installed library, found next to itself
maps = sh("ftrace-rt record -d maps.data -- cat /proc/self/maps").stdout
if libpath not in maps:
    fail(f"ftrace-rt record did not preload {libpath}:\n{maps}")
finish(tmp)
