#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""GCC NOP runs are rewritten only when no thread can be inside one.

A plugin built by GCC is dlopen'ed while another thread is stopped inside the
entry run of one of its functions by a signal whose handler is still running.
Without the audit module the runtime must leave the runs alone (the program
runs on, one message says why and what to do); with it (LD_AUDIT, as
`ftrace-rt record` sets), the runs were rewritten before any code of the
plugin ran, and the plugin is traced.

usage: test_nopruns.py TOOL LIB AUDITLIB SRCDIR INCDIR"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from frt_test import fail, finish, preload_for, rt_lines, run

tool, lib, audit, src, inc = (os.path.abspath(a) for a in sys.argv[1:6])
if not shutil.which("gcc"):
    print("no gcc: GCC NOP runs cannot be built")
    sys.exit(77)
tmp = tempfile.mkdtemp(prefix="frt-nopruns-")
plugin, prog = os.path.join(tmp, "plugin.so"), os.path.join(tmp, "nested")
subprocess.run(["gcc", "-O2", "-fpatchable-function-entry=13,8", "-falign-functions=8", "-fPIC",
                "-shared", "-o", plugin, os.path.join(src, "nested_plugin.c")], check=True)
subprocess.run(["gcc", "-O2", "-D_GNU_SOURCE", "-I" + inc, "-rdynamic", "-pthread", "-o", prog,
                os.path.join(src, "nested.c"), "-ldl"], check=True)


def counters(out):
    m = re.search(r"converted (\d+) at_load (\d+) refused (\d+)", out)
    return tuple(int(x) for x in m.groups()) if m else None


# untraced: the scenario happens (a thread parked inside the run)
p = run([prog, plugin])
if p.returncode != 0 or "parked 1" not in p.stdout:
    fail(f"untraced run: {p.returncode} {p.stdout!r} {p.stderr!r}")

# preloaded, no audit module: the runs stay, the program runs on, one message
for tracer in ("function", "function_graph"):
    p = run([prog, plugin], env={"LD_PRELOAD": preload_for(lib), "FTRACE_RT_TRACER": tracer,
                                 "FTRACE_RT_OUTPUT": os.path.join(tmp, "d-" + tracer)})
    c = counters(p.stdout)
    msgs = [l for l in rt_lines(p.stderr) if "not traceable" in l]
    if p.returncode != 0 or "parked 1" not in p.stdout or "calls ok" not in p.stdout:
        fail(f"{tracer}, no audit: {p.returncode} {p.stdout!r} {p.stderr[-2000:]!r}")
    elif not c or c[2] != 2 or c[1] != 0:
        fail(f"{tracer}, no audit: counters {c}: {p.stdout!r}")
    elif len(msgs) != 1 or "plugin.so" not in msgs[0] or "ftrace-rt record" not in msgs[0]:
        fail(f"{tracer}, no audit: message {msgs}")

# with the audit module: converted as the plugin was mapped, no thread can be parked in a run
for tracer in ("function", "function_graph"):
    p = run([prog, plugin, "3000"],
            env={"LD_PRELOAD": preload_for(lib), "LD_AUDIT": audit, "FTRACE_RT_TRACER": tracer,
                 "FTRACE_RT_OUTPUT": os.path.join(tmp, "a-" + tracer)})
    c = counters(p.stdout)
    if p.returncode != 0 or "parked 0" not in p.stdout or "calls ok" not in p.stdout:
        fail(f"{tracer}, audit: {p.returncode} {p.stdout!r} {p.stderr[-2000:]!r}")
    elif not c or c[1] < 1 or c[2] != 0 or c[0] < 2:
        fail(f"{tracer}, audit: counters {c}: {p.stdout!r}")
    elif any("not traceable" in l for l in rt_lines(p.stderr)):
        fail(f"{tracer}, audit: {rt_lines(p.stderr)}")
    m = re.search(r"(\d+) events, (\d+) lost", p.stderr)
    if not m or int(m.group(1)) < 100000:
        fail(f"{tracer}, audit: plugin calls not recorded: {rt_lines(p.stderr)}")

# `ftrace-rt record` sets the audit module up by itself
d = os.path.join(tmp, "rec")
p = run([tool, "record", "-o", d, "--", prog, plugin, "3000"], env={"FTRACE_RT_LIB": lib})
c = counters(p.stdout)
if p.returncode != 0 or "parked 0" not in p.stdout or not c or c[1] < 1 or c[2] != 0:
    fail(f"record: {p.returncode} {p.stdout!r} {p.stderr[-2000:]!r}")
finish(tmp)
