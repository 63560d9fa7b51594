#!/bin/bash
# SQLite's speedtest1 (amalgamation from Debian's sqlite3 source package,
# build-sqlite.sh), its default test set at --size SIZE, measured by
# measure.sh: uninstrumented, ftrace_rt function_graph on every function
# (default settings, and BUFFER_FULL=drop), uftrace record -P . with the options
# run.sh uses for redis; interleaved, RUNS runs each.
# Prints TSV rows: row<TAB>real<TAB>NAME<TAB>VALUE<TAB>UNIT<TAB>NOTE
#
#   run-sqlite.sh OUTDIR [RUNS] [SIZE]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$1
RUNS=${2:-5}
size=${3:-5}
lib=$top/build/libftrace_rt.so
sh "$here/build-sqlite.sh" "$out" >&2
ufcount=$out/ufcount
gcc -O2 -o "$ufcount" "$here/ufcount.c"
data=$(mktemp -d "$out/data.XXXXXX")
trap 'rm -rf "$data"' EXIT
. "$here/measure.sh"

# speedtest1 prints timings: compare only the test names and the result lines
filt() { sed -E 's/[0-9]+\.[0-9]+s$//; /^ *TOTAL/d; /^-- /d'; }
run_plain() { "$out/speedtest1.plain" --size "$size" | filt; }
run_frt() { env "${FRT_ENV[@]}" "$out/speedtest1" --size "$size" | filt; }
run_uf() { uftrace record --no-libcall -d "$1" -P . "$out/speedtest1.pfe5" --size "$size" | filt; }
measure "sqlite speedtest1 --size $size" \
	"sqlite3 $(cat "$out/VERSION"), default test set (main), temporary database"
