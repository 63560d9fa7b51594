#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Tracers end to end: record with `ftrace-rt record`, read back with the real
uftrace (replay, report, graph, dump --chrome) and by parsing the .dat files,
and check exact call counts, nesting, lost-event accounting, fork/exec,
longjmp, signals, deep recursion, exit paths, C++ exceptions, and every bad
environment value.

usage: test_tracers.py TOOL LIB TR_PROG [TR_CXX]"""
import glob
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

from frt_test import EXE_WRAPPER, clean_env, fail, finish, preload_for

tool, lib, prog = (os.path.abspath(a) for a in sys.argv[1:4])
cxx = os.path.abspath(sys.argv[4]) if len(sys.argv) > 4 else None
have_uftrace = shutil.which("uftrace") is not None
preload = preload_for(lib)
tmp = tempfile.mkdtemp(prefix="frt-tracers-")


def record(name, args, tracer="function_graph", env=None, extra=()):
    d = os.path.join(tmp, name)
    e = clean_env(dict(env or {}, FTRACE_RT_LIB=lib))
    p = subprocess.run([tool, "record", "--tracer", tracer, "-o", d, *extra, "--", *args],
                       capture_output=True, text=True, env=e, timeout=120)
    return p, d


def parse_dat(d):
    """Per-tid: (counts by addr, problems, frames left open). Checks order,
    balance and depth. A forked child's file starts inside its parent's calls
    (as uftrace's does): its first record's depth says how many, and their
    exits have no entry."""
    out = {}
    try:
        forked = {int(m) for m in re.findall(r"^FORK .* pid=(\d+) ",
                                             open(os.path.join(d, "task.txt")).read(), re.M)}
    except OSError:
        forked = set()
    for f in glob.glob(os.path.join(d, "*.dat")):
        tid = int(os.path.basename(f)[:-4])
        data = open(f, "rb").read()
        counts, stack, problems, last = {}, [], [], 0
        base = None if tid in forked else 0  # frames open before the file began
        for off in range(0, len(data) - len(data) % 16, 16):
            t, w = struct.unpack_from("<QQ", data, off)
            typ, magic, depth, addr = w & 3, (w >> 3) & 7, (w >> 6) & 0x3FF, w >> 16
            if magic != 5:
                problems.append(f"bad magic at {off}")
                continue
            if t < last and typ != 2:
                problems.append(f"time goes back at {off}")
            last = max(last, t)
            if base is None:
                base = depth + (typ == 1)
            if typ == 0:
                if depth != base + len(stack):
                    problems.append(f"entry depth {depth} != {base + len(stack)} at {off}")
                stack.append(addr)
            elif typ == 1:
                if not stack and base and depth == base - 1:
                    base -= 1  # a call the parent made, returning in the child
                    continue
                if not stack or stack[-1] != addr:
                    problems.append(f"unmatched exit {addr:#x} at {off}")
                    continue
                stack.pop()
                if depth != base + len(stack):
                    problems.append(f"exit depth {depth} != {base + len(stack)} at {off}")
                counts[addr] = counts.get(addr, 0) + 1
            elif typ == 2:
                stack = stack[:depth]
        out[tid] = (counts, problems, len(stack))
    return out


def uftrace(d, *cmd):
    p = subprocess.run(["uftrace", *cmd, "-d", d], capture_output=True, text=True, timeout=120,
                       errors="replace")
    return p


def uftrace_counts(d, what):
    p = uftrace(d, "report")
    if p.returncode != 0 or "ERROR" in p.stderr:
        fail(f"{what}: uftrace report failed: {p.stderr.strip()}")
        return {}
    return parse_report(p.stdout)


def parse_report(text):
    """name -> calls from a uftrace-style report (times may be blank)."""
    counts = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 2 and f[-2].isdigit() and not line.lstrip().startswith("#"):
            name = f[-1]
            # mangled C++ names: count under the plain name too
            m = re.match(r"_Z\d+([A-Za-z_]\w*)", name)
            counts[name] = int(f[-2])
            if m:
                counts[m.group(1)[:int(re.match(r"_Z(\d+)", name).group(1))]] = int(f[-2])
            # demangled ones (one-word argument lists): under the plain name too
            m = re.match(r"([A-Za-z_][\w:]*)\(", name)
            if m:
                counts[m.group(1)] = int(f[-2])
    return counts


def own_counts(d, what):
    p = subprocess.run([tool, "report", "-d", d, "-s", "calls"], capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"{what}: ftrace-rt report failed: {p.stderr.strip()}")
        return {}
    return parse_report(p.stdout)


def check_readers(d, what, lost=False):
    """uftrace's readers accept the directory."""
    if not have_uftrace:
        return
    for cmd in (["replay"], ["graph"], ["info"]):
        p = uftrace(d, *cmd)
        if p.returncode != 0 or "ERROR" in p.stderr or "WARN" in p.stderr:
            fail(f"{what}: uftrace {cmd[0]}: rc {p.returncode} {p.stderr.strip()[:300]}")
    p = uftrace(d, "dump", "--chrome")
    if p.returncode != 0:
        fail(f"{what}: uftrace dump --chrome failed")
    elif not lost:
        try:
            json.loads(p.stdout)
        except ValueError as e:
            fail(f"{what}: chrome JSON invalid: {e}")


def expect_counts(d, what, want, balanced=True, lost=False, left_open=0):
    """@left_open: how many frames the program never returned from (exit(),
    pthread_exit()): they stay open in the data, as in uftrace's"""
    per_tid = parse_dat(d)
    for tid, (_, problems, _) in per_tid.items():
        if problems and balanced:
            fail(f"{what}: tid {tid}: {problems[:3]}")
    still_open = sum(n for _, _, n in per_tid.values())
    if balanced and still_open != left_open:
        fail(f"{what}: {still_open} frames never exited, expected {left_open}")
    check_readers(d, what, lost)
    for source, counts in (("uftrace", uftrace_counts(d, what) if have_uftrace else None),
                           ("ftrace-rt report", own_counts(d, what))):
        if counts is None:
            continue
        for fn, n in want.items():
            if counts.get(fn) != n:
                fail(f"{what}: {source}: {fn} called {counts.get(fn)} times, expected {n}")


def call_parents(d):
    """(function, caller) of every call, from uftrace replay's nesting."""
    out, stack = [], []
    for line in uftrace(d, "replay").stdout.splitlines():
        m = re.search(r"\|( +)(\S.*)$", line)
        if not m or m.group(2).startswith("}"):
            continue
        name = re.match(r"([\w:~]+)\(", m.group(2))
        if not name:
            continue
        depth = (len(m.group(1)) - 1) // 2
        del stack[depth:]
        out.append((name.group(1), stack[-1] if stack else None))
        if m.group(2).endswith("{"):
            stack.append(name.group(1))
    return out


def expect_parents(d, what, want):
    """Every call of each function in @want was made from the function named there."""
    if not have_uftrace:
        return
    seen = {}
    for fn, parent in call_parents(d):
        if fn in want:
            seen[fn] = seen.get(fn, 0) + 1
            if parent != want[fn]:
                fail(f"{what}: {fn} called from {parent}, expected inside {want[fn]}")
                return
    for fn in want:
        if not seen.get(fn):
            fail(f"{what}: no call of {fn} in the replay")


def summary_line(stderr):
    lines = [l for l in stderr.splitlines() if l.startswith("ftrace_rt:")]
    return lines[-1] if lines else ""


def rec_calls(n):
    return 1 if n < 2 else 1 + rec_calls(n - 1) + rec_calls(n - 2)


# 1-3: a recursive program, every tracer
p, d = record("rec-graph", [prog, "rec", "12"])
if p.returncode != 0 or "rec(12) = 233" not in p.stdout:
    fail(f"rec: rc {p.returncode}: {p.stdout} {p.stderr}")
if not re.search(r"function_graph: \d+ functions traced, 1 thread, \d+ events, 0 lost; data in",
                 p.stderr):
    fail(f"rec: summary line: {p.stderr!r}")
expect_counts(d, "rec/function_graph", {"rec": rec_calls(12), "main": 1})
if have_uftrace:
    # nesting: replay shows rec() inside rec() down to the leaves
    r = uftrace(d, "replay").stdout
    depth = max((len(m.group(1)) // 2 for m in re.finditer(r"\|( *)rec\(", r)), default=0)
    if depth != 12:
        fail(f"rec: deepest rec nesting in replay is {depth}, expected 12")

p, d = record("rec-function", [prog, "rec", "12"], tracer="function")
expect_counts(d, "rec/function", {"rec": rec_calls(12), "main": 1})

p, d = record("rec-profile", [prog, "rec", "12"], tracer="profile")
prof = open(os.path.join(d, "profile.txt")).read() if os.path.exists(
    os.path.join(d, "profile.txt")) else ""
m = re.search(r"^\s+(\d+)\s+\d+\s+\d+\s+\d+\s+rec@", prof, re.M)
if not m or int(m.group(1)) != rec_calls(12):
    fail(f"profile: rec calls {m.group(1) if m else None}, expected {rec_calls(12)}:\n{prof}")
if glob.glob(os.path.join(d, "*.dat")) and any(os.path.getsize(f) for f in glob.glob(os.path.join(d, "*.dat"))):
    fail("profile: wrote an event stream")

# 4: longjmp out of traced frames
p, d = record("longjmp", [prog, "longjmp", "2000"])
if "longjmp 2000 done" not in p.stdout:
    fail(f"longjmp: {p.returncode} {p.stdout} {p.stderr}")
if " 0 lost" not in summary_line(p.stderr):
    fail(f"longjmp: lost events: {summary_line(p.stderr)}")
expect_counts(d, "longjmp", {"jump_top": 2000, "jump_deep": 8000, "leaf": 8010, "main": 1})

# 5: many short-lived threads
p, d = record("threads", [prog, "threads", "50"])
if "threads 50 done" not in p.stdout:
    fail(f"threads: {p.returncode} {p.stderr}")
if len(glob.glob(os.path.join(d, "*.dat"))) != 201:
    fail(f"threads: {len(glob.glob(os.path.join(d, '*.dat')))} data files, expected 201")
expect_counts(d, "threads", {"leaf": 2000, "thread_body": 200, "main": 1})

# 6: fork: the child writes its own file, the parent's is intact
p, d = record("fork", [prog, "fork"])
if "fork done, child status 0" not in p.stdout:
    fail(f"fork: {p.stdout} {p.stderr}")
per_tid = parse_dat(d)
if len(per_tid) != 2:
    fail(f"fork: {len(per_tid)} data files")
# the child exits inside main, which it entered in its parent: main is one call
expect_counts(d, "fork", {"leaf": 150, "main": 1})

# 7: exec of a traced program: both images in one directory
# (emulated: the program execs itself, which needs binfmt_misc; there is none)
if EXE_WRAPPER:
    print("skipped: exec, vfork: a program under qemu-user cannot exec a program of its "
          "own architecture here (no binfmt_misc)")
else:
    p, d = record("exec", [prog, "exec"])
    if "rec(5) = 8" not in p.stdout:
        fail(f"exec: {p.stdout} {p.stderr}")
    if open(os.path.join(d, "task.txt")).read().count("SESS ") != 2:
        fail("exec: expected two sessions in task.txt")
    expect_counts(d, "exec", {"leaf": 10, "rec": rec_calls(5), "main": 2})

    # 7b: vfork+exec from traced frames: the parent's data stays balanced, each child its own
    p, d = record("vfork", [prog, "vfork"])
    if "vfork done" not in p.stdout or p.stdout.count("rec(4) = 5") != 3:
        fail(f"vfork: {p.stdout} {p.stderr}")
    expect_counts(d, "vfork", {"leaf": 6, "rec": 3 * rec_calls(4), "main": 4})

# 8: traced functions called from a signal handler
p, d = record("signal", [prog, "signal", "100"])
if "signal 100 done" not in p.stdout:
    fail(f"signal: {p.stderr}")
expect_counts(d, "signal", {"raiser": 100, "in_handler": 50, "leaf": 250})

# 8b: a handler on a sigaltstack that lies in main's frame, above the frames it
# interrupts: those stay live (nesting around the handler), and more than the
# graveyard's 1,024 entries of signals neither abort nor lose a return
p, d = record("altstack", [prog, "altstack", "2000"])
if p.returncode != 0 or "altstack 2000 done" not in p.stdout:
    fail(f"altstack: rc {p.returncode}: {p.stdout} {p.stderr[-500:]}")
else:
    expect_counts(d, "altstack", {"nest": 6, "raiser_alt": 2000, "alt_handler": 2000,
                                  "in_handler": 2000, "leaf": 4000, "main": 1})
    expect_parents(d, "altstack", {"alt_handler": "raiser_alt", "in_handler": "alt_handler",
                                   "raiser_alt": "nest"})

# 8c: swapcontext onto a coroutine stack that is a local array of main's:
# the coroutine runs inside switcher's swapcontext and is shown there
p, d = record("ucontext-local", [prog, "ucontext-local", "50"])
if p.returncode != 0 or "ucontext-local 50 done" not in p.stdout:
    fail(f"ucontext-local: rc {p.returncode}: {p.stdout} {p.stderr[-500:]}")
else:
    expect_counts(d, "ucontext-local", {"switcher": 50, "co_start": 50, "co_body": 50,
                                        "co_inner": 50, "leaf": 100, "main": 1})
    expect_parents(d, "ucontext-local", {"co_start": "switcher", "co_body": "co_start",
                                         "switcher": "main"})

# 8c2: a coroutine suspended inside traced frames while the main context
# abandons 1,600 frames with longjmp (more than the graveyard holds): when it
# resumes, its frames still return to the right place (where the return
# address is in a frame record, it is found as the coroutine switches away)
p, d = record("co-evict", [prog, "co-evict", "400"])
if p.returncode != 0 or "co-evict 400 done" not in p.stdout:
    fail(f"co-evict: rc {p.returncode}: {p.stdout} {p.stderr[-500:]}")
else:
    expect_counts(d, "co-evict", {"ev_resume": 2, "ev_a": 1, "ev_b": 1, "jump_top": 400,
                                  "jump_deep": 1600, "leaf": 1601, "main": 1})

# 8c3: coroutines on a pool of two stacks, suspended inside traced frames,
# abandoned or resumed: a stack is reused so that a suspended frame's return
# address lies where an abandoned frame (another key) kept its own, then
# more frames are buried than the graveyard holds before it resumes; a
# buried frame is given its return address back only where it still owns
# the slot. backtrace() in flight sees the same stack every time.
p, d = record("co-pool", [prog, "co-pool", "4"])
m = re.search(r"co-pool 4 done, (\d+) coroutines, (\d+) resumed, backtrace (\d+) of (\d+) the same",
              p.stdout)
if p.returncode != 0 or not m:
    fail(f"co-pool: rc {p.returncode}: {p.stdout} {p.stderr[-500:]}")
elif m[3] != m[4] or int(m[4]) < 20:
    fail(f"co-pool: backtrace() in a coroutine saw another stack: {p.stdout}")
else:
    started, resumed = int(m[1]), int(m[2])
    expect_counts(d, "co-pool", {"cp_resume": started + resumed, "cp_start": started,
                                 "cp_a": started, "cp_b": started, "leaf": resumed, "main": 1})

# 8c4: a frame left by longjmp (its return address found by an earlier
# backtrace()) stays on the shadow stack under a new frame whose return
# address lies where its own was: backtrace() in the new frame must see the
# new frame's caller (the old frame's slot is not written)
p, d = record("lj-stale", [prog, "lj-stale", "96"])
if p.returncode != 0 or "lj-stale 96 done, backtrace 96 of 96 the same" not in p.stdout:
    fail(f"lj-stale: rc {p.returncode}: {p.stdout} {p.stderr[-500:]}")
else:
    expect_counts(d, "lj-stale", {"ls_top": 96, "ls_e": 96, "ls_h": 192, "main": 1})

# 8d: an unwinder the runtime has no hook for looks up unwind information
# (dl_iterate_phdr) inside traced frames, which then return normally: the
# real return addresses were put back, every call still counted once
p, d = record("phdr", [prog, "phdr", "300"])
if p.returncode != 0 or "phdr 300 done" not in p.stdout:
    fail(f"phdr: rc {p.returncode}: {p.stdout} {p.stderr[-500:]}")
else:
    expect_counts(d, "phdr", {"p_outer": 300, "p_mid": 300, "p_inner": 300, "leaf": 600,
                              "main": 1})

# 9: recursion deeper than the shadow stack: counted, program correct
p, d = record("deep", [prog, "deep", "3000"])
if "deep(3000) = 3000" not in p.stdout:
    fail(f"deep: {p.stdout} {p.stderr}")
if "nested deeper than the shadow stack's 1024 frames" not in summary_line(p.stderr) or " 0 lost" in summary_line(p.stderr):
    fail(f"deep: overflow not reported: {summary_line(p.stderr)}")
expect_counts(d, "deep", {"deep": 1023, "main": 1})
# 9b: a deeper shadow stack (--max-stack) hooks them all; uftrace's format has 10 bits of
# depth, so calls past 1023 are recorded at depth 1023: ftrace-rt's reader (which pairs by
# address) counts every one
p, d = record("deep-max", [prog, "deep", "3000"], extra=["--max-stack=4000"])
if "deep(3000) = 3000" not in p.stdout or "nested deeper" in summary_line(p.stderr) or \
        " 0 lost" not in summary_line(p.stderr):
    fail(f"deep --max-stack: {p.stdout} {summary_line(p.stderr)}")
if own_counts(d, "deep-max").get("deep") != 3001:
    fail(f"deep --max-stack: ftrace-rt report: {own_counts(d, 'deep-max').get('deep')}")

# 10-11: exit() inside traced frames, from main and from another thread
p, d = record("exit", [prog, "exit"])
if p.returncode != 3:
    fail(f"exit: status {p.returncode}, expected 3")
expect_counts(d, "exit", {"exit_inside": 1, "leaf": 1, "main": 1}, left_open=2)
p, d = record("exit-thread", [prog, "exit-thread"])
if p.returncode != 4:
    fail(f"exit-thread: status {p.returncode}, expected 4: {p.stderr}")
check_readers(d, "exit-thread")

# 11b: abort() in a traced callee: the program dies of SIGABRT as it would untraced
p, d = record("abort", [prog, "abort"])
if p.returncode != 128 + 6:
    fail(f"abort: status {p.returncode}, expected {128 + 6}: {p.stderr[-300:]}")

# 12: a buffer so small that the flusher cannot keep up. By default (FTRACE_RT_BUFFER_FULL
# =wait) the thread writes its own full chunks and nothing is lost; with =drop records
# are dropped, counted and reported, nothing corrupted. Either way every record the
# program makes is in the files or counted lost, exactly as many as a run with room
# for all of them writes.
for tracer, policy in (("function_graph", "drop"), ("function", "drop"),
                       ("function_graph", None), ("function", "wait")):
    what = f"lost-{tracer}-{policy or 'default'}"
    p, d = record(what + "-ref", [prog, "calls", "300000"], tracer=tracer, extra=("-b", "64M"))
    m = re.search(r"(\d+) events, 0 lost", summary_line(p.stderr))
    if not m:
        fail(f"{what}: reference run lost events: {p.stderr}")
        continue
    want = int(m.group(1))
    p, d = record(what, [prog, "calls", "300000"], tracer=tracer, extra=("-b", "4K"),
                  env={"FTRACE_RT_BUFFER_FULL": policy} if policy else None)
    m = re.search(r"(\d+) events, (\d+) lost", summary_line(p.stderr))
    if "calls 300000 done" not in p.stdout or not m:
        fail(f"{what}: {p.stdout} {p.stderr}")
        continue
    events, lost = int(m.group(1)), int(m.group(2))
    in_files, lost_recs = 0, 0
    for f in glob.glob(os.path.join(d, "*.dat")):
        data = open(f, "rb").read()
        for off in range(0, len(data), 16):
            t, w = struct.unpack_from("<QQ", data, off)
            if w & 3 == 2:
                lost_recs += w >> 16
            else:
                in_files += 1
    if policy == "drop" and lost == 0:
        print(f"note: {what}: no events lost with a 4K buffer (the flusher kept up)")
    if policy != "drop" and lost:
        fail(f"{what}: {lost} events lost although threads wait for the output")
    if events != in_files:
        fail(f"{what}: summary says {events} events, the files hold {in_files}")
    if lost != lost_recs:
        fail(f"{what}: summary says {lost} lost, LOST records say {lost_recs}")
    if events + lost != want:
        fail(f"{what}: events {events} + lost {lost} != {want} records of the reference run")
    expect_counts(d, what, {}, lost=True)

# 13: C++ exceptions through hooked frames
if cxx:
    p, d = record("cxx", [cxx, "200"])
    if p.returncode != 0 or "caught 400 of 400" not in p.stdout:
        fail(f"c++ exceptions: rc {p.returncode}: {p.stdout} {p.stderr[-500:]}")
    expect_counts(d, "cxx", {"cx_catcher": 200, "cx_rethrow": 200, "main": 1,
                             "cx_thrower": 200 * 3 + sum(i % 5 + 1 for i in range(200))},
                  balanced=True)
    # ftrace-rt report shows C++ names demangled, and mangled with -m
    for args, want in (([], "cx_catcher(int)"), (["-m"], "_Z10cx_catcheri")):
        q = subprocess.run([tool, "report", "-d", d, *args], capture_output=True, text=True)
        if q.returncode != 0 or not re.search(rf"\s200\s+{re.escape(want)}$", q.stdout, re.M):
            fail(f"cxx report {args}: no '200 {want}' line: {q.stdout[-600:]} {q.stderr}")
    # 13b: pthread_cancel of a thread blocked in read() under traced frames that
    # hold RAII objects and a std::lock_guard: glibc's forced unwind (reached
    # through function pointers, no hook of ours runs) must see every frame
    for mode, ends in (("cancel", "canceled"), ("exit", "exited")):
        p, d = record("cxx-" + mode, [cxx, mode])
        want = f"{mode}: destructors 5 of 5, mutex free, {ends}"
        if p.returncode != 0 or want not in p.stdout:
            fail(f"c++ {mode}: rc {p.returncode}: {p.stdout.strip()} {p.stderr[-300:]}")
        else:
            # the thread's 7 frames never return: they stay open, as uftrace leaves them
            expect_counts(d, "cxx-" + mode, {"cn_thread": 1, "cn_locked": 1, "cn_mid": 4,
                                             "cn_block": 1, "main": 1}, left_open=7)
    # 13c: backtrace() and _Unwind_Backtrace inside nested traced frames see what
    # they see untraced; the frames keep their exits (counted, nested). 64
    # rounds, each with the frames at another depth (as the exception rounds
    # above): signed return addresses take many values in one run
    for mode in ("backtrace", "unwind-bt"):
        ref = subprocess.run([cxx, mode, "64"], capture_output=True, text=True, env=clean_env())
        p, d = record("cxx-" + mode, [cxx, mode, "64"])
        if ref.returncode != 0 or ref.stdout.count("bt_outer") != 64:
            fail(f"c++ {mode}: untraced run: {ref.stdout[-1000:]} {ref.stderr}")
        elif p.returncode != 0 or p.stdout != ref.stdout:
            fail(f"c++ {mode}: traced stack differs (rc {p.returncode}):\n{p.stdout[-1500:]}"
                 f"untraced:\n{ref.stdout[-1500:]}\n{p.stderr[-300:]}")
        else:
            expect_counts(d, "cxx-" + mode, {"bt_outer": 64, "bt_inner": 192, "bt_walk": 64,
                                             "cx_leaf": 64, "main": 1})
            expect_parents(d, "cxx-" + mode, {"cx_leaf": "bt_walk", "bt_walk": "bt_inner"})
    # 13c2: a SIGPROF profiler's backtrace() at any instruction, the runtime's
    # trampolines and return hook included: every walk reaches the program's start
    # (aarch64: OPEN BUG, about 1 sample in 5 stops at the return hook: a
    # frame interrupted before its prologue stored x30 has the hook in the
    # signal context's x30, which nothing puts back yet)
    if EXE_WRAPPER and "aarch64" in " ".join(EXE_WRAPPER):
        print("skipped: cxx-sigprof: OPEN BUG on aarch64 (a backtrace() from a signal "
              "handler that interrupted a hooked function before its prologue stops at "
              "the return hook)")
    else:
        p, d = record("cxx-sigprof", [cxx, "sigprof", "200"])
        if p.returncode != 0 or "sigprof:" not in p.stdout:
            fail(f"c++ sigprof: rc {p.returncode}: {p.stdout.strip()} {p.stderr[-300:]}")
    # 13d: gdb, from outside, with the project's unwinder for hooked frames
    # (emulated: the host's gdb cannot start a program of another architecture)
    if EXE_WRAPPER:
        print("skipped: gdb backtrace: the host's gdb cannot run the emulated program")
    elif shutil.which("gdb"):
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts",
                              "ftrace_rt-gdb.py")
        g = subprocess.run(
            ["gdb", "-q", "-batch", "-nx", "-ex", "set breakpoint pending on",
             "-ex", "break bt_walk", "-ex", "run", "-ex", f"source {script}", "-ex", "bt",
             "--args", "env", f"LD_PRELOAD={preload}", "FTRACE_RT_TRACER=function_graph",
             f"FTRACE_RT_OUTPUT={os.path.join(tmp, 'gdb.data')}", cxx, "backtrace"],
            capture_output=True, text=True, timeout=300, env=clean_env())
        frames = re.findall(r"^#\d+\s+(?:0x[0-9a-f]+ in )?(\w+) \(", g.stdout, re.M)
        real = [f for f in frames if f != "??"]
        if real[:5] != ["bt_walk", "bt_inner", "bt_inner", "bt_inner", "bt_outer"] or \
                "main" not in real[5:8]:
            fail(f"gdb backtrace through hooked frames: {real} {g.stdout[-800:]} {g.stderr[-300:]}")
    else:
        print("note: gdb not found, its unwinder is not tested")
    p, d = record("cxx-profile", [cxx, "20"], tracer="profile")
    q = subprocess.run([tool, "report", "-d", d], capture_output=True, text=True)
    if q.returncode != 0 or not re.search(r"^\s.*\s20\s+cx_catcher\(int\)$", q.stdout, re.M):
        fail(f"cxx profile report: no demangled cx_catcher row: {q.stdout[-600:]} {q.stderr}")
q = subprocess.run([tool, "report", "-s", "bogus"], capture_output=True, text=True)
if q.returncode != 2 or "bogus" not in q.stderr:
    fail(f"report -s bogus: rc {q.returncode}: {q.stderr}")

# 14: every bad environment value: one line naming it, the program runs untraced
bad = [
    ("FTRACE_RT_TRACER", "bogus"),
    ("FTRACE_RT_FILTER", "rec["),
    ("FTRACE_RT_NOTRACE", "[x"),
    ("FTRACE_RT_BUFSIZE", "12x"),
    ("FTRACE_RT_BUFSIZE", "1"),
    ("FTRACE_RT_BUFSIZE", "99999999999999999999999"),
    ("FTRACE_RT_BUFSIZE", "-5"),
    ("FTRACE_RT_BUFSIZE", ""),
    ("FTRACE_RT_OUTPUT", "/proc/self/no/such/dir"),
    ("FTRACE_RT_OUTPUT", ""),
    ("FTRACE_RT_OUTPUT", os.path.join(tmp, "not-a-data-dir")),
    ("FTRACE_RT_VERBOSE", "loud"),
]
os.makedirs(os.path.join(tmp, "not-a-data-dir"), exist_ok=True)
open(os.path.join(tmp, "not-a-data-dir", "precious.txt"), "w").write("keep me")
for var, val in bad:
    env = clean_env({"LD_PRELOAD": preload, "FTRACE_RT_TRACER": "function_graph", var: val})
    cwd = tempfile.mkdtemp(dir=tmp)
    p = subprocess.run([prog, "rec", "8"], capture_output=True, text=True, env=env, cwd=cwd)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    named = [l for l in lines if var in l and (val in l)]
    if p.returncode != 0 or "rec(8) = 34" not in p.stdout:
        fail(f"{var}={val!r}: the program did not run normally: {p.returncode} {p.stderr}")
    if len(named) != 1:
        fail(f"{var}={val!r}: expected one line naming it, got {lines}")
    if var != "FTRACE_RT_VERBOSE" and len(lines) != 1:
        fail(f"{var}={val!r}: expected one line in all, got {lines}")
    if var == "FTRACE_RT_VERBOSE" and not any("functions traced" in l for l in lines):
        fail(f"{var}={val!r}: a bad verbosity must not stop tracing: {lines}")
if open(os.path.join(tmp, "not-a-data-dir", "precious.txt")).read() != "keep me":
    fail("an existing directory that is not a data directory was touched")

finish(tmp)
