#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The library stays out of the program's way: the program's malloc stays its
own under LD_PRELOAD (the runtime's jemalloc is private), only the API and the
loader/exec/unwinder hooks are exported, and bad ELF input is skipped with
at most one line (verbose). (scripts/test.sh builds with clang --werror.)

usage: test_isolation.py TOOL LIB OWN_MALLOC SOURCE_ROOT"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from frt_test import fail, finish, preload_for, run, sanitizer_runtime

tool, lib, own, src = (os.path.abspath(a) for a in sys.argv[1:5])
tmp = tempfile.mkdtemp(prefix="frt-iso-")

# the program's own malloc, traced and untraced (meaningless where a sanitizer owns malloc)
asan = sanitizer_runtime(lib)
for tracer in () if asan else ("none", "function_graph"):
    p = run([own], env={"LD_PRELOAD": preload_for(lib), "FTRACE_RT_TRACER": tracer,
                        "FTRACE_RT_OUTPUT": os.path.join(tmp, "d-" + tracer)})
    if p.returncode != 0 or "traced(1) = 2" not in p.stdout:
        fail(f"own malloc under {tracer}: {p.returncode} {p.stdout} {p.stderr}")

# a forked child: the runtime calls none of the program's malloc/free there (no flusher
# thread is created: glibc would allocate its DTV, and free cached stacks, with the
# program's allocator); nor does the parent's exit (the flusher never exits: glibc would
# call free() for it). A 4 KiB buffer makes the child write chunks out while it runs.
if not asan:
    base = run([own, "fork"])
    want = [l for l in base.stdout.splitlines() if l.startswith("fork child")]
    if base.returncode != 0 or len(want) != 2:
        fail(f"own malloc, fork, untraced: {base.returncode} {base.stdout} {base.stderr}")
    for bufsize in ("2M", "4K"):
        p = run([own, "fork"], env={"LD_PRELOAD": preload_for(lib),
                                    "FTRACE_RT_TRACER": "function_graph",
                                    "FTRACE_RT_BUFSIZE": bufsize,
                                    "FTRACE_RT_OUTPUT": os.path.join(tmp, "d-fork-" + bufsize)})
        got = [l for l in p.stdout.splitlines() if l.startswith("fork child")]
        if p.returncode != 0 or got != want:
            fail(f"own malloc, fork, {bufsize} buffers: the child's malloc/free calls {got}, "
                 f"untraced {want}: {p.stderr}")
        inside = [l for l in p.stderr.splitlines() if "inside the runtime" in l]
        if inside:
            fail(f"own malloc, fork, {bufsize} buffers: the runtime called traced code: {inside}")

# exported symbols: the API and the hooks, nothing else (no allocator)
nm = run(["nm", "-D", "--defined-only", lib]).stdout.split()
syms = {w for w in nm if re.match(r"^[A-Za-z_]\w*$", w) and len(w) > 1}
hooks = {"dlopen", "dlclose", "mprotect", "execve", "execv", "execvp", "execvpe", "fexecve",
         "execl", "execlp", "execle", "pthread_exit", "_Unwind_RaiseException", "_Unwind_Resume",
         "_Unwind_Resume_or_Rethrow", "__cxa_begin_catch", "sigaction", "__sigaction", "signal",
         "bsd_signal", "ssignal", "sysv_signal", "__sysv_signal", "sigset", "_exit", "_Exit",
         "_Unwind_ForcedUnwind", "_Unwind_Backtrace", "_dl_find_object", "dl_iterate_phdr",
         "backtrace", "swapcontext", "setcontext"}
extra = {s for s in syms if not s.startswith("ftrace_rt_") and s not in hooks}
extra -= {"T", "D", "B", "W", "V", "A", "R"}
if extra:
    fail(f"exported beyond the API and hooks: {sorted(extra)}")

# bad ELF input: skipped with at most one line, never a crash
fx = os.path.join(tmp, "bad")
os.mkdir(fx)
good = open(own, "rb").read()
cases = {"empty": b"", "text": b"not an elf file\n", "truncated": good[:200],
         "half": good[:len(good) // 2], "badclass": good[:4] + b"\x07" + good[5:4096]}
for name, data in cases.items():
    path = os.path.join(fx, name)
    open(path, "wb").write(data)
    p = run([tool, "list", path])
    if p.returncode not in (0, 1) or len(p.stderr.splitlines()) > 1:
        fail(f"list {name}: exit {p.returncode}, stderr {p.stderr!r}")
os.chmod(os.path.join(fx, "text"), 0)
p = run([tool, "list", os.path.join(fx, "text")])
if os.getuid() != 0 and (p.returncode != 1 or "Permission denied" not in p.stderr):
    fail(f"list of an unreadable file: {p.returncode} {p.stderr!r}")
# a loaded object whose file was replaced on disk: skipped, one verbose line, program fine
plugin_src = os.path.join(src, "tests/fixtures/fx_plugin.c")
so = os.path.join(tmp, "libswap.so")
# the build's compiler and flags (a cross build passes CC_GCC and FRT_ARCH)
CC = os.environ.get("CC_GCC", "gcc").split()
PFE = {"aarch64": "-fpatchable-function-entry=4,2"}.get(os.environ.get("FRT_ARCH"),
                                                          "-fpatchable-function-entry=13,8")
subprocess.run([*CC, "-O2", PFE, "-falign-functions=8", "-fPIC",
                "-shared", "-I", os.path.join(src, "tests/fixtures"), "-o", so, plugin_src],
               check=True)
prog = os.path.join(tmp, "swap.c")
open(prog, "w").write(r'''
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <ftrace_rt/ftrace_rt.h>
static void cb(unsigned long a, unsigned long b, struct ftrace_rt_ops *o, struct ftrace_rt_regs *r) {}
int main(int argc, char **argv) {
	/* load it behind the runtime's back, replace the file (a new inode, as package
	 * upgrades do), then make the runtime look */
	void *h = dlmopen(LM_ID_BASE, argv[1], RTLD_NOW); /* not hooked */
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.new", argv[1]);
	FILE *f = fopen(tmp, "w");
	fputs(argv[2], f);
	fclose(f);
	rename(tmp, argv[1]);
	struct ftrace_rt_ops ops = {.func = cb};
	int r = ftrace_rt_register_ops(&ops);
	int (*e)(int) = (int (*)(int))dlsym(h, "pl_entry");
	printf("register %d pl_entry %d\n", r, e(1));
	return ftrace_rt_unregister_ops(&ops);
}
''')
exe = os.path.join(tmp, "swap")
subprocess.run([*CC, "-O2", "-o", exe, prog, "-I", os.path.join(src, "include"),
                "-L", os.path.dirname(lib), "-lftrace_rt", "-ldl",
                "-Wl,-rpath," + os.path.dirname(lib)], check=True)
shutil.copy(so, so + ".pristine")
for what, content, verbose in (("truncated", "\x7fELF", "1"), ("garbage", "x" * 100, "1"),
                               ("garbage, quiet", "y" * 100, "0")):
    shutil.copy(so + ".pristine", so)
    p = run([exe, so, content], env=dict({"FTRACE_RT_VERBOSE": verbose},
                                         **({"LD_PRELOAD": asan} if asan else {})))
    lines = [l for l in p.stderr.splitlines() if "libswap" in l]
    if p.returncode != 0 or "pl_entry 16" not in p.stdout or len(lines) != int(verbose):
        fail(f"object replaced on disk ({what}): {p.returncode} {p.stdout} {p.stderr}")

finish(tmp)
