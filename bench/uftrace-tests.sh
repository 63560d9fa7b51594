#!/bin/sh
# SPDX-License-Identifier: MIT
# uftrace's own test programs through ftrace-rt record, compared with
# uftrace's recordings (bench/uftrace_tests.py says how and what differs on
# purpose). On a fresh Debian 12, as root: installs the compilers, uftrace
# and dpkg-dev, fetches uftrace's Debian source (apt-get source, adding a
# deb-src entry if apt has none), builds ftrace_rt if build/ has no
# ftrace-rt, and runs every tests/tNNN_*.py of uftrace 0.13.
#   bench/uftrace-tests.sh [OUTDIR] [-- uftrace_tests.py OPTIONS (-k NAME, -O 2)]
# UFTRACE_SRC=DIR uses an unpacked uftrace source tree instead of fetching one.
set -eu
NAME=uftrace-tests
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/build/uftrace-tests}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
. "$ROOT/bench/realprog/debsrc.sh"
need_pkgs gcc g++ uftrace python3 dpkg-dev
mkdir -p "$OUT"
if [ -n "${UFTRACE_SRC:-}" ]; then
	SRCDIR=$UFTRACE_SRC
else
	fetch_src uftrace "$OUT" tests/runtest.py
fi
TOOL=$ROOT/build/tools/ftrace-rt
if [ ! -x "$TOOL" ]; then
	log "building ftrace_rt in $ROOT/build"
	sh "$ROOT/scripts/deps.sh"
	[ -d "$ROOT/build" ] || meson setup "$ROOT/build" >/dev/null
	ninja -C "$ROOT/build" >/dev/null
fi
exec python3 "$ROOT/bench/uftrace_tests.py" "$SRCDIR/tests" "$TOOL" "$OUT" "$@"
