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
# FRT_ARCH, CC_GCC and CC_CLANG as in tests/fixtures/build.sh
arch=${FRT_ARCH:-x86_64}
case $arch in
aarch64)
	PFE="-fpatchable-function-entry=4,2 -falign-functions=8"
	PFE_NOALIGN="-fpatchable-function-entry=4,2"
	NOSLOT="-fpatchable-function-entry=2"
	PAD="-mbranch-protection=standard" padname=bti
	;;
*)
	PFE="-fpatchable-function-entry=13,8 -falign-functions=8"
	PFE_NOALIGN="-fpatchable-function-entry=13,8"
	NOSLOT="-fpatchable-function-entry=5,0"
	PAD="-fcf-protection" padname=cet
	;;
esac
ccmd() {
	case $1 in
	gcc) echo "${CC_GCC:-gcc}" ;;
	clang) echo "${CC_CLANG:-clang}" ;;
	esac
}
have() { command -v $(ccmd "$1" | cut -d' ' -f1) >/dev/null 2>&1; }

# build NAME CC "CFLAGS" "LDFLAGS" [SOFLAGS]
build() {
	name=$1 c=$(ccmd "$2") cflags=$3 ldflags=$4 soflags=${5:-$3}
	$c -g $extra $soflags -fPIC -shared -o "libstress-$name.so" "$src/stress_lib.c"
	$c -g $extra $soflags -fPIC -shared -DPFX=p -o "stressplugin-p-$name.so" "$src/stress_plugin.c"
	$c -g $extra $soflags -fPIC -shared -DPFX=q -DSPINNER -pthread -o "stressplugin-q-$name.so" "$src/stress_plugin.c"
	$c -g $extra $cflags -mgeneral-regs-only -I"$inc" -c -o "stress_light-$name.o" \
		"$src/stress_light.c"
	$c -g $extra $cflags $ldflags -I"$inc" -o "stress-$name" "$src/stress.c" "stress_light-$name.o" \
		-L. "-lstress-$name" -L"$lib" -lftrace_rt -Wl,-rpath,"\$ORIGIN:$lib" -pthread -ldl
	echo "$name" >> layouts.txt.new
}

for cc in $compilers; do
	have $cc || continue
	build "$cc-O2" $cc "-O2 $PFE" ""
	build "$cc-O2-$padname" $cc "-O2 $PFE $PAD" ""
	build "$cc-Os" $cc "-Os $PFE" ""
	build "$cc-O0-unaligned" $cc "-O0 $PFE_NOALIGN" ""
	build "$cc-O2-pfe5" $cc "-O2 $NOSLOT" ""
done
if have gcc && echo " $compilers " | grep -q " gcc " && [ $arch = x86_64 ]; then
	build gcc-O2-mcount gcc "-O2 -pg -mfentry -mnop-mcount -mrecord-mcount -fno-pie" "-no-pie" \
		"-O2 $PFE"
fi
mv layouts.txt.new layouts.txt
