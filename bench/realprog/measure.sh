# Sourced by run-sqlite.sh and run-lua.sh. The caller sets
#   lib (libftrace_rt.so), data (a scratch directory on disk, not tmpfs),
#   ufcount (the bench/realprog/ufcount.c binary), RUNS,
# and defines three functions that run one workload once, its output on
# stdout (compared with the uninstrumented run's) and diagnostics on stderr:
#   run_plain              the uninstrumented build
#   run_frt                the ftrace_rt build, run as env "${FRT_ENV[@]}" PROGRAM ...
#   run_uf DIR             uftrace record ... -d DIR on the -fpatchable-function-entry=5 build
# measure NAME NOTE then runs, RUNS times, interleaved (the order rotates each
# round): uninstrumented; ftrace_rt function_graph on every function with default
# settings (FTRACE_RT_BUFFER_FULL=wait) and with FTRACE_RT_BUFFER_FULL=drop, data in
# $data; uftrace record. Rows (TSV, as run.sh): medians with min-max of the wall
# time, CPU time (user+sys of the process and its children: the flusher, or
# uftrace's recorder), the records each side left on disk (ufcount: entries +
# exits in DIR/<tid>.dat, the same count for both formats), lost counts, and the
# ratio of the time each tracer adds.

# stats V...: "median min max" (median of an even count: the lower middle)
stats() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%s %s %s\n", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
fmt_s() { awk -v v="$1" 'BEGIN { printf "%.2f", v }'; }
one() { # SIDE ROUND: runs one side once, appends "wall cpu records lost" to $data/SIDE.res
	local side=$1 d=$data/$1.$2 t rec lost
	rm -rf "$d"
	TIMEFORMAT='%R %U %S'
	case $side in
	plain) { time run_plain >"$data/out" 2>"$data/err"; } 2>"$data/time" ;;
	wait | drop)
		FRT_ENV=(LD_PRELOAD="$lib" FTRACE_RT_TRACER=function_graph FTRACE_RT_OUTPUT="$d")
		[ "$side" = drop ] && FRT_ENV+=(FTRACE_RT_BUFFER_FULL=drop)
		{ time run_frt >"$data/out" 2>"$data/err"; } 2>"$data/time" ;;
	uftrace) { time run_uf "$d" >"$data/out" 2>"$data/err"; } 2>"$data/time" ;;
	esac
	t=$(awk '{ printf "%s %.3f", $1, $2 + $3 }' "$data/time")
	if [ "$side" = plain ]; then
		cp "$data/out" "$data/out.plain"
		echo "$t 0 0" >>"$data/plain.res"
		return
	fi
	cmp -s "$data/out" "$data/out.plain" || echo "$side round $2: output differs from the uninstrumented run's" >>"$data/notes"
	# entries exits lost_records lost_count events bad
	read -r en ex lr lc ev bad <<<"$("$ufcount" "$d"/[0-9]*.dat)"
	rec=$((en + ex))
	[ "$bad" = 0 ] || echo "$side round $2: $bad records with a bad magic" >>"$data/notes"
	if [ "$side" = uftrace ]; then
		lost=$lc
	else
		# the runtime's own count, and its events against what is on disk
		local s
		s=$(grep -o 'function_graph: .*lost' "$data/err" | tail -1)
		echo "$s" >"$data/$side.summary"
		lost=$(echo "$s" | sed -n 's/.* \([0-9]*\) lost$/\1/p')
		local evs
		evs=$(echo "$s" | sed -n 's/.* \([0-9]*\) events,.*/\1/p')
		[ "$evs" = "$rec" ] || echo "$side round $2: summary says $evs events, $rec entry+exit records on disk" >>"$data/notes"
	fi
	echo "$t $rec ${lost:-?}" >>"$data/$side.res"
	rm -rf "$d"
}
measure() { # NAME NOTE
	local name=$1 note=$2 sides=(plain wait drop uftrace) r i k
	rm -f "$data"/*.res "$data/notes"
	one plain 0 >/dev/null # warm-up (page cache), and the reference output
	rm -f "$data/plain.res"
	for r in $(seq "$RUNS"); do
		for i in 0 1 2 3; do
			k=$(((i + r) % 4))
			one "${sides[$k]}" "$r"
			echo "measure: $name round $r ${sides[$k]}: $(tail -1 "$data/${sides[$k]}.res")" >&2
		done
	done
	local pw pc
	read -r pw pwmin pwmax <<<"$(stats $(cut -d' ' -f1 "$data/plain.res"))"
	read -r pc _ _ <<<"$(stats $(cut -d' ' -f2 "$data/plain.res"))"
	printf 'row\treal\t%s: uninstrumented\t%s\ts\twall median of %s runs (min-max %s-%s); CPU %s s; %s\n' \
		"$name" "$(fmt_s "$pw")" "$RUNS" "$(fmt_s "$pwmin")" "$(fmt_s "$pwmax")" "$(fmt_s "$pc")" "$note"
	declare -A added addedc recs
	for s in wait drop uftrace; do
		local w wmin wmax c cmin cmax rmin rmax lmin lmax label
		read -r w wmin wmax <<<"$(stats $(cut -d' ' -f1 "$data/$s.res"))"
		read -r c cmin cmax <<<"$(stats $(cut -d' ' -f2 "$data/$s.res"))"
		read -r _ rmin rmax <<<"$(stats $(cut -d' ' -f3 "$data/$s.res"))"
		read -r _ lmin lmax <<<"$(stats $(cut -d' ' -f4 "$data/$s.res"))"
		added[$s]=$(awk -v a="$w" -v b="$pw" 'BEGIN { print a - b }')
		addedc[$s]=$(awk -v a="$c" -v b="$pc" 'BEGIN { print a - b }')
		recs[$s]=$rmin
		case $s in
		wait) label="ftrace_rt function_graph, every function, default settings (BUFFER_FULL=wait)" ;;
		drop) label="ftrace_rt function_graph, every function, FTRACE_RT_BUFFER_FULL=drop" ;;
		uftrace) label="uftrace record --no-libcall -P ., every function" ;;
		esac
		local rr=$rmin ll=$lmin
		[ "$rmin" = "$rmax" ] || rr="$rmin-$rmax"
		[ "$lmin" = "$lmax" ] || ll="$lmin-$lmax"
		printf 'row\treal\t%s: %s\t%s\ts\tslowdown %sx (wall min-max %s-%s s), +%s s; CPU %s s (%s-%s), +%s s; %s records (entry+exit) on disk per run, %s lost\n' \
			"$name" "$label" "$(fmt_s "$w")" "$(awk -v a="$w" -v b="$pw" 'BEGIN { printf "%.2f", a / b }')" \
			"$(fmt_s "$wmin")" "$(fmt_s "$wmax")" "$(fmt_s "${added[$s]}")" "$(fmt_s "$c")" \
			"$(fmt_s "$cmin")" "$(fmt_s "$cmax")" "$(fmt_s "${addedc[$s]}")" "$rr" "$ll"
	done
	for s in wait drop; do
		local flag="" a=${recs[$s]} b=${recs[uftrace]}
		# a side that recorded fewer events did less work: flag it; under 0.1 %
		# (run-to-run variation of the workload) flag it as small
		if [ "$a" != "$b" ]; then
			local who=uftrace lo=$b hi=$a
			[ "$a" -lt "$b" ] && who=ftrace_rt lo=$a hi=$b
			if awk -v l="$lo" -v h="$hi" 'BEGIN { exit !(h - l > h / 1000) }'; then
				flag="; NOT COMPARABLE: $who recorded fewer events ($lo against $hi, fewest of any run)"
			else
				flag="; $who recorded $((hi - lo)) fewer events than the other (< 0.1 %)"
			fi
		fi
		printf 'row\treal\t%s: time added, ftrace_rt (%s) / uftrace\t%s\tx\twall; CPU %sx; target <= 0.3x%s\n' \
			"$name" "$s" "$(awk -v a="${added[$s]}" -v b="${added[uftrace]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')" \
			"$(awk -v a="${addedc[$s]}" -v b="${addedc[uftrace]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')" "$flag"
	done
	if [ -s "$data/notes" ]; then
		printf 'row\treal\t%s: anomalies\t%s\t\t%s\n' "$name" "$(wc -l <"$data/notes")" \
			"$(sort -u "$data/notes" | head -5 | tr '\n' ';')"
	fi
}
