#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a C program with N tiny traceable functions (split over several files so
compiling stays quick): gen_sites.py N OUTDIR -> OUTDIR/sites_*.c"""
import os
import sys

n, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out, exist_ok=True)
per = 5000
files = (n + per - 1) // per
for f in range(files):
    with open(os.path.join(out, f"sites_{f}.c"), "w") as w:
        for i in range(f * per, min(n, (f + 1) * per)):
            w.write(f"__attribute__((noinline)) int gen_{i}(int x) {{ return x + {i % 97}; }}\n")
        w.write(f"int gen_table_{f}(int x) {{ int s = 0;\n")
        for i in range(f * per, min(n, (f + 1) * per)):
            w.write(f"  s += gen_{i}(x);\n")
        w.write("  return s; }\n")
with open(os.path.join(out, "sites_main.c"), "w") as w:
    for f in range(files):
        w.write(f"int gen_table_{f}(int);\n")
    w.write("int gen_call_all(int x) { int s = 0;\n")
    for f in range(files):
        w.write(f"  s += gen_table_{f}(x);\n")
    w.write("  return s; }\n")
