#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A traced __attribute__((ms_abi)) function whose caller keeps values in the
registers that ABI makes callee-saved (xmm6-15, rdi, rsi): a user ops whose
callback clobbers every xmm register, alone and with each built-in tracer
(function_graph's return hook too), each tracer alone, and sites moving
between the trampolines while the function is called (the vector-saving
thunk). Built with GCC and clang, with and without an ops slot. The caller
must see none of those registers changed.

usage: test_msabi.py MSABIDIR"""
import os
import re
import sys
import tempfile

from frt_test import fail, finish, run

d = os.path.abspath(sys.argv[1])
tmp = tempfile.mkdtemp(prefix="frt-msabi-")
variants = open(os.path.join(d, "variants.txt")).read().split()
if not variants:
    fail("no variant built")
cases = [("ops", t, 2000) for t in ("none", "function", "function_graph", "profile")]
cases += [("tracer", t, 2000) for t in ("function", "function_graph", "profile")]
cases += [("flip", "none", 200)]
for v in variants:
    prog = os.path.join(d, f"msabi-{v}")
    for mode, tracer, n in cases:
        p = run([prog, mode, str(n)], env={"FTRACE_RT_TRACER": tracer,
                                           "FTRACE_RT_OUTPUT": os.path.join(tmp, "data")},
                timeout=300)
        m = re.search(r"msabi: calls (\d+) hits (\d+) changed (0x[0-9a-f]+|0)\b", p.stdout)
        what = f"{v} {mode} under {tracer}"
        if not m:
            fail(f"{what}: status {p.returncode} {p.stdout!r} {p.stderr[-300:]}")
            continue
        calls, hits, changed = int(m.group(1)), int(m.group(2)), int(m.group(3), 16)
        if changed:
            regs = [f"xmm{i}" for i in range(16) if changed >> i & 1]
            regs += [r for i, r in ((16, "rdi"), (17, "rsi")) if changed >> i & 1]
            fail(f"{what}: the caller's {' '.join(regs)} changed")
        elif p.returncode != 0:
            fail(f"{what}: wrong results, status {p.returncode}: {p.stderr[-300:]}")
        if mode == "ops" and hits != calls:
            fail(f"{what}: {hits} callbacks for {calls} calls")
        if mode == "flip" and not hits:
            fail(f"{what}: the ops never ran")
finish(tmp)
