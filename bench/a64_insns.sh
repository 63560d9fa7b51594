#!/bin/sh
# Instructions per traced call on aarch64, counted under qemu-user (no
# hardware needed; instruction counts, not times). qemu runs one guest
# instruction per translation block (-one-insn-per-tb, 7.2's -singlestep) and
# logs each executed block (-d exec,nochain): the log's line count is the
# number of instructions executed. Each mode runs N and 11 N calls; the
# difference over 10 N is the cost of one call, start-up and exit cancelled.
#   bench/a64_insns.sh BUILD_DIR [N]      (BUILD_DIR: a meson build with cross/aarch64.ini)
set -eu
b=$(cd "$1" && pwd) n=${2:-1000}
src=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CC=aarch64-linux-gnu-gcc
$CC -O2 -fpatchable-function-entry=4,2 -falign-functions=8 -I"$src/../include" \
	-o "$tmp/traced" "$src/a64_insns.c" -L"$b" -lftrace_rt -Wl,-rpath,"$b"
$CC -O2 -I"$src/../include" -o "$tmp/plain" "$src/a64_insns.c" -L"$b" -lftrace_rt \
	-Wl,-rpath,"$b"
count() { # PROG MODE CALLS [ENV...]
	prog=$1 mode=$2 calls=$3
	shift 3
	env "$@" QEMU_SET_ENV="LD_AUDIT=$b/libftrace_rt_audit.so" \
		qemu-aarch64 -singlestep -d exec,nochain -D /dev/stderr "$prog" "$mode" "$calls" \
		2>&1 >/dev/null | grep -c '^Trace'
}
per_call() { # PROG MODE [ENV...]
	prog=$1 mode=$2
	shift 2
	a=$(count "$prog" "$mode" "$n" "$@")
	c=$(count "$prog" "$mode" $((11 * n)) "$@")
	echo "scale=1; ($c - $a) / (10 * $n)" | bc
}
base=$(per_call "$tmp/plain" off QEMU_CPU=cortex-a72)
printf '%-44s %8s\n' "calls of an untraced build (baseline)" "$base"
for m in off empty emptyg; do
	case $m in
	off) what="disabled site (MOV X9, X30; NOP)" ;;
	empty) what="empty callback, q trampoline (cortex-a72)" ;;
	emptyg) what="empty callback, NO_VECTOR (gpr trampoline)" ;;
	esac
	v=$(per_call "$tmp/traced" $m QEMU_CPU=cortex-a72)
	printf '%-44s %8s  (+%s)\n' "$what" "$v" "$(echo "$v - $base" | bc)"
done
v=$(per_call "$tmp/traced" empty QEMU_CPU=max)
printf '%-44s %8s  (+%s)\n' "empty callback, sve trampoline (max)" "$v" "$(echo "$v - $base" | bc)"
v=$(per_call "$tmp/traced" off FTRACE_RT_TRACER=function_graph FTRACE_RT_FILTER=bench_target \
	FTRACE_RT_OUTPUT="$tmp/data")
printf '%-44s %8s  (+%s)\n' "function_graph, one function" "$v" "$(echo "$v - $base" | bc)"
