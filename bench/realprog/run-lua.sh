#!/bin/bash
# The Lua interpreter from Debian's lua5.4 source package (build-lua.sh), two
# scripts: lua/errors.lua (pcall/error in a loop: every error longjmps over Lua
# and C frames) and lua/compute.lua (recursion, tables, strings, sort). Each is
# measured by measure.sh: uninstrumented, ftrace_rt function_graph on every
# function (default settings, and BUFFER_FULL=drop), uftrace record -P . with
# the options run.sh uses for redis; interleaved, RUNS runs each.
# Prints TSV rows: row<TAB>real<TAB>NAME<TAB>VALUE<TAB>UNIT<TAB>NOTE
#
#   run-lua.sh OUTDIR [RUNS] [ERRORS_N] [COMPUTE_SCALE]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$1
RUNS=${2:-5}
errn=${3:-20000}
scale=${4:-2}
lib=$top/build/libftrace_rt.so
sh "$here/build-lua.sh" "$out" >&2
ufcount=$out/ufcount
gcc -O2 -o "$ufcount" "$here/ufcount.c"
data=$(mktemp -d "$out/data.XXXXXX")
trap 'rm -rf "$data"' EXIT
. "$here/measure.sh"
version="lua5.4 $(cat "$out/VERSION")"

script=$here/lua/errors.lua arg=$errn
run_plain() { "$out/lua.plain" "$script" "$arg"; }
run_frt() { env "${FRT_ENV[@]}" "$out/lua" "$script" "$arg"; }
run_uf() { uftrace record --no-libcall -d "$1" -P . "$out/lua.pfe5" "$script" "$arg"; }
measure "lua errors.lua $errn" "$version; 4 pcalls per iteration, 3 of them end in error()"
script=$here/lua/compute.lua arg=$scale
measure "lua compute.lua $scale" "$version"
