#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""uftrace's own tests through ftrace-rt record.

For each tests/tNNN_*.py of a uftrace source tree (Debian 12's uftrace 0.13,
fetched by bench/uftrace-tests.sh), load it with a stand-in for uftrace's
tests/runtest.py that only notes what the test asks for: the program it
builds (tests/s-NAME.c), its compiler flags, the options it records and
replays with. Build the program twice, as uftrace's test runner does (-pg)
for uftrace and with the runtime's flags (-pg replaced by
-fpatchable-function-entry) for ftrace-rt, record each with the test's own
options (`uftrace record` / `ftrace-rt record`), replay both data
directories with `uftrace replay` and the test's replay options, and
compare the call trees: durations and thread ids stripped, each thread's
lines in order, threads in order of appearance.

Differences that are intended, and applied to every test:
 - uftrace records with --no-libcall and --no-event: ftrace-rt does not
   trace PLT calls (the library functions a program calls), and records no
   scheduler events;
 - patterns: ftrace-rt takes globs, uftrace regular expressions by default;
   the simple regexes of the tests (^x, x$, .*, alternations) are turned
   into globs for ftrace-rt, others are run as they are.
Tests whose program or options this harness cannot reproduce are listed as
skipped with the reason (C++ sources are built with g++; a test that needs
libraries of its own, a script, kernel tracing or a dynamic patching mode
is skipped).

usage: uftrace_tests.py UFTRACE_SRC FTRACE_RT_TOOL OUTDIR [-O LEVEL] [-k PATTERN]
The table of results goes to OUTDIR/results.md and stdout; per test, the two
replays and their diff under OUTDIR/work/NAME.
"""
import argparse
import difflib
import glob
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import types

TIMEOUT = 60

# uftrace's record-only options (dropped from the replay command line), with
# whether they take a value
RECORD_ONLY = {
    "-A": True, "--argument": True, "-R": True, "--retval": True, "-a": False,
    "--auto-args": False, "-P": True, "--patch": True, "-U": True, "--unpatch": True,
    "-Z": True, "--size-filter": True, "-b": True, "--buffer": True, "--disable": False,
    "--no-libcall": False, "--nest-libcall": False, "-l": False, "--no-pltbind": False,
    "-E": True, "--event": True, "-W": True, "--watch": True, "-e": False,
    "--estimate-return": False, "--max-stack": True, "--num-thread": True, "-S": True,
    "--script": True, "--keep-pid": False, "--no-randomize-addr": False, "-L": True,
    "--library-path": True, "--force": False, "--time": False, "--signal": True,
    "--rt-prio": True, "--kernel-buffer": True, "-k": False, "--kernel": False,
    "-K": True, "--kernel-depth": True, "--srcline": False, "--no-sched": False,
    "--with-syms": True, "--clock": True, "--host": True, "--port": True,
}
# uftrace's replay-only options (dropped from the record command lines)
REPLAY_ONLY = {"--no-merge", "-f", "--output-fields", "--column-view", "--column-offset",
               "--task-newline", "--no-comment", "--no-args", "--flat", "--tid", "-r",
               "--time-range", "--libname", "--format", "--no-pager", "--demangle"}
# options whose presence means the test cannot be reproduced with ftrace-rt
UNSUPPORTED = {
    "-k": "kernel tracing", "--kernel": "kernel tracing", "-K": "kernel tracing",
    "--kernel-depth": "kernel tracing", "-S": "scripts", "--script": "scripts",
    "-E": "events", "--event": "events", "-W": "watch points", "--watch": "watch points",
    "-e": "--estimate-return", "--estimate-return": "--estimate-return",
    "-a": "automatic arguments", "--auto-args": "automatic arguments",
    "--nest-libcall": "PLT calls", "-l": "PLT calls", "--force": "--force",
    "--host": "network", "--port": "network", "--signal": "signal triggers",
    "--with-syms": "--with-syms", "-P": "dynamic patching (-P)", "--patch": "dynamic patching (-P)",
    "-U": "dynamic patching (-U)", "--unpatch": "dynamic patching (-U)",
    "-Z": "size filter", "--size-filter": "size filter",
}


class Skip(Exception):
    pass


def stub_runtest():
    """A module standing in for uftrace's tests/runtest.py: it records what a test asks for."""
    mod = types.ModuleType("runtest")

    class TestBase:
        TEST_SUCCESS = 0
        TEST_UNSUPP_LANG = -1
        TEST_BUILD_FAIL = -2
        TEST_ABNORMAL_EXIT = -3
        TEST_TIME_OUT = -4
        TEST_DIFF_RESULT = -5
        TEST_NONZERO_RETURN = -6
        TEST_SKIP = -7
        TEST_SUCCESS_FIXED = -8
        supported_lang = {
            "C": {"cc": "gcc", "flags": "CFLAGS", "ext": ".c"},
            "C++": {"cc": "g++", "flags": "CXXFLAGS", "ext": ".cpp"},
        }
        uftrace_cmd = "UFTRACE"
        ftrace = "UFTRACE"
        default_opt = ""
        default_cflags = ["-fno-inline", "-fno-builtin", "-fno-ipa-cp", "-fno-omit-frame-pointer",
                          "-D_FORTIFY_SOURCE=0"]
        feature = {"dwarf", "python3", "luajit", "perf", "sched", "dynamic"}
        basedir = "."
        objdir = "."

        def __init__(self, name, result="", lang="C", cflags="", ldflags="", sort="task",
                     serial=False, **kw):
            self.name = name
            self.result = result
            self.lang = lang
            self.cflags = cflags
            self.ldflags = ldflags
            self.sort_method = sort
            self.option = ""
            self.subcmd = "live"
            self.exearg = "t-" + name
            self.builds = []
            self.p_flag = None

        def build(self, name, cflags="", ldflags=""):
            self.builds.append(("prog", name, cflags, ldflags, self.lang))
            return TestBase.TEST_SUCCESS

        def build_it(self, *a, **kw):
            raise Skip("builds with its own command")

        def build_libabc(self, *a, **kw):
            raise Skip("a library of its own (libabc)")

        def build_libfoo(self, *a, **kw):
            raise Skip("a library of its own (libfoo)")

        def build_libmain(self, *a, **kw):
            raise Skip("a library of its own (libmain)")

        def build_libzzz(self, *a, **kw):
            raise Skip("a library of its own")

        def strip_tracing_flags(self, flags):
            return flags.replace("-pg", "").replace("-finstrument-functions", "") \
                .replace("-fpatchable-function-entry=5", "")

        def check_dependency(self, item):
            return True

        def check_perf_paranoid(self):
            return True

        def check_arch_full_dynamic_support(self):
            return True

        def check_arch_sdt_support(self):
            return False

        def check_prerequisites(self):
            return TestBase.TEST_SUCCESS

        def get_elf_machine(self):
            return os.uname().machine

        def is_32bit(self):
            return False

        def runcmd(self):
            return "%s %s %s %s" % (TestBase.uftrace_cmd, self.subcmd, self.option, self.exearg)

    mod.TestBase = TestBase
    mod.TestCase = TestBase
    return mod


def load(path):
    sys.modules["runtest"] = stub_runtest()
    spec = importlib.util.spec_from_file_location("t_" + os.path.basename(path)[:-3], path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m.TestCase()


def parse_cmd(cmd):
    """'UFTRACE [SUBCMD] OPTS PROG ARGS' -> (subcmd, opts, prog+args)"""
    words = shlex.split(cmd)
    if any(w in ("|", "||", "&&", ";", ">", "<", "2>", ">>", "&") or "`" in w or "$(" in w
           for w in words):
        raise Skip("a shell command line")
    if not words or words[0] != "UFTRACE":
        raise Skip(f"does not run uftrace: {cmd}")
    words = words[1:]
    sub = "live"
    if words and words[0] in ("live", "record", "replay", "report", "graph", "dump", "info",
                              "script", "tui", "recv"):
        sub = words.pop(0)
    opts, rest = [], []
    i = 0
    while i < len(words):
        w = words[i]
        if w.startswith("t-") or w.startswith("./t-") or w == "--":
            rest = words[i + (w == "--"):]
            break
        opts.append(w)
        i += 1
    return sub, opts, rest


# options of uftrace that take a separate value when given as a bare flag
TAKES_VALUE = {"-F", "-N", "-T", "-D", "-t", "-A", "-R", "-P", "-U", "-Z", "-b", "-d", "-E",
               "-W", "-S", "-L", "-C", "-f", "-r", "-s", "-K", "--filter", "--notrace",
               "--trigger", "--depth", "--time-filter", "--argument", "--retval", "--patch",
               "--unpatch", "--size-filter", "--buffer", "--caller-filter", "--output-fields",
               "--time-range", "--sort", "--max-stack", "--tid", "--match", "--demangle",
               "--column-offset", "--event", "--watch", "--signal"}


def split_opts(opts):
    """[(name, value or None)] from a list of words"""
    out, i = [], 0
    while i < len(opts):
        w = opts[i]
        if w.startswith("--") and "=" in w:
            n, v = w.split("=", 1)
            out.append((n, v))
        elif w in TAKES_VALUE and i + 1 < len(opts):
            out.append((w, opts[i + 1]))
            i += 1
        elif re.fullmatch(r"-[FNTDtARPUZbdEWSLCfrsK].+", w):
            out.append((w[:2], w[2:]))
        else:
            out.append((w, None))
        i += 1
    return out


def join_opts(pairs):
    words = []
    for n, v in pairs:
        if v is None:
            words.append(n)
        elif n.startswith("--"):
            words.append(f"{n}={v}")
        else:
            words += [n, v]
    return words


def regex_to_glob(pat):
    """a uftrace regex as ftrace-rt globs (None: not a simple one)"""
    trig = ""
    m = re.match(r"^(.*?)(@.*)?$", pat)
    base, trig = m.group(1), m.group(2) or ""
    if not any(c in base for c in ".?*+^$|()[]{}\\"):
        return pat
    alts = []
    inner = base
    mm = re.fullmatch(r"(\^?)(.*?)\(([^()]*)\)(.*?)(\$?)", base)
    if mm and "|" in mm.group(3):
        alts = [mm.group(1) + mm.group(2) + a + mm.group(4) + mm.group(5)
                for a in mm.group(3).split("|")]
    else:
        alts = [inner]
    globs = []
    for a in alts:
        g = a
        anchored_start = g.startswith("^")
        anchored_end = g.endswith("$") and not g.endswith("\\$")
        g = g.lstrip("^")
        if anchored_end:
            g = g[:-1]
        g = g.replace(".*", "\x00").replace("\\.", "\x01")
        if re.search(r"[.?+|(){}\\]", g):
            return None
        g = g.replace("\x00", "*").replace("\x01", ".")
        if not anchored_start and not g.startswith("*"):
            g = "*" + g
        if not anchored_end and not g.endswith("*"):
            g = g + "*"
        globs.append(g + trig)
    return globs


def ours_opts(pairs, notes):
    """the options for ftrace-rt record: patterns as globs"""
    out = []
    for n, v in pairs:
        if n in ("-F", "--filter", "-N", "--notrace", "-T", "--trigger", "-A", "--argument",
                 "-R", "--retval") and v is not None:
            g = regex_to_glob(v)
            if g is None:
                notes.add(f"regex '{v}' given as it is")
                out.append((n, v))
            elif isinstance(g, list):
                if g != [v]:
                    notes.add(f"regex '{v}' as glob {' '.join(g)}")
                out += [(n, x) for x in g]
            else:
                out.append((n, g))
        elif n == "--match":
            continue
        else:
            out.append((n, v))
    return out


def replay_opts(pairs):
    return [(n, v) for n, v in pairs if n not in RECORD_ONLY and n not in ("-d", "--data")]


def normalize(text):
    """replay output -> per-thread call tree lines, threads renumbered in order"""
    tids, lines, remaining = {}, {}, []
    in_remaining = False
    for ln in text.splitlines():
        if ln.startswith("#"):
            continue
        if "remaining functions" in ln:
            in_remaining = True
            continue
        if in_remaining:
            s = re.sub(r"\d+", "N", ln.strip())
            if s and not set(s) <= {"="}:
                remaining.append(s)
            continue
        m = re.match(r"^\s*(?:[\d.]+ [umn ]?s|backtrace)?\s*\[\s*(\d+)\] \| ?(.*)$", ln)
        if not m:
            continue
        body = m.group(2).rstrip()
        if "linux:" in body or "/* stacktrace:" in body:
            continue
        t = tids.setdefault(m.group(1), len(tids))
        lines.setdefault(t, []).append(body)
    out = []
    for t in sorted(lines):
        out.append(f"--- thread {t}")
        out += lines[t]
    if remaining:
        out.append("--- remaining")
        out += remaining
    return out


def sh(cmd, cwd, env=None, timeout=TIMEOUT):
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              env=env)
    except subprocess.TimeoutExpired as e:
        return subprocess.CompletedProcess(cmd, -9, e.stdout or "", "timed out")


def compile_prog(src_tests, work, name, lang, flags, ldflags, out):
    ext = ".cpp" if lang == "C++" else ".c"
    cc = "g++" if lang == "C++" else "gcc"
    src = os.path.join(src_tests, "s-" + name + ext)
    if not os.path.exists(src):
        raise Skip(f"no source {os.path.basename(src)}")
    cmd = [cc, *shlex.split(flags), "-o", out, src, *shlex.split(ldflags)]
    p = sh(cmd, work)
    if p.returncode:
        raise Skip(f"build failed: {' '.join(cmd)}: {p.stderr.strip()[-300:]}")


def run_test(path, args, tool, trace_flags):
    name = os.path.basename(path)[:-3]
    work = os.path.join(args.outdir, "work", name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    notes = set()
    t = load(path)
    for hook in ("pre", "prerun"):
        f = getattr(t, hook, None)
        if f:
            try:
                r = f(TIMEOUT) if hook == "prerun" else f()
            except TypeError:
                r = f()
            if r == t.TEST_SKIP:
                raise Skip(f"{hook}() skips it")
    base_cflags = f"-pg -O{args.O}"
    # a build() of its own runs the compiler through subprocess: the commands are noted
    captured = []
    real_call = subprocess.call

    def note_call(cmd, *a, **kw):
        captured.append(list(cmd) if isinstance(cmd, (list, tuple)) else shlex.split(cmd))
        return 0

    subprocess.call = note_call
    try:
        r = t.build(t.name, base_cflags, t.ldflags)
    finally:
        subprocess.call = real_call
    if r == t.TEST_SKIP:
        raise Skip("its build() skips it (e.g. -finstrument-functions only)")
    if r:
        raise Skip(f"its build() returns {r}")
    if not t.builds and not captured:
        raise Skip("builds nothing")
    os.makedirs(os.path.join(work, "ours"), exist_ok=True)
    for cmd in captured:
        if not cmd or cmd[0] not in ("gcc", "g++", "cc", "clang", "clang++") or "-o" not in cmd:
            raise Skip(f"builds with {' '.join(cmd[:3])}")
        i = cmd.index("-o")
        out = cmd[i + 1]
        for dest, flags in ((work, None), (os.path.join(work, "ours"), trace_flags)):
            c = list(cmd)
            c[i + 1] = os.path.join(dest, out)
            if flags:
                c = [w for w in c if w not in ("-pg", "-finstrument-functions")] + shlex.split(flags)
            p = sh(c, args.src)
            if p.returncode:
                raise Skip(f"build failed: {' '.join(c)}: {p.stderr.strip()[-300:]}")
    if t.lang not in ("C", "C++"):
        raise Skip(f"language {t.lang}")
    for _, bname, cflags, ldflags, lang in t.builds:
        extra = (t.cflags if t.cflags not in cflags else "")
        ldflags = " ".join(x for x in (ldflags, t.ldflags) if x)
        if "-pthread" not in ldflags:
            ldflags += " -pthread"
        flags = " ".join(t.default_cflags) + " " + cflags + " " + extra
        compile_prog(args.src, work, bname, lang, flags, ldflags,
                     os.path.join(work, "t-" + bname))
        ours_flags = re.sub(r"(^|\s)-pg(\s|$)", " ", flags)
        ours_flags = ours_flags.replace("-finstrument-functions", "")
        compile_prog(args.src, work, bname, lang, ours_flags + " " + trace_flags, ldflags,
                     os.path.join(work, "ours", "t-" + bname))
    if hasattr(t, "prepare") and callable(getattr(t, "prepare")):
        rec = t.prepare()
        sub_r, rec_words, prog = parse_cmd(rec)
        if sub_r != "record":
            raise Skip(f"prepare() runs '{sub_r}'")
        if hasattr(t, "setup"):
            t.setup()
        sub, rep_words, _ = parse_cmd(t.runcmd())
        if sub != "replay":
            raise Skip(f"compares '{sub}', not replay")
        rec_pairs = split_opts(rec_words)
        rep_pairs = split_opts(rep_words)
    else:
        if hasattr(t, "setup"):
            t.setup()
        sub, words, prog = parse_cmd(t.runcmd())
        if sub != "live":
            raise Skip(f"runs '{sub}'")
        rec_pairs = split_opts(words)
        rep_pairs = replay_opts(rec_pairs)
    if not prog:
        raise Skip("no program on its command line")
    for n, _ in rec_pairs + rep_pairs:
        if n in UNSUPPORTED:
            raise Skip(f"option {n}: {UNSUPPORTED[n]}")
    rec_pairs = [(n, v) for n, v in rec_pairs
                 if n not in ("--no-libcall", "--no-event") and n not in REPLAY_ONLY]
    uft_dir, our_dir = os.path.join(work, "uftrace.data"), os.path.join(work, "ours.data")
    uft = sh(["uftrace", "record", "--no-libcall", "--no-event", "-d", uft_dir,
              *join_opts(rec_pairs), "./" + prog[0].lstrip("./"), *prog[1:]], work)
    our_pairs = ours_opts(rec_pairs, notes)
    # in ours/, where its build of a program the test execs (t-abc) is
    ours = sh([tool, "record", "-d", our_dir, *join_opts(our_pairs), "--",
               "./" + prog[0].lstrip("./"), *prog[1:]], os.path.join(work, "ours"))
    if ours.returncode and ("unknown option" in ours.stderr or "unrecognized" in ours.stderr
                            or "invalid option" in ours.stderr):
        raise Skip(f"ftrace-rt record refuses an option: {ours.stderr.strip()[-200:]}")
    if not os.path.isdir(uft_dir):
        return "uftrace-failed", [f"uftrace record: rc {uft.returncode}: {uft.stderr.strip()[-300:]}"], notes
    if not os.path.isdir(our_dir):
        return "ours-failed", [f"ftrace-rt record: rc {ours.returncode}: {ours.stderr.strip()[-300:]}"], notes
    rep = [w for w in join_opts(rep_pairs)]
    a = sh(["uftrace", "replay", "-d", uft_dir, *rep], work)
    b = sh(["uftrace", "replay", "-d", our_dir, *rep], work)
    with open(os.path.join(work, "uftrace.replay"), "w") as f:
        f.write(a.stdout + a.stderr)
    with open(os.path.join(work, "ours.replay"), "w") as f:
        f.write(b.stdout + b.stderr)
    na, nb = normalize(a.stdout), normalize(b.stdout)
    if not na and not nb:
        return "both-empty", ["neither records a call (e.g. only PLT calls match)"], notes
    if not na:
        return "uftrace-empty", ["uftrace's replay shows no call: " + a.stderr.strip()[-200:]], notes
    if na == nb:
        return "identical", [], notes
    diff = list(difflib.unified_diff(na, nb, "uftrace", "ftrace-rt", lineterm="", n=2))
    with open(os.path.join(work, "diff"), "w") as f:
        f.write("\n".join(diff) + "\n")
    return "differ", diff, notes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src", help="uftrace's tests/ directory")
    ap.add_argument("tool", help="ftrace-rt")
    ap.add_argument("outdir")
    ap.add_argument("-O", default="0", help="optimization level (uftrace's tests run -O0 first)")
    ap.add_argument("-k", default="", help="only tests whose name contains this")
    ap.add_argument("--trace-flags", default="-fpatchable-function-entry=13,8 -falign-functions=8")
    args = ap.parse_args()
    args.src = os.path.abspath(args.src)
    args.outdir = os.path.abspath(args.outdir)
    tool = os.path.abspath(args.tool)
    os.makedirs(args.outdir, exist_ok=True)
    rows = []
    for path in sorted(glob.glob(os.path.join(args.src, "t[0-9]*.py"))):
        name = os.path.basename(path)[:-3]
        if args.k and args.k not in name:
            continue
        try:
            status, detail, notes = run_test(path, args, tool, args.trace_flags)
        except Skip as e:
            status, detail, notes = "skipped", [str(e)], set()
        except Exception as e:  # a test this harness does not understand
            status, detail, notes = "skipped", [f"not understood: {type(e).__name__}: {e}"], set()
        rows.append((name, status, detail, sorted(notes)))
        print(f"{name:32} {status}{': ' + detail[0] if status == 'skipped' else ''}", flush=True)
    counts = {}
    for _, s, _, _ in rows:
        counts[s] = counts.get(s, 0) + 1
    with open(os.path.join(args.outdir, "results.md"), "w") as f:
        f.write("| test | result | detail |\n|---|---|---|\n")
        for name, s, detail, notes in rows:
            d = (detail[0] if detail else "") if s != "differ" else f"see work/{name}/diff"
            if notes:
                d += " (" + "; ".join(notes) + ")"
            f.write(f"| {name} | {s} | {d.replace('|', '/')} |\n")
        f.write("\n" + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + "\n")
    print(", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    for name, s, detail, _ in rows:
        if s == "differ":
            print(f"\n=== {name}")
            print("\n".join(detail[:40]))


if __name__ == "__main__":
    main()
