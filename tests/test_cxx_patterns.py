#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Filter patterns over demangled C++ names: a C++ program recorded with
FTRACE_RT_FILTER='Registry::get' or 'shapes::*' (and `ftrace-rt record -P`)
traces exactly those functions, read back by uftrace and by ftrace-rt report.

usage: test_cxx_patterns.py TOOL LIB TR_NAMES"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from frt_test import clean_env, fail, finish

tool, lib, prog = (os.path.abspath(a) for a in sys.argv[1:4])
have_uftrace = shutil.which("uftrace") is not None
tmp = tempfile.mkdtemp(prefix="frt-cxxpat-")
N = 25


def record(name, env=None, extra=()):
    d = os.path.join(tmp, name)
    e = clean_env(dict(env or {}, FTRACE_RT_LIB=lib))
    p = subprocess.run([tool, "record", "-o", d, *extra, "--", prog, str(N)],
                       capture_output=True, text=True, env=e, timeout=120)
    if p.returncode != 0 or "sum " not in p.stdout:
        fail(f"{name}: rc {p.returncode}: {p.stdout} {p.stderr}")
    return d


def counts_of(d, what):
    out = []
    p = subprocess.run([tool, "report", "-d", d, "-s", "calls"], capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"{what}: ftrace-rt report: {p.stderr.strip()}")
    out.append(("ftrace-rt report", p.stdout))
    if have_uftrace:
        p = subprocess.run(["uftrace", "report", "-d", d, "-s", "call"], capture_output=True,
                           text=True, timeout=120)
        if p.returncode != 0:
            fail(f"{what}: uftrace report: {p.stderr.strip()}")
        out.append(("uftrace report", p.stdout))
    return out


def expect(d, what, want):
    for source, text in counts_of(d, what):
        got = {}
        for line in text.splitlines():
            # "... CALLS  NAME(PARAMS) [clone ...]": the name up to its parameters
            m = re.match(r"^\s*\d[\d.]* \S+\s+\d[\d.]* \S+\s+(\d+)\s+([^(\s]+)", line)
            if m:
                got[m.group(2)] = got.get(m.group(2), 0) + int(m.group(1))
        if got != want:
            fail(f"{what}: {source}: {got}, expected {want}\n{text}")


cases = [
    ("registry-get", {"FTRACE_RT_FILTER": "Registry::get"}, (), {"Registry::get": N}),
    ("shapes", {"FTRACE_RT_FILTER": "shapes::*"}, (),
     {"shapes::total": N, "shapes::Circle::area": N, "shapes::Square::area": N}),
    ("area-glob", {"FTRACE_RT_FILTER": "*::area"}, (),
     {"shapes::Circle::area": N, "shapes::Square::area": N}),
    ("registry-notrace", {"FTRACE_RT_FILTER": "Registry::*",
                          "FTRACE_RT_NOTRACE": "Registry::set"}, (), {"Registry::get": N}),
    ("record-P", {}, ("-P", "Registry::*"), {"Registry::get": N, "Registry::set": N}),
]
for name, env, extra, want in cases:
    expect(record(name, env, extra), name, want)

# `ftrace-rt list -F` selects by demangled name too
p = subprocess.run([tool, "list", "-F", "shapes::*", prog], capture_output=True, text=True)
names = sorted(l.split()[1] for l in p.stdout.splitlines() if l.strip())
if p.returncode != 0 or len(names) != 3:
    fail(f"list -F shapes::*: rc {p.returncode}: {p.stdout} {p.stderr}")
# ... and shows each C++ function's demangled name after its columns (-m: not)
for args, demangled in (([], True), (["-m"], False), (["--no-demangle"], False)):
    p = subprocess.run([tool, "list", *args, "-F", "shapes::*", prog], capture_output=True,
                       text=True)
    lines = p.stdout.splitlines()
    tails = [l.split(" # ", 1)[1] if " # " in l else None for l in lines]
    ok = all(t and "shapes::" in t and "(" in t for t in tails) if demangled else \
        not any(tails)
    if p.returncode != 0 or len(lines) != 3 or not ok or \
            sorted(l.split()[1] for l in lines) != names:
        fail(f"list {args} -F shapes::*: rc {p.returncode}: {p.stdout} {p.stderr}")
finish()
