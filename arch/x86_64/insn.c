// SPDX-License-Identifier: MIT
/*
 * x86_64 instruction knowledge: NOP forms, CALL rel32, endbr64, the steps that
 * rewrite a live site, veneers, and the choice of trampoline.
 *
 * Why "jmp +3" steps rather than the kernel's int3 gate: user space would need
 * a SIGTRAP handler, which collides with debuggers and with the program's own
 * handlers. A 2-byte short jump written over the head of a 5-byte instruction
 * with a single 16-bit store is what LLVM XRay does to live sleds; every
 * thread sees either the old head or the jump, and the jump skips the three
 * bytes that change next. The 16-bit store must not straddle a cache line.
 */
#include <string.h>

#include "arch.h"

static const uint8_t endbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};
static const uint8_t nop5[5] = {0x0f, 0x1f, 0x44, 0x00, 0x00};

bool arch_is_endbr(const uint8_t *p, size_t avail)
{
	return avail >= 4 && !memcmp(p, endbr64, 4);
}

size_t arch_nop_len(const uint8_t *p, size_t avail)
{
	size_t pfx = 0;

	if (avail >= 1 && p[0] == 0x90)
		return 1;
	/* operand-size and CS prefixes used by the long NOP forms */
	while (pfx < avail && pfx < 6 && (p[pfx] == 0x66 || p[pfx] == 0x2e))
		pfx++;
	if (pfx && pfx < avail && p[pfx] == 0x90)
		return pfx + 1;
	if (avail < pfx + 3 || p[pfx] != 0x0f || p[pfx + 1] != 0x1f)
		return 0;
	/* 0f 1f /0 with a memory operand: length follows the ModRM byte */
	switch (p[pfx + 2]) {
	case 0x00:
		return pfx + 3;
	case 0x40:
		return avail >= pfx + 4 ? pfx + 4 : 0;
	case 0x44:
		return avail >= pfx + 5 ? pfx + 5 : 0;
	case 0x80:
		return avail >= pfx + 7 ? pfx + 7 : 0;
	case 0x84:
		return avail >= pfx + 8 ? pfx + 8 : 0;
	default:
		return 0;
	}
}

ARCH_TEXT_ACCESS enum arch_insn arch_site_insn(const uint8_t *p, size_t avail, uintptr_t site,
					       uintptr_t *target)
{
	if (avail < ARCH_SITE_SIZE)
		return ARCH_INSN_OTHER;
	if (p[0] == 0x90 && p[1] == 0x90 && p[2] == 0x90 && p[3] == 0x90 && p[4] == 0x90)
		return ARCH_INSN_NOP1RUN;
	if (p[0] == 0x0f && p[1] == 0x1f && p[2] == 0x44 && p[3] == 0x00)
		return ARCH_INSN_NOP5;
	if (p[0] == 0xe8) {
		int32_t rel;

		memcpy(&rel, p + 1, 4);
		if (target)
			*target = site + 5 + (intptr_t)rel;
		return ARCH_INSN_CALL;
	}
	return ARCH_INSN_OTHER;
}

void arch_encode_nop(uint8_t out[ARCH_SITE_SIZE])
{
	memcpy(out, nop5, 5);
}

bool arch_encode_call(uint8_t out[ARCH_SITE_SIZE], uintptr_t site, uintptr_t target)
{
	intptr_t rel = (intptr_t)target - (intptr_t)(site + 5);
	int32_t r32 = (int32_t)rel;

	if ((intptr_t)r32 != rel)
		return false;
	out[0] = 0xe8;
	memcpy(out + 1, &r32, 4);
	return true;
}

bool arch_site_steppable(uintptr_t site)
{
	return (site & (ARCH_CACHE_LINE - 1)) != ARCH_CACHE_LINE - 1;
}

/* One 16-bit store, explicitly: a C store through a misaligned pointer is UB. */
static inline void store16(uint8_t *p, uint16_t v)
{
	__asm__ volatile("movw %1, %0" : "=m"(*(volatile uint16_t *)p) : "r"(v) : "memory");
}

ARCH_TEXT_ACCESS void arch_patch_step(int step, uint8_t *p, const uint8_t insn[ARCH_SITE_SIZE])
{
	volatile uint8_t *v = p;

	switch (step) {
	case 0:
		store16(p, 0x03eb); /* eb 03: jmp +3, to the end of the site */
		break;
	case 1:
		v[2] = insn[2];
		v[3] = insn[3];
		v[4] = insn[4];
		break;
	case 2:
		store16(p, (uint16_t)(insn[0] | insn[1] << 8));
		break;
	}
}

ARCH_TEXT_ACCESS void arch_convert_nop_run(uint8_t *p)
{
	/* Head last: a thread reaching the site first sees 0x0f only with the rest in place. */
	volatile uint8_t *v = p;

	v[1] = nop5[1];
	v[2] = nop5[2];
	v[3] = nop5[3];
	v[4] = nop5[4];
	__atomic_thread_fence(__ATOMIC_RELEASE);
	v[0] = nop5[0];
}

void arch_write_veneer(uint8_t *p, uintptr_t target)
{
	/* notrack jmp *1(%rip); int3; .quad target */
	static const uint8_t jmp[8] = {0x3e, 0xff, 0x25, 0x01, 0x00, 0x00, 0x00, 0xcc};

	memcpy(p, jmp, 8);
	memcpy(p + 8, &target, 8);
}
