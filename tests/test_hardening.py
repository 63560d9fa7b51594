#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Faults and hard corners: mprotect refused (W^X, by seccomp), membarrier
unavailable (seccomp) also under the stress test, a data directory on a full
filesystem, no usable control socket directory, out of memory for trace
buffers, a setuid program, coroutines (swapcontext), stack overflow caught on
an alternate stack, signals raised inside callbacks. The program must run on
with one clear message and nothing half-patched.

usage: test_hardening.py TOOL LIB HARD TR_PROG FIXDIR STRESSDIR"""
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile

from frt_test import EXE_WRAPPER, fail, finish, preload_for, rt_lines, run, sanitizer_runtime

tool, lib, hard, trprog, fixdir, stressdir = (os.path.abspath(a) for a in sys.argv[1:7])
tmp = tempfile.mkdtemp(prefix="frt-hard-")
os.chmod(tmp, 0o755)

# mprotect refused: nothing is patched, one clear message, the program is correct
if EXE_WRAPPER:
    print("skipped: deny-mprotect: qemu-user refuses a guest seccomp filter (EINVAL)")
else:
    fx = os.path.join(fixdir, "fx-clang-O2")
    want = run([fx]).stdout
    p = run([hard, "deny-mprotect", "--", tool, "record", "-o", os.path.join(tmp, "wx"), "--", fx],
            env={"FTRACE_RT_LIB": lib})
    if p.returncode != 0 or p.stdout != want:
        fail(f"deny-mprotect (clang): {p.returncode} {p.stdout!r} != {want!r}")
    if not any("page protection change refused" in l for l in rt_lines(p.stderr)):
        fail(f"deny-mprotect (clang): no clear message: {p.stderr}")
    fx = os.path.join(fixdir, "fx-gcc-O2")
    want = run([fx]).stdout
    p = run([hard, "deny-mprotect", "--", tool, "record", "-o", os.path.join(tmp, "wx2"), "--", fx],
            env={"FTRACE_RT_LIB": lib})
    if p.returncode != 0 or p.stdout != want or \
            not any("refused" in l and "NOP runs" in l for l in rt_lines(p.stderr)):
        fail(f"deny-mprotect (gcc): {p.returncode} {p.stdout!r} {p.stderr}")
    p = run([hard, "deny-mprotect", "--", hard, "api"])
    if p.returncode != 0 or "hits 0 enabled 0" not in p.stdout:
        fail(f"deny-mprotect api: {p.returncode} {p.stdout} {p.stderr}")

# a program that changes its own text's protection while transactions run keeps what it set
p = run([hard, "textprot", "3000"])
if p.returncode != 0 or "textprot: 3000" not in p.stdout:
    fail(f"textprot: {p.returncode} {p.stdout} {p.stderr[-2000:]}")

# membarrier unavailable: the TLB-shootdown fallback, also under the stress test
if EXE_WRAPPER:
    print("skipped: deny-membarrier: qemu-user refuses a guest seccomp filter (EINVAL)")
else:
    p = run([hard, "deny-membarrier", "--", hard, "api"], env={"FTRACE_RT_VERBOSE": "1"})
    if p.returncode != 0 or "hits 200 enabled 2" not in p.stdout or \
            "tlb-shootdown" not in p.stderr:
        fail(f"deny-membarrier: {p.returncode} {p.stdout} {p.stderr}")
    layout = "gcc-O2"
    p = run([hard, "deny-membarrier", "--", os.path.join(stressdir, f"stress-{layout}"), "-i", "300",
             "-c", "50", os.path.join(stressdir, f"stressplugin-p-{layout}.so"),
             os.path.join(stressdir, f"stressplugin-q-{layout}.so")])
    if p.returncode != 0 or "stress: ok" not in p.stdout:
        fail(f"stress without membarrier: {p.returncode} {p.stdout[-500:]} {p.stderr[-500:]}")

# a data directory on a full filesystem: one message, the program runs on
if os.getuid() == 0:
    mnt = os.path.join(tmp, "small")
    os.mkdir(mnt)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt]).returncode == 0:
        try:
            p = run([tool, "record", "-o", os.path.join(mnt, "d"), "--", trprog, "calls", "200000"],
                    env={"FTRACE_RT_LIB": lib})
            msgs = [l for l in rt_lines(p.stderr) if "writing trace data failed" in l]
            if p.returncode != 0 or "calls 200000 done" not in p.stdout or len(msgs) != 1:
                fail(f"full filesystem: {p.returncode} {p.stdout} {p.stderr}")
        finally:
            subprocess.run(["umount", mnt])
    else:
        print("note: cannot mount a tmpfs; full-filesystem case not run")

# no usable directory for the control socket
bad = os.path.join(tmp, "badtmp")
os.mkdir(bad)
open(os.path.join(bad, f"ftrace_rt-{os.getuid()}"), "w").close()  # a file where the dir goes
p = run([trprog, "rec", "10"], env={"LD_PRELOAD": preload_for(lib), "FTRACE_RT_CONTROL": "1",
                                    "TMPDIR": bad, "XDG_RUNTIME_DIR": "/nonexistent",
                                    "FTRACE_RT_TRACER": "none"})
if p.returncode != 0 or "rec(10) = 89" not in p.stdout or \
        len([l for l in rt_lines(p.stderr) if "control socket" in l]) != 1:
    fail(f"unusable control directory: {p.returncode} {p.stdout} {p.stderr}")

# out of memory for trace buffers: one message, the program runs on
def small_as():
    resource.setrlimit(resource.RLIMIT_AS, (1200 << 20, 1200 << 20))


# (a sanitizer reserves far more address space than any such limit)
if not sanitizer_runtime(lib):
    p = run([tool, "record", "-b", "1G", "-o", os.path.join(tmp, "oom"), "--", trprog, "threads",
             "3"], env={"FTRACE_RT_LIB": lib}, preexec_fn=small_as)
    if p.returncode != 0 or "threads 3 done" not in p.stdout or \
            len([l for l in rt_lines(p.stderr) if "cannot allocate" in l]) != 1:
        fail(f"out of memory: {p.returncode} {p.stdout} {p.stderr}")

# a setuid program: the runtime ignores the environment and stays inert
# (not under qemu-user: the host runs the emulator, which is not setuid, so
# the guest gets no AT_SECURE and no other uid)
if EXE_WRAPPER:
    print("skipped: setuid: qemu-user does not run a setuid guest as setuid")
elif os.getuid() == 0:
    suid = os.path.join(tmp, "hard-suid")
    shutil.copy(hard, suid)
    os.chmod(suid, 0o4755)
    work = os.path.join(tmp, "suidwork")
    os.mkdir(work)
    os.chmod(work, 0o777)

    def nobody():
        os.setgid(65534)
        os.setuid(65534)

    p = run([suid, "api"], env={"FTRACE_RT_TRACER": "function_graph", "FTRACE_RT_VERBOSE": "2",
                                "FTRACE_RT_CONTROL": "1"}, cwd=work, preexec_fn=nobody)
    if p.returncode != 0 or "hits 200" not in p.stdout:
        fail(f"setuid: the program did not run normally: {p.returncode} {p.stdout} {p.stderr}")
    if rt_lines(p.stderr) or os.listdir(work):
        fail(f"setuid: the runtime acted on the environment: {p.stderr} {os.listdir(work)}")

# coroutines, stack overflow on an alternate stack, signals inside callbacks
for args, want_out in ((["ucontext", "5000"], "ucontext 5000 done"),
                       (["altstack"], "altstack: 3 overflows caught"),
                       (["cbsignal", "200"], "cbsignal: hits 200")):
    for tracer in ("none", "function_graph", "profile"):
        d = os.path.join(tmp, f"{args[0]}-{tracer}")
        p = run([hard, *args], env={"FTRACE_RT_TRACER": tracer, "FTRACE_RT_OUTPUT": d})
        if p.returncode != 0 or want_out not in p.stdout:
            fail(f"{args[0]} under {tracer}: {p.returncode} {p.stdout} {p.stderr[-300:]}")
        if tracer != "none" and not re.search(r"\d+ functions? traced", p.stderr):
            fail(f"{args[0]} under {tracer}: no summary (tracing stopped?): {p.stderr[-300:]}")
        if tracer == "function_graph" and shutil.which("uftrace"):
            q = subprocess.run(["uftrace", "report", "-d", d], capture_output=True, text=True,
                               errors="replace")
            if q.returncode != 0:
                fail(f"{args[0]}: uftrace report: {q.stderr[:300]}")
p = run([hard, "cbsignal", "100"])
if "misses 0" not in p.stdout:  # only h_mid is traced: the handler's h_leaf is not a miss
    fail(f"cbsignal misses: {p.stdout}")

finish(tmp)
