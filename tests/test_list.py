#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`ftrace-rt list` finds every fixture function, in every layout, with the
right layout, slot and endbr flags: statically on the files, and live as the
program loads them (including the dlopen'ed plugin). Then each fixture runs
under every built-in tracer and must compute exactly what it computes
untraced: integer, floating-point, stack, varargs and struct arguments and
return values survive the trampolines and the return hook."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import frt_test  # noqa: F401  (runs the build's programs through its exe wrapper)

tool, fixdir = sys.argv[1], sys.argv[2]

EXE = {"main", "fx_leaf", "fx_recurse", "fx_static", "fx_float", "fx_many", "fx_varargs", "fx_struct"}
SHARED = {"sh_add", "sh_many", "sh_scale"}
PLUGIN = {"pl_helper", "pl_twice", "pl_entry"}
# functions that may go without endbr64 under -fcf-protection: static, address never taken
NO_ENDBR = {"fx_static", "pl_helper"}

failures = []
tmp = tempfile.mkdtemp(prefix="frt-list-")


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def parse(out):
    rows = []
    for line in out.splitlines():
        f = line.split()
        if len(f) < 5:
            continue
        rows.append({"module": f[0], "func": f[1], "addr": int(f[2], 16), "layout": f[3],
                     "slot": f[4], "endbr": "endbr" in f[5:] or "bti" in f[5:],
                     "unconverted": "unconverted" in f[5:]})
    return rows


def check(rows, what, names, layout, slot, endbr, stripped):
    got = {r["func"] for r in rows}
    if stripped:
        if len(rows) != len(names):
            fail(f"{what}: {len(rows)} sites, expected {len(names)}")
    elif got != names:
        fail(f"{what}: found {sorted(got)}, expected {sorted(names)}")
    for r in rows:
        if r["layout"] != layout:
            fail(f"{what}: {r['func']} layout {r['layout']}, expected {layout}")
        if slot != "any" and r["slot"] != slot:
            fail(f"{what}: {r['func']} {r['slot']}, expected {slot}")
        # static functions whose address is never taken may go without endbr64
        if r["endbr"] != endbr and not (endbr and (stripped or r["func"] in NO_ENDBR)):
            fail(f"{what}: {r['func']} endbr={r['endbr']}, expected {endbr}")
        if r["unconverted"]:
            fail(f"{what}: {r['func']} left unconverted")
    if endbr and not stripped and not any(r["endbr"] for r in rows):
        fail(f"{what}: no endbr64 found with -fcf-protection")


layouts = [l.split() for l in open(os.path.join(fixdir, "layouts.txt")) if l.strip()]
for name, cc, layout, slot, endbr in layouts:
    stripped = "stripped" in name
    exe = os.path.join(fixdir, f"fx-{name}")
    shared = os.path.join(fixdir, f"libfxshared-{name}.so")
    plugin = os.path.join(fixdir, f"libfxplugin-{name}.so")
    so_layout = "pfe-nop1" if cc == "gcc" else "pfe-nop5"
    so_slot = "slot" if layout == "mcount-nop5" else slot
    # the shared objects of the mcount layout use the recommended flags
    if layout == "mcount-nop5":
        so_endbr = False
    else:
        so_layout, so_endbr = layout, endbr == "yes"
    # stripped shared objects keep .dynsym: exported names survive
    so_names_plugin = PLUGIN
    for path, names, lay, sl, eb in ((exe, EXE, layout, slot, endbr == "yes"),
                                     (shared, SHARED, so_layout, so_slot, so_endbr),
                                     (plugin, so_names_plugin, so_layout, so_slot, so_endbr)):
        p = subprocess.run([tool, "list", path], capture_output=True, text=True)
        if p.returncode != 0:
            fail(f"{name}: list {path} exited {p.returncode}: {p.stderr}")
            continue
        rows = parse(p.stdout)
        check(rows, f"{name}:{os.path.basename(path)} (file)", names, lay, sl, eb, stripped)
        if stripped and path != exe:
            exported = {r["func"] for r in rows if not r["func"].startswith("sub_")}
            if not exported or not exported <= names:
                fail(f"{name}:{os.path.basename(path)}: stripped names {sorted(exported)}")

    # live: the runtime scans what the program loads, including the plugin
    p = subprocess.run([tool, "list", "--", exe, plugin], capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"{name}: list -- {exe} exited {p.returncode}: {p.stderr}")
        continue
    rows = parse(p.stdout)
    by_mod = {}
    for r in rows:
        by_mod.setdefault(r["module"], []).append(r)
    for mod, names, lay, sl, eb in ((os.path.basename(exe), EXE, layout, slot, endbr == "yes"),
                                    (os.path.basename(shared), SHARED, so_layout, so_slot, so_endbr),
                                    (os.path.basename(plugin), PLUGIN, so_layout, so_slot, so_endbr)):
        if mod not in by_mod:
            fail(f"{name}: live list has no {mod}: {sorted(by_mod)}")
            continue
        check(by_mod[mod], f"{name}:{mod} (live)", names, lay, sl, eb, stripped)
        if stripped and mod != os.path.basename(exe):
            exported = {r["func"] for r in by_mod[mod] if not r["func"].startswith("sub_")}
            if not exported or not exported <= names:
                fail(f"{name}:{mod}: stripped names {sorted(exported)}")
    extra = set(by_mod) - {os.path.basename(exe), os.path.basename(shared), os.path.basename(plugin)}
    if extra:
        fail(f"{name}: live list has unexpected objects {sorted(extra)}")
    if "fx checksum" not in p.stdout:
        fail(f"{name}: program output missing under the runtime")

    # traced, the program computes what it computes untraced
    want = subprocess.run([exe, plugin, "3"], capture_output=True, text=True).stdout
    if "fx checksum" not in want:
        fail(f"{name}: untraced run printed {want!r}")
        continue
    for tracer in ("function_graph", "function", "profile"):
        out = os.path.join(tmp, f"{name}-{tracer}")
        p = subprocess.run([tool, "record", "--tracer", tracer, "-o", out, "--", exe, plugin, "3"],
                           capture_output=True, text=True, timeout=120)
        if p.returncode != 0 or want not in p.stdout:
            fail(f"{name}: under {tracer}: exit {p.returncode}, printed {p.stdout!r} "
                 f"(untraced: {want!r}); {p.stderr[-500:]}")
        # the runtime's own threads (the flusher) must not keep the plugin's NOP runs as they are
        if "not traceable" in p.stderr:
            fail(f"{name}: under {tracer}: {p.stderr.strip()}")
        # the plugin, unloaded before the end, still has its names (a DLOP line and .sym)
        if tracer == "function_graph" and shutil.which("uftrace"):
            r = subprocess.run(["uftrace", "report", "-d", out], capture_output=True, text=True)
            if not re.search(r"\s3\s+pl_entry\s*$", r.stdout, re.M):
                fail(f"{name}: uftrace report has no 3 calls of pl_entry:\n{r.stdout}{r.stderr}")
        shutil.rmtree(out, ignore_errors=True)

# -F filters the listing
p = subprocess.run([tool, "list", "-F", "fx_l*,sh_*@libfxshared*",
                    os.path.join(fixdir, "fx-gcc-O2")], capture_output=True, text=True)
got = {r["func"] for r in parse(p.stdout)}
if got != {"fx_leaf"}:
    fail(f"-F on a file: {sorted(got)}")
p = subprocess.run([tool, "list", "-F", "fx_l*,sh_*@libfxshared*", "--",
                    os.path.join(fixdir, "fx-gcc-O2")], capture_output=True, text=True)
got = {r["func"] for r in parse(p.stdout)}
if got != {"fx_leaf", "sh_add", "sh_many", "sh_scale"}:
    fail(f"-F live: {sorted(got)}")

shutil.rmtree(tmp, ignore_errors=True)
print(f"{len(layouts)} layouts checked, {len(failures)} failures")
sys.exit(1 if failures else 0)
