#!/bin/sh
# lib/ decides what a site should be; how its bytes look is arch/'s (see
# arch/arch.h). This fails if an architecture's word appears anywhere in lib/
# (code or comment): such knowledge belongs in arch/ARCH/.
# usage: lib_arch_words.sh SOURCE_ROOT
set -u
top=$1
words='x86|X86|amd64|i386|rdtsc|\<tsc\>|\<TSC\>|cpuid|endbr|NOP5|NOP1|nop5|nop1|REG_RIP|REG_RSP|R_X86|EM_X86|rel32|%rip|%rsp|\<rip\>|\<rsp\>|\<IRET\>|\<[xyz]mm[0-9]|\<AVX|\<avx|\<SSE\>|\<int3\>|aarch64|arm64|AArch64|AARCH64|CNTVCT|\<BTI\>|riscv|RISCV|ppc64|powerpc|Thumb'
if [ ! -d "$top/lib" ]; then
	echo "no $top/lib" >&2
	exit 2
fi
hits=$(grep -rnE "$words" "$top/lib" --include='*.c' --include='*.h' --include='*.map')
if [ -n "$hits" ]; then
	echo "architecture words in lib/ (move them to arch/ARCH/):"
	echo "$hits" | head -50
	exit 1
fi
echo "lib/ names no architecture"
