#!/bin/bash
# Build and run every benchmark, print a markdown table, and write it to
# bench/RESULTS.md with the date and the machine (the sections written by
# hand below the table, from its first "## " heading on, are kept).
#
#   bench/run.sh [--quick] [--only=GROUP]
#
# --only=percall|chain|flusher|patch|peers|real runs one group and prints its rows
# without writing bench/RESULTS.md.
#
# Figures are medians of repeated runs (ns per call of a tiny function, or ms;
# per-call rows: the median of 3 processes each taking the median of R runs),
# with ratios to an uninstrumented build measured in the same run. Peers
# (LLVM XRay, uftrace, uprobes) come from bench/peers/run.sh, the real programs
# (redis, SQLite's speedtest1, Lua, from their Debian source packages) from
# bench/realprog/; "chain" rows: a dependent chain of calls (percall -c).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
quick= only=
for a; do
	case $a in
	--quick) quick=--quick ;;
	--only=*) only=${a#--only=} ;;
	*) echo "usage: $0 [--quick] [--only=percall|chain|flusher|patch|peers|real]" >&2; exit 2 ;;
	esac
done
want() { [ -z "$only" ] || [ "$only" = "$1" ]; }
cd "$top"
scripts/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
out=$top/build/bench
lib=$top/build/libftrace_rt.so
bench/build.sh "$out" "$top/include" "$top/build" >/dev/null
shm=$(mktemp -d /dev/shm/ftrace-rt-bench.XXXXXX)
trap 'rm -rf "$shm"' EXIT

N=10000000
R=7
TN=1000000 # recording tracers: keep the data in memory small
[ "$quick" = --quick ] && N=2000000 R=3 TN=200000

rows=()
declare -A base
row() { rows+=("$1|$2|$3|$4|$5"); printf '%-10s %-58s %12s %8s  %s\n' "$1" "$2" "$3" "$4" "$5" >&2; }

# ns/call of percall: the median of 3 processes, each printing the median of
# its R repeats (this VM has noisy spells that a single process can sit in);
# extra args go to the program
percall() {
	local prog=$1 mode=$2
	shift 2
	for _ in 1 2 3; do
		"$out/$prog" "$mode" -n "$N" -r "$R" "$@" | awk '{print $1}'
	done | sort -g | sed -n 2p
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "-") printf "%.2f", a / b; else print "-" }'; }

if want percall; then
for cc in gcc clang; do
	v=$(percall "percall-plain-$cc" plain)
	base[$cc]=$v
	row percall "uninstrumented $cc -O2" "$v" 1.00 ""
done
for l in gcc gcc-cet gcc-pfe5 gcc-mcount clang clang-cet clang-pfe5; do
	cc=${l%%-*}
	v=$(percall "percall-$l" plain)
	row percall "disabled: $l layout" "$v" "$(ratio "$v" "${base[$cc]}")" "NOPs in place, runtime linked"
done
for l in gcc gcc-cet clang clang-cet gcc-pfe5 clang-pfe5; do
	cc=${l%%-*}
	v=$(percall "percall-$l" empty)
	note="one ops, empty callback"
	[[ $l == *pfe5 ]] && note="$note; no slot: ops found by lookup"
	row percall "enabled: $l layout" "$v" "$(ratio "$v" "${base[$cc]}")" "$note"
done
for l in gcc clang gcc-pfe5; do
	cc=${l%%-*}
	v=$(percall "percall-$l" emptynv)
	row percall "enabled, NO_VECTOR ops: $l layout" "$v" "$(ratio "$v" "${base[$cc]}")" \
		"empty callback; no vector registers saved"
done
v=$(percall percall-gcc empty2)
row percall "enabled: gcc layout, two ops" "$v" "$(ratio "$v" "${base[gcc]}")" "list ops"
for t in function function_graph profile; do
	log=$shm/$t.log
	# as percall(): the median of 3 processes, with the lost count of that run
	set -- $(for _ in 1 2 3; do
		v=$(FTRACE_RT_TRACER=$t FTRACE_RT_FILTER=tiny FTRACE_RT_OUTPUT=$shm/$t.data \
			FTRACE_RT_BUFSIZE=64M "$out/percall-gcc" plain -n "$TN" -r "$R" 2>"$log" |
			awk '{print $1}')
		echo "$v $(sed -n 's/.* \([0-9]*\) lost.*/\1/p' "$log" | tail -1)"
		rm -rf "$shm/$t.data"
	done | sort -g | sed -n 2p)
	v=$1 lost=${2:-}
	row percall "$t tracer: gcc layout" "$v" "$(ratio "$v" "${base[gcc]}")" \
		"entry$([ $t = function ] || echo ' + exit'), ${lost:-?} lost, data in tmpfs"
done
fi

if want chain; then
# a dependent chain of calls, x = tiny(x) (percall -c): no call overlaps the
# next, so each row is the latency a call adds. Side by side in this run, the
# sides interleaved (3 rounds, each running every side once; a row is the
# median of the 3 processes): uninstrumented, ftrace_rt's empty callback, XRay's
# empty handler, ftrace_rt function_graph with default settings (2M buffer,
# BUFFER_FULL=wait, data on disk) and with BUFFER_FULL=drop, uftrace record.
disk=$(mktemp -d "$out/chain-data.XXXXXX")
trap 'rm -rf "$shm" "$disk"' EXIT
gcc -O2 -o "$out/ufcount" bench/realprog/ufcount.c
# chain_one SIDE ROUND: one process of SIDE; prints "ns records lost" (records:
# entries + exits on disk; "- -" for the sides that record nothing)
chain_one() {
	local d=$disk/$1.$2 v lost full=()
	case $1 in
	plain-gcc | plain-clang) "$out/percall-$1" plain -c -n "$N" -r "$R" | awk '{print $1, "- -"}' ;;
	empty-gcc | empty-clang) "$out/percall-${1#empty-}" empty -c -n "$N" -r "$R" | awk '{print $1, "- -"}' ;;
	xray) "$out/xray" empty -c -n "$N" -r "$R" | awk '{print $1, "- -"}' ;;
	uftrace)
		v=$(uftrace record --no-libcall -d "$d" -P tiny "$out/percall-uftrace" plain -c -n "$TN" \
			-r "$R" 2>/dev/null | awk '{print $1}')
		"$out/ufcount" "$d"/[0-9]*.dat | awk -v v="$v" '{print v, $1 + $2, $4}' ;;
	graph | drop)
		[ "$1" = drop ] && full=(FTRACE_RT_BUFFER_FULL=drop) # else the default (wait)
		v=$(env FTRACE_RT_TRACER=function_graph FTRACE_RT_FILTER=tiny FTRACE_RT_OUTPUT="$d" \
			"${full[@]}" "$out/percall-gcc" plain -c -n "$TN" -r "$R" 2>"$disk/log" | awk '{print $1}')
		lost=$(sed -n 's/.* \([0-9]*\) lost.*/\1/p' "$disk/log" | tail -1)
		"$out/ufcount" "$d"/[0-9]*.dat | awk -v v="$v" -v l="${lost:-?}" '{print v, $1 + $2, l}' ;;
	esac
	rm -rf "$d"
}
sides="plain-gcc plain-clang empty-gcc empty-clang graph drop"
[ -x "$out/xray" ] && sides="$sides xray"
command -v uftrace >/dev/null && sides="$sides uftrace"
for round in 1 2 3; do
	for s in $sides; do chain_one "$s" "$round" >>"$disk/$s.res"; done
done
declare -A chain crec clost
for s in $sides; do
	read -r chain[$s] crec[$s] clost[$s] <<<"$(sort -g "$disk/$s.res" | sed -n 2p)"
done
added() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }
for cc in gcc clang; do
	row chain "uninstrumented $cc -O2, x = tiny(x)" "${chain[plain-$cc]}" 1.00 \
		"dependent chain: calls cannot overlap"
done
for cc in gcc clang; do
	row chain "ftrace_rt empty callback, one ops: $cc layout" "${chain[empty-$cc]}" \
		"$(ratio "${chain[empty-$cc]}" "${chain[plain-$cc]}")" \
		"+$(added "${chain[empty-$cc]}" "${chain[plain-$cc]}") ns per call"
done
if [ -n "${chain[xray]:-}" ]; then
	row chain "XRay empty handler (clang -fxray-instrument)" "${chain[xray]}" \
		"$(ratio "${chain[xray]}" "${chain[plain-clang]}")" \
		"+$(added "${chain[xray]}" "${chain[plain-clang]}") ns per call; entry and exit sleds"
	row chain "time added: ftrace_rt empty callback / XRay empty handler (clang)" \
		"$(ratio "$(added "${chain[empty-clang]}" "${chain[plain-clang]}")" \
			"$(added "${chain[xray]}" "${chain[plain-clang]}")")" "" "target <= 0.5x"
else
	row chain "XRay empty handler" - "" "clang -fxray-instrument does not build here: $(tail -1 "$out/xray.build.log")"
fi
# the floor under function_graph's added time: two time reads per call
read -r tsc_ns cg_ns <<<"$("$out/clockread")"
row chain "floor: 2 reads of the cycle counter (rdtsc, no fence), as ftrace_rt per call" \
	"$(awk -v a="$tsc_ns" 'BEGIN { printf "%.2f", 2 * a }')" "" "bench/clockread.c; one read: $tsc_ns ns"
row chain "2 reads of clock_gettime(CLOCK_MONOTONIC), as uftrace per call" \
	"$(awk -v a="$cg_ns" 'BEGIN { printf "%.2f", 2 * a }')" "" "one read: $cg_ns ns"
row chain "ftrace_rt function_graph on tiny, default settings: gcc layout" "${chain[graph]}" \
	"$(ratio "${chain[graph]}" "${chain[plain-gcc]}")" \
	"+$(added "${chain[graph]}" "${chain[plain-gcc]}") ns per call; 2M buffer, BUFFER_FULL=wait, data on disk; ${crec[graph]} records, ${clost[graph]} lost"
row chain "ftrace_rt function_graph on tiny, BUFFER_FULL=drop: gcc layout" "${chain[drop]}" \
	"$(ratio "${chain[drop]}" "${chain[plain-gcc]}")" \
	"+$(added "${chain[drop]}" "${chain[plain-gcc]}") ns per call; data on disk; ${crec[drop]} records, ${clost[drop]} lost"
if [ -n "${chain[uftrace]:-}" ]; then
	row chain "uftrace record --no-libcall -P tiny: gcc -fpatchable-function-entry=5" "${chain[uftrace]}" \
		"$(ratio "${chain[uftrace]}" "${chain[plain-gcc]}")" \
		"+$(added "${chain[uftrace]}" "${chain[plain-gcc]}") ns per call; data on disk; ${crec[uftrace]} records, ${clost[uftrace]} lost"
	note="target <= 0.25x"
	[ "${crec[uftrace]}" = "${crec[graph]}" ] ||
		note="$note; NOT COMPARABLE: records differ: ftrace_rt ${crec[graph]}, uftrace ${crec[uftrace]}"
	row chain "time added: ftrace_rt function_graph (default) / uftrace" \
		"$(ratio "$(added "${chain[graph]}" "${chain[plain-gcc]}")" \
			"$(added "${chain[uftrace]}" "${chain[plain-gcc]}")")" "" "$note"
fi
fi

if want flusher; then
# What recording costs the program besides the calls, with 1, 2 and 8 traced
# threads on this machine's cores: function_graph on tiny, default settings
# (data on disk), uftrace side by side; sides interleaved, 3 rounds, median
# (min-max). Per side: wall ns per call of each thread, the process's CPU
# (user + sys, /usr/bin/time), and for ftrace_rt its own account
# (FTRACE_RT_VERBOSE=1): the flusher thread's CPU and the time threads spent
# writing their own full chunks (BUFFER_FULL=wait). No hardware counters in
# this VM: cache effects show only in the wall time.
FN=$((TN / 4)) # calls per thread and repeat: 8 threads x 4 x FN calls = 16 M records
fdisk=$(mktemp -d "$out/flusher-data.XXXXXX")
trap 'rm -rf "$shm" "${disk:-}" "$fdisk"' EXIT
[ -x "$out/ufcount" ] || gcc -O2 -o "$out/ufcount" bench/realprog/ufcount.c
# flusher_one SIDE THREADS ROUND: prints "ns cpu_s flusher_ms own_ms records lost"
flusher_one() {
	local side=$1 t=$2 d=$fdisk/$1.$2.$3 v
	case $side in
	plain)
		/usr/bin/time -f "T %U %S" "$out/percall-gcc" plain -n "$FN" -r 3 -t "$t" 2>"$fdisk/log" |
			awk '{print $1}' >"$fdisk/v"
		awk -v v="$(cat "$fdisk/v")" '/^T /{print v, $2 + $3, "- - - -"}' "$fdisk/log" ;;
	graph)
		/usr/bin/time -f "T %U %S" env FTRACE_RT_VERBOSE=1 FTRACE_RT_TRACER=function_graph \
			FTRACE_RT_FILTER=tiny FTRACE_RT_OUTPUT="$d" "$out/percall-gcc" plain -n "$FN" -r 3 \
			-t "$t" 2>"$fdisk/log" | awk '{print $1}' >"$fdisk/v"
		v=$(cat "$fdisk/v")
		read -r rec lost <<<"$("$out/ufcount" "$d"/[0-9]*.dat | awk '{print $1 + $2, $4}')"
		awk -v v="$v" -v rec="$rec" '
			/flusher .* ms of CPU/ { for (i = 1; i <= NF; i++) { if ($i == "flusher") f = $(i + 1); if ($i == "chunks") o = $(i + 1) } }
			/^T / { cpu = $2 + $3 }
			/ lost; data/ { for (i = 1; i <= NF; i++) if ($i == "lost;") l = $(i - 1) }
			END { print v, cpu, f, o, rec, l }' "$fdisk/log" ;;
	uftrace)
		/usr/bin/time -f "T %U %S" uftrace record --no-libcall -d "$d" -P tiny "$out/percall-uftrace" \
			plain -n "$FN" -r 3 -t "$t" 2>"$fdisk/log" | awk '{print $1}' >"$fdisk/v"
		v=$(cat "$fdisk/v")
		read -r rec lost <<<"$("$out/ufcount" "$d"/[0-9]*.dat | awk '{print $1 + $2, $4}')"
		awk -v v="$v" -v rec="$rec" -v l="$lost" '/^T /{print v, $2 + $3, "- -", rec, l}' "$fdisk/log" ;;
	esac
	rm -rf "$d"
}
fsides="plain graph"
command -v uftrace >/dev/null && fsides="$fsides uftrace"
for round in 1 2 3; do
	for t in 1 2 8; do
		for s in $fsides; do flusher_one "$s" "$t" "$round" >>"$fdisk/$s.$t.res"; done
	done
done
# med FILE COLUMN: "median (min-max)" of a column over the rounds
med() { awk -v c="$2" '{print $c}' "$1" | sort -g | awk '{v[NR] = $1} END {
	if (v[1] == "-") print "-"; else printf "%s (%s-%s)", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
medv() { awk -v c="$2" '{print $c}' "$1" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
for t in 1 2 8; do
	p=$(medv "$fdisk/plain.$t.res" 1)
	row flusher "$t thread(s): uninstrumented gcc -O2, s += tiny(i)" "$(med "$fdisk/plain.$t.res" 1)" 1.00 \
		"wall ns per call of each thread; process CPU $(med "$fdisk/plain.$t.res" 2) s"
	g=$(medv "$fdisk/graph.$t.res" 1)
	row flusher "$t thread(s): ftrace_rt function_graph, default settings" "$(med "$fdisk/graph.$t.res" 1)" \
		"$(ratio "$g" "$p")" "process CPU $(med "$fdisk/graph.$t.res" 2) s, of which the flusher $(med "$fdisk/graph.$t.res" 3) ms; threads writing their own chunks $(med "$fdisk/graph.$t.res" 4) ms; $(medv "$fdisk/graph.$t.res" 5) records, $(medv "$fdisk/graph.$t.res" 6) lost; data on disk"
	if [ -f "$fdisk/uftrace.$t.res" ]; then
		u=$(medv "$fdisk/uftrace.$t.res" 1)
		note="process CPU $(med "$fdisk/uftrace.$t.res" 2) s (uftrace's writer threads included); $(medv "$fdisk/uftrace.$t.res" 5) records, $(medv "$fdisk/uftrace.$t.res" 6) lost"
		[ "$(medv "$fdisk/uftrace.$t.res" 5)" = "$(medv "$fdisk/graph.$t.res" 5)" ] ||
			note="$note; NOT COMPARABLE: records differ"
		row flusher "$t thread(s): uftrace record -P tiny (gcc -fpatchable-function-entry=5)" \
			"$(med "$fdisk/uftrace.$t.res" 1)" "$(ratio "$u" "$p")" "$note"
	fi
done
fi

if want percall; then
# multithreaded scaling: wall ns per call of each thread, 1 and 2 threads
for t in 1 2; do
	v=$("$out/percall-gcc" plain -n "$N" -r "$R" -t "$t" | awk '{print $1}')
	row threads "gcc layout, tracing off, $t thread(s)" "$v" "$(ratio "$v" "${base[gcc]}")" \
		"$(awk -v v="$v" -v t="$t" 'BEGIN{printf "%.0f M calls/s", t*1000/v}')"
	v=$("$out/percall-gcc" empty -n "$N" -r "$R" -t "$t" | awk '{print $1}')
	row threads "gcc layout, empty callback, $t thread(s)" "$v" "$(ratio "$v" "${base[gcc]}")" \
		"$(awk -v v="$v" -v t="$t" 'BEGIN{printf "%.0f M calls/s", t*1000/v}')"
	v=$(FTRACE_RT_TRACER=function_graph FTRACE_RT_FILTER=tiny FTRACE_RT_OUTPUT=$shm/mt.data \
		FTRACE_RT_BUFSIZE=64M "$out/percall-gcc" plain -n "$TN" -r "$R" -t "$t" 2>/dev/null |
		awk '{print $1}')
	row threads "gcc layout, function_graph, $t thread(s)" "$v" "$(ratio "$v" "${base[gcc]}")" \
		"$(awk -v v="$v" -v t="$t" 'BEGIN{printf "%.0f M calls/s", t*1000/v}')"
	rm -rf "$shm/mt.data"
done
fi

if want patch; then
# enable/disable every site of generated programs
for n in 1000 10000 100000; do
	for cc in gcc clang; do
		p=$out/sites-$n/patchtime
		[ $cc = clang ] && p=$p-clang
		best=""
		for r in 1 2 3 4 5; do
			line=$("$p")
			best=$(printf '%s\n%s\n' "$best" "$line" | grep . | sort -n -k2 | head -1)
		done
		read -r sites en dis ens diss enm dism d0 d1 meta <<<"$best"
		row patch "enable $sites sites ($cc)" "$en ms" "" \
			"$ens syncs, $enm mprotect; disable $dis ms, $diss syncs, $dism mprotect; text made private: ${d0} kB at start-up, ${d1} kB enabled; ${meta} bytes of metadata per site (24-byte record + name)"
	done
done
fi

if want peers; then
# peers, side by side
if [ -x bench/peers/run.sh ]; then
	while IFS=$'\t' read -r tag group name value unit note; do
		[ "$tag" = row ] || continue
		r=""
		if [ "$group" = percall ] && [ "$value" != - ]; then
			r=$(ratio "$value" "${base[clang]}")
			[[ $name == *gcc* || $name == *uftrace* ]] && r=$(ratio "$value" "${base[gcc]}")
		fi
		row "peer:$group" "$name" "$value${unit:+ $unit}" "$r" "$note"
	done < <(bench/peers/run.sh "$out/peers" 2>/dev/null || true)
fi
fi

# real programs from Debian's source packages: redis under redis-benchmark,
# SQLite's speedtest1, the Lua interpreter (an error-heavy and a compute script)
realrows() {
	while IFS=$'\t' read -r tag group name value unit note; do
		[ "$tag" = row ] || continue
		row "$group" "$name" "$value${unit:+ $unit}" "" "$note"
	done
}
real_runs=5 sq_size=10 lua_err=20000 lua_scale=2
[ "$quick" = --quick ] && real_runs=3 sq_size=5 lua_err=5000 lua_scale=1
if want real; then
	realrows < <(bench/realprog/run.sh "$out/realprog" 2>/dev/null || true)
	realrows < <(bench/realprog/run-sqlite.sh "$out/realprog-sqlite" "$real_runs" "$sq_size" 2>/dev/null || true)
	realrows < <(bench/realprog/run-lua.sh "$out/realprog-lua" "$real_runs" "$lua_err" "$lua_scale" 2>/dev/null || true)
fi

if [ -n "$only" ]; then
	for r in "${rows[@]}"; do echo "| ${r//|/ | } |"; done
	exit 0
fi
{
	echo "# Benchmark results"
	echo
	echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`bench/run.sh${quick:+ $quick}\` on:"
	echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores, Linux $(uname -r), $(. /etc/os-release; echo "$PRETTY_NAME")."
	echo
	echo "Per-call rows: median of $R runs of $N calls of \`int tiny(int)\` (recording tracers: $TN calls),"
	echo "ns per call including the loop; ratio to the uninstrumented build of the same compiler."
	echo
	echo "| group | what | value | ratio | notes |"
	echo "|---|---|---|---|---|"
	for r in "${rows[@]}"; do
		IFS='|' read -r g w v ra no <<<"$r"
		echo "| $g | $w | $v | $ra | $no |"
	done
	# sections written by hand below the table (earlier runs, runs under
	# load, filters) are kept: everything from the old file's first "## "
	[ -f bench/RESULTS.md ] && sed -n '/^## /,$p' bench/RESULTS.md | sed '1s/^/\n/'
} >bench/RESULTS.md.new
mv bench/RESULTS.md.new bench/RESULTS.md
cat bench/RESULTS.md
