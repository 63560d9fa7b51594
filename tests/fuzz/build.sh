#!/bin/sh
# Build the libFuzzer harnesses with clang: build.sh OUTDIR SOURCE_ROOT
set -eu
out=$1 top=$2
mkdir -p "$out"
CC=${FUZZ_CC:-clang}
CFLAGS="-g -O1 -D_GNU_SOURCE -D_LGPL_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize=alignment
	-fno-sanitize-recover=undefined -I$top/include -I$top/lib -I$top/arch -I$top/arch/x86_64"
lib=$top/lib
arch=$top/arch/x86_64
$CC $CFLAGS -o "$out/fuzz_pattern" "$top/tests/fuzz/fuzz_pattern.c" "$lib/pattern.c" \
	"$lib/demangle.c" "$lib/alloc.c"
$CC $CFLAGS -o "$out/fuzz_demangle" "$top/tests/fuzz/fuzz_demangle.c" "$lib/demangle.c"
$CC $CFLAGS -o "$out/fuzz_env" "$top/tests/fuzz/fuzz_env.c" "$lib/parse.c" "$lib/pattern.c" \
	"$lib/demangle.c" \
	"$lib/alloc.c"
$CC $CFLAGS -o "$out/fuzz_elf" "$top/tests/fuzz/fuzz_elf.c" "$lib/elf_scan.c" "$lib/alloc.c" \
	"$lib/log.c" "$arch/insn.c" -lelf
# the whole runtime, without the preload shim (it starts on first use)
$CC $CFLAGS -o "$out/fuzz_control" "$top/tests/fuzz/fuzz_control.c" \
	$(ls "$lib"/*.c) "$arch/insn.c" "$arch/tramps.c" "$arch/trampoline.S" "$arch/native.c" \
	"$top/arch/generic/defaults.c" \
	-lelf -lurcu-bp -lurcu-common -lpthread -ldl -lm
