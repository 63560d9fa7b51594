#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Live control of a running, loaded, multithreaded program through
`ftrace-rt ctl`: tracers, filters and on/off switched hundreds of times while
worker threads check every result of the traced functions; bad input on the
socket; many clients at once; a peer with another uid; clean exit and data
readable by uftrace.

usage: test_control.py TOOL LIB LOAD_PROGRAM [SERVER_SCRIPT]"""
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

from frt_test import clean_env, fail, finish, preload_for

tool, lib, load = (os.path.abspath(a) for a in sys.argv[1:4])
tmp = tempfile.mkdtemp(prefix="frt-control-")
preload = preload_for(lib)
# The socket's directory is this test's own: the permission cases below open it to
# others for a moment, which must not touch the one other runs share (/tmp/ftrace_rt-UID).
# Traversable (0711) so that the other uid of those cases reaches the socket itself.
os.chmod(tmp, 0o711)
os.environ["XDG_RUNTIME_DIR"] = os.path.join(tmp, "run")
os.mkdir(os.environ["XDG_RUNTIME_DIR"], 0o711)


def ctl(pid, *args, expect=0):
    p = subprocess.run([tool, "ctl", str(pid), *args], capture_output=True, text=True, timeout=60)
    if p.returncode != expect:
        fail(f"ctl {' '.join(args)}: exit {p.returncode} (expected {expect}): {p.stderr.strip()}")
    return p


def sock_path(pid):
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    cands = []
    if xdg:
        cands.append(os.path.join(xdg, "ftrace_rt", f"{pid}.sock"))
    cands.append(f"/tmp/ftrace_rt-{os.getuid()}/{pid}.sock")
    for c in cands:
        if os.path.exists(c):
            return c
    return cands[-1]


def raw(pid, data, read=True):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock_path(pid))
    s.sendall(data)
    out = b""
    if read:
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                out += b
                if re.search(rb"^(OK|ERR)[^\n]*\n", out, re.M):
                    break
        except socket.timeout:
            out += b"<timeout>"
    s.close()
    return out.decode(errors="replace")


env = clean_env({"LD_PRELOAD": preload, "FTRACE_RT_CONTROL": "1",
                 "FTRACE_RT_TRACER": "function_graph",
                 "FTRACE_RT_OUTPUT": os.path.join(tmp, "data"), "FTRACE_RT_BUFSIZE": "8M"})
proc = subprocess.Popen([load, "4"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                        env=env, cwd=tmp)


def cleanup():
    # never leave a traced program running (it would write trace data forever)
    if proc.poll() is None:
        proc.kill()
        proc.wait()


import atexit  # noqa: E402
atexit.register(cleanup)
m = re.match(r"ready (\d+)", proc.stdout.readline())
if not m:
    print("load program did not start")
    sys.exit(1)
pid = int(m.group(1))
for _ in range(100):
    if os.path.exists(sock_path(pid)):
        break
    time.sleep(0.05)
st = os.stat(sock_path(pid))
if st.st_mode & 0o777 != 0o600 or os.stat(os.path.dirname(sock_path(pid))).st_mode & 0o777 != 0o700:
    fail(f"socket mode {oct(st.st_mode)}, directory {oct(os.stat(os.path.dirname(sock_path(pid))).st_mode)}")

# the initial state
p = ctl(pid, "stats")
kv = dict(l.split(" ", 1) for l in p.stdout.splitlines() if " " in l)
if kv.get("tracer") != "function_graph" or kv.get("sites_enabled") != kv.get("sites") or \
        int(kv.get("sites", 0)) < 6:
    fail(f"stats: {p.stdout}")
p = ctl(pid, "sites", "work_*")
if len(p.stdout.splitlines()) != 3 or p.stdout.count(" enabled") != 3:
    fail(f"sites work_*: {p.stdout}")

# hundreds of live changes while the workers run
rnd = random.Random(7)
commands = [
    ("tracer", "function"), ("tracer", "function_graph"), ("tracer", "profile"),
    ("tracer", "none"), ("tracer", "function_graph"), ("filter", "work_*"),
    ("filter", "work_leaf,work_mid"), ("filter", ""), ("filter", "work_top@ctl_load"),
    ("notrace", "work_mid"), ("notrace", ""), ("on",), ("off",), ("on",), ("sites",),
    ("stats",), ("flush",), ("filter", "nothing_matches_this"),
]
tracer_none = False
for i in range(300):
    cmd = rnd.choice(commands)
    # on/off need a tracer; with none set they are refused
    p = ctl(pid, *cmd, expect=1 if cmd[0] in ("on", "off") and tracer_none else 0)
    if cmd[0] == "tracer":
        tracer_none = cmd[1] == "none"
    if cmd == ("filter", "nothing_matches_this") and not tracer_none and \
            "matching no function" not in p.stdout:
        fail(f"a filter matching nothing should say so: {p.stdout!r}")
    if proc.poll() is not None:
        fail(f"the program stopped after {cmd}: {proc.returncode}")
        break

# errors have clear answers and the right exit status
for args, err in ((("tracer", "bogus"), "unknown tracer"), (("filter", "a["), "unterminated"),
                  (("frobnicate",), "unknown command"), (("on", "now"), "takes no argument")):
    p = ctl(pid, *args, expect=1)
    if err not in p.stderr:
        fail(f"ctl {args}: {p.stderr!r}")
p = subprocess.run([tool, "ctl", "999999", "stats"], capture_output=True, text=True)
if p.returncode != 1 or "no process 999999" not in p.stderr:
    fail(f"ctl to a pid that does not exist: {p.returncode} {p.stderr}")

# bad input on the socket
if "ERR unknown command" not in raw(pid, b"bogus\n"):
    fail("unknown command on the socket")
r = raw(pid, b"x" * 70000)
if "ERR request line longer" not in r:
    fail(f"oversized line: {r[:200]!r}")
r = raw(pid, b"\x00\xff\xfe garbage \x01\x02\n")
if not r.startswith("ERR"):
    fail(f"binary garbage: {r[:200]!r}")
raw(pid, b"stat", read=False)  # half a line, then gone
r = raw(pid, b"stats\nsites work_leaf\n")
if "tracer" not in r:
    fail(f"two requests on one connection: {r[:300]!r}")

# many clients at once, one of them silent
idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
idle.connect(sock_path(pid))
results = []


def client():
    try:
        results.append(raw(pid, b"stats\n"))
    except OSError as e:
        results.append(f"error {e}")


ths = [threading.Thread(target=client) for _ in range(60)]
for t in ths:
    t.start()
for t in ths:
    t.join()
idle.close()
ok = sum(1 for r in results if "\nOK" in r or r.startswith("tracer"))
if ok != 60:
    fail(f"{ok} of 60 concurrent clients answered: {[r[:80] for r in results if 'OK' not in r][:3]}")

# a peer with another uid is refused: by the 0700 directory, and by SO_PEERCRED
if os.getuid() == 0:
    path = sock_path(pid)

    def as_nobody():
        os.setgid(65534)
        os.setuid(65534)

    # read first: a refused peer gets its answer and the connection closed at once
    probe = ("import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.settimeout(5)\n"
             "try:\n s.connect(sys.argv[1]); print(s.recv(4096).decode())\n"
             "except OSError as e: print('refused', e)\n")
    py = shutil.which("python3", path="/usr/bin:/bin") or "/usr/bin/python3"
    p = subprocess.run([py, "-c", probe, path], capture_output=True, text=True,
                       preexec_fn=as_nobody)
    if "refused" not in p.stdout:
        fail(f"another uid reached the socket through its directory: {p.stdout}")
    d = os.path.dirname(path)
    os.chmod(d, 0o755)
    os.chmod(path, 0o777)
    try:
        p = subprocess.run([py, "-c", probe, path], capture_output=True, text=True,
                           preexec_fn=as_nobody)
        if "ERR permission denied" not in p.stdout:
            fail(f"another uid was served: {p.stdout} {p.stderr}")
    finally:
        os.chmod(d, 0o700)
        os.chmod(path, 0o600)
    p = ctl(pid, "stats")
    if "clients_refused 1" not in p.stdout:
        fail(f"refused client not counted: {p.stdout}")
    # what recording cost besides the calls: the flusher has run by now
    kv = dict(l.split(" ", 1) for l in p.stdout.splitlines() if " " in l)
    if not kv.get("flusher_cpu_ns", "0").isdigit() or int(kv.get("flusher_cpu_ns", "0")) <= 0 \
            or not kv.get("writer_flush_ns", "").isdigit():
        fail(f"stats: no recording cost: {p.stdout}")

# still running; leave it tracing, stop it, and read the data
ctl(pid, "tracer", "function_graph")
ctl(pid, "filter", "")
ctl(pid, "on")
time.sleep(0.2)
if proc.poll() is not None:
    fail(f"the program died: {proc.returncode} {proc.stderr.read()}")
proc.terminate()
out, err = proc.communicate(timeout=60)
if proc.returncode != 0 or "done bad=0" not in out:
    fail(f"program exit {proc.returncode}: {out} {err[-500:]}")
if os.path.exists(sock_path(pid)):
    fail("socket left behind after exit")
if shutil.which("uftrace"):
    p = subprocess.run(["uftrace", "report", "-d", os.path.join(tmp, "data")],
                       capture_output=True, text=True, errors="replace")
    if p.returncode != 0 or "work_leaf" not in p.stdout:
        fail(f"uftrace report of the data: {p.returncode} {p.stderr[:300]}")
p = subprocess.run([tool, "report", "-d", os.path.join(tmp, "data")], capture_output=True, text=True)
if p.returncode != 0 or "work_leaf" not in p.stdout:
    fail(f"ftrace-rt report of the data: {p.returncode} {p.stderr[:300]}")

finish(tmp)
