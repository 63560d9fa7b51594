# SPDX-License-Identifier: MIT
"""Helpers shared by the Python tests: failures, running programs with a clean
runtime environment, and preloading a sanitizer build of the runtime."""
import os
import re
import shutil
import subprocess
import sys

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


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
