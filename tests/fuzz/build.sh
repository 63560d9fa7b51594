#!/bin/sh
# Build the libFuzzer harnesses with clang: build.sh OUTDIR SOURCE_ROOT
set -eu
out=$1 top=$2
mkdir -p "$out"
CC=${FUZZ_CC:-clang}
arch=$top/arch/${FUZZ_ARCH:-$(uname -m)}
lib=$top/lib
inc="-I$top/include -I$top/lib -I$lib/base -I$lib/scan -I$lib/core -I$lib/dispatch -I$lib/trace
	-I$lib/control -I$top/arch -I$arch"
CFLAGS="-g -O1 -D_GNU_SOURCE -D_LGPL_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize=alignment
	-fno-sanitize-recover=undefined $inc"
$CC $CFLAGS -o "$out/fuzz_pattern" "$top/tests/fuzz/fuzz_pattern.c" "$lib/scan/pattern.c" \
	"$lib/scan/demangle.c" "$lib/base/alloc.c"
$CC $CFLAGS -o "$out/fuzz_demangle" "$top/tests/fuzz/fuzz_demangle.c" "$lib/scan/demangle.c"
$CC $CFLAGS -o "$out/fuzz_env" "$top/tests/fuzz/fuzz_env.c" "$lib/base/parse.c" \
	"$lib/scan/pattern.c" "$lib/scan/demangle.c" "$lib/base/alloc.c"
$CC $CFLAGS -o "$out/fuzz_elf" "$top/tests/fuzz/fuzz_elf.c" "$lib/scan/elf_scan.c" \
	"$lib/base/alloc.c" "$lib/base/log.c" "$arch/insn.c" -lelf
# the whole runtime, without the preload shim (it starts on first use)
$CC $CFLAGS -o "$out/fuzz_control" "$top/tests/fuzz/fuzz_control.c" \
	$(ls "$lib"/*/*.c) $(ls "$arch"/*.c "$arch"/*.S) "$top/arch/generic/defaults.c" \
	-lelf -lurcu-bp -lurcu-common -lpthread -ldl -lm
