#!/bin/sh
# Build the ms_abi fixture with each compiler, with and without an ops slot:
#   build.sh OUTDIR INCLUDEDIR LIBDIR [EXTRA_CFLAGS] [COMPILERS]
set -eu
src=$(cd "$(dirname "$0")" && pwd)
out=$1 inc=$2 lib=$3 extra=${4:-} compilers=${5:-gcc clang}
mkdir -p "$out"
cd "$out"
: > variants.txt.new
have() { command -v "$1" >/dev/null 2>&1; }
for cc in $compilers; do
	have $cc || continue
	for v in "slot:-fpatchable-function-entry=13,8 -falign-functions=8" \
		"noslot:-fpatchable-function-entry=5,0"; do
		name=$cc-${v%%:*}
		$cc -O2 -g -Wall $extra ${v#*:} -I"$inc" -o "msabi-$name" "$src/msabi.c" \
			"$src/msabi_call.S" -L"$lib" -lftrace_rt -Wl,-rpath,"$lib" -pthread
		echo "$name" >> variants.txt.new
	done
done
mv variants.txt.new variants.txt
