#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Peer benchmark: LLVM XRay, uftrace and uprobes (perf, bpftrace), measured the
# way bench/percall.c measures ftrace_rt (same tiny(), same loop, same clock,
# median of the repeats), plus patch times of programs with many functions.
#
# usage: bench/peers/run.sh OUTDIR
#
# Installs what is missing (apt-get, as root), builds into OUTDIR, runs, and
# prints one TSV line per measurement on stdout:
#   row<TAB>GROUP<TAB>NAME<TAB>VALUE<TAB>UNIT<TAB>NOTE
# GROUP percall: VALUE = median ns per call of tiny(); GROUP patch: VALUE = ms.
# Something that cannot run still gets a row, VALUE "-", the reason in NOTE.
# Progress and diagnostics go to stderr. Re-running reuses what is built.
#
# Knobs (environment):
#   PEERS_CALLS=10000000  PEERS_REPEATS=7   calls x repeats of the cheap modes
#   PEERS_REC_CALLS=1000000                 calls for the recording tracers
#                                           (XRay logging, uftrace: ~100-1000 ns/call)
#   PEERS_TRAP_CALLS=20000                  calls for uprobes (~1-15 us/call here)
#   PEERS_GEN_N="1000 10000 100000"         program sizes for the patch times
#   PEERS_GEN_OPT=-O0                       -O level of those (only the entries matter)
#   PEERS_NO_INSTALL=1                      do not apt-get install anything
set -u
set -o pipefail

OUT=${1:?usage: $0 OUTDIR}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PERCALL_C=$HERE/../percall.c
CALLS=${PEERS_CALLS:-10000000}
REPEATS=${PEERS_REPEATS:-7}
REC_CALLS=${PEERS_REC_CALLS:-1000000}
TRAP_CALLS=${PEERS_TRAP_CALLS:-20000}
GEN_N=${PEERS_GEN_N:-1000 10000 100000}
GEN_OPT=${PEERS_GEN_OPT:--O0}
JOBS=$(nproc 2>/dev/null || echo 2)

mkdir -p "$OUT" || exit 1
OUT=$(cd "$OUT" && pwd)
cd "$OUT" || exit 1
SHM=$(mktemp -d /dev/shm/peers-bench.XXXXXX 2>/dev/null || mktemp -d "$OUT/shm.XXXXXX")
PROBE_GROUP=peersbench

log() { printf '[peers] %s\n' "$*" >&2; }
row() { # GROUP NAME VALUE UNIT NOTE
	local note=${5//$'\t'/ }
	printf 'row\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "${note//$'\n'/ }"
}
cleanup() {
	if [ -n "${PERF:-}" ] && [ -e /sys/kernel/tracing/uprobe_events ]; then
		"$PERF" probe -q -d "$PROBE_GROUP:*" >/dev/null 2>&1
	fi
	rm -rf "$SHM"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- install
# package (what it brings)
#   clang-14 libclang-rt-14-dev (XRay runtime) llvm-14 (llvm-xray) gcc uftrace
#   binutils (nm, readelf) linux-perf bpftrace strace util-linux (unshare) procps (pgrep) python3
need_pkgs=()
for p in clang-14 libclang-rt-14-dev llvm-14 gcc binutils uftrace linux-perf bpftrace strace util-linux procps \
	python3; do
	dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ] && [ -z "${PEERS_NO_INSTALL:-}" ]; then
	log "installing: ${need_pkgs[*]}"
	if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${need_pkgs[@]}"; } >"$OUT/apt.log" 2>&1; then
		log "apt-get failed (see $OUT/apt.log); going on with what is there"
		# one at a time, so one missing package does not keep the others out
		for p in "${need_pkgs[@]}"; do
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
				"$p" >>"$OUT/apt.log" 2>&1 || log "could not install $p"
		done
	fi
fi

CLANG=$(command -v clang-14 || command -v clang || true)
GCC=$(command -v gcc || true)
UFTRACE=$(command -v uftrace || true)
PERF=$(command -v perf || true)
BPFTRACE=$(command -v bpftrace || true)
STRACE=$(command -v strace || true)
LLVM_XRAY=$(command -v llvm-xray-14 || command -v llvm-xray || true)
PYTHON=$(command -v python3 || true)
[ -n "$PERF" ] && ! "$PERF" --version >/dev/null 2>&1 && PERF=  # wrapper without a matching perf_X.Y

log "out: $OUT; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
log "kernel $(uname -r); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"

# ---------------------------------------------------------------- helpers
LAST_RC=0
LAST_NS=
# run_percall OUTFILE CMD...: runs CMD (stdout to OUTFILE, stderr to OUTFILE.err),
# sets LAST_NS to the program's "ns_per_call calls" figure (empty if none)
run_percall() {
	local of=$1
	shift
	timeout 600 "$@" >"$of" 2>"$of.err"
	LAST_RC=$?
	LAST_NS=$(awk 'NF == 2 && $1 ~ /^[0-9]+(\.[0-9]+)?$/ && $2 ~ /^[0-9]+$/ { v = $1 } END { print v }' "$of")
}
errtail() { # FILE: last meaningful stderr line, for a note
	grep -v -E '^\s*$' "$1" 2>/dev/null | tail -1 | cut -c1-200
}
ms_now() { date +%s%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
# newer TARGET DEPS...: true if TARGET is missing or older than one of DEPS
stale() {
	local t=$1 d
	shift
	[ -e "$t" ] || return 0
	for d in "$@"; do [ "$d" -nt "$t" ] && return 0; done
	return 1
}
# build_cc OUTPUT FLAGSTAMP CC ARGS...: compile one program unless up to date
build_cc() {
	local out=$1 stamp=$2
	shift 2
	if [ -e "$out" ] && [ -e "$out.flags" ] && [ "$(cat "$out.flags")" = "$stamp $*" ] &&
		! stale "$out" "$PERCALL_C" "$HERE/xray.c"; then
		return 0
	fi
	rm -f "$out" "$out.flags"
	if "$@" -o "$out" >"$out.build.log" 2>&1; then
		echo "$stamp $*" >"$out.flags"
		return 0
	fi
	log "build failed: $out: $(errtail "$out.build.log")"
	return 1
}

CALLS_NOTE="calls=${CALLS}x${REPEATS}"
REC_NOTE="calls=${REC_CALLS}x${REPEATS}"
TRAP_NOTE="calls=${TRAP_CALLS}x${REPEATS}"

# ---------------------------------------------------------------- builds
mkdir -p bin
B=$OUT/bin
XRAY_FLAGS=(-O2 -fxray-instrument -fxray-instruction-threshold=1)
have_clang=; have_xray=; have_gcc=
xray_why="clang not found"
if [ -n "$CLANG" ]; then
	have_clang=1
	build_cc "$B/clang_base" v1 "$CLANG" -O2 -DNO_XRAY "$HERE/xray.c" || have_clang=
	if build_cc "$B/xray" v1 "$CLANG" "${XRAY_FLAGS[@]}" "$HERE/xray.c"; then
		have_xray=1
	else
		xray_why="clang -fxray-instrument does not build/link: $(errtail "$B/xray.build.log")"
	fi
	build_cc "$B/clang_pfe138" v1 "$CLANG" -O2 -fpatchable-function-entry=13,8 \
		-falign-functions=8 "$PERCALL_C" -lpthread || true
fi
if [ -n "$GCC" ]; then
	have_gcc=1
	build_cc "$B/gcc_base" v1 "$GCC" -O2 "$PERCALL_C" -lpthread || have_gcc=
	build_cc "$B/gcc_pfe138" v1 "$GCC" -O2 -fpatchable-function-entry=13,8 -falign-functions=8 \
		"$PERCALL_C" -lpthread || true
	build_cc "$B/gcc_pfe5" v1 "$GCC" -O2 -fpatchable-function-entry=5 "$PERCALL_C" -lpthread || true
	build_cc "$B/gcc_pg" v1 "$GCC" -O2 -pg "$PERCALL_C" -lpthread || true
fi

# ---------------------------------------------------------------- percall: baselines
log "baselines"
if [ -n "$have_clang" ]; then
	run_percall "$OUT/r.clang_base" "$B/clang_base" plain -n "$CALLS" -r "$REPEATS"
	row percall "baseline clang -O2 (no XRay)" "${LAST_NS:--}" ns \
		"bench/peers/xray.c -DNO_XRAY; $CALLS_NOTE; load $(cut -d' ' -f1 /proc/loadavg)"
else
	row percall "baseline clang -O2 (no XRay)" - ns "not supported: clang not found"
fi
if [ -n "$have_gcc" ]; then
	run_percall "$OUT/r.gcc_base" "$B/gcc_base" plain -n "$CALLS" -r "$REPEATS"
	row percall "baseline gcc -O2 percall.c" "${LAST_NS:--}" ns "bench/percall.c plain; $CALLS_NOTE"
	for v in pfe138:"-fpatchable-function-entry=13,8 -falign-functions=8" \
		pfe5:"-fpatchable-function-entry=5" pg:"-pg"; do
		[ -x "$B/gcc_${v%%:*}" ] || { row percall "baseline gcc -O2 ${v#*:} (untraced)" - ns "build failed"; continue; }
		run_percall "$OUT/r.gcc_${v%%:*}" "$B/gcc_${v%%:*}" plain -n "$CALLS" -r "$REPEATS"
		note="bench/percall.c plain, nothing attached; $CALLS_NOTE"
		[ "${v%%:*}" = pg ] && note="$note; every call goes through glibc's mcount (gprof arcs, gmon.out)"
		row percall "baseline gcc -O2 ${v#*:} (untraced)" "${LAST_NS:--}" ns "$note"
	done
else
	row percall "baseline gcc -O2 percall.c" - ns "not supported: gcc not found"
fi
if [ -x "$B/clang_pfe138" ]; then
	run_percall "$OUT/r.clang_pfe138" "$B/clang_pfe138" plain -n "$CALLS" -r "$REPEATS"
	row percall "baseline clang -O2 -fpatchable-function-entry=13,8 -falign-functions=8 (untraced)" \
		"${LAST_NS:--}" ns "bench/percall.c plain, nothing attached; $CALLS_NOTE"
fi

# ---------------------------------------------------------------- percall: XRay
log "xray"
# count_xray_log FILE: how many calls of tiny llvm-xray accounts in a log
count_xray_log() {
	[ -n "$LLVM_XRAY" ] || { echo "?"; return; }
	"$LLVM_XRAY" account -k -instr_map="$B/xray" "$1" 2>/dev/null |
		awk '$NF == "tiny" { c = $2 } END { print (c == "" ? 0 : c) }'
}
# xray_log_note PREFIX: files written under $SHM/PREFIX*, tiny's records, then removes them
xray_log_note() {
	local f n=0 c=0 sz=0 x
	for f in "$SHM/$1"*; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		sz=$((sz + $(stat -c %s "$f")))
		x=$(count_xray_log "$f")
		[ "$x" = "?" ] && c="?" || { [ "$c" = "?" ] || c=$((c + x)); }
		rm -f "$f"
	done
	if [ "$n" = 0 ]; then
		echo "no log file written"
	else
		echo "log: $n file(s), $sz bytes, tiny calls in it: $c"
	fi
}
# does this machine let XRay read the TSC frequency? (else it emulates the TSC)
tsc_khz=
if [ -n "$have_xray" ]; then
	XRAY_OPTIONS="verbosity=1" "$B/xray" plain -n 1 -r 1 >/dev/null 2>"$OUT/xray.probe.err"
	# a tiny run through the basic mode shows whether XRay found the TSC frequency
	XRAY_OPTIONS="verbosity=1 xray_logfile_base=$SHM/probe-" "$B/xray" basic -n 1 -r 1 \
		>/dev/null 2>"$OUT/xray.tsc.err"
	rm -f "$SHM"/probe-*
	if grep -q 'Unable to determine CPU frequency' "$OUT/xray.tsc.err"; then
		tsc_emulated=1
		tsc_khz=$(dmesg 2>/dev/null | sed -n 's/.*tsc: Refined TSC clocksource calibration: \([0-9.]*\) MHz.*/\1/p' | tail -1)
		[ -n "$tsc_khz" ] || tsc_khz=$(dmesg 2>/dev/null | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz.*/\1/p' | tail -1)
		[ -n "$tsc_khz" ] || tsc_khz=$(awk -F: '/^cpu MHz/ { print $2; exit }' /proc/cpuinfo)
		tsc_khz=$(awk -v m="$tsc_khz" 'BEGIN { if (m + 0 > 0) printf "%d", m * 1000 }')
	else
		tsc_emulated=
	fi
fi
TSC_NOTE=
[ -n "${tsc_emulated:-}" ] && TSC_NOTE="XRay found no TSC frequency (no /sys/devices/system/cpu/cpu0/tsc_freq_khz nor cpufreq in this VM), so it timestamps with clock_gettime (emulated TSC)"
# bin/with_tsc CMD...: run CMD in a private mount namespace where XRay can read the
# TSC frequency (a bind mount over /sys/devices/system/cpu/cpu0, seen by CMD only)
if [ -n "$tsc_khz" ]; then
	d=$SHM/fakecpu0
	mkdir -p "$d/cpufreq" && echo "$tsc_khz" >"$d/tsc_freq_khz" &&
		echo "$tsc_khz" >"$d/cpufreq/cpuinfo_max_freq"
	cat >"$B/with_tsc" <<EOF_TSC
#!/bin/sh
exec unshare -m sh -c 'mount --make-rprivate / && mount --bind "\$0" /sys/devices/system/cpu/cpu0 && exec "\$@"' "$d" "\$@"
EOF_TSC
	chmod +x "$B/with_tsc"
fi

if [ -n "$have_xray" ]; then
	run_percall "$OUT/r.xray_plain" "$B/xray" plain -n "$CALLS" -r "$REPEATS"
	row percall "xray disabled (sleds not patched)" "${LAST_NS:--}" ns \
		"clang ${XRAY_FLAGS[*]}; no handler, no __xray_patch: entry sled is a 2-byte jmp over 9 NOP bytes; $CALLS_NOTE"
	run_percall "$OUT/r.xray_patchonly" "$B/xray" patchonly -n "$CALLS" -r "$REPEATS"
	row percall "xray patched, no handler" "${LAST_NS:--}" ns \
		"__xray_patch() only: entry+exit trampolines run, find no handler, return; $CALLS_NOTE"
	run_percall "$OUT/r.xray_empty" "$B/xray" empty -n "$CALLS" -r "$REPEATS"
	row percall "xray patched, empty handler" "${LAST_NS:--}" ns \
		"__xray_set_handler(empty) + __xray_patch(): handler called on entry and exit; $CALLS_NOTE"

	# XRay's own logging modes. Logs go to $SHM and are counted with llvm-xray, then removed.
	# (a) as documented, from XRAY_OPTIONS alone
	run_percall "$OUT/r.xray_basic_env" env XRAY_OPTIONS="patch_premain=true xray_mode=xray-basic xray_logfile_base=$SHM/basic-env- verbosity=1" \
		"$B/xray" plain -n "$REC_CALLS" -r "$REPEATS"
	row percall "xray-basic (XRAY_OPTIONS patch_premain=true xray_mode=xray-basic)" "${LAST_NS:--}" ns \
		"default func_duration_threshold_us=5: calls shorter than 5 us are dropped from the log; $(xray_log_note basic-env-); compiler-rt 14 makes 2 syscalls per event (gettid+getpid); ${TSC_NOTE:+$TSC_NOTE; }$REC_NOTE"
	run_percall "$OUT/r.xray_basic_all" env XRAY_OPTIONS="patch_premain=true xray_mode=xray-basic xray_logfile_base=$SHM/basic-all-" \
		XRAY_BASIC_OPTIONS="func_duration_threshold_us=0" "$B/xray" plain -n "$REC_CALLS" -r "$REPEATS"
	row percall "xray-basic, every call logged (XRAY_BASIC_OPTIONS=func_duration_threshold_us=0)" "${LAST_NS:--}" ns \
		"$(xray_log_note basic-all-); $REC_NOTE"
	run_percall "$OUT/r.xray_fdr_env" env XRAY_OPTIONS="patch_premain=true xray_mode=xray-fdr xray_logfile_base=$SHM/fdr-env- verbosity=1" \
		"$B/xray" plain -n "$REC_CALLS" -r "$REPEATS"
	fdr_env_log=$(xray_log_note fdr-env-)
	if [ "$fdr_env_log" = "no log file written" ]; then
		fdr_env_note="DOES NOT RECORD: from XRAY_OPTIONS alone compiler-rt 14 only selects FDR mode (fdrLogDynamicInitializer -> __xray_log_select_mode) and never initializes it (no __xray_log_init_mode) nor flushes it: the FDR handler runs on every sled (timestamp, then finds the log uninitialized) and no log is written; the API path below works"
	else
		fdr_env_note="$fdr_env_log"
	fi
	row percall "xray-fdr (XRAY_OPTIONS patch_premain=true xray_mode=xray-fdr)" "${LAST_NS:--}" ns \
		"$fdr_env_note; $REC_NOTE"
	# (b) through the logging API (xray.c modes basic and fdr)
	for m in basic fdr; do
		run_percall "$OUT/r.xray_api_$m" env XRAY_OPTIONS="xray_logfile_base=$SHM/api-$m-" \
			"$B/xray" "$m" -n "$REC_CALLS" -r "$REPEATS"
		if [ -n "$LAST_NS" ]; then
			row percall "xray-$m via API (__xray_log_init_mode + __xray_patch)" "$LAST_NS" ns \
				"default options (func_duration_threshold_us=5$([ $m = fdr ] && echo ", buffer_size=16384 x buffer_max=100: a flight recorder of the last events")); $(xray_log_note api-$m-); $REC_NOTE"
		else
			row percall "xray-$m via API (__xray_log_init_mode + __xray_patch)" - ns \
				"failed (rc $LAST_RC): $(errtail "$OUT/r.xray_api_$m.err")"
			rm -f "$SHM"/api-$m-*
		fi
	done
	run_percall "$OUT/r.xray_api_fdr_all" env XRAY_OPTIONS="xray_logfile_base=$SHM/api-fdrall-" \
		XRAY_FDR_OPTIONS="func_duration_threshold_us=0" "$B/xray" fdr -n "$REC_CALLS" -r "$REPEATS"
	row percall "xray-fdr via API, every call logged (XRAY_FDR_OPTIONS=func_duration_threshold_us=0)" "${LAST_NS:--}" ns \
		"$(xray_log_note api-fdrall-) (the ring keeps only the last buffers); $REC_NOTE"
	# (c) the same with the real TSC (rdtscp), if XRay emulated it above
	if [ -n "${tsc_emulated:-}" ]; then
		if [ -n "$tsc_khz" ] && command -v unshare >/dev/null && "$B/with_tsc" true 2>/dev/null; then
			for m in basic fdr; do
				run_percall "$OUT/r.xray_tsc_$m" env XRAY_OPTIONS="xray_logfile_base=$SHM/tsc-$m- verbosity=1" \
					"$B/with_tsc" "$B/xray" "$m" -n "$REC_CALLS" -r "$REPEATS"
				note="$(xray_log_note tsc-$m-)"
				grep -q 'Unable to determine CPU frequency' "$OUT/r.xray_tsc_$m.err" && note="still emulated: $note"
				row percall "xray-$m via API, rdtscp timestamps (TSC frequency supplied)" "${LAST_NS:--}" ns \
					"tsc_freq_khz=$tsc_khz bind-mounted over /sys/devices/system/cpu/cpu0 in a private mount namespace so XRay uses rdtscp as on bare metal (rdtscp itself is slow in this VM); $note; $REC_NOTE"
			done
		else
			row percall "xray-basic/fdr via API, rdtscp timestamps" - ns \
				"not run: could not supply the TSC frequency (need dmesg's TSC MHz and unshare -m as root)"
		fi
	fi
else
	for n in "xray disabled (sleds not patched)" "xray patched, no handler" "xray patched, empty handler" \
		"xray-basic (XRAY_OPTIONS patch_premain=true xray_mode=xray-basic)" \
		"xray-fdr (XRAY_OPTIONS patch_premain=true xray_mode=xray-fdr)"; do
		row percall "$n" - ns "not supported: $xray_why"
	done
fi

# ---------------------------------------------------------------- percall: uftrace
log "uftrace"
UFD=$SHM/uftrace.data
# uftrace_calls: calls of tiny in $UFD by uftrace report (0 if no data)
uftrace_calls() {
	"$UFTRACE" report -d "$UFD" --no-pager 2>/dev/null |
		awk '$NF == "tiny" { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) c = $i } END { print (c == "" ? 0 : c) }'
}
# run_uftrace NAME PROG NOTE UFTRACE-OPTIONS...
run_uftrace() {
	local name=$1 prog=$2 note=$3 tag
	shift 3
	if [ -z "$UFTRACE" ]; then
		row percall "$name" - ns "not supported: uftrace not installed"
		return
	fi
	if [ ! -x "$prog" ]; then
		row percall "$name" - ns "not run: $prog did not build"
		return
	fi
	tag=$(basename "$prog")
	rm -rf "$UFD"
	run_percall "$OUT/r.uftrace_$tag" "$UFTRACE" record -d "$UFD" --no-libcall "$@" "$prog" plain \
		-n "$REC_CALLS" -r "$REPEATS"
	local recorded expect=$((REC_CALLS * (REPEATS + 1))) size
	recorded=$(uftrace_calls)
	size=$(du -sh "$UFD" 2>/dev/null | cut -f1)
	if [ -z "$LAST_NS" ]; then
		row percall "$name" - ns "failed (rc $LAST_RC): $(errtail "$OUT/r.uftrace_$tag.err")"
	else
		row percall "$name" "$LAST_NS" ns \
			"uftrace report: tiny called $recorded of $expect times in the record (${size:-0} data)${note:+; $note}; $REC_NOTE"
	fi
	rm -rf "$UFD"
}
uf_ver=$([ -n "$UFTRACE" ] && "$UFTRACE" --version 2>/dev/null | awk '{ print $2; exit }')
# Where does uftrace patch a -fpatchable-function-entry=13,8 function? (its -vvv log
# names each site; compare with tiny's address)
uf138_note=
if [ -n "$UFTRACE" ] && [ -x "$B/gcc_pfe138" ]; then
	rm -rf "$UFD"
	"$UFTRACE" record -vvv -d "$UFD" --no-libcall -P tiny "$B/gcc_pfe138" plain -n 10 -r 1 \
		>/dev/null 2>"$OUT/uftrace.pfe138.v.log"
	tiny_addr=$(nm "$B/gcc_pfe138" 2>/dev/null | awk '$3 == "tiny" { print $1 }')
	sites=$(sed -n "s/.*dynamic: update 0x[0-9a-f]* for '\([^']*\)' function.*/\1/p" \
		"$OUT/uftrace.pfe138.v.log" | tr '\n' ' ')
	if [ -n "$tiny_addr" ]; then
		want=$(printf '%x' $((0x$tiny_addr)))
		minus8=$(printf '%x' $((0x$tiny_addr - 8)))
		if echo " $sites" | grep -q "<$minus8>"; then
			uf138_note="NOT TRACED: uftrace $uf_ver takes __patchable_function_entries addresses as function entries, so with M=8 it writes its call 8 bytes before tiny (sites patched: ${sites% }; tiny is at $want), into padding that never runs (and names no symbol there)"
		fi
	fi
	rm -rf "$UFD"
fi
run_uftrace "uftrace record -P tiny, gcc -fpatchable-function-entry=13,8 (ftrace_rt layout)" \
	"$B/gcc_pfe138" "${uf138_note:-uftrace $uf_ver}" -P tiny
run_uftrace "uftrace record -P tiny, gcc -fpatchable-function-entry=5 (uftrace's layout)" \
	"$B/gcc_pfe5" "dynamic patching of the 5 entry NOPs into call __fentry__ (libmcount)" -P tiny
run_uftrace "uftrace record -P ., gcc -fpatchable-function-entry=5" \
	"$B/gcc_pfe5" "every function of the program patched" -P .
run_uftrace "uftrace record -P tiny -t 1us, gcc -fpatchable-function-entry=5" \
	"$B/gcc_pfe5" "time filter: calls under 1 us are traced but not kept (like XRay's duration threshold)" -P tiny -t 1us
run_uftrace "uftrace record, gcc -pg" \
	"$B/gcc_pg" "mcount build, no patching: every function calls mcount" 

# ---------------------------------------------------------------- percall: uprobes
log "uprobes"
uprobe_why=
if [ ! -e /sys/kernel/tracing/uprobe_events ]; then
	mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
	[ -e /sys/kernel/tracing/uprobe_events ] || {
		mountpoint -q /sys/kernel/debug || mount -t debugfs nodev /sys/kernel/debug 2>/dev/null
	}
fi
if [ ! -e /sys/kernel/tracing/uprobe_events ] && [ ! -e /sys/kernel/debug/tracing/uprobe_events ]; then
	if ! grep -qw tracefs /proc/filesystems; then
		uprobe_why="no tracefs in this kernel"
	elif [ -e /proc/config.gz ] && ! zgrep -q '^CONFIG_UPROBE_EVENTS=y' /proc/config.gz; then
		uprobe_why="kernel built without CONFIG_UPROBE_EVENTS"
	else
		uprobe_why="no uprobe_events in tracefs (tracefs not mountable here, or CONFIG_UPROBE_EVENTS off)"
	fi
fi
perf_why=$uprobe_why
[ -z "$perf_why" ] && [ -z "$PERF" ] && perf_why="perf not installed (Debian package linux-perf)"
[ -n "$PERF" ] && "$PERF" probe -q -d "$PROBE_GROUP:*" >/dev/null 2>&1  # left by an interrupted run

# uprobe targets: TAG PROG DESCRIPTION CALLS
UP_TARGETS=(
	"gcc:$B/gcc_base:gcc -O2, probe on tiny's first instruction (lea): int3, then the instruction runs out of line (single-step)"
	"gccpfe:$B/gcc_pfe138:gcc -O2 -fpatchable-function-entry=13,8, probe on the first of five 1-byte NOPs (the kernel emulates a NOP: one int3, no single-step)"
	"clangpfe:$B/clang_pfe138:clang -O2 -fpatchable-function-entry=13,8, probe on the 5-byte NOP (kernel >= 6.18 can optimize a uprobe on a nop5 into a call to the [uprobes-trampoline] + uprobe syscall)"
)
# opt_seen PROG EVENT: watch a probed run and tell whether the optimized trampoline was used
opt_seen() {
	local prog=$1 ev=$2 pid found=
	"$PERF" stat -e "$ev" -o /dev/null -- "$prog" plain -n 3000000 -r 1 >/dev/null 2>&1 &
	local ppid=$!
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		sleep 0.2
		pid=$(pgrep -P "$ppid" 2>/dev/null | head -1)
		[ -n "$pid" ] && grep -q 'uprobes-trampoline' "/proc/$pid/maps" 2>/dev/null && { found=1; break; }
	done
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
	else
		kill "$ppid" 2>/dev/null
	fi
	wait "$ppid" 2>/dev/null
	[ -n "$found" ] && echo "[uprobes-trampoline] mapped: optimized" || echo "no [uprobes-trampoline] mapping seen"
}
for t in "${UP_TARGETS[@]}"; do
	tag=${t%%:*}
	rest=${t#*:}
	prog=${rest%%:*}
	desc=${rest#*:}
	name="uprobe + perf stat count ($tag)"
	if [ -n "$perf_why" ]; then
		row percall "$name" - ns "not supported: $perf_why"
		continue
	fi
	[ -x "$prog" ] || { row percall "$name" - ns "not run: $prog did not build"; continue; }
	ev="$PROBE_GROUP:tiny_$tag"
	if ! "$PERF" probe -q -x "$prog" -a "$ev=tiny" >"$OUT/perfprobe.$tag.log" 2>&1; then
		row percall "$name" - ns "perf probe failed: $(errtail "$OUT/perfprobe.$tag.log")"
		continue
	fi
	calls=$TRAP_CALLS
	run_percall "$OUT/r.uprobe_stat_$tag" "$PERF" stat -x, -o "$OUT/perfstat.$tag.txt" -e "$ev" -- \
		"$prog" plain -n "$calls" -r "$REPEATS"
	hits=$(awk -F, -v e="$ev" '$3 == e { print $1 }' "$OUT/perfstat.$tag.txt" 2>/dev/null)
	mech=
	[ "$tag" = clangpfe ] && mech="; $(opt_seen "$prog" "$ev")"
	if [ -n "$LAST_NS" ]; then
		row percall "$name" "$LAST_NS" ns "$desc$mech; perf counted ${hits:-?} hits of $((calls * (REPEATS + 1))); calls=${calls}x${REPEATS}"
	else
		row percall "$name" - ns "failed (rc $LAST_RC): $(errtail "$OUT/r.uprobe_stat_$tag.err")"
	fi
	if [ "$tag" = clangpfe ] || [ "$tag" = gcc ]; then
		# perf record: every hit written as a sample
		run_percall "$OUT/r.uprobe_rec_$tag" "$PERF" record -q -e "$ev" -o "$SHM/perf.data" -- \
			"$prog" plain -n "$calls" -r "$REPEATS"
		samples=$("$PERF" script -i "$SHM/perf.data" 2>/dev/null | wc -l)
		row percall "uprobe + perf record ($tag)" "${LAST_NS:--}" ns \
			"every hit written as a sample: $samples samples in perf.data; $desc; calls=${calls}x${REPEATS}"
		rm -f "$SHM/perf.data"
	fi
done

# bpftrace
bpf_why=$uprobe_why
[ -z "$bpf_why" ] && [ -z "$BPFTRACE" ] && bpf_why="bpftrace not installed"
if [ -z "$bpf_why" ] && ! timeout 60 "$BPFTRACE" -e 'BEGIN { exit(); }' >"$OUT/bpftrace.probe.log" 2>&1; then
	bpf_why="bpftrace cannot load a program here: $(errtail "$OUT/bpftrace.probe.log")"
fi
for t in "${UP_TARGETS[@]}" "clangpfe_ret:$B/clang_pfe138:uprobe + uretprobe on the clang nop5 build (entry and exit, as the function tracers)"; do
	tag=${t%%:*}
	rest=${t#*:}
	prog=${rest%%:*}
	desc=${rest#*:}
	if [ "$tag" = clangpfe_ret ]; then
		name="bpftrace uprobe+uretprobe count (clangpfe)"
		script="uprobe:$prog:tiny { @c = count(); } uretprobe:$prog:tiny { @r = count(); }"
	else
		name="bpftrace uprobe count ($tag)"
		script="uprobe:$prog:tiny { @c = count(); }"
	fi
	if [ -n "$bpf_why" ]; then
		row percall "$name" - ns "not supported: $bpf_why"
		continue
	fi
	[ -x "$prog" ] || { row percall "$name" - ns "not run: $prog did not build"; continue; }
	run_percall "$OUT/r.bpf_$tag" "$BPFTRACE" -e "$script" -c "$prog plain -n $TRAP_CALLS -r $REPEATS"
	c=$(awk '$1 == "@c:" { print $2 }' "$OUT/r.bpf_$tag")
	if [ -n "$LAST_NS" ]; then
		row percall "$name" "$LAST_NS" ns "$desc; @c=${c:-?} of $((TRAP_CALLS * (REPEATS + 1))); $TRAP_NOTE"
	else
		row percall "$name" - ns "failed (rc $LAST_RC): $(errtail "$OUT/r.bpf_$tag.err")"
	fi
done

# ---------------------------------------------------------------- patch times
log "patch times (N = $GEN_N)"
# build_gen DIR KIND CC FLAGS...: objects of DIR/src/*.c into DIR/KIND/, then DIR/KIND/prog
build_gen() {
	local dir=$1 kind=$2 cc=$3
	shift 3
	local od=$dir/$kind stamp="$cc $*" srcs=() s o
	mkdir -p "$od"
	[ "$(cat "$od/.flags" 2>/dev/null)" = "$stamp" ] || rm -f "$od"/*.o "$od/prog"
	for s in "$dir"/src/*.c; do
		o=$od/$(basename "${s%.c}").o
		stale "$o" "$s" && srcs+=("$s")
	done
	if [ ${#srcs[@]} -gt 0 ]; then
		rm -f "$od/prog"
		# sh -c 'SCRIPT' OBJDIR SOURCE CC FLAGS...
		printf '%s\n' "${srcs[@]}" | xargs -P "$JOBS" -I{} sh -c \
			's=$1; o="$0/$(basename "${s%.c}").o"; shift; exec "$@" -c "$s" -o "$o"' "$od" {} "$cc" "$@" \
			>"$od/build.log" 2>&1 || { log "build failed: $od: $(errtail "$od/build.log")"; return 1; }
	fi
	if stale "$od/prog" "$od"/*.o; then
		"$cc" "$@" "$od"/*.o -o "$od/prog" >>"$od/build.log" 2>&1 ||
			{ log "link failed: $od: $(errtail "$od/build.log")"; return 1; }
	fi
	echo "$stamp" >"$od/.flags"
}
# mprotect_window STRACE-LOG: ms from uftrace's mprotect(...RWX) of the program's text to
# the mprotect(...R-X) that ends it (the patching itself)
mprotect_window() {
	awk '
	/mprotect\(/ && /PROT_READ\|PROT_WRITE\|PROT_EXEC\)/ { match($0, /mprotect\(0x[0-9a-f]+/); a = substr($0, RSTART + 9, RLENGTH - 9); t0[a] = $2; next }
	/mprotect\(/ && /PROT_READ\|PROT_EXEC\)/ { match($0, /mprotect\(0x[0-9a-f]+/); a = substr($0, RSTART + 9, RLENGTH - 9); if (a in t0) { sum += ($2 - t0[a]) * 1000; n++; delete t0[a] } }
	END { if (n) printf "%.3f %d\n", sum, n }' "$1"
}
for n in $GEN_N; do
	gd=$OUT/gen-$n
	if [ -z "$PYTHON" ] || ! "$PYTHON" "$HERE/gen.py" "$n" "$gd/src" >"$OUT/gen-$n.log" 2>&1; then
		row patch "xray __xray_patch $n sites" - ms "gen.py failed: $(errtail "$OUT/gen-$n.log")"
		continue
	fi
	# XRay
	if [ -n "$have_xray" ] && build_gen "$gd" xray "$CLANG" "$GEN_OPT" -fxray-instrument \
		-fxray-instruction-threshold=1 -DWITH_XRAY; then
		x=$(GEN_XRAY_CYCLES=5 "$gd/xray/prog" nocall 2>"$gd/xray/run.err")
		read -r _ p0 u0 pm um _ <<<"$x"
		# 32-byte XRaySledEntry records (compiler-rt 14)
		sleds=$(readelf -SW "$gd/xray/prog" 2>/dev/null | sed 's/^ *\[ *[0-9]*\] *//' |
			awk '$1 == "xray_instr_map" { print $5 }')
		sleds=$([ -n "$sleds" ] && echo $((0x$sleds / 32)) || echo "?")
		mp=
		if [ -n "$STRACE" ]; then
			c0=$(GEN_XRAY_CYCLES=0 "$STRACE" -f -c -e trace=mprotect "$gd/xray/prog" nocall 2>&1 >/dev/null | awk '$NF == "mprotect" { print $4 }')
			c5=$(GEN_XRAY_CYCLES=5 "$STRACE" -f -c -e trace=mprotect "$gd/xray/prog" nocall 2>&1 >/dev/null | awk '$NF == "mprotect" { print $4 }')
			[ -n "$c0" ] && [ -n "$c5" ] && mp="; mprotect calls per patch or unpatch: $(((c5 - c0) / 10)) (strace -c)"
		fi
		xn="clang $GEN_OPT -fxray-instrument -fxray-instruction-threshold=1; $n functions + main = $sleds sleds (entry+exit each)"
		row patch "xray __xray_patch $n sites" "${pm:--}" ms "median of 5 patch/unpatch cycles; first __xray_patch ${p0:-?} ms; $xn$mp"
		row patch "xray __xray_unpatch $n sites" "${um:--}" ms "median of 5; first __xray_unpatch ${u0:-?} ms; $xn"
	else
		if [ -n "$have_xray" ]; then
			row patch "xray __xray_patch $n sites" - ms "build failed: $(errtail "$gd/xray/build.log")"
		else
			row patch "xray __xray_patch $n sites" - ms "not supported: $xray_why"
		fi
	fi
	# uftrace: the same sources with uftrace's patchable-entry layout
	if [ -z "$UFTRACE" ]; then
		row patch "uftrace -P . start-up patching $n sites" - ms "not supported: uftrace not installed"
		continue
	fi
	if ! build_gen "$gd" pfe "$CLANG" "$GEN_OPT" -fpatchable-function-entry=5; then
		row patch "uftrace -P . start-up patching $n sites" - ms "build failed: $(errtail "$gd/pfe/build.log")"
		continue
	fi
	prog=$gd/pfe/prog
	tall=() tnone=() tplain=() win=() winnone=()
	for i in 1 2 3 4 5; do
		rm -rf "$UFD"
		t0=$(ms_now); "$UFTRACE" record -d "$UFD" --no-libcall -P . "$prog" nocall >/dev/null 2>&1; t1=$(ms_now)
		tall+=($(((t1 - t0) / 1000)))
		rm -rf "$UFD"
		t0=$(ms_now); "$UFTRACE" record -d "$UFD" --no-libcall -P no_such_function_xyz "$prog" nocall >/dev/null 2>&1; t1=$(ms_now)
		tnone+=($(((t1 - t0) / 1000)))
		t0=$(ms_now); "$prog" nocall; t1=$(ms_now)
		tplain+=($(((t1 - t0) / 1000)))
		if [ -n "$STRACE" ] && [ "$i" -le 3 ]; then
			for pat in . no_such_function_xyz; do
				rm -rf "$UFD"
				"$STRACE" -f -ttt -e trace=mprotect -o "$SHM/strace.log" "$UFTRACE" record -d "$UFD" \
					--no-libcall -P "$pat" "$prog" nocall >/dev/null 2>&1
				w=$(mprotect_window "$SHM/strace.log")
				[ -n "$w" ] || continue
				if [ "$pat" = . ]; then
					win+=("${w% *}")
					wn=${w#* }
				else
					winnone+=("${w% *}")
				fi
			done
		fi
	done
	rm -rf "$UFD"
	us_all=$(printf '%s\n' "${tall[@]}" | sort -g | head -1)
	us_none=$(printf '%s\n' "${tnone[@]}" | sort -g | head -1)
	us_plain=$(printf '%s\n' "${tplain[@]}" | sort -g | head -1)
	pn="clang $GEN_OPT -fpatchable-function-entry=5; $n functions + main"
	if [ ${#win[@]} -gt 0 ] && [ ${#winnone[@]} -gt 0 ]; then
		w_all=$(printf '%s\n' "${win[@]}" | median)
		w_none=$(printf '%s\n' "${winnone[@]}" | median)
		row patch "uftrace -P . patch window $n sites" "$w_all" ms \
			"libmcount's text-writable window at start-up: from mprotect(text, RWX) to mprotect(text, R-X) (${wn:-?} pair), timed by strace -f -ttt; it walks every symbol, matches the -P patterns and patches; median of 3; $pn"
		row patch "uftrace -P no_such_function window $n sites" "$w_none" ms \
			"the same window when the pattern matches nothing: the walk and matching without any patching; median of 3; $pn"
		row patch "uftrace patch writes $n sites" "$(awk -v a="$w_all" -v b="$w_none" 'BEGIN { printf "%.3f", a - b }')" ms \
			"difference of the two windows above: what writing the $n call sites costs (below ~1 ms this is within noise); $pn"
	else
		row patch "uftrace -P . patch window $n sites" - ms "strace missing or no RWX/R-X mprotect pair seen"
	fi
	row patch "uftrace record -P . start-up total $n sites" \
		"$(awk -v a="$us_all" 'BEGIN { printf "%.1f", a / 1000 }')" ms \
		"wall time of uftrace record -P . prog nocall (the program calls nothing), minimum of 5; $(awk -v b="$us_none" -v c="$us_plain" 'BEGIN { printf "with -P no_such_function %.1f ms, the program alone %.1f ms", b / 1000, c / 1000 }'); $pn"
done
log "done; load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
