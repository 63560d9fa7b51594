#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Live control of a real server: redis built from Debian's source package with
patchable entries (bench/realprog/build-redis.sh), loaded by its own
redis-benchmark over loopback while `ftrace-rt ctl` switches tracers, filters
and on/off many times. No request may fail, the server must keep serving and
exit cleanly, and the data recorded must be readable.

usage: test_control_redis.py TOOL LIB BUILD_SCRIPT OUTDIR"""
import atexit
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

from frt_test import clean_env, fail, finish, preload_for

tool, lib, script, out = (os.path.abspath(a) for a in sys.argv[1:5])


b = subprocess.run(["sh", script, out], env=dict(os.environ, VARIANTS="instr"),
                   capture_output=True, text=True, timeout=1800)
if b.returncode != 0:
    if "apt-get source" in b.stderr or "apt-get update failed" in b.stderr:
        print("cannot fetch redis's Debian source here (no deb-src access):", b.stderr[-500:])
        sys.exit(77)
    print(b.stderr[-2000:])
    sys.exit(1)

tmp = tempfile.mkdtemp(prefix="frt-redis-")
preload = preload_for(lib)
port = "7781"
cli = [os.path.join(out, "redis-cli"), "-p", port]
env = clean_env({"LD_PRELOAD": preload, "FTRACE_RT_CONTROL": "1",
                 "FTRACE_RT_TRACER": "function_graph", "FTRACE_RT_FILTER": "processCommand,call",
                 "FTRACE_RT_OUTPUT": os.path.join(tmp, "data"), "FTRACE_RT_BUFSIZE": "8M"})
server = subprocess.Popen([os.path.join(out, "redis-server"), "--port", port, "--save", "",
                           "--appendonly", "no", "--daemonize", "no"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                          cwd=tmp)
bench = None


def cleanup():
    for p in (bench, server):
        if p and p.poll() is None:
            p.kill()
            p.wait()


atexit.register(cleanup)
for _ in range(100):
    if subprocess.run(cli + ["ping"], capture_output=True, text=True).stdout.strip() == "PONG":
        break
    time.sleep(0.1)
else:
    print("redis-server did not come up:", server.stderr.read()[-1000:])
    sys.exit(1)

# the load: redis-benchmark, over and over, until told to stop
stop_file = os.path.join(tmp, "stop")
bench_sh = (f"n=0; while [ ! -e {stop_file} ]; do "
            f"{os.path.join(out, 'redis-benchmark')} -p {port} -q -n 20000 -c 20 -t set,get,incr,lpush "
            f"|| exit 1; n=$((n+1)); done; echo runs=$n")
bench = subprocess.Popen(["sh", "-c", bench_sh], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)

commands = [("tracer", "function"), ("tracer", "function_graph"), ("tracer", "profile"),
            ("filter", "processCommand,call"), ("filter", "dict*"), ("filter", "lookupKey*,call"),
            ("notrace", "dictFind*"), ("notrace", ""), ("off",), ("on",), ("stats",),
            ("sites", "processCommand"), ("flush",)]
rnd = random.Random(11)
t_end = time.time() + 60
i = 0
while time.time() < t_end and i < 200:
    cmd = rnd.choice(commands)
    p = subprocess.run([tool, "ctl", str(server.pid), *cmd], capture_output=True, text=True,
                       timeout=60)
    if p.returncode != 0:
        fail(f"ctl {' '.join(cmd)}: {p.returncode} {p.stderr.strip()}")
    if server.poll() is not None:
        fail(f"redis-server stopped after {cmd}")
        break
    i += 1
print(f"{i} control requests while redis-benchmark ran")
subprocess.run([tool, "ctl", str(server.pid), "tracer", "function_graph"], capture_output=True)
subprocess.run([tool, "ctl", str(server.pid), "filter", "processCommand,call"], capture_output=True)
subprocess.run([tool, "ctl", str(server.pid), "on"], capture_output=True)

open(stop_file, "w").close()
bout, berr = bench.communicate(timeout=300)
if bench.returncode != 0 or "runs=" not in bout:
    fail(f"redis-benchmark failed: {bench.returncode} {berr[-500:]}")
if re.search(r"error|ERR", bout + berr, re.I):
    fail(f"redis-benchmark reported errors: {(bout + berr)[-500:]}")
print(bout.strip().splitlines()[-1] if bout.strip() else "")

subprocess.run(cli + ["shutdown", "nosave"], capture_output=True, timeout=60)
sout, serr = server.communicate(timeout=120)
if server.returncode != 0:
    fail(f"redis-server exit status {server.returncode}: {serr[-1000:]}")
if "functions traced" not in serr:
    fail(f"no exit summary from the runtime: {serr[-500:]}")
if shutil.which("uftrace"):
    p = subprocess.run(["uftrace", "report", "-d", os.path.join(tmp, "data")],
                       capture_output=True, text=True, errors="replace")
    if p.returncode != 0 or "processCommand" not in p.stdout:
        fail(f"uftrace report: {p.returncode} {p.stdout[:300]} {p.stderr[:300]}")

finish(tmp)
