#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Stacks that are small but big enough for the program: threads with
PTHREAD_STACK_MIN, 16 KiB and 20 KiB stacks, a handler on an 8 KiB
sigaltstack and a 16 KiB makecontext coroutine, each calling traced
functions (the last two also as their thread's first traced call), under
every built-in tracer. Then the runtime's own stack use, measured on a stack
filled with a pattern, against the bound the README states.

usage: test_stack.py LIB STK"""
import os
import re
import sys
import tempfile

from frt_test import fail, finish, preload_for, run, sanitizer_runtime

lib, stk = (os.path.abspath(a) for a in sys.argv[1:3])
tmp = tempfile.mkdtemp(prefix="frt-stack-")
tracers = ("function", "function_graph", "profile")
# what the runtime itself may use below a traced function's entry stack pointer
# (README: of the 4 KiB it reserves, at most 2.5 KiB)
RUNTIME_MAX = 2560


def traced(mode, tracer, extra=None):
    d = os.path.join(tmp, f"{mode}-{tracer}")
    env = {"LD_PRELOAD": preload_for(lib), "FTRACE_RT_TRACER": tracer, "FTRACE_RT_OUTPUT": d}
    env.update(extra or {})
    return run([stk, mode], env=env, timeout=120)


sanitized = sanitizer_runtime(lib) is not None
want = {"threads": "threads: ok", "altstack": "altstack: 100 handled",
        "coroutine": "coroutine: 200 rounds"}
for mode, line in want.items():
    p = run([stk, mode], timeout=120)
    if p.returncode != 0 or p.stdout.strip() != line:
        fail(f"{mode} untraced: {p.returncode} {p.stdout!r} {p.stderr[-300:]}")
    if sanitized:
        continue  # the sanitizers' own stack use is far beyond these stacks
    for tracer in tracers:
        p = traced(mode, tracer)
        if p.returncode != 0 or p.stdout.strip() != line:
            fail(f"{mode} under {tracer}: status {p.returncode} {p.stdout!r} "
                 f"{p.stderr[-300:]}")
        elif not re.search(r"\d+ functions traced", p.stderr):
            fail(f"{mode} under {tracer}: no summary: {p.stderr[-300:]}")


def measure(p):
    m = re.search(r"measure: first (\d+) steady (\d+)", p.stdout)
    return (int(m.group(1)), int(m.group(2))) if p.returncode == 0 and m else None


base = measure(run([stk, "measure"], timeout=120))
if not base:
    fail("measure untraced: no result")
else:
    for tracer in tracers:
        # a 4 KiB buffer: chunks are handed over, and written by the thread itself, during the run
        p = traced("measure", tracer, {"FTRACE_RT_BUFSIZE": "4K"})
        got = measure(p)
        if not got:
            fail(f"measure under {tracer}: {p.returncode} {p.stdout!r} {p.stderr[-300:]}")
            continue
        use = (got[0] - base[0], got[1] - base[1])
        print(f"{tracer}: runtime stack use, first call {use[0]} bytes, later calls {use[1]}")
        if use[0] <= 0 or use[1] <= 0:
            fail(f"measure under {tracer}: the runtime's frames not seen: {got} against "
                 f"untraced {base}")
        # later calls include a thread writing its own full chunks (the 4 KiB buffer
        # keeps the flusher behind): that path must fit the same budget
        for which, u in (("first call", use[0]), ("later calls", use[1])):
            if not sanitized and u > RUNTIME_MAX:
                fail(f"{tracer}: the runtime used {u} bytes of stack ({which}), "
                     f"more than the {RUNTIME_MAX} stated")

finish(tmp)
