#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Graph filters (record -F/-N/-D/-t, their FTRACE_RT_* variables and the
control socket): the same options on the same program give data that
`uftrace replay` shows as it shows uftrace's own recording of a -pg build of
that program, durations aside; `ftrace-rt replay` shows the same. Live
changes through the socket take effect at the next call.

usage: test_graph_filters.py TOOL LIB TR_GRAPH TR_GRAPH_PG"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from frt_test import EXE_WRAPPER, clean_env, fail, finish, preload_for

tool, lib, prog, prog_pg = (os.path.abspath(a) for a in sys.argv[1:5])
tmp = tempfile.mkdtemp(prefix="frt-gfilter-")
env = clean_env({"FTRACE_RT_LIB": lib})
if not shutil.which("uftrace"):
    print("uftrace is not installed: nothing to compare with")
    sys.exit(77)


def calls(text):
    """replay's lines without durations and thread ids: the call tree"""
    out = []
    for line in text.splitlines():
        if line.startswith("#") or "|" not in line:
            continue
        body = line.split("|", 1)[1]
        if "linux:" in body:
            continue
        out.append(body.rstrip())
    return out


def uftrace_replay(d):
    p = subprocess.run(["uftrace", "replay", "-d", d], capture_output=True, text=True,
                       timeout=120)
    if p.returncode:
        fail(f"uftrace replay -d {d}: {p.stderr.strip()}")
    return calls(p.stdout)


def ours(name, opts, extra_env=None):
    d = os.path.join(tmp, name)
    p = subprocess.run([tool, "record", "-d", d, *opts, "--", prog], capture_output=True,
                       text=True, env=dict(env, **(extra_env or {})), timeout=120)
    if p.returncode or "result " not in p.stdout:
        fail(f"{name}: ftrace-rt record {opts}: rc {p.returncode}: {p.stderr.strip()}")
    return d


def theirs(name, opts):
    d = os.path.join(tmp, name + "-uftrace")
    p = subprocess.run(["uftrace", "record", "--match=glob", "--no-libcall", "--no-event",
                        "-d", d, *opts,
                        prog_pg], capture_output=True, text=True, timeout=120)
    if p.returncode or "result " not in p.stdout:
        fail(f"{name}: uftrace record {opts}: rc {p.returncode}: {p.stderr.strip()}")
    return uftrace_replay(d)


cases = [
    ("none", []),
    ("subtrees", ["-F", "outer", "-F", "top"]),
    ("subtree-notrace", ["-F", "outer", "-F", "top", "-N", "mid"]),
    ("notrace", ["-N", "fib", "-N", "outer"]),
    ("depth2", ["-D", "2"]),
    ("depth1", ["--depth=1"]),
    ("subtree-depth", ["-F", "top", "-D", "2"]),
    ("recursive-depth", ["-F", "fib", "-D", "2"]),
    ("thresh", ["-t", "10ms"]),
    ("thresh-subtree", ["-F", "outer", "--time-filter=5ms"]),
    ("thresh-depth", ["-t", "10ms", "-D", "2"]),
    # triggers (-T): trace_off/trace_on, starting disabled, depth=N, filter/notrace
    ("trig-onoff", ["-T", "outer@trace_off", "-T", "mix@trace_on", "-D", "2"]),
    ("trig-disable", ["--disable", "-T", "outer@trace_on", "-T", "mid@trace_off"]),
    ("trig-depth", ["-T", "top@depth=1", "-T", "fib@depth=2"]),
    ("trig-filter", ["-T", "skipme@filter", "-T", "mid@notrace"]),
    # found by uftrace's own tests (bench/uftrace-tests.sh): calls entered while
    # recording is off count in the depth and their exits are written once it is
    # on (t037-t039); a -F after a -N takes the function back (t035)
    ("trig-off-depth", ["-T", "top@trace_off", "-T", "leaf@trace_on"]),
    ("trig-off-filter", ["--disable", "-F", "outer", "-T", "leaf@trace_on"]),
    ("reorder", ["-F", "outer", "-N", "mid", "-F", "mid"]),
]
# exits whose entries were not recorded (recording turned on inside the call):
# uftrace's replay prints them and pops its display depth, ftrace-rt's leaves
# them out (README): only uftrace's replay is compared there
ORPHAN_EXITS = {"trig-off-depth", "trig-off-filter"}
for name, opts in cases:
    if EXE_WRAPPER and name.startswith("thresh"):
        # durations under the emulator are not the native -pg program's
        print(f"skipped: {name}: time thresholds compared with a native recording")
        continue
    want = theirs(name, opts)
    d = ours(name, opts)
    got = uftrace_replay(d)
    if got != want:
        fail(f"{name} {opts}: uftrace replay of our data:\n" + "\n".join(got) +
             "\n--- uftrace's own recording:\n" + "\n".join(want))
    p = subprocess.run([tool, "replay", d], capture_output=True, text=True, timeout=120)
    if name not in ORPHAN_EXITS and calls(p.stdout) != want:
        fail(f"{name} {opts}: ftrace-rt replay:\n{p.stdout}")
    if name == "none" and len(want) < 30:
        fail(f"the fixture's call tree is too small to test anything: {want}")

# the same through the environment (what record sets)
d = ours("env", [], {"FTRACE_RT_GRAPH_FUNCTION": "outer,top", "FTRACE_RT_GRAPH_NOTRACE": "mid",
                     "FTRACE_RT_MAX_GRAPH_DEPTH": "3", "FTRACE_RT_TRACING_THRESH": "0"})
want = theirs("env", ["-F", "outer", "-F", "top", "-N", "mid", "-D", "3"])
if uftrace_replay(d) != want:
    fail(f"environment: {uftrace_replay(d)} != {want}")

# filters that need no return hook leave the other functions unhooked: a
# graph notrace subtree costs only its entry hooks (the events say so)
p = subprocess.run([tool, "record", "-d", os.path.join(tmp, "cnt"), "-F", "leaf", "--",
                    prog], capture_output=True, text=True, env=env, timeout=120)
m = re.search(r"(\d+) events, 0 lost", p.stderr)
if not m or int(m.group(1)) != 2 * 11:
    fail(f"-F leaf: 11 calls of leaf, 22 events expected: {p.stderr!r}")

# bad values: one line naming the option or variable, nothing run
marker = os.path.join(tmp, "ran")
for opts, extra, word in [
    (["-D", "0"], {}, "-D/--depth"),
    (["-D", "x"], {}, "-D/--depth"),
    (["-t", "3 weeks"], {}, "-t/--time-filter"),
    (["-t", "1ks"], {}, "-t/--time-filter"),
    (["-F", "a[b"], {}, "-F/--filter"),
    (["-N", "[!"], {}, "-N/--notrace"),
    (["-T", "main"], {}, "-T/--trigger"),
    (["-T", "main@trace_sometimes"], {}, "-T/--trigger"),
    (["-T", "main@depth=-1"], {}, "-T/--trigger"),
    (["--max-stack=3"], {}, "--max-stack"),
    ([], {"FTRACE_RT_MAX_GRAPH_DEPTH": "-1"}, "FTRACE_RT_MAX_GRAPH_DEPTH"),
    ([], {"FTRACE_RT_TRACING_THRESH": "fast"}, "FTRACE_RT_TRACING_THRESH"),
    ([], {"FTRACE_RT_GRAPH_FUNCTION": "x[y"}, "FTRACE_RT_GRAPH_FUNCTION"),
]:
    p = subprocess.run([tool, "record", "-d", os.path.join(tmp, "bad"), *opts, "--", "touch",
                        marker], capture_output=True, text=True, env=dict(env, **extra))
    if p.returncode != 2 or word not in p.stderr or os.path.exists(marker) or \
            len(p.stderr.strip().splitlines()) != 1:
        fail(f"record {opts} {extra}: rc {p.returncode}: {p.stderr!r}")
# ... and the runtime itself (no record in between): one line, the program runs untraced
for var, val in [("FTRACE_RT_MAX_GRAPH_DEPTH", "70000"), ("FTRACE_RT_TRACING_THRESH", "1y"),
                 ("FTRACE_RT_GRAPH_NOTRACE", "["), ("FTRACE_RT_TRIGGER", "main@on"),
                 ("FTRACE_RT_TRACING_ON", "yes"), ("FTRACE_RT_MAX_STACK", "2")]:
    e = dict(env, LD_PRELOAD=preload_for(lib), FTRACE_RT_OUTPUT=os.path.join(tmp, "rt-bad"), **{var: val})
    p = subprocess.run([prog], capture_output=True, text=True, env=e, timeout=60)
    lines = [l for l in p.stderr.splitlines() if l.startswith("ftrace_rt:")]
    if p.returncode or "result " not in p.stdout or len(lines) != 1 or var not in lines[0] \
            or val not in lines[0]:
        fail(f"{var}={val} in the runtime: rc {p.returncode}: {p.stderr!r}")

# live: the control socket changes the filters between rounds of calls
d = os.path.join(tmp, "live")
rec = subprocess.Popen([tool, "record", "--control", "-d", d, "--", prog, "1", "wait"],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, env=env)


def ctl(*args, ok=True):
    p = subprocess.run([tool, "ctl", str(rec.pid), *args], capture_output=True, text=True,
                       env=env, timeout=60)
    if (p.returncode == 0) != ok:
        fail(f"ctl {args}: rc {p.returncode}: {p.stdout} {p.stderr}")
    return p.stdout


def one_round():
    rec.stdin.write("go\n")
    rec.stdin.flush()
    if not rec.stdout.readline().startswith("round"):
        fail("the program did not answer")


one_round()                                   # everything
ctl("graph_function", "outer")
one_round()                                   # outer's subtree
ctl("graph_notrace", "slow")
one_round()                                   # outer, mid and its leaves
ctl("graph_function", "")
ctl("graph_notrace", "")
ctl("max_graph_depth", "2")
one_round()                                   # main and round_of_calls (depth 2)
ctl("max_graph_depth", "0")
ctl("tracing_thresh", "10ms")
one_round()                                   # outer, slow, spin
out = ctl("graph")
if "tracing_thresh 10000000ns" not in out or "max_graph_depth 0" not in out:
    fail(f"ctl graph: {out!r}")
ctl("tracing_thresh", "soon", ok=False)
ctl("max_graph_depth", "-3", ok=False)
ctl("graph_function", "a[", ok=False)
ctl("tracing_thresh", "0")
ctl("trigger", "fib@trace_off;mix@trace_on")
one_round()                                   # main's callees but fib .. half
ctl("trigger", "")
ctl("trigger", "fib@sometimes", ok=False)
rec.stdin.close()
rec.wait(timeout=60)
got = uftrace_replay(d)
names = [re.sub(r"[{}();/* ]", "", l) for l in got]
full = calls(subprocess.run(["uftrace", "replay", "-d", os.path.join(tmp, "none")],
                            capture_output=True, text=True).stdout)
full_round = [re.sub(r"[{}();/* ]", "", l) for l in full[1:-1]]
want = (["main", "round_of_calls"] + full_round + ["round_of_calls"] +
        ["outer", "slow", "spin", "leaf", "slow", "mid", "leaf", "leaf", "mid", "outer"] +
        ["outer", "mid", "leaf", "leaf", "mid", "outer"] +
        ["round_of_calls"] +
        ["round_of_calls", "outer", "slow", "spin", "slow", "outer", "round_of_calls"] +
        ["round_of_calls", "top", "mid", "leaf", "leaf", "mid", "leaf", "top", "skipme", "mid",
         "leaf", "leaf", "mid", "skipme", "mix", "ptrarg", "ptrarg", "chr", "fhalf",
         "round_of_calls"] +
        ["main"])
if names != want:
    fail("live changes:\n" + "\n".join(got) + "\nexpected names: " + " ".join(want))
finish(tmp)
