#!/bin/sh
# Instructions per call of function_graph on x86_64, counted under valgrind's
# callgrind (no hardware counter needed; instruction counts, not times: the
# two rdtsc and the mispredicted returns cost far more than their count says).
# bench/percall.c in a dependent chain (-c) under FTRACE_RT_TRACER=function_graph
# at default settings, data in a temporary directory, runs N and 11 N calls;
# the difference over 10 N is one call, start-up and exit cancelled. Two
# figures: the program's thread (the hot path: trampoline, dispatcher, entry,
# return hook) and all threads (with the flusher's conversion and write).
#   bench/x86_insns.sh BUILD_DIR [N]      (BUILD_DIR: a meson build of the runtime)
set -eu
b=$(cd "$1" && pwd) n=${2:-20000}
src=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -pthread -fpatchable-function-entry=13,8 -falign-functions=8 -DWITH_API \
	-I"$src/../include" -o "$tmp/percall" "$src/percall.c" -L"$b" -lftrace_rt \
	-Wl,-rpath,"$b"
count() { # CALLS -> "main-thread-Ir all-Ir"
	rm -rf "$tmp/cg" "$tmp/data"
	mkdir "$tmp/cg"
	FTRACE_RT_TRACER=function_graph FTRACE_RT_FILTER=tiny FTRACE_RT_OUTPUT="$tmp/data" \
		valgrind --tool=callgrind --smc-check=all --separate-threads=yes \
		--callgrind-out-file="$tmp/cg/out" "$tmp/percall" plain -c -n "$1" -r 1 \
		>/dev/null 2>&1
	# threads' files end in -01, -02...: the first is the program's thread
	for f in "$tmp"/cg/out*; do
		sed -n 's/^summary: *//p; s/^totals: *//p' "$f" | head -1
	done | awk 'NR == 1 {m = $1} {a += $1} END {print m, a}'
}
# percall makes 2 passes of -n calls (a warm-up and one timed repeat)
set -- $(count "$n") $(count $((11 * n)))
echo "$1 $2 $3 $4" | awk -v n="$n" '{
	printf "function_graph, instructions per call: program thread %.1f, all threads %.1f\n",
		($3 - $1) / (20 * n), ($4 - $2) / (20 * n) }'
