#!/bin/bash
# A real program with its own benchmark: redis from Debian's source package
# (build-redis.sh), driven by redis-benchmark over loopback, traced in several
# ways. Prints TSV rows: row<TAB>real<TAB>NAME<TAB>VALUE<TAB>UNIT<TAB>NOTE
#
#   run.sh OUTDIR [REQUESTS] [ROUNDS]
#
# Every side runs once per round, the order rotating from round to round (this
# VM drifts over minutes: sides run one after the other compared different
# machines); each run is a fresh server and one redis-benchmark of REQUESTS SETs
# and REQUESTS GETs. Rows: median and min-max of the rounds, slowdown against the
# uninstrumented median, the records each tracing side left on disk.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$1
n=${2:-200000}
rounds=${3:-3}
lib=$top/build/libftrace_rt.so
port=7779
sh "$here/build-redis.sh" "$out" >&2
cli="$out/redis-cli -p $port"
data=$(mktemp -d "$out/data.XXXXXX")
trap 'rm -rf "$data"; $cli shutdown nosave >/dev/null 2>&1 || true' EXIT

# run LABEL COMMAND...: one server, one benchmark run; appends "set_rps get_rps"
# to $data/LABEL.res; the server's stderr (with the runtime's summary line) in
# $data/LABEL.log
run() {
	local label=$1 r
	shift
	"$@" --port $port --save '' --appendonly no --daemonize no >"$data/$label.log" 2>&1 &
	local pid=$!
	for _ in $(seq 100); do $cli ping >/dev/null 2>&1 && break; sleep 0.1; done
	r=$("$out/redis-benchmark" -p $port -q -n "$n" -t set,get 2>/dev/null | tr '\r' '\n' |
		grep "requests per second")
	$cli shutdown nosave >/dev/null 2>&1 || true
	wait $pid || true
	echo "$(echo "$r" | awk '/^SET/ {print $2}') $(echo "$r" | awk '/^GET/ {print $2}')" >>"$data/$label.res"
}

# stats V...: "median min max" (median of an even count: the lower middle)
stats() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%s %s %s\n", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
# med LABEL: "set get set_range get_range" over the rounds
med() {
	local s g
	# shellcheck disable=SC2046
	s=$(stats $(cut -d' ' -f1 "$data/$1.res"))
	# shellcheck disable=SC2046
	g=$(stats $(cut -d' ' -f2 "$data/$1.res"))
	echo "${s%% *} ${g%% *} $(echo "$s" | awk '{print $2 "-" $3}') $(echo "$g" | awk '{print $2 "-" $3}')"
}

emit() { # LABEL SET GET BASE_SET BASE_GET NOTE
	for t in SET GET; do
		local v b
		[ $t = SET ] && v=$2 b=$4 || v=$3 b=$5
		printf 'row\treal\tredis %s: %s\t%s\treq/s\tslowdown %s; %s\n' "$t" "$1" "$v" \
			"$(awk -v b="$b" -v v="$v" 'BEGIN { if (v > 0) printf "%.2fx", b / v; else print "-" }')" \
			"$6"
	done
}

# records DIR: what a side left on disk (entries + exits, lost), per request made
# (a run makes REQUESTS SETs and REQUESTS GETs)
ufcount=$out/ufcount
gcc -O2 -o "$ufcount" "$here/ufcount.c"
records() {
	"$ufcount" "$1"/[0-9]*.dat | awk -v n="$n" '{ printf "%d records on disk (%.0f per request), %d lost\n", $1 + $2, ($1 + $2) / (2 * n), $4 }'
}

filter='processCommand,call,lookupKey*,dictFind,dictAddRaw,createStringObject'
uf_filter=$(echo "$filter" | sed 's/\*/.*/g; s/,/ -P /g')
sides="plain none graph-all graph-filter profile"
# uftrace 0.13 patches -fpatchable-function-entry=5 builds (not the 13,8 layout)
command -v uftrace >/dev/null && [ -x "$out/redis-server.pfe5" ] && sides="$sides uftrace-all uftrace-filter"

# one SIDE: runs it once; the records it left on disk appended to $data/SIDE.rec
one() {
	local d=$data/$1.data f="" p=.
	rm -rf "$d"
	case $1 in
	plain) run plain "$out/redis-server.plain" ;;
	none) run none env LD_PRELOAD="$lib" FTRACE_RT_TRACER=none "$out/redis-server" ;;
	graph-*)
		[ "$1" = graph-filter ] && f=$filter
		run "$1" env LD_PRELOAD="$lib" FTRACE_RT_TRACER=function_graph FTRACE_RT_FILTER="$f" \
			FTRACE_RT_OUTPUT="$d" "$out/redis-server"
		grep -o 'function_graph: .*lost' "$data/$1.log" | tail -1 >"$data/$1.summary"
		records "$d" >>"$data/$1.rec" ;;
	profile)
		run profile env LD_PRELOAD="$lib" FTRACE_RT_TRACER=profile FTRACE_RT_OUTPUT="$d" \
			"$out/redis-server" ;;
	uftrace-*)
		[ "$1" = uftrace-filter ] && p=$uf_filter
		# shellcheck disable=SC2086
		run "$1" uftrace record --no-libcall -d "$d" -P $p "$out/redis-server.pfe5"
		records "$d" >>"$data/$1.rec" ;;
	esac
	rm -rf "$d"
}

read -ra order <<<"$sides"
for r in $(seq "$rounds"); do
	# rotate the order each round
	for k in "${!order[@]}"; do
		side=${order[(k + r) % ${#order[@]}]}
		one "$side"
		echo "redis round $r $side: $(tail -1 "$data/$side.res")" >&2
	done
done

# recs SIDE: the records of its runs ("X" or "X-Y" when they differ)
recs() { sort -u "$data/$1.rec" | awk '{ a[NR] = $0 } END { print a[1] (NR > 1 ? " ... " a[NR] : "") }'; }
read -r ps pg psr pgr <<<"$(med plain)"
emit "uninstrumented" "$ps" "$pg" "$ps" "$pg" \
	"redis $(cat "$out/VERSION"), $n requests per run, median of $rounds interleaved runs (min-max SET $psr, GET $pgr)"
read -r s g sr gr <<<"$(med none)"
emit "instrumented, runtime preloaded, not tracing" "$s" "$g" "$ps" "$pg" \
	"min-max SET $sr, GET $gr; $("$top"/build/tools/ftrace-rt list "$out/redis-server" | wc -l) traceable functions"
for mode in all filter; do
	read -r s g sr gr <<<"$(med "graph-$mode")"
	emit "ftrace_rt function_graph, ${mode/all/all functions}" "$s" "$g" "$ps" "$pg" \
		"min-max SET $sr, GET $gr; default settings; $(cat "$data/graph-$mode.summary"); $(recs "graph-$mode")"
done
read -r s g sr gr <<<"$(med profile)"
emit "ftrace_rt profile, all functions" "$s" "$g" "$ps" "$pg" "min-max SET $sr, GET $gr; per-function table at exit"
case " $sides " in *" uftrace-all "*)
	for mode in all filter; do
		read -r s g sr gr <<<"$(med "uftrace-$mode")"
		emit "uftrace record -P, ${mode/all/all functions}" "$s" "$g" "$ps" "$pg" \
			"min-max SET $sr, GET $gr; -fpatchable-function-entry=5 build of the same source; $(recs "uftrace-$mode")"
	done ;;
esac
