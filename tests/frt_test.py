# SPDX-License-Identifier: MIT
"""Helpers shared by the Python tests: failures, running programs with a clean
runtime environment, and preloading a sanitizer build of the runtime."""
import os
import re
import shutil
import subprocess
import sys

failures = []

# ---------------------------------------------------------------------------
# Emulated runs (a cross build's tests). meson passes its exe_wrapper as
# FRT_EXE_WRAPPER (tests/meson.build), e.g. "qemu-aarch64". There is no
# binfmt_misc here, so every program of the build's architecture is started
# through it: importing this module wraps subprocess.Popen, so the tests'
# own subprocess calls need no change. For such a program:
#  - the wrapper's words go first;
#  - the loader variables (LD_PRELOAD, LD_AUDIT, LD_LIBRARY_PATH) go to the
#    guest only, as -E options: the emulator's own (host) loader must not try
#    to preload a foreign library;
#  - FRT_EXEC_WRAPPER tells `ftrace-rt` (itself emulated) to start the
#    programs it runs the same way (tools/ftrace-rt.c, tool_exec);
#  - a runtime preloaded without LD_AUDIT gets its audit module too: qemu-user
#    runs a thread of its own that only the audit module can tell from an
#    application thread (lib/nopconv.c), and aarch64's every site needs an
#    init (MOV X9, X30) that waits for a single-threaded moment or the module.
# Host programs (python, uftrace, the compilers) run as they are.
EXE_WRAPPER = os.environ.get("FRT_EXE_WRAPPER", "").split()
LOADER_VARS = ("LD_PRELOAD", "LD_AUDIT", "LD_LIBRARY_PATH")


def _elf_machine(path):
    try:
        with open(path, "rb") as f:
            h = f.read(20)
    except OSError:
        return None
    if len(h) < 20 or h[:4] != b"\x7fELF":
        return None
    return int.from_bytes(h[18:20], "little")


HOST_MACHINE = _elf_machine(sys.executable)


def is_guest(prog):
    """True if @prog (a path or a name on PATH) is a program of the emulated architecture."""
    if not EXE_WRAPPER:
        return False
    path = prog if "/" in prog else shutil.which(prog)
    m = _elf_machine(path) if path else None
    return m is not None and m != HOST_MACHINE


def guest_args(args, env):
    """@args and @env as they must be to run a guest program through the wrapper."""
    env = dict(os.environ if env is None else env)
    pre = list(EXE_WRAPPER)
    lp = env.get("LD_PRELOAD", "")
    if "libftrace_rt" in lp and "LD_AUDIT" not in env:
        lib = next(w for w in lp.replace(":", " ").split() if "libftrace_rt" in w)
        audit = os.path.join(os.path.dirname(lib), "libftrace_rt_audit.so")
        if os.path.exists(audit):
            env["LD_AUDIT"] = audit
    for v in LOADER_VARS:
        if v in env:
            pre += ["-E", f"{v}={env.pop(v)}"]
    env["FRT_EXEC_WRAPPER"] = " ".join(EXE_WRAPPER)
    return pre + list(args), env


if EXE_WRAPPER:
    _Popen = subprocess.Popen

    class _GuestPopen(_Popen):
        def __init__(self, args, *a, **kw):
            if isinstance(args, (list, tuple)) and args and not kw.get("shell") \
                    and is_guest(str(args[0])):
                args, kw["env"] = guest_args([str(x) for x in args], kw.get("env"))
            super().__init__(args, *a, **kw)

    subprocess.Popen = _GuestPopen


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


# The tests were written against uftrace --no-libcall recordings and exact call
# counts of the traced functions: they run `ftrace-rt record` with library calls
# off. test_libcall.py clears this to test record's default (they are traced).
os.environ.setdefault("FTRACE_RT_LIBCALL", "0")


def clean_env(extra=None):
    """The environment for a traced program: no session inherited from a caller."""
    e = dict(os.environ)
    e.pop("FTRACE_RT_SESSION_DIR", None)
    e.update(extra or {})
    return e


def run(args, env=None, timeout=600, **kw):
    return subprocess.run(args, capture_output=True, text=True, env=clean_env(env),
                          timeout=timeout, **kw)


def sanitizer_runtime(lib):
    """The sanitizer runtime a sanitizer build of @lib needs loaded first, or None."""
    asan = re.search(r"(/\S*libasan\.so\S*)",
                     subprocess.run(["ldd", lib], capture_output=True, text=True).stdout)
    return asan.group(1) if asan else None


def preload_for(lib):
    """LD_PRELOAD for @lib: a sanitizer build needs the sanitizer runtime first."""
    asan = sanitizer_runtime(lib)
    return f"{asan}:{lib}" if asan else lib


def rt_lines(stderr):
    """The runtime's own lines on stderr."""
    return [l for l in stderr.splitlines() if l.startswith("ftrace_rt:")]


def finish(tmp=None):
    print(f"{len(failures)} failures")
    if tmp and not failures:
        shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(1 if failures else 0)
