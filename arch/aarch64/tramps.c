// SPDX-License-Identifier: MIT
/* Choice of trampoline: q0-q7 always, z0-z7 and p0-p3 too when the CPU has SVE. */
#include <sys/auxv.h>

#include "arch.h"

#ifndef HWCAP_SVE
#define HWCAP_SVE (1 << 22)
#endif

extern char frt_tramp_slot_gpr[], frt_tramp_lookup_gpr[], frt_rethook_gpr[];
extern char frt_tramp_slot_q[], frt_tramp_lookup_q[], frt_rethook_q[];
extern char frt_tramp_slot_sve[], frt_tramp_lookup_sve[], frt_rethook_sve[];
extern uintptr_t frt_vsave_call_q(void *, uintptr_t, uintptr_t, uintptr_t, uintptr_t);
extern uintptr_t frt_vsave_call_sve(void *, uintptr_t, uintptr_t, uintptr_t, uintptr_t);

void arch_select_tramps(struct arch_tramps *t)
{
	if (getauxval(AT_HWCAP) & HWCAP_SVE) {
		t->slot = (uintptr_t)frt_tramp_slot_sve;
		t->lookup = (uintptr_t)frt_tramp_lookup_sve;
		t->ret = (uintptr_t)frt_rethook_sve;
		t->vsave_call = frt_vsave_call_sve;
		t->vec = "sve";
	} else {
		t->slot = (uintptr_t)frt_tramp_slot_q;
		t->lookup = (uintptr_t)frt_tramp_lookup_q;
		t->ret = (uintptr_t)frt_rethook_q;
		t->vsave_call = frt_vsave_call_q;
		t->vec = "q";
	}
	t->slot_gpr = (uintptr_t)frt_tramp_slot_gpr;
	t->lookup_gpr = (uintptr_t)frt_tramp_lookup_gpr;
#ifndef FRT_SANITIZED
	/* the return hook's C side is built with -mgeneral-regs-only */
	t->ret = (uintptr_t)frt_rethook_gpr;
#endif
}
