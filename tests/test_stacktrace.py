#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The stacktrace trigger (-T FUNC@stacktrace[:N], uftrace's backtrace/bt;
FTRACE_RT_TRIGGER; `ctl trigger`): the stack at each call of FUNC goes into
the data as user events, innermost frame first, and uftrace's replay, dump
and report, and ftrace-rt's replay and dump read it. The fixture is built
with frame pointers, so the stacks are exact: inner's is inner, middle,
outer, main, then libc's start code; a frame pointer left pointing past the
top of the stack (unmapped) or at a word that is no frame record ends the
walk without a fault; a handler on an alternate stack and a thread have
their own stacks.

usage: test_stacktrace.py TOOL LIB TR_STACK [TR_GRAPH]"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from frt_test import clean_env, fail, finish, preload_for

tool, lib, prog = (os.path.abspath(a) for a in sys.argv[1:4])
graph_prog = os.path.abspath(sys.argv[4]) if len(sys.argv) > 4 else None
tmp = tempfile.mkdtemp(prefix="frt-stack-")
env = clean_env({"FTRACE_RT_LIB": lib})
have_uftrace = shutil.which("uftrace") is not None
EVENT = re.compile(r"\[\s*(\d+)\] \|\s*/\* stacktrace:(\S+) \*/\s*$")


def record(name, opts, extra_env=None, direct=False):
    d = os.path.join(tmp, name)
    if direct:
        p = subprocess.run([prog], capture_output=True, text=True, timeout=300,
                           env=dict(env, LD_PRELOAD=preload_for(lib), FTRACE_RT_OUTPUT=d,
                                    **(extra_env or {})))
    else:
        p = subprocess.run([tool, "record", "-d", d, *opts, "--", prog], capture_output=True,
                           text=True, env=dict(env, **(extra_env or {})), timeout=300)
    if p.returncode or "done " not in p.stdout:
        fail(f"{name}: {opts}: rc {p.returncode}: {p.stdout[-300:]} {p.stderr[-600:]}")
    EXECD[0] = 0 if "noexec" in p.stdout else 1
    return d, "unmapped 1" in p.stdout


EXECD = [1]  # the fixture exec'd itself (not under an emulator without binfmt_misc)


def stacks(text):
    """the dumps in a replay: per thread, runs of consecutive stacktrace lines"""
    out, cur, tid = [], [], None
    for line in text.splitlines():
        m = EVENT.search(line)
        if m and (not cur or m.group(1) == tid):
            tid = m.group(1)
            cur.append(m.group(2))
            continue
        if cur:
            out.append((tid, cur))
        cur, tid = ([m.group(2)], m.group(1)) if m else ([], None)
    if cur:
        out.append((tid, cur))
    return out


def func(frame):
    return frame.split("+", 1)[0]


def replay(d, which):
    cmd = ["uftrace", "replay"] if which == "uftrace" else [tool, "replay"]
    p = subprocess.run(cmd + ["-d", d], capture_output=True, text=True, timeout=120)
    if p.returncode or p.stderr.strip():
        fail(f"{which} replay -d {d}: rc {p.returncode}: {p.stderr.strip()[-500:]}")
    return p.stdout


def readers(d, name):
    """every reader takes the data without a complaint; the two replays show the same stacks"""
    ours = stacks(replay(d, "ftrace-rt"))
    if not have_uftrace:
        return ours
    theirs = stacks(replay(d, "uftrace"))
    if [s for _, s in ours] != [s for _, s in theirs]:
        fail(f"{name}: ftrace-rt replay's stacks {ours} differ from uftrace's {theirs}")
    for cmd in (["dump"], ["dump", "--chrome"], ["report"], ["graph"], ["info"]):
        p = subprocess.run(["uftrace", *cmd, "-d", d] + (["main"] if cmd == ["graph"] else []),
                           capture_output=True, text=True, timeout=120)
        if p.returncode or re.search(r"(?i)error|unknown|invalid", p.stderr):
            fail(f"{name}: uftrace {' '.join(cmd)}: rc {p.returncode}: {p.stderr[-400:]}")
        if cmd == ["dump"] and "stacktrace:inner" not in p.stdout:
            fail(f"{name}: uftrace dump shows no stacktrace event: {p.stdout[-600:]}")
        if cmd == ["graph"] and "main" not in p.stdout:
            fail(f"{name}: uftrace graph main: {p.stdout[-400:]}")
    p = subprocess.run([tool, "dump", "--chrome", "-d", d], capture_output=True, text=True,
                       timeout=120)
    if p.returncode or '"stacktrace:inner"' not in p.stdout:
        fail(f"{name}: ftrace-rt dump --chrome: rc {p.returncode}: {p.stderr[-300:]}")
    return ours


INNER = ["inner", "middle", "outer", "main"]


def check_inner(name, dumps, main_count, thread_count):
    execd = EXECD[0]
    # the exec'd image (same pid): inner called from main, named by its own ids
    ex = [s for _, s in dumps if s[0] == "inner" and len(s) > 1 and func(s[1]) == "main"]
    if len(ex) != execd:
        fail(f"{name}: {len(ex)} dumps of inner from the exec'd image's main, expected {execd}: "
             f"{dumps}")
    mains = [s for _, s in dumps if s[0] == "inner" and len(s) > 1 and func(s[1]) == "middle"]
    threads = [s for _, s in dumps if s[0] == "inner" and len(s) > 1
               and func(s[1]) == "thread_main"]
    if len(mains) != main_count or len(threads) != thread_count:
        fail(f"{name}: {len(mains)} dumps of inner from main, {len(threads)} from the thread; "
             f"expected {main_count}, {thread_count}: {dumps}")
    for s in mains:
        if [func(f) for f in s[:4]] != INNER or len(s) < 5 or len(s) > 64:
            fail(f"{name}: inner's stack {s}: expected {INNER} then libc's start code")
        elif not all(re.fullmatch(r"[\w.@]+\+0x[0-9a-f]+", f) for f in s[1:5]):
            fail(f"{name}: frames past the entry are return addresses (func+0xOFF): {s}")
    for s in threads:
        if len(s) < 2 or len(s) > 64:
            fail(f"{name}: the thread's stack {s}")


# 1. record -T, both words; every reader
d, unmapped = record("both", ["-T", "inner@stacktrace", "-T", "probe@bt"])
dumps = readers(d, "both")
check_inner("both", dumps, 2, 1)
probes = [s for _, s in dumps if s[0] == "probe"]
bad = [s for s in probes if len(s) > 1 and func(s[1]) == "bad_frame"]
want_bad = 2 if unmapped else 1
if len(bad) != want_bad or any(len(s) != 2 for s in bad):
    fail(f"both: probe() under a bad frame pointer: expected {want_bad} stacks of exactly "
         f"probe, bad_frame: {bad}")
hand = [s for s in probes if len(s) > 1 and func(s[1]) == "handler"]
if len(hand) != 1 or len(hand[0]) > 64:
    fail(f"both: probe() in the signal handler on its alternate stack: {hand}")
if len(probes) != want_bad + 1:
    fail(f"both: {len(probes)} dumps of probe, expected {want_bad + 1}: {probes}")
names = open(os.path.join(d, "events.txt")).read()
if not re.search(r"^EVENT: \d+ stacktrace:inner$", names, re.M):
    fail(f"events.txt does not name inner's entry: {names[:400]}")

# 2. only inner recorded (-F): its callers are in its stacks all the same
d, _ = record("subtree", ["-F", "inner", "-T", "inner@backtrace"])
check_inner("subtree", readers(d, "subtree"), 2, 1)

# 3. a count, the kernel's stacktrace:N: dumps of the whole process
d, _ = record("count", ["-T", "inner@stacktrace:2"])
dumps = readers(d, "count")
# the count is the process image's: the exec'd image has its own
if [func(s[1]) for _, s in dumps if s[0] == "inner" and len(s) > 1] != \
        ["middle", "middle"] + ["main"] * EXECD[0]:
    fail(f"count: stacktrace:2 wrote {len(dumps)} dumps: {dumps}")

# 4. the environment, the library preloaded by hand
d, _ = record("env", [], {"FTRACE_RT_TRIGGER": "inner@stacktrace;middle@trace_on"}, direct=True)
check_inner("env", readers(d, "env"), 2, 1)

# 5. a threshold: a call that dumps its stack is kept, with its callers
d, _ = record("thresh", ["-t", "1s", "-T", "inner@stacktrace:1"])
text = replay(d, "ftrace-rt")
if not all(re.search(rf"\| *{f}\(\) \{{", text) for f in INNER) or \
        [[func(f) for f in s[:4]] for _, s in stacks(text)][:1] != [INNER]:
    fail(f"thresh: the dumping call is not kept with its callers and its stack: {text[-800:]}")

# 6. bad specs are refused with a message, the program runs untraced
for spec, what in (("inner@stacktrace:0", "stacktrace:N takes N"),
                   ("inner@backtrace:x", "stacktrace:N takes N"),
                   ("inner@stacktrac", "unknown action")):
    p = subprocess.run([tool, "record", "-d", os.path.join(tmp, "bad"), "-T", spec, "--", prog],
                       capture_output=True, text=True, env=env, timeout=120)
    if what not in p.stderr:
        fail(f"-T {spec}: expected '{what}' in the message: rc {p.returncode} {p.stderr[-300:]}")

# 7. live, through the control socket (tr_graph, one round of calls per line)
if graph_prog:
    d = os.path.join(tmp, "live")
    rec = subprocess.Popen([tool, "record", "--control", "-d", d, "--", graph_prog, "1", "wait"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=env)

    def target():
        """the traced program: the tool's child (under an emulator the tool's pid is
        the emulator's, which serves no socket)"""
        try:
            with open(f"/proc/{rec.pid}/task/{rec.pid}/children") as f:
                kids = f.read().split()
        except OSError:
            kids = []
        return kids[0] if kids else str(rec.pid)

    def ctl(*a, ok=True):
        p = subprocess.run([tool, "ctl", target(), *a], capture_output=True, text=True,
                           env=env, timeout=120)
        if (p.returncode == 0) != ok:
            fail(f"ctl {a}: rc {p.returncode}: {p.stdout} {p.stderr}")

    def one_round():
        rec.stdin.write("go\n")
        rec.stdin.flush()
        if not rec.stdout.readline().startswith("round"):
            fail("live: the program did not answer")

    one_round()                              # no dump
    ctl("trigger", "leaf@stacktrace:2")
    one_round()                              # the first two calls of leaf
    ctl("trigger", "mid@bt")
    one_round()                              # every call of mid
    ctl("trigger", "mid@stacktrace:0", ok=False)
    ctl("trigger", "")
    one_round()                              # none
    rec.stdin.close()
    rec.wait(timeout=120)
    dumps = [s for _, s in stacks(replay(d, "ftrace-rt"))]
    leafs = [s for s in dumps if s[0] == "leaf"]
    mids = [s for s in dumps if s[0] == "mid"]
    if len(leafs) != 2 or any(len(s) < 2 or func(s[1]) != "mid" for s in leafs):
        fail(f"live: leaf@stacktrace:2 gave {leafs}")
    if [func(s[1]) for s in mids if len(s) > 1] != ["top", "skipme", "outer", "top"]:
        fail(f"live: mid@bt gave {mids}")
    if len(dumps) != len(leafs) + len(mids):
        fail(f"live: dumps of other functions: {dumps}")

finish(tmp)
