#!/bin/bash
# What each graph filter saves on a real program: the Lua interpreter from
# Debian's lua5.4 source package (build-lua.sh) running lua/compute.lua,
# uninstrumented, then under ftrace_rt function_graph on every function with
# default settings and with each filter of `ftrace-rt record` (given through
# the same environment variables record sets): -F (a subtree), -N (a subtree
# left out), -D (depth), -t (threshold). Interleaved, RUNS runs each (the
# order rotates each round). Per side: wall time (median, min-max), the time
# it adds over the uninstrumented run, bytes written to the data directory,
# records on disk (entries + exits, ufcount.c), and what it saves against the
# unfiltered recording.
# Prints TSV rows: row<TAB>filters<TAB>NAME<TAB>VALUE<TAB>UNIT<TAB>NOTE
#
#   run-filters.sh OUTDIR [RUNS] [COMPUTE_SCALE]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$1
RUNS=${2:-5}
scale=${3:-2}
lib=${FTRACE_RT_LIB:-$top/build/libftrace_rt.so}
VARIANTS="instr plain" sh "$here/build-lua.sh" "$out" >&2
ufcount=$out/ufcount
gcc -O2 -o "$ufcount" "$here/ufcount.c"
data=$(mktemp -d "$out/data.XXXXXX")
trap 'rm -rf "$data"' EXIT
script=$here/lua/compute.lua

# side name | record option(s) | environment
sides=(plain all F N D t)
# -F: the string library's gsub (a few % of the calls); -N: the comparisons table.sort
# calls back into Lua (half the calls)
declare -A opt env
opt[all]="(none)"
env[all]=""
opt[F]="-F str_gsub"
env[F]="FTRACE_RT_GRAPH_FUNCTION=str_gsub"
opt[N]="-N sort_comp"
env[N]="FTRACE_RT_GRAPH_NOTRACE=sort_comp"
opt[D]="-D 4"
env[D]="FTRACE_RT_MAX_GRAPH_DEPTH=4"
opt[t]="-t 10us"
env[t]="FTRACE_RT_TRACING_THRESH=10us"

stats() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%s %s %s\n", v[int((NR + 1) / 2)], v[1], v[NR] }'; }

one() { # SIDE ROUND: appends "wall bytes records" to $data/SIDE.res
	local side=$1 d=$data/$1.$2 bytes=0 rec=0
	rm -rf "$d"
	TIMEFORMAT='%R'
	if [ "$side" = plain ]; then
		{ time "$out/lua.plain" "$script" "$scale" >"$data/out" 2>"$data/err"; } 2>"$data/time"
		cp "$data/out" "$data/out.plain"
	else
		# shellcheck disable=SC2086
		{ time env LD_PRELOAD="$lib" FTRACE_RT_TRACER=function_graph FTRACE_RT_OUTPUT="$d" \
			${env[$side]} "$out/lua" "$script" "$scale" >"$data/out" 2>"$data/err"; } 2>"$data/time"
		cmp -s "$data/out" "$data/out.plain" ||
			echo "$side round $2: output differs from the uninstrumented run's" >>"$data/notes"
		grep -q ' 0 lost' "$data/err" || echo "$side round $2: $(grep -o 'function_graph: .*' "$data/err" | tail -1)" >>"$data/notes"
		bytes=$(du -sb "$d" | cut -f1)
		read -r en ex _ <<<"$("$ufcount" "$d"/[0-9]*.dat)"
		rec=$((en + ex))
	fi
	echo "$(cat "$data/time") $bytes $rec" >>"$data/$side.res"
	rm -rf "$d"
}

"$out/lua.plain" "$script" "$scale" >"$data/out.plain" # warm-up and the reference output
n=${#sides[@]}
for r in $(seq "$RUNS"); do
	for i in $(seq 0 $((n - 1))); do
		s=${sides[$(((i + r) % n))]}
		one "$s" "$r"
		echo "filters: round $r $s: $(tail -1 "$data/$s.res")" >&2
	done
done
version="lua5.4 $(cat "$out/VERSION"), compute.lua $scale"
read -r pw pwmin pwmax <<<"$(stats $(cut -d' ' -f1 "$data/plain.res"))"
printf 'row\tfilters\tuninstrumented\t%.2f\ts\twall median of %s runs (min-max %.2f-%.2f); %s\n' \
	"$pw" "$RUNS" "$pwmin" "$pwmax" "$version"
read -r aw _ _ <<<"$(stats $(cut -d' ' -f1 "$data/all.res"))"
read -r ab _ _ <<<"$(stats $(cut -d' ' -f2 "$data/all.res"))"
for s in all F N D t; do
	read -r w wmin wmax <<<"$(stats $(cut -d' ' -f1 "$data/$s.res"))"
	read -r b _ _ <<<"$(stats $(cut -d' ' -f2 "$data/$s.res"))"
	read -r _ rmin rmax <<<"$(stats $(cut -d' ' -f3 "$data/$s.res"))"
	rr=$rmin
	[ "$rmin" = "$rmax" ] || rr="$rmin-$rmax"
	printf 'row\tfilters\tfunction_graph, every function, %s\t%.2f\ts\t' "${opt[$s]}" "$w"
	awk -v w="$w" -v wmin="$wmin" -v wmax="$wmax" -v p="$pw" -v aw="$aw" -v b="$b" -v ab="$ab" \
		-v rr="$rr" -v s="$s" 'BEGIN {
		printf "wall min-max %.2f-%.2f, +%.2f s over uninstrumented", wmin, wmax, w - p
		if (s != "all" && aw > p)
			printf " (%.0f %% of the unfiltered recording'"'"'s added time)", 100 * (w - p) / (aw - p)
		printf "; %.1f MB written", b / 1e6
		if (s != "all" && ab > 0)
			printf " (%.1f %% of unfiltered)", 100 * b / ab
		printf "; %s records (entry+exit) per run\n", rr
	}'
done
if [ -s "$data/notes" ]; then
	printf 'row\tfilters\tanomalies\t%s\t\t%s\n' "$(wc -l <"$data/notes")" \
		"$(sort -u "$data/notes" | head -5 | tr '\n' ';')"
fi
