#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Data that must not be lost, or lost silently.

- Deaths that skip exit(): SIGINT, SIGTERM, SIGHUP from outside, SIGSEGV,
  SIGFPE, abort() and _exit() inside traced frames, with every record still in the
  buffers: uftrace reads the data up to the death, the wait status is the
  signal's (or _exit's code), and the summary line says what happened. The
  program's own SIGTERM handler still runs; an ignored SIGHUP stays ignored;
  queries show SIG_DFL. `ftrace-rt record` on Ctrl-C (SIGINT to the whole
  process group) lets the program write its data and reports its status;
  SIGTERM sent to `ftrace-rt record` alone is passed on to the program.
- Calls that cannot be recorded: threads that get no buffer (address space
  limit) are counted, exactly, in the summary.
- A forked child whose parent exits before the child's fork handlers ran:
  its FORK line names the real parent, so uftrace names its functions.

usage: test_dataloss.py TOOL LIB DL_PROG"""
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile

from frt_test import EXE_WRAPPER, clean_env, fail, finish, preload_for, sanitizer_runtime

tool, lib, prog = (os.path.abspath(a) for a in sys.argv[1:4])
preload = preload_for(lib)
have_uftrace = shutil.which("uftrace") is not None
tmp = tempfile.mkdtemp(prefix="frt-dataloss-")
if "libtsan" in subprocess.run(["ldd", lib], capture_output=True, text=True).stdout:
    # ThreadSanitizer defers signals to its own points and owns the crash signals:
    # the deaths tested here are not the ones a program meets
    print("skipped: a ThreadSanitizer build")
    finish(tmp)
N = 300  # calls of leaf(): far fewer records than a chunk, so none is written before the end


def default_signals():
    """In the child: the fatal signals at SIG_DFL, whatever this test inherited (a shell
    runs background jobs with SIGINT ignored, and a program inherits that)."""
    for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def env_for(d, extra=None):
    return clean_env(dict({"LD_PRELOAD": preload, "FTRACE_RT_TRACER": "function_graph",
                           "FTRACE_RT_OUTPUT": d}, **(extra or {})))


def summary(stderr):
    lines = [l for l in stderr.splitlines() if l.startswith("ftrace_rt:")]
    return lines[-1] if lines else ""


def uftrace_report(d, what):
    """name -> calls, from `uftrace report` (which must read the directory cleanly)."""
    if not have_uftrace:
        return None
    for cmd in ("replay", "info"):
        p = subprocess.run(["uftrace", cmd, "-d", d], capture_output=True, text=True,
                           errors="replace", timeout=120)
        if p.returncode != 0 or "ERROR" in p.stderr or "WARN" in p.stderr:
            fail(f"{what}: uftrace {cmd}: rc {p.returncode}: {p.stderr.strip()[:300]}")
    p = subprocess.run(["uftrace", "report", "-d", d], capture_output=True, text=True,
                       errors="replace", timeout=120)
    counts = {}
    for line in p.stdout.splitlines():
        f = line.split()
        if len(f) >= 2 and f[-2].isdigit():
            counts[f[-1]] = int(f[-2])
    if p.returncode != 0 or not counts:
        fail(f"{what}: uftrace report: rc {p.returncode}: {p.stderr.strip()[:300]}")
    return counts


def expect_calls(d, what, want):
    counts = uftrace_report(d, what)
    if counts is None:
        return
    for fn, n in want.items():
        if counts.get(fn) != n:
            fail(f"{what}: uftrace shows {fn} called {counts.get(fn)} times, expected {n}")


def start(mode, d, extra=None, **kw):
    return subprocess.Popen([prog, mode, str(N)], env=env_for(d, extra), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=default_signals, **kw)


def wait_ready(p, what):
    line = p.stdout.readline()
    if line.strip() != "ready":
        fail(f"{what}: expected 'ready', got {line!r}")
        return False
    return True


# 1. signals from outside, with everything still buffered
for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    what = sig.name
    d = os.path.join(tmp, what)
    p = start("wait", d)
    if wait_ready(p, what):
        p.send_signal(sig)
    out, err = p.communicate(timeout=60)
    if p.returncode != -sig:
        fail(f"{what}: status {p.returncode}, expected {-sig}: {err[-300:]}")
    s = summary(err)
    if not re.search(rf"\d+ events, 0 lost; data in .*\({what}\)$", s):
        fail(f"{what}: summary line: {s!r}")
    expect_calls(d, what, {"leaf": N, "work": 1, "main": 1})

# 1b. while 4 threads write without pause into small buffers (the flusher always busy,
# locks held at any moment): death stays prompt and the data readable
for i in range(5):
    what = f"busy-{i}"
    d = os.path.join(tmp, what)
    p = subprocess.Popen([prog, "busy"], env=env_for(d, {"FTRACE_RT_BUFSIZE": "64K"}),
                         text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         preexec_fn=default_signals)
    if wait_ready(p, what):
        p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        fail(f"{what}: still running a minute after SIGINT")
        continue
    if p.returncode != -signal.SIGINT or not summary(err).endswith(")"):
        fail(f"{what}: status {p.returncode}: {err[-300:]}")
    counts = uftrace_report(d, what)
    if counts is not None and not counts.get("leaf"):
        fail(f"{what}: no leaf calls in the data")

# 2. deaths inside traced frames (a sanitizer runtime handles SIGSEGV itself)
asan = sanitizer_runtime(lib)
for mode, status, tag in (() if asan else (("segv", -signal.SIGSEGV, "SIGSEGV"),
                                           ("fpe", -signal.SIGFPE, "SIGFPE"))) + (
        ("abort", -signal.SIGABRT, "SIGABRT"),
        ("_exit", 5, "_exit")):
    d = os.path.join(tmp, mode)
    p = subprocess.run([prog, mode, str(N)], env=env_for(d), capture_output=True, text=True,
                       timeout=60, preexec_fn=default_signals)
    if p.returncode != status:
        fail(f"{mode}: status {p.returncode}, expected {status}: {p.stderr[-300:]}")
    if not summary(p.stderr).endswith(f"({tag})"):
        fail(f"{mode}: summary line: {summary(p.stderr)!r}")
    want = {"leaf": N, "work": 1, "main": 1}
    if mode == "segv":
        want["crash"] = 1
    expect_calls(d, mode, want)

# 3. the program's own SIGTERM handler runs; its exit is a normal one
d = os.path.join(tmp, "handler")
p = start("handler", d)
first = p.stdout.readline()
if first.strip() != "old handler SIG_DFL":
    fail(f"handler: sigaction reported the previous handler as {first!r}")
if wait_ready(p, "handler"):
    p.send_signal(signal.SIGTERM)
out, err = p.communicate(timeout=60)
if p.returncode != 0 or "handled" not in out:
    fail(f"handler: the program's handler did not run: {p.returncode} {out!r} {err[-300:]}")
if "(SIG" in summary(err):
    fail(f"handler: the runtime took the signal: {summary(err)!r}")
expect_calls(d, "handler", {"leaf": N, "main": 1})

# 4. an ignored SIGHUP stays ignored
d = os.path.join(tmp, "ignore")
p = subprocess.Popen([prog, "ignore", str(N)], env=env_for(d), text=True,
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                     preexec_fn=default_signals)
if wait_ready(p, "ignore"):
    p.send_signal(signal.SIGHUP)
out, err = p.communicate("go on\n", timeout=60)
if p.returncode != 0 or "survived" not in out:
    fail(f"ignore: an ignored SIGHUP killed the program: {p.returncode} {err[-300:]}")
expect_calls(d, "ignore", {"leaf": N, "main": 1})

# 5. queries see SIG_DFL; SIG_DFL set again by the program still writes the trace
d = os.path.join(tmp, "query")
p = subprocess.run([prog, "query", str(N)], env=env_for(d), capture_output=True, text=True,
                   timeout=60, preexec_fn=default_signals)
# (a sanitizer runtime installs its own SIGSEGV, SIGBUS and SIGFPE handlers)
problems = [l for l in p.stdout.splitlines() if "not SIG_DFL" in l or "did not" in l]
if asan:
    problems = [l for l in problems if l not in (
        f"signal {int(s)}: not SIG_DFL" for s in (signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE))]
if problems or "query:" not in p.stdout or p.returncode != -signal.SIGTERM:
    fail(f"query: {p.returncode} {p.stdout!r} {p.stderr[-300:]}")
expect_calls(d, "query", {"leaf": N, "main": 1})

# 6. ftrace-rt record, Ctrl-C: SIGINT to the whole process group
d = os.path.join(tmp, "record-int")
p = subprocess.Popen([tool, "record", "-o", d, "--", prog, "wait", str(N)],
                     env=clean_env({"FTRACE_RT_LIB": lib}), text=True, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, start_new_session=True, preexec_fn=default_signals)
if wait_ready(p, "record-int"):
    os.killpg(p.pid, signal.SIGINT)
out, err = p.communicate(timeout=60)
if p.returncode != 128 + signal.SIGINT:
    fail(f"record, Ctrl-C: status {p.returncode}, expected {128 + signal.SIGINT}: {err[-300:]}")
if not summary(err).endswith("(SIGINT)"):
    fail(f"record, Ctrl-C: summary line: {summary(err)!r}")
if "killed by SIGINT" not in err:
    fail(f"record, Ctrl-C: no report of the signal: {err[-300:]}")
expect_calls(d, "record-int", {"leaf": N, "work": 1, "main": 1})

# 6b. SIGTERM to `ftrace-rt record` alone (kill PID): passed on to the program
d = os.path.join(tmp, "record-term")
p = subprocess.Popen([tool, "record", "-o", d, "--", prog, "wait", str(N)],
                     env=clean_env({"FTRACE_RT_LIB": lib}), text=True, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE, preexec_fn=default_signals)
if wait_ready(p, "record-term"):
    p.send_signal(signal.SIGTERM)
out, err = p.communicate(timeout=60)
if p.returncode != 128 + signal.SIGTERM or not summary(err).endswith("(SIGTERM)"):
    fail(f"record, SIGTERM: status {p.returncode}, expected {128 + signal.SIGTERM}: "
         f"{err[-300:]}")
expect_calls(d, "record-term", {"leaf": N, "work": 1, "main": 1})

# 7. threads that cannot get a buffer: every call they make is counted, exactly.
# 1 GiB buffers under a 3 GiB address space: the main thread's fits, 16 more cannot
# (not under a sanitizer, whose shadow memory needs far more address space)
if not sanitizer_runtime(lib):
    d = os.path.join(tmp, "nobuf")
    calls = 1000

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    p = subprocess.run([prog, "threads", str(calls)], env=env_for(d, {"FTRACE_RT_BUFSIZE": "1G"}),
                       capture_output=True, text=True, timeout=120, preexec_fn=limit)
    s = summary(p.stderr)
    m = re.search(r"(\d+) threads, (\d+) events, \d+ lost; (\d+) threads got no buffer: "
                  r"(\d+) calls not recorded", s)
    if p.returncode != 0 or "threads done" not in p.stdout or not m:
        fail(f"no buffer: {p.returncode} {p.stdout!r} {p.stderr[-600:]}")
    else:
        nthr, events, nobuf, unrec = (int(x) for x in m.groups())
        if nthr != 17:
            fail(f"no buffer: {nthr} threads reported, 17 ran: {s}")
        # each thread: thread_body once, leaf `calls` times; recorded ones are
        # an entry and an exit each
        if nobuf < 1 or unrec != nobuf * (calls + 1):
            fail(f"no buffer: {nobuf} threads without buffers, {unrec} calls not recorded, "
                 f"expected {nobuf * (calls + 1)}: {s}")
        if events != 2 * (1 + (17 - 1 - nobuf) * (calls + 1)):
            fail(f"no buffer: {events} events recorded: {s}")

# 8. an orphaned fork child: its parent is the traced process, not init.
# Under qemu-user about one run in six lost the orphan's data or waited 60 s
# (2026-12-03, after record became a subreaper): an open bug, run with
# FRT_RUN_OPEN_BUGS=1 there.
if EXE_WRAPPER and not os.environ.get("FRT_RUN_OPEN_BUGS"):
    print("skipped: orphan under emulation: OPEN BUG (the orphan's data is sometimes "
          "missing under qemu-user)")
else:
    d = os.path.join(tmp, "orphan")
    p = subprocess.run([tool, "record", "-o", d, "--", prog, "orphan", str(N)],
                       env=clean_env({"FTRACE_RT_LIB": lib}), capture_output=True, text=True,
                       timeout=120)  # returns when the child closed its pipes: it has exited
    m = re.search(r"child done, ppid (\d+)", p.stdout)
    if not m or m.group(1) != "1":
        print(f"note: orphan: the child was not re-parented to init ({p.stdout!r}); "
              f"a subreaper may have taken it")
    task = open(os.path.join(d, "task.txt")).read() if os.path.exists(
        os.path.join(d, "task.txt")) else ""
    sess = re.search(r"SESS .*pid=(\d+)", task)
    fork = re.search(r"FORK .*pid=(\d+) ppid=(\d+)", task)
    if not sess or not fork or fork.group(2) != sess.group(1):
        fail(f"orphan: the FORK line does not name the traced parent:\n{task}")
    expect_calls(d, "orphan", {"child_work": 1, "leaf": N + 1})

finish(tmp)
