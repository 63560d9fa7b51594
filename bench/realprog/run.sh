#!/bin/bash
# A real program with its own benchmark: redis from Debian's source package
# (build-redis.sh), driven by redis-benchmark over loopback, traced in several
# ways. Prints TSV rows: row<TAB>real<TAB>NAME<TAB>VALUE<TAB>UNIT<TAB>NOTE
#
#   run.sh OUTDIR [REQUESTS]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=$1
n=${2:-200000}
lib=$top/build/libftrace_rt.so
port=7779
sh "$here/build-redis.sh" "$out" >&2
cli="$out/redis-cli -p $port"
data=$(mktemp -d "$out/data.XXXXXX")
trap 'rm -rf "$data"; $cli shutdown nosave >/dev/null 2>&1 || true' EXIT

# run LABEL COMMAND... -> "set_rps get_rps" (median of 3 benchmark runs); the server's
# stderr (with the runtime's summary line) in $data/LABEL.log
run() {
	local label=$1
	shift
	"$@" --port $port --save '' --appendonly no --daemonize no >"$data/$label.log" 2>&1 &
	local pid=$!
	for _ in $(seq 100); do $cli ping >/dev/null 2>&1 && break; sleep 0.1; done
	local sets=() gets=()
	for _ in 1 2 3; do
		local r
		r=$("$out/redis-benchmark" -p $port -q -n "$n" -t set,get 2>/dev/null | tr '\r' '\n' |
			grep "requests per second")
		sets+=("$(echo "$r" | awk '/^SET/ {print $2}')")
		gets+=("$(echo "$r" | awk '/^GET/ {print $2}')")
	done
	$cli shutdown nosave >/dev/null 2>&1 || true
	wait $pid || true
	echo "$(printf '%s\n' "${sets[@]}" | sort -n | sed -n 2p) $(printf '%s\n' "${gets[@]}" | sort -n | sed -n 2p)"
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
ufcount=$out/ufcount
gcc -O2 -o "$ufcount" "$here/ufcount.c"
records() {
	"$ufcount" "$1"/[0-9]*.dat | awk -v n="$n" '{ printf "%d records on disk (%.0f per request), %d lost", $1 + $2, ($1 + $2) / (6 * n), $4 }'
}

filter='processCommand,call,lookupKey*,dictFind,dictAddRaw,createStringObject'
read -r ps pg <<<"$(run plain "$out/redis-server.plain")"
emit "uninstrumented" "$ps" "$pg" "$ps" "$pg" "redis $(cat "$out/VERSION"), $n requests x3, median"
read -r s g <<<"$(run none env LD_PRELOAD="$lib" FTRACE_RT_TRACER=none "$out/redis-server")"
emit "instrumented, runtime preloaded, not tracing" "$s" "$g" "$ps" "$pg" \
	"$($top/build/tools/ftrace-rt list "$out/redis-server" | wc -l) traceable functions"
for mode in all filter; do
	f=""
	[ $mode = filter ] && f=$filter
	read -r s g <<<"$(run "graph-$mode" env LD_PRELOAD="$lib" FTRACE_RT_TRACER=function_graph \
		FTRACE_RT_FILTER="$f" FTRACE_RT_OUTPUT="$data/graph-$mode.data" "$out/redis-server")"
	summary=$(grep -o 'function_graph: .*lost' "$data/graph-$mode.log" | tail -1)
	emit "ftrace_rt function_graph, ${mode/all/all functions}" "$s" "$g" "$ps" "$pg" \
		"default settings; $summary; $(records "$data/graph-$mode.data")"
	rm -rf "$data/graph-$mode.data"
done
read -r s g <<<"$(run profile env LD_PRELOAD="$lib" FTRACE_RT_TRACER=profile \
	FTRACE_RT_OUTPUT="$data/profile.data" "$out/redis-server")"
emit "ftrace_rt profile, all functions" "$s" "$g" "$ps" "$pg" "per-function table at exit"

# uftrace 0.13 patches -fpatchable-function-entry=5 builds (not the 13,8 layout)
if command -v uftrace >/dev/null && [ -x "$out/redis-server.pfe5" ]; then
	for mode in all filter; do
		p=.
		[ $mode = filter ] && p=$(echo "$filter" | sed 's/\*/.*/g; s/,/ -P /g')
		# shellcheck disable=SC2086
		read -r s g <<<"$(run "uftrace-$mode" uftrace record --no-libcall -d "$data/uf-$mode.data" \
			-P $p "$out/redis-server.pfe5")"
		emit "uftrace record -P, ${mode/all/all functions}" "$s" "$g" "$ps" "$pg" \
			"-fpatchable-function-entry=5 build of the same source; $(records "$data/uf-$mode.data")"
		rm -rf "$data/uf-$mode.data"
	done
fi
