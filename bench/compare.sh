#!/bin/bash
# Per-call cost of two revisions side by side, measured in one run:
#
#   [CASES=REGEX] bench/compare.sh REV_A REV_B [ROUNDS]
#
# Builds each revision's libftrace_rt.so in a temporary worktree (buildtype
# debugoptimized, as a user gets it), builds bench/percall.c against each
# (the recommended layout with gcc and clang, and gcc's 5,0 layout whose
# sites find their ops by lookup), then runs the per-call modes interleaved:
# every round runs each case for A and for B, alternating which goes first,
# so a noisy spell of the machine hits both. Prints, per case, the median ns
# per call of each revision over the rounds, the spread (min-max), and B/A.
# Each process prints the median of its own R repeats (as bench/run.sh).
set -eu
[ $# -ge 2 ] || { echo "usage: $0 REV_A REV_B [ROUNDS]" >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
a=$(git -C "$top" rev-parse --short "$1") b=$(git -C "$top" rev-parse --short "$2")
rounds=${3:-7}
N=10000000 R=5 TN=1000000
tmp=$(mktemp -d /tmp/ftrace-rt-compare.XXXXXX)
shm=$(mktemp -d /dev/shm/ftrace-rt-compare.XXXXXX)
cleanup() {
	for r in A B; do
		[ -d "$tmp/$r/src" ] && git -C "$top" worktree remove --force "$tmp/$r/src" 2>/dev/null
	done
	rm -rf "$tmp" "$shm"
}
trap cleanup EXIT

PFE="-fpatchable-function-entry=13,8 -falign-functions=8"
build() { # build REV DIR
	local rev=$1 d=$2
	mkdir -p "$d"
	git -C "$top" worktree add --detach "$d/src" "$rev" >/dev/null 2>&1
	meson setup "$d/build" "$d/src" -Dtests=false >/dev/null
	ninja -C "$d/build" -j2 libftrace_rt.so.0.1.0 >/dev/null 2>&1 || ninja -C "$d/build" -j2 >/dev/null
	local lib=$d/build API="-DWITH_API -I$d/src/include"
	local LIBS="-L$lib -lftrace_rt -Wl,-rpath,$lib"
	gcc -O2 -pthread $PFE $API -o "$d/percall-gcc" "$d/src/bench/percall.c" $LIBS
	clang -O2 -pthread $PFE $API -o "$d/percall-clang" "$d/src/bench/percall.c" $LIBS
	gcc -O2 -pthread -fpatchable-function-entry=5,0 $API -o "$d/percall-gcc-pfe5" \
		"$d/src/bench/percall.c" $LIBS
	gcc -O2 -pthread -o "$d/percall-plain" "$d/src/bench/percall.c"
	objdump -d --no-show-raw-insn "$lib/libftrace_rt.so" >"$d/lib.dis"
}
echo "building $a and $b ..." >&2
build "$1" "$tmp/A"
build "$2" "$tmp/B"

# case: name|program|mode|env...
cases=(
	"uninstrumented gcc -O2|percall-plain|plain|"
	"disabled: gcc layout|percall-gcc|plain|"
	"disabled: clang layout|percall-clang|plain|"
	"empty callback: gcc layout|percall-gcc|empty|"
	"empty callback: clang layout|percall-clang|empty|"
	"empty callback: gcc pfe5 (lookup)|percall-gcc-pfe5|empty|"
	"empty callback, NO_VECTOR: gcc|percall-gcc|emptynv|"
	"empty callback, NO_VECTOR: clang|percall-clang|emptynv|"
	"function_graph: gcc layout|percall-gcc|plain|graph"
	"function_graph chain -c, default settings|percall-gcc|plain|graphc"
)
# CASES=REGEX keeps only the cases whose name matches (e.g. CASES=function_graph)
if [ -n "${CASES:-}" ]; then
	kept=()
	for c in "${cases[@]}"; do [[ ${c%%|*} =~ $CASES ]] && kept+=("$c"); done
	cases=("${kept[@]}")
fi
run1() { # run1 DIR CASE -> ns
	local d=$1 prog mode env
	IFS='|' read -r _ prog mode env <<<"$2"
	if [ "$env" = graph ]; then
		FTRACE_RT_TRACER=function_graph FTRACE_RT_FILTER=tiny FTRACE_RT_OUTPUT=$shm/g.data \
			FTRACE_RT_BUFSIZE=64M "$d/$prog" plain -n "$TN" -r "$R" 2>/dev/null | awk '{print $1}'
		rm -rf "$shm/g.data"
	elif [ "$env" = graphc ]; then
		# as bench/run.sh --only=chain: default buffer and BUFFER_FULL, data on disk;
		# the events each run lost go to lost-DIR (must stay 0)
		FTRACE_RT_TRACER=function_graph FTRACE_RT_FILTER=tiny FTRACE_RT_OUTPUT=$tmp/gc.data \
			"$d/$prog" plain -c -n "$TN" -r "$R" 2>"$tmp/gc.log" | awk '{print $1}'
		sed -n 's/.* \([0-9]*\) lost.*/\1/p' "$tmp/gc.log" | tail -1 >>"$tmp/lost-${d##*/}"
		rm -rf "$tmp/gc.data"
	else
		"$d/$prog" "$mode" -n "$N" -r "$R" | awk '{print $1}'
	fi
}
for ((r = 0; r < rounds; r++)); do
	echo "round $((r + 1))/$rounds" >&2
	for i in "${!cases[@]}"; do
		first=A second=B
		((r % 2)) && first=B second=A
		for s in $first $second; do
			echo "$(run1 "$tmp/$s" "${cases[$i]}")" >>"$tmp/res-$s-$i"
		done
	done
done

stat() { # median min max of a file of numbers
	sort -g "$1" | awk '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2;
		printf "%.2f %.2f %.2f", m, v[1], v[NR]}'
}
printf '%-36s %22s %22s %7s\n' "ns/call ($rounds rounds, N=$N)" "A $a" "B $b" "B/A"
for i in "${!cases[@]}"; do
	IFS='|' read -r name _ <<<"${cases[$i]}"
	read -r ma loa hia <<<"$(stat "$tmp/res-A-$i")"
	read -r mb lob hib <<<"$(stat "$tmp/res-B-$i")"
	printf '%-36s %8s [%5s-%5s] %8s [%5s-%5s] %7s\n' "$name" "$ma" "$loa" "$hia" "$mb" "$lob" \
		"$hib" "$(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.3f", b / a }')"
done
for s in A B; do
	[ -f "$tmp/lost-$s" ] && echo "function_graph chain: events lost per run, $s: $(sort -g "$tmp/lost-$s" | uniq -c | awk '{printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1}')"
done

# the dispatch hot path's instructions: the C dispatchers and the gpr trampoline
body() {
	awk -v f="<$2>:" '$2 == f {p=1; next} p && /^$/ {exit} p' "$1" | cut -f2- |
		sed -E 's/[0-9a-f]+ <[^>]*>/ADDR/; s/0x[0-9a-f]+\(%rip\)/DISP(%rip)/; s/#.*//'
}
echo
printf '%-36s %10s %10s  %s\n' "instructions (objdump)" "A $a" "B $b" "same text"
for f in frt_dispatch_slot_gpr frt_dispatch_slot frt_dispatch_lookup_gpr frt_tramp_slot_gpr \
	frt_tramp_slot_avx frt_graph_return frt_fgraph_entry graph_cb; do
	na=$(awk -v f="<$f>:" '$2 == f {p=1; next} p && /^$/ {exit} p {n++} END {print n+0}' "$tmp/A/lib.dis")
	nb=$(awk -v f="<$f>:" '$2 == f {p=1; next} p && /^$/ {exit} p {n++} END {print n+0}' "$tmp/B/lib.dis")
	[ "$na$nb" = 00 ] && continue
	# the instructions with addresses and symbol offsets left out
	same=no
	cmp -s <(body "$tmp/A/lib.dis" "$f") <(body "$tmp/B/lib.dis" "$f") && same=yes
	printf '%-36s %10s %10s  %s\n' "$f" "$na" "$nb" "$same"
done
