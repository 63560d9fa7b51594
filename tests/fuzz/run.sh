#!/bin/sh
# Run one fuzzer for a while on a copy of its corpus:
#   run.sh FUZZDIR NAME CORPUSDIR FIXTUREDIR SECONDS
# The ELF fuzzer is seeded with small fixture binaries. Fails on any crash,
# leak or sanitizer report (the fuzzer's own exit status).
set -eu
dir=$1 name=$2 corpus=$3 fix=$4 secs=$5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
[ -d "$corpus/$name" ] && cp "$corpus/$name"/* "$work/corpus/" 2>/dev/null || true
if [ "$name" = elf ]; then
	for f in libfxplugin-gcc-O2.so libfxplugin-clang-O2-cet.so libfxshared-gcc-O2-mcount.so \
		libfxplugin-gcc-O2-stripped.so; do
		[ -f "$fix/$f" ] && cp "$fix/$f" "$work/corpus/"
	done
fi
cd "$work"
status=0
# libFuzzer exits 77 on findings by default, which test harnesses read as "skipped"
"$dir/fuzz_$name" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 \
	-error_exitcode=1 -timeout=60 -print_final_stats=1 corpus >log 2>&1 || status=1
tail -25 log
exit $status
