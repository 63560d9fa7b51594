#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Library calls through the executable's PLT (lib/trace/libcall.c).

For every layout of tests/libcall (PIE, non-PIE, -z now with the GOT under
RELRO, CET's .plt.sec, clang):
- `ftrace-rt record` (library calls on by default, as uftrace's) of the fixed
  call tree gives, through `uftrace replay` and `ftrace-rt replay`, the tree
  uftrace's own default recording of the same source prints (malloc, strlen,
  qsort calling back into the executable...); --no-libcall leaves them out;
- setjmp/longjmp, a vfork child calling libc, a fork child: the program runs
  as untraced, and the vfork child's calls never show in the parent's data;
- live: threads check the results of libc calls made through the PLT while a
  control client turns tracing off and on and switches tracers thousands of
  times (every switch puts the GOT words back and points them at the stubs
  again): no wrong result, no crash, data every reader accepts.
FTRACE_RT_LIBCALL through the environment: a bad value, and lazy binding.

usage: test_libcall.py TOOL LIB PFE5_BUILD PROG..."""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from frt_test import fail, finish, preload_for

tool, lib, ref = (os.path.abspath(a) for a in sys.argv[1:4])
progs = [os.path.abspath(a) for a in sys.argv[4:]]
tmp = tempfile.mkdtemp(prefix="frt-libcall-")
env = dict(os.environ, FTRACE_RT_LIB=lib)
env.pop("FTRACE_RT_LIBCALL", None)  # record's default
env.pop("FTRACE_RT_SESSION_DIR", None)
have_uftrace = shutil.which("uftrace") is not None


def tree(text):
    """replay's lines without durations and thread ids; a run of calls of the
    comparator counts once: how often qsort calls it is libc's business (a
    sanitizer build's qsort interceptor calls it more)"""
    out = []
    for line in text.splitlines():
        if line.startswith("#") or "|" not in line:
            continue
        line = line.split("|", 1)[1].rstrip()
        if not (out and line == out[-1] and line.strip() == "cmp();"):
            out.append(line)
    return out


def run(args, what, **kw):
    p = subprocess.run(args, capture_output=True, text=True, env=kw.pop("env", env),
                       timeout=kw.pop("timeout", 120), **kw)
    if p.returncode:
        fail(f"{what}: {' '.join(args)}: rc {p.returncode}: {p.stdout[-300:]} {p.stderr[-600:]}")
    return p


want = None
if have_uftrace:
    d = os.path.join(tmp, "uftrace")
    run(["uftrace", "record", "--no-event", "-P", ".", "-d", d, ref, "tree"], "uftrace record")
    want = tree(run(["uftrace", "replay", "-d", d], "uftrace replay").stdout)
    if not any("malloc();" in l for l in want):
        fail(f"uftrace's own recording has no malloc(): {want}")

for prog in progs:
    name = os.path.basename(prog)
    d = os.path.join(tmp, name)
    p = run([tool, "record", "-d", d, "--", prog, "tree"], name)
    m = re.search(r"(\d+) library functions the executable calls through its PLT", p.stderr)
    if not m or int(m.group(1)) < 8:
        fail(f"{name}: summary does not count the library functions: {p.stderr.strip()}")
    own = tree(run([tool, "replay", "-d", d], name).stdout)
    for what, got in (("ftrace-rt replay", own),) + (
            (("uftrace replay", tree(run(["uftrace", "replay", "-d", d], name).stdout)),)
            if have_uftrace else ()):
        exp = want or got
        if got != exp:
            fail(f"{name}: {what} of our data:\n" + "\n".join(got) +
                 "\n--- uftrace's own recording:\n" + "\n".join(exp))
    for fn in ("malloc", "strlen", "free", "getpid", "snprintf"):
        if not any(l.strip().startswith(fn + "()") for l in own):
            fail(f"{name}: no {fn}() in {own}")
    if not any("qsort() {" in l for l in own) or not any("cmp();" in l for l in own):
        fail(f"{name}: qsort's calls back into cmp are not nested under it: {own}")

    # --no-libcall: only the executable's own functions
    d2 = d + "-nolib"
    run([tool, "record", "--no-libcall", "-d", d2, "--", prog, "tree"], name)
    t2 = tree(run([tool, "replay", "-d", d2], name).stdout)
    if any("malloc" in l or "qsort" in l for l in t2) or not any("work() {" in l for l in t2):
        fail(f"{name}: --no-libcall: {t2}")

    # the profile tracer names them too (a row each, as uftrace's report)
    d4 = d + "-prof"
    run([tool, "record", "--tracer", "profile", "-d", d4, "--", prog, "tree"], name)
    rep = run([tool, "report", "-d", d4], name).stdout
    for fn in ("malloc", "qsort", "getpid"):
        if not re.search(rf"\s1\s+{fn}$", rep, re.M):
            fail(f"{name}: profile: no row of one {fn} call: {rep}")
    if re.search(r"\s\?$", rep, re.M):
        fail(f"{name}: profile: a row without a name: {rep}")

    # calls that return twice or never
    d3 = d + "-special"
    p = run([tool, "record", "-d", d3, "--", prog, "special"], name)
    if "special ok" not in p.stdout:
        fail(f"{name}: special: {p.stdout} {p.stderr[-300:]}")
    rep = run([tool, "replay", "-d", d3], name).stdout
    parent = [l for l in rep.splitlines() if "|" in l][:1]
    ptid = re.search(r"\[\s*(\d+)\]", parent[0]).group(1) if parent else "?"
    for line in rep.splitlines():
        if f"[{ptid:>6}]" in line.replace("[ ", "[ ") and re.search(r"\b(close|_exit)\(\)", line):
            fail(f"{name}: the vfork child's call shows in the parent's data: {line}")
    if have_uftrace:
        run(["uftrace", "replay", "-d", d3], name + " special")

# live: tracing turned off and on, tracers switched, while threads call libc
prog = progs[0]
d = os.path.join(tmp, "live")
# fparg1: function_graph then saves vector registers (the stubs switch trampolines)
rec = subprocess.Popen([tool, "record", "--control", "-A", "leaf@fparg1", "-b", "64K", "-d", d, "--", prog, "stress",
                        "4"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, env=env)


def sock_path(pid):
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    cands = ([os.path.join(xdg, "ftrace_rt", f"{pid}.sock")] if xdg else []) + \
        [f"/tmp/ftrace_rt-{os.getuid()}/{pid}.sock"]
    return next((c for c in cands if os.path.exists(c)), None)


outs, errs = "", ""
try:
    path = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not path:
        kids = subprocess.run(["pgrep", "-P", str(rec.pid)], capture_output=True,
                              text=True).stdout.split()
        path = next((sock_path(k) for k in kids + [str(rec.pid)] if sock_path(k)), None)
        if not path:
            time.sleep(0.05)
    if not path:
        fail("live: no control socket appeared")
    else:
        # every request switches the tracer or tracing itself: 3000 on one connection
        cmds = [b"off\n", b"on\n", b"tracer function\n", b"tracer function_graph\n",
                b"tracer profile\n", b"tracer function_graph\n"]
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(path)
        got = b""
        for k in range(3000):
            s.sendall(cmds[k % len(cmds)])
            while not re.search(rb"(OK|ERR)[^\n]*\n$", got):
                b = s.recv(65536)
                if not b:
                    break
                got += b
            if not got.endswith(b"\n") or b"ERR" in got:
                break
            if k < 2999:
                got = got[-200:] if b"ERR" not in got else got
                got = b"" if got.endswith(b"\n") else got
        s.close()
        if b"ERR" in got or k != 2999:
            fail(f"live: request {k}: {got[-300:]!r}")
finally:
    try:
        outs, errs = rec.communicate(input="", timeout=120)
    except subprocess.TimeoutExpired:
        rec.kill()
        outs, errs = rec.communicate()
        fail("live: the program did not end")
if rec.returncode or "WRONG" in outs or "calls" not in outs:
    fail(f"live: rc {rec.returncode}: {outs} {errs[-500:]}")
run([tool, "replay", "-d", d], "live: ftrace-rt replay")
if have_uftrace:
    run(["uftrace", "replay", "-d", d], "live: uftrace replay", timeout=300)

# the environment: a bad value is refused; lazy binding leaves slots untraced
p = subprocess.run([progs[0], "tree"], capture_output=True, text=True,
                   env=dict(env, LD_PRELOAD=preload_for(lib), FTRACE_RT_TRACER="function_graph",
                            FTRACE_RT_OUTPUT=os.path.join(tmp, "bad"), FTRACE_RT_LIBCALL="yes"))
if p.returncode or "FTRACE_RT_LIBCALL='yes' is not 0 or 1" not in p.stderr:
    fail(f"FTRACE_RT_LIBCALL=yes: rc {p.returncode}: {p.stderr.strip()}")
lazy = dict(env, LD_PRELOAD=preload_for(lib), FTRACE_RT_TRACER="function_graph",
            FTRACE_RT_OUTPUT=os.path.join(tmp, "lazy"), FTRACE_RT_LIBCALL="1")
lazy.pop("LD_BIND_NOW", None)
p = subprocess.run([progs[0], "tree"], capture_output=True, text=True, env=lazy)
if p.returncode or "not bound yet are not traced" not in p.stderr:
    fail(f"lazy binding: rc {p.returncode}: {p.stderr.strip()}")

shutil.rmtree(tmp, ignore_errors=True)
finish()
