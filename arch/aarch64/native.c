// SPDX-License-Identifier: MIT
/*
 * aarch64's native verbs: the counter's frequency and the sync fallback
 * (flush and apply_step are arch/generic/'s).
 */
#include <errno.h>
#include <stdbool.h>

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
