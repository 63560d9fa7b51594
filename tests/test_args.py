#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Arguments and return values (record -A/-R, FTRACE_RT_FUNCGRAPH_ARGS/_RETVAL,
ctl funcgraph_args/_retval): `uftrace replay` of our data shows what it shows
for uftrace's own recording of a -pg build with the same specs (integers of
each size and format, strings, NULL and bad pointers, characters, float and
double arguments and return values, specs merged for one function), and
`ftrace-rt replay` shows the same; bad specs are refused with one line.

usage: test_args.py TOOL LIB TR_GRAPH TR_GRAPH_PG"""
import os
import shutil
import subprocess
import sys
import tempfile

from frt_test import clean_env, fail, finish, preload_for

tool, lib, prog, prog_pg = (os.path.abspath(a) for a in sys.argv[1:5])
tmp = tempfile.mkdtemp(prefix="frt-args-")
env = clean_env({"FTRACE_RT_LIB": lib})
if not shutil.which("uftrace"):
    print("uftrace is not installed: nothing to compare with")
    sys.exit(77)


def calls(text):
    return [l.split("|", 1)[1].rstrip() for l in text.splitlines()
            if "|" in l and not l.startswith("#") and "linux:" not in l]


def replay(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if p.returncode:
        fail(f"{cmd}: {p.stderr.strip()}")
    return calls(p.stdout)


def compare(name, opts, extra_env=None, want_in=()):
    d = os.path.join(tmp, name)
    u = d + "-uftrace"
    p = subprocess.run([tool, "record", "-d", d, *opts, "--", prog], capture_output=True,
                       text=True, env=dict(env, **(extra_env or {})), timeout=120)
    if p.returncode or "result " not in p.stdout:
        fail(f"{name}: record: rc {p.returncode}: {p.stderr.strip()}")
    uopts = opts if not extra_env else ["-A", extra_env.get("FTRACE_RT_FUNCGRAPH_ARGS", ""),
                                        "-R", extra_env.get("FTRACE_RT_FUNCGRAPH_RETVAL", ""),
                                        *opts]
    p = subprocess.run(["uftrace", "record", "--match=glob", "--no-libcall", "--no-event",
                        "-d", u, *uopts, prog_pg], capture_output=True, text=True,
                       timeout=120)
    if p.returncode:
        fail(f"{name}: uftrace record: {p.stderr.strip()}")
    want = replay(["uftrace", "replay", "-d", u])
    got = replay(["uftrace", "replay", "-d", d])
    if got != want:
        fail(f"{name} {opts}: uftrace replay of our data:\n" + "\n".join(got) +
             "\n--- of uftrace's own:\n" + "\n".join(want))
    mine = replay([tool, "replay", d])
    if mine != want:
        fail(f"{name}: ftrace-rt replay:\n" + "\n".join(mine))
    text = "\n".join(got)
    for w in want_in:
        if w not in text:
            fail(f"{name}: '{w}' not shown:\n{text}")


compare("fib", ["-A", "fib@arg1", "-R", "fib@retval", "-F", "fib"],
        want_in=["fib(5) {", "} = 5; /* fib */", "fib(1) = 1;"])
compare("kinds", ["-A", "greet@arg1/s", "-R", "greet@retval/s", "-A", "half@fparg1",
                  "-R", "half@retval/f64", "-A", "mix@arg1/i32,arg2/x,arg3/u8,arg4/s,fparg1",
                  "-A", "ptrarg@arg1/s,arg2", "-A", "chr@arg1/c,arg2/i16", "-R", "chr@retval/c",
                  "-A", "fhalf@fparg1/32", "-R", "fhalf@retval/f32", "-D", "2"],
        want_in=['greet("hello") = "hello";', "half(3.000000) = 1.500000;",
                 'mix(-7, 0x10000000000, 200, "str", 2.500000);', 'ptrarg("<0x10>", 2);',
                 "chr('a', -3) = '^';", "fhalf(5.000000) = 2.500000;"])
# several specs for one function merge as uftrace merges them; globs; spec order kept
compare("merge", ["-A", "mix@arg2/x,arg1/i32,arg4/s", "-A", "mix@arg1/u8", "-A", "*i*@arg1",
                  "-R", "f*@retval/i32", "-D", "2"],
        want_in=['mix(0x10000000000, 249, "str")'])
# the environment record sets (and a leaf's arguments with a threshold's held entries)
compare("env", ["-D", "3"], {"FTRACE_RT_FUNCGRAPH_ARGS": "leaf@arg1/i32;mid@arg1",
                             "FTRACE_RT_FUNCGRAPH_RETVAL": "leaf@retval/i32"},
        want_in=["leaf(1) = 2;"])
# a threshold holds entries until their exit: held ones keep their arguments
# (read at the entry), also callers written with a long callee's entry
# uftrace's FUNC@plt,ITEMS (t068_filter_time_A: -A usleep@plt,arg1): PLT calls are not
# traced, the spec matches nothing
compare("plt", ["-A", "leaf@plt,arg1", "-A", "mid@arg1", "-F", "top"])
compare("thresh", ["-t", "5ms", "-A", "outer@arg1", "-A", "slow@arg1", "-A", "spin@arg1",
                   "-A", "leaf@arg1", "-R", "slow@retval", "-A", "main@arg1"],
        want_in=["outer(", "slow(", "spin("])

# bad specs: one line naming the option, nothing run
marker = os.path.join(tmp, "ran")
for opts, word in [(["-A", "fib"], "-A/--argument"), (["-A", "fib@arg0"], "-A/--argument"),
                   (["-A", "fib@retval"], "-A/--argument"), (["-R", "fib@arg1"], "-R/--retval"),
                   (["-A", "fib@arg1/q"], "-A/--argument"), (["-A", "fib@arg1/i12"], "-A/--argument"),
                   (["-A", "fib@arg1,,arg2"], "-A/--argument"), (["-A", "fib@fparg9"], "-A/--argument"),
                   (["-A", "f[@arg1"], "-A/--argument"), (["-A", "fib@arg1/e:foo"], "-A/--argument"),
                   (["-R", "fib@retval/s32"], "-R/--retval")]:
    p = subprocess.run([tool, "record", "-d", os.path.join(tmp, "bad"), *opts, "--", "touch",
                        marker], capture_output=True, text=True, env=env)
    if p.returncode != 2 or word not in p.stderr or os.path.exists(marker) or \
            len(p.stderr.strip().splitlines()) != 1:
        fail(f"record {opts}: rc {p.returncode}: {p.stderr!r}")
for var, val in [("FTRACE_RT_FUNCGRAPH_ARGS", "fib@arg1/zz"),
                 ("FTRACE_RT_FUNCGRAPH_RETVAL", "fib@arg1")]:
    e = dict(env, LD_PRELOAD=preload_for(lib), FTRACE_RT_OUTPUT=os.path.join(tmp, "rt-bad"), **{var: val})
    p = subprocess.run([prog], capture_output=True, text=True, env=e, timeout=60)
    lines = [l for l in p.stderr.splitlines() if l.startswith("ftrace_rt:")]
    if p.returncode or "result " not in p.stdout or len(lines) != 1 or var not in lines[0]:
        fail(f"{var}={val} in the runtime: rc {p.returncode}: {p.stderr!r}")

# the socket: specs set before the first call with arguments; changing them
# afterwards is refused (the info file holds one set for all the records)
d = os.path.join(tmp, "live")
rec = subprocess.Popen([tool, "record", "--control", "-D", "3", "-d", d, "--", prog, "1",
                        "wait"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, env=env)


def ctl(*args, ok=True):
    p = subprocess.run([tool, "ctl", str(rec.pid), *args], capture_output=True, text=True,
                       env=env, timeout=60)
    if (p.returncode == 0) != ok:
        fail(f"ctl {args}: rc {p.returncode}: {p.stdout} {p.stderr}")
    return p.stdout + p.stderr


def one_round():
    rec.stdin.write("go\n")
    rec.stdin.flush()
    if not rec.stdout.readline().startswith("round"):
        fail("the program did not answer")


one_round()
ctl("funcgraph_args", "fib@arg1;half@fparg1")
ctl("funcgraph_retval", "fib@retval;half@retval/f")
one_round()
out = ctl("funcgraph_args", "fib@arg1/x", ok=False)
if "set them before" not in out:
    fail(f"changing specs after data: {out!r}")
ctl("funcgraph_args", "fib@arg1 x", ok=False)
one_round()
rec.stdin.close()
rec.wait(timeout=60)
got = "\n".join(replay(["uftrace", "replay", "-d", d]))
if got.count("fib(5) = 5;") != 2 or got.count("half(3.000000) = 1.500000;") != 2 or \
        got.count("fib();") != 1:
    fail(f"live specs:\n{got}")
if "\n".join(replay([tool, "replay", d])) != got:
    fail("live specs: ftrace-rt replay differs")
finish(tmp)
