// SPDX-License-Identifier: MIT
/*
 * aarch64's native verbs: the counter's frequency and the sync fallback
 * (flush and apply_step are arch/generic/'s).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "arch.h"

/*
 * The generic timer's virtual counter: constant-rate and synchronized
 * across cores by the architecture; CNTFRQ_EL0 gives its frequency.
 */
bool arch_cycles_init(uint64_t *hz)
{
	uint64_t f;

	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
	*hz = f;
	return f != 0;
}

/*
 * No fallback: arm64 invalidates other cores' TLBs by broadcast (TLBI IS),
 * not by interrupting them, so x86's mprotect trick does not make another
 * core execute anything. Linux has had membarrier SYNC_CORE on arm64 since
 * 4.16; without it the runtime says so and patches nothing.
 */
const char arch_sync_fallback_name[] = "none";
const char arch_sync_fallback_what[] = "no fallback on aarch64 (TLB invalidation is broadcast, "
				       "it interrupts no core)";

int arch_sync_fallback_init(void)
{
	return -ENOSYS;
}

void arch_sync_fallback(void)
{
}

#ifndef PROT_BTI
#define PROT_BTI 0x10
#endif
#ifndef HWCAP2_BTI
#define HWCAP2_BTI (1UL << 17)
#endif
#ifndef GNU_PROPERTY_AARCH64_FEATURE_1_AND
#define GNU_PROPERTY_AARCH64_FEATURE_1_AND 0xc0000000u
#endif
#ifndef GNU_PROPERTY_AARCH64_FEATURE_1_BTI
#define GNU_PROPERTY_AARCH64_FEATURE_1_BTI 1u
#endif

/*
 * A BTI-marked object (GNU property FEATURE_1_AND with BTI) on a CPU with
 * BTI: glibc's loader (and the kernel, for the loader itself) maps its code
 * with PROT_BTI, guarded pages where an indirect branch must land on a pad.
 * /proc/self/maps does not show it, and an mprotect without it ends the
 * guard: lib/core keeps it (tests/test_bti.py fails if it is lost).
 */
int arch_text_prot(const void *note, size_t len)
{
	const uint8_t *base = note;
	size_t off = 0;

	if (!(getauxval(AT_HWCAP2) & HWCAP2_BTI))
		return 0;
	/*
	 * Elf64_Nhdr notes, name and desc 8-aligned (NT_GNU_PROPERTY_TYPE_0).
	 * Sizes in size_t and checked against what is left, so a malformed or
	 * cut note (only the segment's start is kept) ends the walk, never
	 * loops: the properties inside what is there are still read.
	 */
	while (off < len && len - off >= 12) {
		uint32_t h[3];
		size_t desc, dend;

		memcpy(h, base + off, sizeof(h));
		if (h[0] > len || h[1] > len)
			break;
		desc = off + ((12 + (size_t)h[0] + 7) & ~(size_t)7);
		if (desc > len)
			break;
		dend = desc + h[1] < len ? desc + h[1] : len;
		if (h[2] == 5 && h[0] == 4 && !memcmp(base + off + 12, "GNU", 4)) {
			for (size_t q = desc; dend - q >= 8 && q < dend;) {
				uint32_t t[2], v = 0;

				memcpy(t, base + q, sizeof(t));
				if (t[1] > dend - q - 8)
					break;
				if (t[0] == GNU_PROPERTY_AARCH64_FEATURE_1_AND && t[1] >= 4) {
					memcpy(&v, base + q + 8, 4);
					return (v & GNU_PROPERTY_AARCH64_FEATURE_1_BTI) ? PROT_BTI
											: 0;
				}
				q += 8 + (((size_t)t[1] + 7) & ~(size_t)7);
			}
		}
		off = desc + (((size_t)h[1] + 7) & ~(size_t)7);
	}
	return 0;
}
