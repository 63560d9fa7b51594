# SPDX-License-Identifier: MIT
"""The ftrace-rt command as a user meets it: report totals equal to uftrace's on
the same data (recursion, mutual recursion, threads), the profile tracer's
totals, programs that cannot be traced named with the fix, options checked
before anything runs, help and option conventions, and the exit summary's
words.

usage: test_tool.py FTRACE-RT LIBFTRACE_RT TL_PROG.C FIXDIR CTL_LOAD"""
import os
import re
import shutil
import subprocess
import sys
import signal
import tempfile
import time

from frt_test import fail, finish, run

tool, lib, src, fixdir, ctl_load = (os.path.abspath(a) for a in sys.argv[1:6])
tmp = tempfile.mkdtemp(prefix="frt-tool-")
env = {"FTRACE_RT_LIB": lib}
have_uftrace = shutil.which("uftrace") is not None
# the build's compiler and the recommended flags of its architecture (a cross
# build passes CC_GCC and FRT_ARCH, tests/meson.build)
CC = os.environ.get("CC_GCC", "gcc").split()
CFLAGS = {"aarch64": ["-fpatchable-function-entry=4,2", "-falign-functions=8"]}.get(
    os.environ.get("FRT_ARCH"), ["-fpatchable-function-entry=13,8", "-falign-functions=8"])


def build(name, flags):
    exe = os.path.join(tmp, name)
    p = subprocess.run([*CC, "-O2", "-pthread", *flags, src, "-o", exe],
                       capture_output=True, text=True)
    if p.returncode != 0:
        print(f"note: cannot build {name} ({' '.join(flags)}): {p.stderr.strip()[:200]}")
        return None
    return exe


def tool_run(*args, **kw):
    return run([tool, *args], env=env, timeout=120, **kw)


def record(name, args, *opts):
    d = os.path.join(tmp, name)
    p = tool_run("record", *opts, "-d", d, "--", *args)
    return p, d


def table(text):
    """Rows of a report table: name -> (total, self, calls) as printed."""
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^  (.{10})  (.{10})  +(\d+)  (\S.*)$", line)
        if m and not line.lstrip().startswith("="):
            rows[m.group(4)] = (m.group(1).strip(), m.group(2).strip(), int(m.group(3)))
    return rows


def ns(s):
    """A printed time back to nanoseconds (uftrace's units, 3 digits)."""
    if not s:
        return 0
    v, unit = s.split()
    mul = {"us": 1000, "ms": 1000000, "s": 1000000000}[unit]
    whole, frac = v.split(".")
    return int(whole) * mul + int(frac) * mul // 1000


prog = build("tl_prog", CFLAGS)
plain = build("tl_plain", [])
pg = build("tl_pg", ["-pg"])
static = build("tl_static", ["-static", *CFLAGS])

# 1. report's totals are uftrace's, printed the same way, line for line
for name, args in (("fib", ["fib", "15"]), ("mutual", ["mutual", "40"]),
                   ("tree", ["tree", "200"]), ("threads", ["threads", "4", "20"])):
    p, d = record(f"cmp-{name}", [prog, *args])
    if p.returncode != 0:
        fail(f"{name}: record rc {p.returncode}: {p.stderr[-500:]}")
        continue
    ours = tool_run("report", "-d", d)
    if ours.returncode != 0:
        fail(f"{name}: report rc {ours.returncode}: {ours.stderr}")
        continue
    mine = table(ours.stdout)
    if not mine:
        fail(f"{name}: no rows in\n{ours.stdout}")
    # every call is counted; a recursive function's total lies within main's
    # (not a thread's: the threads' totals add up over threads that ran at once)
    main_total = ns(mine.get("main", ("", "", 0))[0])
    for fn, (tot, slf, calls) in mine.items():
        if fn != "main" and name != "threads" and ns(tot) > main_total:
            fail(f"{name}: {fn} total {tot} exceeds main's {mine['main'][0]}")
    if name == "threads":
        # the self times of one thread add up to its outermost call's total
        pass
    else:
        self_sum = sum(ns(s) for _, s, _ in mine.values())
        # each printed value is truncated to 1 ns here (all below 1 ms) or 1 us
        if abs(self_sum - main_total) > 1000 * len(mine):
            fail(f"{name}: self times add up to {self_sum} ns, main took {main_total} ns")
    if have_uftrace:
        u = subprocess.run(["uftrace", "report", "-d", d], capture_output=True, text=True)
        theirs = table(u.stdout)
        if u.returncode != 0 or not theirs:
            fail(f"{name}: uftrace report failed: {u.stderr[-300:]}")
        elif mine != theirs:
            diff = {k: (mine.get(k), theirs.get(k)) for k in set(mine) | set(theirs)
                    if mine.get(k) != theirs.get(k)}
            fail(f"{name}: ftrace-rt report differs from uftrace report: {diff}")
        # and the lines themselves, in any order
        body = lambda t: sorted(l for l in t.splitlines() if re.match(r"^\s+\S.*\s\d+\s+\S", l))
        if sorted(body(ours.stdout)) != sorted(body(u.stdout)):
            fail(f"{name}: printed lines differ:\n{ours.stdout}\n---\n{u.stdout}")
if not have_uftrace:
    print("note: uftrace not installed: report not compared with it")

# 1b. the profile tracer: the calls function_graph counts, totals counted once per interval
for name, args in (("fib", ["fib", "15"]), ("mutual", ["mutual", "40"])):
    want = {fn: r[2] for fn, r in table(tool_run("report", "-d", os.path.join(
        tmp, f"cmp-{name}")).stdout).items()}
    p, d = record(f"prof-{name}", [prog, *args], "--tracer", "profile")
    rows = {}
    path = os.path.join(d, "profile.txt")
    if not os.path.exists(path):
        fail(f"profile {name}: no profile.txt: rc {p.returncode} {p.stderr[-300:]}")
        continue
    for line in open(path).read().splitlines():
        f = line.split()
        if not line.startswith("#") and len(f) == 5:
            rows[f[4].split("@")[0]] = (int(f[0]), int(f[1]), int(f[2]))
    for fn, n in want.items():
        if rows.get(fn, (None,))[0] != n:
            fail(f"profile {name}: {fn} calls {rows.get(fn)}, expected {n}")
    if "main" in rows:
        main_total = rows["main"][1]
        for fn, (calls, tot, slf) in rows.items():
            if tot > main_total:
                fail(f"profile {name}: {fn} total {tot} ns exceeds main's {main_total} ns")
        # raw sums are converted once each: at most a nanosecond apart per row
        self_sum = sum(s for _, _, s in rows.values())
        if abs(self_sum - main_total) > len(rows) + 1:
            fail(f"profile {name}: self times add up to {self_sum} ns, main took {main_total}")
    q = tool_run("report", d)
    got = {fn: r[2] for fn, r in table(q.stdout).items()}
    if q.returncode != 0 or got != want or not want:
        fail(f"profile {name}: report: rc {q.returncode}, calls {got}, expected {want}\n"
             f"{q.stdout}{q.stderr}")

# 2. nothing traceable: said, with the fix; list exits non-zero
for exe, words in ((plain, "pkg-config --cflags ftrace_rt"), (pg, "-pg"),
                   (static, "static binaries cannot be preloaded")):
    if not exe:
        continue
    name = os.path.basename(exe)
    p, d = record(f"none-{name}", [exe, "fib", "5"])
    if words not in p.stderr or (exe != static and "nothing was traced" not in p.stderr):
        fail(f"record {name}: no clear message: rc {p.returncode} {p.stderr!r}")
    if exe == static and (p.returncode == 0 or "fib(5)" in p.stdout):
        fail(f"record {name}: a static binary ran: rc {p.returncode}")
    if exe != static and (p.returncode != 0 or "fib(5) = 5" not in p.stdout):
        fail(f"record {name}: the program must still run: rc {p.returncode} {p.stdout!r}")
    for args in ([exe], ["--", exe, "fib", "3"]):
        q = tool_run("list", *args)
        if q.returncode == 0 or words not in q.stderr or q.stdout.strip() not in ("", "fib(3) = 2"):
            fail(f"list {args}: rc {q.returncode} out {q.stdout!r} err {q.stderr!r}")
        if len(q.stderr.strip().splitlines()) != 1:
            fail(f"list {args}: the message {q.stderr.count(words)} times: {q.stderr!r}")
q = tool_run("list", prog)
if q.returncode != 0 or "fib" not in q.stdout:
    fail(f"list of a traceable program: rc {q.returncode} {q.stderr}")

# 3. every option checked before anything runs: exit 2, the option named
marker = os.path.join(tmp, "ran")
notadir = os.path.join(tmp, "file")
open(notadir, "w").close()
foreign = os.path.join(tmp, "foreign")
os.makedirs(foreign)
open(os.path.join(foreign, "precious.txt"), "w").close()
bad = [
    (["-t", "1 us"], "-t/--time-filter"),
    (["-t", "profile"], "--tracer"),
    (["-b", "5G"], "-b/--buffer"),
    (["--buffer=12Q"], "-b/--buffer"),
    (["-b", "1K"], "-b/--buffer"),
    (["-F", "["], "-F/--filter"),
    (["--notrace", "a[b"], "-N/--notrace"),
    (["--tracer", "bogus"], "--tracer"),
    (["-d", notadir], "-d/--data"),
    (["-o", foreign], "-o/--output"),
    (["-d", os.path.join(tmp, "no/such/dir")], "-d/--data"),
    (["-D", "0"], "-D/--depth"),
    (["-P", "a[b"], "-P/--patch"),
    (["--bogus"], "--bogus"),
    (["-b"], "-b"),
    (["--buffer"], "--buffer"),
]
for opts, name in bad:
    if os.path.exists(marker):
        os.unlink(marker)
    p = tool_run("record", *opts, "--", "touch", marker)
    if p.returncode != 2 or name not in p.stderr or os.path.exists(marker):
        fail(f"record {opts}: rc {p.returncode}, ran {os.path.exists(marker)}: {p.stderr!r}")
    if len(p.stderr.strip().splitlines()) > 2:
        fail(f"record {opts}: more than a line or two: {p.stderr!r}")
for var, val in (("FTRACE_RT_BUFSIZE", "5G"), ("FTRACE_RT_TRACER", "nope"),
                 ("FTRACE_RT_FILTER", "[")):
    p = run([tool, "record", "-d", os.path.join(tmp, "envbad"), "--", "touch", marker],
            env={**env, var: val})
    if p.returncode != 2 or var not in p.stderr or os.path.exists(marker):
        fail(f"record with {var}={val}: rc {p.returncode}: {p.stderr!r}")
p = tool_run("record", "--", os.path.join(tmp, "no-such-program"))
if p.returncode != 127 or "no-such-program" not in p.stderr:
    fail(f"record of a missing program: rc {p.returncode} {p.stderr!r}")
if os.listdir(foreign) != ["precious.txt"]:
    fail(f"a foreign directory was touched: {os.listdir(foreign)}")

# 4. conventions: help per command, version, long options, the data directory
h = tool_run("--help")
for want in (CFLAGS[0], "GLOB@MODULE", "FTRACE_RT_BUFSIZE",
             "FTRACE_RT_LIB", "ftrace_rt.data", "record", "report", "list", "ctl", "replay",
             "dump --chrome"):
    if want not in h.stdout:
        fail(f"--help lacks {want!r}")
for cmd, wants in (("record", ["--tracer", "-d, --data", "-F, --filter", "-b, --buffer",
                               "--control", "-fpatchable-function-entry", "GLOB@MODULE"]),
                   ("report", ["-d, --data", "-s, --sort", "DIR"]),
                   ("list", ["-F, --filter", "-fpatchable-function-entry"]),
                   ("ctl", ["filter", "tracer", "--control"])):
    q = tool_run(cmd, "--help")
    if q.returncode != 0 or not q.stdout.startswith(f"usage: ftrace-rt {cmd}"):
        fail(f"{cmd} --help: rc {q.returncode}: {q.stdout[:200]!r} {q.stderr!r}")
    for w in wants:
        if w not in q.stdout:
            fail(f"{cmd} --help lacks {w!r}")
v = tool_run("--version")
if v.returncode != 0 or not re.match(r"ftrace-rt \d+\.\d+", v.stdout):
    fail(f"--version: {v.returncode} {v.stdout!r}")
for cmd in ("record", "report", "list"):
    q = tool_run(cmd, "--no-such-option")
    if q.returncode != 2 or "--no-such-option" not in q.stderr:
        fail(f"{cmd} --no-such-option: rc {q.returncode} {q.stderr!r}")
# report DIR reads DIR, never ftrace_rt.data of the working directory
cwd = os.path.join(tmp, "cwd")
os.makedirs(cwd)
p = run([tool, "record", "--", prog, "fib", "3"], env=env, cwd=cwd)
p2, d2 = record("other", [prog, "mutual", "4"], "--tracer=function_graph")
r_default = run([tool, "report"], env=env, cwd=cwd)
r_pos = run([tool, "report", d2], env=env, cwd=cwd)
r_opt = run([tool, "report", "--data", d2], env=env, cwd=cwd)
if "fib" not in r_default.stdout or "is_even" in r_default.stdout:
    fail(f"report (default dir): {r_default.stdout!r}")
if r_pos.returncode != 0 or "is_even" not in r_pos.stdout or "fib" in r_pos.stdout \
        or r_pos.stdout != r_opt.stdout:
    fail(f"report DIR read another run: {r_pos.stdout!r} vs {r_opt.stdout!r}")
q = run([tool, "report", "-d", os.path.join(cwd, "ftrace_rt.data"), d2], env=env, cwd=cwd)
if q.returncode != 2 or d2 not in q.stderr:
    fail(f"report -d A B: rc {q.returncode} {q.stderr!r}")
q = tool_run("report", os.path.join(tmp, "missing"))
if q.returncode != 1 or "missing" not in q.stderr:
    fail(f"report of a missing directory: rc {q.returncode} {q.stderr!r}")
q = tool_run("report", foreign)
if q.returncode != 1 or "not a data directory" not in q.stderr:
    fail(f"report of a foreign directory: rc {q.returncode} {q.stderr!r}")
q = tool_run("report", "-s", "call", d2)
if q.returncode != 0 or not table(q.stdout):
    fail(f"report -s call: {q.returncode} {q.stderr!r}")

# 8. words: singular and plural; functions of an unloaded plugin are counted
p, d = record("one", [prog, "calls", "1"], "-P", "leaf")
if not re.search(r"function_graph: 1 function traced, 1 thread, 2 events, 0 lost", p.stderr):
    fail(f"summary words: {p.stderr!r}")
exe = os.path.join(fixdir, "fx-gcc-O2")
plugin = os.path.join(fixdir, "libfxplugin-gcc-O2.so")
n_pl = len([l for l in tool_run("list", "-F", "pl_*", plugin).stdout.splitlines() if l])
p, d = record("dlclose", [exe, plugin, "3"], "-P", "pl_*")
m = re.search(r"function_graph: (\d+) functions? traced", p.stderr)
if not n_pl or not m or int(m.group(1)) != n_pl:
    fail(f"after dlclose: {m.group(0) if m else p.stderr!r}, the plugin has {n_pl} functions")

# 7. replay and dump without uftrace: the same output as uftrace's where it has one
import json
import xml.dom.minidom


def chrome_events(text):
    evs = json.loads(text)["traceEvents"]
    return sorted((e["ph"], e.get("tid", e["pid"]), e["name"], round(float(e["ts"]) * 1000))
                  for e in evs if e["ph"] in "BE")


for name in ("fib", "mutual", "tree", "threads"):
    d = os.path.join(tmp, f"cmp-{name}")
    ours = tool_run("replay", d)
    if ours.returncode != 0 or "# DURATION     TID     FUNCTION" not in ours.stdout:
        fail(f"replay {name}: rc {ours.returncode} {ours.stderr!r}")
    calls = sum(r[2] for r in table(tool_run("report", d).stdout).values())
    entries = len(re.findall(r"\(\)(;| \{)$", ours.stdout, re.M))
    if entries != calls:
        fail(f"replay {name}: {entries} calls shown, report counts {calls}")
    folded = tool_run("dump", "--flame-graph", d)
    if sum(int(l.rsplit(" ", 1)[1]) for l in folded.stdout.splitlines()) != calls:
        fail(f"dump --flame-graph {name}: counts do not add up to {calls}:\n{folded.stdout}")
    ch = tool_run("dump", "--chrome", d)
    try:
        mine = chrome_events(ch.stdout)
    except (ValueError, KeyError) as e:
        fail(f"dump --chrome {name}: not Chrome JSON: {e}: {ch.stdout[:300]!r}")
        mine = []
    if len(mine) != 2 * calls:
        fail(f"dump --chrome {name}: {len(mine)} events for {calls} calls")
    svg = tool_run("dump", "--flame-svg", "-d", d)
    try:
        doc = xml.dom.minidom.parseString(svg.stdout)
        titles = [t.firstChild.data for t in doc.getElementsByTagName("title")]
        if not any(t.startswith("main ") or t.startswith("worker ") for t in titles):
            fail(f"dump --flame-svg {name}: no main/worker frame: {titles[:5]}")
    except Exception as e:  # noqa: BLE001 - any parse error is the failure
        fail(f"dump --flame-svg {name}: not an SVG document: {e}")
    if not have_uftrace:
        continue
    theirs = subprocess.run(["uftrace", "replay", "-d", d], capture_output=True, text=True)
    if ours.stdout != theirs.stdout:
        fail(f"replay {name} differs from uftrace replay:\n{ours.stdout[:1500]}\n---\n"
             f"{theirs.stdout[:1500]}")
    tids = sorted(int(f[:-4]) for f in os.listdir(d) if f.endswith(".dat"))
    for opts in (["-D", "3"], ["--tid", str(tids[-1])]):
        a = tool_run("replay", *opts, d).stdout
        b = subprocess.run(["uftrace", "replay", *opts, "-d", d], capture_output=True,
                           text=True).stdout
        if a != b:
            fail(f"replay {opts} {name} differs from uftrace's:\n{a[:800]}\n---\n{b[:800]}")
    u = subprocess.run(["uftrace", "dump", "--chrome", "-d", d], capture_output=True, text=True)
    if mine != chrome_events(u.stdout):
        fail(f"dump --chrome {name}: events differ from uftrace dump --chrome")
    if name != "threads":  # uftrace's flame graph folds other threads differently
        u = subprocess.run(["uftrace", "dump", "--flame-graph", "-d", d], capture_output=True,
                           text=True)
        if sorted(folded.stdout.splitlines()) != sorted(u.stdout.splitlines()):
            fail(f"dump --flame-graph {name} differs:\n{folded.stdout}\n---\n{u.stdout}")


def records(path):
    """(time, type) of every record of a .dat file, and the file's bytes."""
    raw = bytearray(open(path, "rb").read())
    return [struct.unpack_from("<QQ", raw, o) for o in range(0, len(raw) - 15, 16)], raw


def replayed(text, tids):
    """replay's lines back as records: (tid, 0 entry / 1 exit), a one-line call both."""
    evs = []
    for line in text.splitlines()[1:]:
        m = re.match(r"^ .{10} \[ *(\d+)\] \| +(\S.*)$", line)
        if not m or int(m.group(1)) not in tids:
            continue
        tid, body = int(m.group(1)), m.group(2)
        if body.startswith("}"):
            evs.append((tid, 1))
        elif body.endswith("{"):
            evs.append((tid, 0))
        elif body.endswith(";"):
            evs += [(tid, 0), (tid, 1)]
    return evs


# 7b. threads whose records interleave one by one (as they do at random in a real run, which
# made the comparison above flaky): a call is one line only when its exit is the next line of
# all threads, else another thread's lines come in between, as uftrace prints them
import struct
src_d, d = os.path.join(tmp, "cmp-threads"), os.path.join(tmp, "interleaved")
shutil.rmtree(d, ignore_errors=True)
shutil.copytree(src_d, d)
dats = sorted(f for f in os.listdir(d) if f.endswith(".dat"))
files = {f: records(os.path.join(d, f)) for f in dats}
base = min((r[0][0][0] for r in files.values() if r[0]), default=0)
want = []
for j, f in enumerate(dats):
    recs, raw = files[f]
    for k, (_, w) in enumerate(recs):
        # round robin: record k of thread j at its own time, one thread after another
        ts = base + (k * len(dats) + j) * 100
        struct.pack_into("<Q", raw, 16 * k, ts)
        if w & 3 < 2:
            want.append((ts, int(f[:-4]), w & 3))
    open(os.path.join(d, f), "wb").write(raw)
want = [(tid, ty) for _, tid, ty in sorted(want)]
q = tool_run("replay", d)
if q.returncode != 0 or replayed(q.stdout, {t for t, _ in want}) != want:
    fail(f"replay interleaved: the lines are not the records in time order:\n{q.stdout[:1500]}")
if have_uftrace:
    for opts in ([], ["-D", "3"], ["-D", "1"], ["--tid", dats[1][:-4]]):
        a = tool_run("replay", *opts, d).stdout
        b = subprocess.run(["uftrace", "replay", *opts, "-d", d], capture_output=True,
                           text=True).stdout
        if a != b:
            fail(f"replay {opts} interleaved differs from uftrace's:\n{a[:800]}\n---\n{b[:800]}")
# the flame graph renders in a browser (when one is installed): a blank page is ~1 KB
browser = shutil.which("chromium") or shutil.which("chromium-browser")
if browser:
    svg = os.path.join(tmp, "flame.svg")
    png = os.path.join(tmp, "flame.png")
    with open(svg, "w") as f:
        f.write(tool_run("dump", "--flame-svg", os.path.join(tmp, "cmp-tree")).stdout)
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1200,400", f"--screenshot={png}", f"file://{svg}"],
                   capture_output=True, timeout=300)
    if not os.path.exists(png) or os.path.getsize(png) < 4000:
        fail(f"the flame graph did not render: {os.path.getsize(png) if os.path.exists(png) else None}")
else:
    print("note: no chromium: the flame graph's rendering is not checked")

# a time range selects calls by start time: all of them, none of them
d = os.path.join(tmp, "cmp-fib")
first = min(int.from_bytes(open(os.path.join(d, f), "rb").read(8), "little")
            for f in os.listdir(d) if f.endswith(".dat"))
full = tool_run("replay", d).stdout
stamp = f"{first // 10**9}.{first % 10**9:09d}"
for rng, want in ((f"{stamp}~", full), ("0ns~", full), ("~0.000000001", "# DURATION     TID     FUNCTION\n")):
    q = tool_run("replay", "-r", rng, d)
    if q.returncode != 0 or q.stdout != want:
        fail(f"replay -r {rng}: rc {q.returncode}: {q.stdout[:300]!r} {q.stderr!r}")
short = tool_run("replay", "--time-range=0us~1us", d).stdout
if len(short.splitlines()) != 2 or "main();" not in short:
    fail(f"replay -r 0us~1us: {short!r}")
for args, rc, words in ((["replay", "-r", "later", d], 2, "-r/--time-range"),
                        (["replay", "--tid", "x", d], 2, "--tid"),
                        (["replay", "-D", "0", d], 2, "-D/--depth"),
                        (["replay", os.path.join(tmp, "missing")], 1, "missing"),
                        (["dump", d], 2, "--chrome"),
                        (["dump", "--chrome", foreign], 1, "not a data directory"),
                        (["replay", "--help"], 0, "--time-range"),
                        (["dump", "--help"], 0, "--flame-svg")):
    q = tool_run(*args)
    if q.returncode != rc or words not in q.stdout + q.stderr:
        fail(f"{args}: rc {q.returncode} (expected {rc}): {q.stdout[:200]!r} {q.stderr!r}")

# 6. live control: found from the target, not from the caller's environment; record's
# own pid leads to its program; a dead pid is called dead; profile kept on a switch
d = os.path.join(tmp, "ctl")
rec = subprocess.Popen([tool, "record", "--control", "--tracer", "profile", "-d", d, "--",
                        ctl_load, "2"], env={**os.environ, **env}, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)


def ctl(*args, extra=None):
    return subprocess.run([tool, "ctl", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(extra or {})})


deadline = time.time() + 60
while time.time() < deadline and ctl(str(rec.pid), "stats").returncode != 0:
    time.sleep(0.05)  # waiting for the program to start serving, not for a result
q = ctl(str(rec.pid), "stats", extra={"XDG_RUNTIME_DIR": tmp, "TMPDIR": "/var/tmp"})
if q.returncode != 0 or "tracer profile" not in q.stdout or "asking its program" not in q.stderr:
    fail(f"ctl at record's pid with another environment: {q.returncode} {q.stdout!r} {q.stderr!r}")
m = re.search(r"program, pid (\d+)", q.stderr)
child = int(m.group(1)) if m else None
q = ctl(str(rec.pid), "filter", "")
if q.returncode != 0 or "every traceable function" not in q.stdout:
    fail(f"ctl filter '': {q.returncode} {q.stdout!r} {q.stderr!r}")
q = ctl(str(rec.pid), "tracer", "function_graph")
prof = os.path.join(d, "profile.txt")
text = open(prof).read() if os.path.exists(prof) else ""
if q.returncode != 0 or not re.search(r"^\s+[1-9]\d*\s.*work_leaf@", text, re.M):
    fail(f"switching away from profile lost its data: {q.returncode} {q.stderr!r} {text!r}")
if child:
    os.kill(child, signal.SIGTERM)
out, err = rec.communicate(timeout=120)
if rec.returncode != 0:
    fail(f"record --control: rc {rec.returncode} {err[-500:]}")
q = ctl(str(rec.pid), "stats")
if q.returncode != 1 or "exited" not in q.stderr:
    fail(f"ctl of a dead pid: {q.returncode} {q.stderr!r}")
q = ctl(str(os.getpid()), "stats")
if q.returncode != 1 or "serves no control socket" not in q.stderr or "--control" not in q.stderr:
    fail(f"ctl of a process without control: {q.returncode} {q.stderr!r}")

finish(tmp)
