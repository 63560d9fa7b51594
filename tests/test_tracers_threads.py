#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The recording paths with many threads and a buffer far too small:
800 short-lived threads, one thread filling a 4K ring of chunks faster than
the flusher writes it (by default threads then write their own chunks: 0 lost), and threads calling traced functions after their
exit handed their state to the flusher, under each tracer. In the suite ThreadSanitizer
runs (per-thread buffers handed to the flusher, the flusher's walk of the
thread list, the clock segments); elsewhere a plain check of the results.

usage: test_tracers_threads.py TOOL LIB TR_PROG"""
import os
import re
import sys
import tempfile

from frt_test import fail, finish, run

tool, lib, prog = (os.path.abspath(a) for a in sys.argv[1:4])
tmp = tempfile.mkdtemp(prefix="frt-tracers-threads-")

for tracer in ("function", "function_graph", "profile"):
    # tsd: exiting threads call traced functions from a TSD destructor that runs
    # after the runtime handed their state to the flusher, which frees it
    for args, done, threads in ((["threads", "200"], "threads 200 done", 801),
                                (["calls", "300000"], "calls 300000 done", 1),
                                (["tsd", "50"], "tsd 50 done", 202)):
        what = f"{tracer} {' '.join(args)}"
        d = os.path.join(tmp, f"{tracer}-{args[0]}")
        p = run([tool, "record", "--tracer", tracer, "-b", "4K", "-o", d, "--", prog, *args],
                env={"FTRACE_RT_LIB": lib})
        m = re.search(r"ftrace_rt: \S+: \d+ functions? traced, (\d+) threads?, (\d+) events?, "
                      r"(\d+) lost", p.stderr)
        if p.returncode != 0 or done not in p.stdout or not m:
            fail(f"{what}: rc {p.returncode}: {p.stdout[-300:]} {p.stderr[-2000:]}")
        elif int(m.group(1)) != threads:
            fail(f"{what}: {m.group(1)} threads recorded, expected {threads}")
        elif int(m.group(2)) == 0:
            fail(f"{what}: no events")
        elif int(m.group(3)):
            # the rings overflow all the time: by default a thread then writes its own
            # chunks (racing the flusher for them) rather than drop
            fail(f"{what}: {m.group(3)} lost although threads wait for the output")

finish(tmp)
