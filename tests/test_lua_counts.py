#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Exact call counts of a real workload under default settings: the Lua 5.4
interpreter built from Debian's source package with patchable entries
(bench/realprog/build-lua.sh), running bench/realprog/lua/errors.lua (pcall and
error in a loop: every error longjmps over Lua and C frames), function_graph on
every function, default buffer and BUFFER_FULL policy. The counts `uftrace
report` reads from the data must be exactly those the script implies and those
of a reference run with a 64 MiB buffer, and nothing may be lost.

usage: test_lua_counts.py LIB BUILD_SCRIPT SCRIPT OUTDIR"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from frt_test import fail, finish, preload_for, rt_lines, run

lib, script, lua_script, out = (os.path.abspath(a) for a in sys.argv[1:5])
N = 1500  # iterations: about 3 M events (48 MB of data), many times the 2 MiB ring

if not shutil.which("uftrace"):
    print("uftrace is not installed (scripts/deps.sh installs it): nothing reads the data")
    sys.exit(77)
b = subprocess.run(["sh", script, out], env=dict(os.environ, VARIANTS="instr"),
                   capture_output=True, text=True, timeout=900)
if b.returncode != 0:
    if "apt-get source" in b.stderr or "apt-get update failed" in b.stderr:
        print("no lua5.4 source here: scripts/deps.sh keeps a copy in /var/cache/ftrace-rt/src, "
              "and without it apt-get source needs deb-src access:", b.stderr[-500:])
        sys.exit(77)
    print(b.stderr[-2000:])
    sys.exit(1)

tmp = tempfile.mkdtemp(prefix="frt-lua-")


def traced(name, extra):
    """Runs errors.lua N under function_graph; returns (stdout, {function: calls})."""
    data = os.path.join(tmp, name)
    env = {"LD_PRELOAD": preload_for(lib), "FTRACE_RT_TRACER": "function_graph",
           "FTRACE_RT_OUTPUT": data}
    env.update(extra)
    p = run([os.path.join(out, "lua"), lua_script, str(N)], env=env, timeout=300)
    if p.returncode != 0:
        fail(f"{name}: lua exited {p.returncode}: {p.stderr[-500:]}")
        return p.stdout, {}
    summary = [l for l in rt_lines(p.stderr) if "function_graph:" in l]
    m = re.search(r"(\d+) events, (\d+) lost", summary[-1] if summary else "")
    if not m:
        fail(f"{name}: no summary line: {p.stderr[-500:]}")
    elif m.group(2) != "0" or "not recorded" in summary[-1]:
        fail(f"{name}: {summary[-1]}")
    r = subprocess.run(["uftrace", "report", "-d", data, "--no-pager"], capture_output=True,
                       text=True, timeout=300)
    if r.returncode != 0:
        fail(f"{name}: uftrace report: {r.returncode} {r.stderr[:300]}")
    calls = {}
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) >= 6 and f[-2].isdigit():
            calls[f[-1]] = int(f[-2])
    shutil.rmtree(data, ignore_errors=True)  # keep at most one run's data on disk
    return p.stdout, calls


out_d, d = traced("default", {})
out_r, ref = traced("reference", {"FTRACE_RT_BUFSIZE": "64M"})
m = re.search(r"ok (\d+) errors (\d+)", out_d)
if not m or out_d != out_r:
    fail(f"script output: {out_d!r} / reference {out_r!r}")
else:
    errors = int(m.group(2))
    # what errors.lua implies: 3 pcalls and 1 xpcall per iteration; every error
    # (and the one of each xpcall) goes through error() and longjmps once
    expect = {"luaB_pcall": 3 * N, "luaB_xpcall": N, "luaB_error": errors + N,
              "lua_error": errors + N, "luaD_throw": errors + N, "str_gsub": N, "sort": N}
    for fn, want in expect.items():
        if d.get(fn) != want:
            fail(f"default settings: {fn} called {d.get(fn)} times in the data, the script "
                 f"made {want} calls")
    # and every count of these against the reference run (64 MiB buffer)
    for fn in list(expect) + ["luaD_rawrunprotected", "luaV_execute", "sort_comp", "auxsort",
                              "luaG_errormsg", "luaD_callnoyield", "main"]:
        if fn not in ref:
            fail(f"reference run: {fn} not in the data")
        elif d.get(fn) != ref[fn]:
            fail(f"{fn}: {d.get(fn)} calls with default settings, {ref[fn]} with a 64 MiB buffer")
    print(f"{len(d)} functions; luaB_pcall {d.get('luaB_pcall')}, luaD_throw "
          f"{d.get('luaD_throw')}, luaV_execute {d.get('luaV_execute')}")
finish(tmp)
