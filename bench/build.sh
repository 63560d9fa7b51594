#!/bin/bash
# Build the benchmark programs: build.sh OUTDIR INCLUDEDIR LIBDIR
# (generated sites are built at -O0: compiling 100,000 functions at -O1 takes minutes)
set -eu
src=$(cd "$(dirname "$0")" && pwd)
out=$1 inc=$2 lib=$3
mkdir -p "$out"
cd "$out"
PFE="-fpatchable-function-entry=13,8 -falign-functions=8"
API="-DWITH_API -I$inc"
LIBS="-L$lib -lftrace_rt -Wl,-rpath,$lib"

# percall: the uninstrumented baselines, then each layout (linked for the API)
for cc in gcc clang; do
	$cc -O2 -pthread -o "percall-plain-$cc" "$src/percall.c"
	$cc -O2 -pthread $PFE $API -o "percall-$cc" "$src/percall.c" $LIBS
	$cc -O2 -pthread $PFE -fcf-protection $API -o "percall-$cc-cet" "$src/percall.c" $LIBS
	$cc -O2 -pthread -fpatchable-function-entry=5,0 $API -o "percall-$cc-pfe5" "$src/percall.c" \
		$LIBS
done
gcc -O2 -pthread -pg -mfentry -mnop-mcount -mrecord-mcount -fno-pie -no-pie $API \
	-o percall-gcc-mcount "$src/percall.c" $LIBS

gcc -O2 -o clockread "$src/clockread.c"

# peers for run.sh's dependent-chain rows (bench/peers/ builds its own for its rows):
# uftrace 0.13 patches the =5 layout (see bench/peers/README.md); XRay if clang has it
gcc -O2 -pthread -fpatchable-function-entry=5 -o percall-uftrace "$src/percall.c"
if ! clang -O2 -fxray-instrument -fxray-instruction-threshold=1 -o xray "$src/peers/xray.c" \
	2>xray.build.log; then
	rm -f xray
fi

# patchtime: N generated functions each
for n in 1000 10000 100000; do
	d="sites-$n"
	if [ ! -f "$d/built" ]; then
		python3 "$src/gen_sites.py" "$n" "$d"
		for f in "$d"/sites_*.c; do
			gcc -O0 $PFE -c "$f" -o "${f%.c}.gcc.o" &
			# two at a time: this machine has two cores
			[ "$(jobs -p | wc -l)" -ge 2 ] && wait -n 2>/dev/null || true
		done
		wait
		# the same program built with clang: no NOP runs to convert at start-up
		for f in "$d"/sites_*.c; do
			clang -O0 $PFE -c "$f" -o "${f%.c}.clang.o" &
			[ "$(jobs -p | wc -l)" -ge 2 ] && wait -n 2>/dev/null || true
		done
		wait
		touch "$d/built"
	fi
	gcc -O2 -I"$inc" "$src/patchtime.c" "$d"/sites_*.gcc.o -L"$lib" -lftrace_rt \
		-Wl,-rpath,"$lib" -o "$d/patchtime"
	gcc -O2 -I"$inc" "$src/patchtime.c" "$d"/sites_*.clang.o -L"$lib" -lftrace_rt \
		-Wl,-rpath,"$lib" -o "$d/patchtime-clang"
done
