// SPDX-License-Identifier: MIT
/* Choice of trampoline by the vector width the CPU and OS save. */
#include <cpuid.h>

#include "arch.h"

extern char frt_tramp_slot_gpr[], frt_tramp_lookup_gpr[], frt_rethook_gpr[];
extern uintptr_t frt_vsave_call_sse(void *, uintptr_t, uintptr_t, uintptr_t, uintptr_t);
extern uintptr_t frt_vsave_call_avx(void *, uintptr_t, uintptr_t, uintptr_t, uintptr_t);
extern uintptr_t frt_vsave_call_avx512(void *, uintptr_t, uintptr_t, uintptr_t, uintptr_t);
extern char frt_tramp_slot_sse[], frt_tramp_lookup_sse[], frt_rethook_sse[];
extern char frt_tramp_slot_avx[], frt_tramp_lookup_avx[], frt_rethook_avx[];
extern char frt_tramp_slot_avx512[], frt_tramp_lookup_avx512[], frt_rethook_avx512[];

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

void arch_select_tramps(struct arch_tramps *t)
{
	unsigned int a, b, c, d;
	bool avx = false, avx512 = false;

	if (__get_cpuid(1, &a, &b, &c, &d) && (c & bit_OSXSAVE) && (c & bit_AVX)) {
		uint64_t xcr0 = xgetbv0();

		/* the OS must save the upper halves (YMM) and the AVX-512 state */
		avx = (xcr0 & 0x6) == 0x6;
		if (avx && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_AVX512F))
			avx512 = (xcr0 & 0xe6) == 0xe6;
	}
	if (avx512) {
		t->slot = (uintptr_t)frt_tramp_slot_avx512;
		t->lookup = (uintptr_t)frt_tramp_lookup_avx512;
		t->ret = (uintptr_t)frt_rethook_avx512;
		t->vsave_call = frt_vsave_call_avx512;
		t->vec = "avx512";
	} else if (avx) {
		t->slot = (uintptr_t)frt_tramp_slot_avx;
		t->lookup = (uintptr_t)frt_tramp_lookup_avx;
		t->ret = (uintptr_t)frt_rethook_avx;
		t->vsave_call = frt_vsave_call_avx;
		t->vec = "avx";
	} else {
		t->slot = (uintptr_t)frt_tramp_slot_sse;
		t->lookup = (uintptr_t)frt_tramp_lookup_sse;
		t->ret = (uintptr_t)frt_rethook_sse;
		t->vsave_call = frt_vsave_call_sse;
		t->vec = "sse";
	}
	t->slot_gpr = (uintptr_t)frt_tramp_slot_gpr;
	t->lookup_gpr = (uintptr_t)frt_tramp_lookup_gpr;
#ifndef FRT_SANITIZED
	/* the return hook's C side is built with -mgeneral-regs-only; under a
	 * sanitizer it calls into the sanitizer's runtime, which may not be */
	t->ret = (uintptr_t)frt_rethook_gpr;
#endif
}
