#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Calls that never return in the recording process, recorded as uftrace
records them: a forked child's data starts at the fork (its first records are
the exits of the calls it returns from, never its parent's entries again), and
frames ended by exit() or pthread_exit() stay open. For each case `uftrace
replay` of our data prints the call tree uftrace's own recording of a -pg
build prints (the remaining-functions list included), `ftrace-rt replay` the
same, and `uftrace report` and `ftrace-rt report` count the calls uftrace's
report counts on its own recording.

usage: test_fork_exit.py TOOL LIB TR_FORK TR_FORK_PG"""
import glob
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

from frt_test import clean_env, fail, finish

tool, lib, prog, prog_pg = (os.path.abspath(a) for a in sys.argv[1:5])
if not shutil.which("uftrace"):
    print("uftrace is not installed: nothing to compare with")
    sys.exit(77)
tmp = tempfile.mkdtemp(prefix="frt-forkexit-")
env = clean_env({"FTRACE_RT_LIB": lib})


def tree(text):
    """replay's lines without durations and thread ids (threads by order of appearance)"""
    out, tids = [], {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if "|" not in line:
            m = re.match(r"task: (\d+)$", line)
            if m:
                line = f"task: T{tids.setdefault(m.group(1), len(tids))}"
            out.append(line)
            continue
        tid, body = line.split("|", 1)
        tid = re.search(r"\[\s*(\d+)\]", tid).group(1)
        out.append(f"T{tids.setdefault(tid, len(tids))}|{body.rstrip()}")
    return out


def counts(text):
    """function -> calls from a report"""
    out = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 2 and f[-2].isdigit():
            out[f[-1]] = int(f[-2])
    return out


def run(args, what):
    p = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    if p.returncode:
        fail(f"{what}: {' '.join(args)}: rc {p.returncode}: {p.stderr.strip()[-500:]}")
    return p.stdout


def record(name, mode, status):
    theirs, ours = os.path.join(tmp, name + "-uftrace"), os.path.join(tmp, name)
    p = subprocess.run(["uftrace", "record", "--no-libcall", "--no-event", "-d", theirs,
                        prog_pg, mode], capture_output=True, text=True, timeout=120)
    if p.returncode != (1 if status else 0):  # uftrace record exits 1 for any failure
        fail(f"{name}: uftrace record: rc {p.returncode}: {p.stderr.strip()}")
    q = subprocess.run([tool, "record", "-d", ours, "--", prog, mode], capture_output=True,
                       text=True, env=env, timeout=120)
    if q.returncode != status or q.stdout != p.stdout:
        fail(f"{name}: ftrace-rt record: rc {q.returncode}: {q.stdout!r} (uftrace's run: "
             f"{p.stdout!r}) {q.stderr.strip()[-500:]}")
    return theirs, ours


def dat_records(d):
    """per .dat file, in tid order: [(type, depth)] of its records"""
    out = {}
    for f in sorted(glob.glob(os.path.join(d, "*.dat")),
                    key=lambda f: int(os.path.basename(f)[:-4])):
        data = open(f, "rb").read()
        out[os.path.basename(f)] = [((w & 3), (w >> 6) & 0x3FF) for _, w in
                                    (struct.unpack_from("<QQ", data, o)
                                     for o in range(0, len(data) - 15, 16))]
    return out


for name, mode, status in [("fork", "fork", 0), ("fork-exit", "fork-exit", 0),
                           ("exit", "exit", 3), ("thread-exit", "thread-exit", 0)]:
    theirs, ours = record(name, mode, status)
    want = tree(run(["uftrace", "replay", "-d", theirs], name))
    got = tree(run(["uftrace", "replay", "-d", ours], name))
    if got != want:
        fail(f"{name}: uftrace replay of our data:\n" + "\n".join(got) +
             "\n--- uftrace's own recording:\n" + "\n".join(want))
    own = tree(run([tool, "replay", "-d", ours], name))
    if own != want:
        fail(f"{name}: ftrace-rt replay:\n" + "\n".join(own) + "\n--- expected:\n" +
             "\n".join(want))
    want_n = counts(run(["uftrace", "report", "-d", theirs], name))
    # a forked child that never returns from its parent's calls: uftrace's
    # report counts their stack slots as calls of a function at address 0
    # (on its own data and on ours alike); ours does not count them
    zeros = want_n.pop("<0>", 0)
    for who, cmd in (("uftrace report", ["uftrace", "report", "-d", ours]),
                     ("ftrace-rt report", [tool, "report", "-d", ours])):
        got_n = counts(run(cmd, name))
        if who == "uftrace report" and got_n.pop("<0>", 0) != zeros:
            fail(f"{name}: uftrace report of our data: not {zeros} calls of <0>")
        if got_n != want_n:
            fail(f"{name}: {who} of our data counts {got_n}, uftrace's recording {want_n}")
    # the record level: the same types and depths, file by file in tid order
    a, b = dat_records(theirs), dat_records(ours)
    if list(a.values()) != list(b.values()):
        fail(f"{name}: records (type, depth) differ:\n ours {list(b.values())}\n"
             f" uftrace's {list(a.values())}")
    if name.startswith("fork"):
        task = open(os.path.join(ours, "task.txt")).read()
        if len(re.findall(r"^FORK ", task, re.M)) != 1 or \
                len(re.findall(r"^TASK ", task, re.M)) != 1:
            fail(f"{name}: task.txt should hold one TASK (the parent) and one FORK line, "
                 f"as uftrace's:\n{task}")
    if name == "fork" and sum(1 for l in want if "main() {" in l) != 1:
        fail(f"fork: main entered more than once in the reference:\n" + "\n".join(want))

# Symbol files: ours list the PLT entries and every function of the object
# with its extent, as uftrace's own .sym of the same binary does (uftrace
# records our binary's library calls only: --force), so its readers size and
# filter functions alike: -Z SIZE shows the functions uftrace's own symbol
# table says are that big, and -F NAME@plt is a known symbol
def sym_lines(d, exe):
    lines = []
    for line in open(os.path.join(d, os.path.basename(exe) + ".sym")):
        f = line.split()
        if len(f) == 3 and (f[1] in "PTtw" or f[2] in ("__dynsym_end", "__func_end")):
            lines.append((int(f[0], 16), f[1], f[2]))
    return lines


ref = os.path.join(tmp, "sym-uftrace")
p = subprocess.run(["uftrace", "record", "--force", "--no-event", "-d", ref, prog, "exit"],
                   capture_output=True, text=True, timeout=120)
ours = os.path.join(tmp, "exit")
want, got = sym_lines(ref, prog), sym_lines(ours, prog)
if not any(t == "P" for _, t, _ in want) or not any(t == "w" for _, t, _ in want) or \
        len([1 for _, t, _ in want if t in "Ttw"]) < 8:
    fail(f"uftrace's symbol file of {prog} has too little to compare: {want}")
if got != want:
    fail("symbols: ours\n" + "\n".join(map(str, got)) + "\nuftrace's\n" +
         "\n".join(map(str, want)))
funcs = [(a, n) for a, t, n in want if t in "Ttw" or n == "__func_end"]
size = {n: funcs[i + 1][0] - a for i, (a, n) in enumerate(funcs[:-1])}
shown_all = {re.sub(r"[(){};/* ]", "", l.split("|", 1)[1]).replace("}", "")
             for l in tree(run(["uftrace", "replay", "-d", ours], "-Z")) if "|" in l}
for n in sorted(set(size.values())):
    z = n + 1
    if z in size.values():
        continue
    shown = {re.sub(r"[(){};/* ]", "", l.split("|", 1)[1])
             for l in tree(run(["uftrace", "replay", "-Z", str(z), "-d", ours], "-Z")) if "|" in l}
    expect = {f for f in shown_all if size.get(f, 0) >= z}
    if shown != expect:
        fail(f"uftrace replay -Z {z} of our data shows {sorted(shown)}, expected {sorted(expect)}"
             f" (sizes {size})")
plt = next(n for _, t, n in want if t == "P")
p = subprocess.run(["uftrace", "replay", "-F", plt + "@plt", "-d", ours], capture_output=True,
                   text=True, timeout=60)
if p.returncode or "failed to set filter" in p.stdout + p.stderr:
    fail(f"uftrace replay -F {plt}@plt of our data: rc {p.returncode}: {p.stdout} {p.stderr}")
finish(tmp)
