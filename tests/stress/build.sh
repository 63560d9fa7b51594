#!/bin/sh
# Build the stress test in every layout:
#   build.sh OUTDIR INCLUDEDIR LIBDIR [EXTRA_CFLAGS] [COMPILERS]
# COMPILERS defaults to "gcc clang" (a sanitizer build uses only the compiler of
# the runtime, whose sanitizer runtime must be the one in the process).
# Writes OUTDIR/layouts.txt with one layout name per line.
set -eu
src=$(cd "$(dirname "$0")" && pwd)
out=$1 inc=$2 lib=$3 extra=${4:-} compilers=${5:-gcc clang}
mkdir -p "$out"
cd "$out"
: > layouts.txt.new
PFE="-fpatchable-function-entry=13,8 -falign-functions=8"
have() { command -v "$1" >/dev/null 2>&1; }

# build NAME CC "CFLAGS" "LDFLAGS" [SOFLAGS]
build() {
	name=$1 cc=$2 cflags=$3 ldflags=$4 soflags=${5:-$3}
	$cc -g $extra $soflags -fPIC -shared -o "libstress-$name.so" "$src/stress_lib.c"
	$cc -g $extra $soflags -fPIC -shared -DPFX=p -o "stressplugin-p-$name.so" "$src/stress_plugin.c"
	$cc -g $extra $soflags -fPIC -shared -DPFX=q -DSPINNER -pthread -o "stressplugin-q-$name.so" "$src/stress_plugin.c"
	$cc -g $extra $cflags -mgeneral-regs-only -I"$inc" -c -o "stress_light-$name.o" \
		"$src/stress_light.c"
	$cc -g $extra $cflags $ldflags -I"$inc" -o "stress-$name" "$src/stress.c" "stress_light-$name.o" \
		-L. "-lstress-$name" -L"$lib" -lftrace_rt -Wl,-rpath,"\$ORIGIN:$lib" -pthread -ldl
	echo "$name" >> layouts.txt.new
}

for cc in $compilers; do
	have $cc || continue
	build "$cc-O2" $cc "-O2 $PFE" ""
	build "$cc-O2-cet" $cc "-O2 $PFE -fcf-protection" ""
	build "$cc-Os" $cc "-Os $PFE" ""
	build "$cc-O0-unaligned" $cc "-O0 -fpatchable-function-entry=13,8" ""
	build "$cc-O2-pfe5" $cc "-O2 -fpatchable-function-entry=5,0" ""
done
if have gcc && echo " $compilers " | grep -q " gcc "; then
	build gcc-O2-mcount gcc "-O2 -pg -mfentry -mnop-mcount -mrecord-mcount -fno-pie" "-no-pie" \
		"-O2 $PFE"
fi
mv layouts.txt.new layouts.txt
