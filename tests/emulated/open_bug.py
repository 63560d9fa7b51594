#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A test that reproduces an open bug: skipped (77) with the bug's description,
unless FRT_RUN_OPEN_BUGS=1, when it runs the command and exits with its status.

  usage: open_bug.py DESCRIPTION COMMAND ARGS..."""
import os
import subprocess
import sys

why, cmd = sys.argv[1], sys.argv[2:]
if os.environ.get("FRT_RUN_OPEN_BUGS") != "1":
    print(f"skipped: OPEN BUG: {why} (run it: FRT_RUN_OPEN_BUGS=1 meson test -C BUILD NAME)")
    sys.exit(77)
sys.exit(subprocess.run(cmd).returncode)
