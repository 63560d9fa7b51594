// SPDX-License-Identifier: MIT
/*
 * The trampolines, return hooks and vector-saving thunks of every vector
 * width this CPU has, with their C side replaced by code that clobbers all
 * it may (tramp_stubs.S): a caller of a Microsoft-ABI function must find
 * xmm6-15, rdi and rsi as it left them.
 */
#include <cpuid.h>
#include <stdint.h>
#include <stdio.h>

extern int stub_vec;
unsigned long tramp_check(void *target, int kind);

#define VARIANT(v)                                                                   \
	extern char frt_tramp_slot_##v[], frt_tramp_lookup_##v[], frt_rethook_##v[]; \
	extern char frt_vsave_call_##v[]
VARIANT(sse);
VARIANT(avx);
VARIANT(avx512);
extern char frt_tramp_slot_gpr[], frt_tramp_lookup_gpr[], frt_rethook_gpr[];

static int failures;

static void check(const char *what, void *target, int kind, int vec, unsigned long ignore)
{
	unsigned long changed;

	stub_vec = vec;
	changed = tramp_check(target, kind) & ~ignore;
	if (changed) {
		printf("FAIL: %s: changed", what);
		for (int i = 0; i < 16; i++)
			if (changed >> i & 1)
				printf(" xmm%d", i);
		if (changed >> 16 & 1)
			printf(" rdi");
		if (changed >> 17 & 1)
			printf(" rsi");
		printf("\n");
		failures++;
	} else {
		printf("ok: %s\n", what);
	}
}

static uint64_t xcr0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

int main(void)
{
	unsigned int a, b, c, d;
	int avx = 0, avx512 = 0;

	if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_OSXSAVE) && (c & bit_AVX)) {
		avx = (xcr0() & 0x6) == 0x6;
		if (avx && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_AVX512F))
			avx512 = (xcr0() & 0xe6) == 0xe6;
	}
	/* the gpr copies: their C side touches no vector register */
	check("gpr slot trampoline", frt_tramp_slot_gpr, 0, 0, 0);
	check("gpr lookup trampoline", frt_tramp_lookup_gpr, 0, 0, 0);
	check("gpr return hook", frt_rethook_gpr, 1, 0, 0);
#define CHECK_VARIANT(v)                                                          \
	do {                                                                      \
		check(#v " slot trampoline", frt_tramp_slot_##v, 0, 1, 0);        \
		check(#v " lookup trampoline", frt_tramp_lookup_##v, 0, 1, 0);    \
		check(#v " return hook", frt_rethook_##v, 1, 1, 0);               \
		/* called from C: rdi and rsi are the thunk's caller's to keep */ \
		check(#v " vsave thunk", frt_vsave_call_##v, 2, 1, 3UL << 16);    \
	} while (0)
	CHECK_VARIANT(sse);
	if (avx)
		CHECK_VARIANT(avx);
	else
		printf("skipped: avx (not on this CPU)\n");
	if (avx512)
		CHECK_VARIANT(avx512);
	else
		printf("skipped: avx512 (not on this CPU)\n");
	printf("%d failures\n", failures);
	return failures != 0;
}
