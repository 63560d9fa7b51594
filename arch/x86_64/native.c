// SPDX-License-Identifier: MIT
/*
 * x86_64's native verbs (arch/arch.h): applying a plan's step to a live
 * site, the cycle counter's check, and the sync fallback.
 */
#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch.h"

/* One 16-bit store, explicitly: a C store through a misaligned pointer is UB. */
static inline void store16(uint8_t *p, uint16_t v)
{
	__asm__ volatile("movw %1, %0" : "=m"(*(volatile uint16_t *)p) : "r"(v) : "memory");
}

/* Atomic stores are the 16-bit heads (x86_64_plan_site); the rest byte by byte. */
ARCH_TEXT_ACCESS void arch_apply_step(uintptr_t site, const struct arch_step *s)
{
	for (unsigned int i = 0; i < s->n; i++) {
		const struct arch_store *st = &s->st[i];
		volatile uint8_t *p = (volatile uint8_t *)(site + st->off);

		if (i)
			__atomic_thread_fence(__ATOMIC_RELEASE);
		if (st->flags & ARCH_STORE_ATOMIC) {
			store16((uint8_t *)p, (uint16_t)(st->b[0] | st->b[1] << 8));
			continue;
		}
		for (unsigned int k = 0; k < st->len; k++)
			p[k] = st->b[k];
	}
}

/* The TSC is usable when invariant (constant rate, counting in every C-state). */
bool arch_cycles_init(uint64_t *hz)
{
	unsigned int a, b, c, d;

	*hz = 0; /* calibrated against CLOCK_MONOTONIC */
	if (!__get_cpuid(0x80000000, &a, &b, &c, &d) || a < 0x80000007)
		return false;
	__get_cpuid(0x80000007, &a, &b, &c, &d);
	return d & (1u << 8);
}

/*
 * Without membarrier SYNC_CORE: an mprotect that removes a permission from a
 * page this process has touched makes the kernel shoot down the TLB on every
 * CPU running this mm with an IPI; returning from that interrupt (IRET) is
 * serializing. Threads not running at that moment will enter user mode again
 * through the kernel.
 */
const char arch_sync_fallback_name[] = "tlb-shootdown",
	   arch_sync_fallback_what[] = "TLB shootdowns";
static volatile char *ipi_page;

int arch_sync_fallback_init(void)
{
	void *p;

	if (ipi_page)
		return 0;
	p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -ENOSYS;
	ipi_page = p;
	return 0;
}

void arch_sync_fallback(void)
{
	if (ipi_page) {
		size_t psz = (size_t)sysconf(_SC_PAGESIZE);

		ipi_page[0]++; /* make the page present so there is a TLB entry to shoot */
		mprotect((void *)ipi_page, psz, PROT_READ);
		mprotect((void *)ipi_page, psz, PROT_READ | PROT_WRITE);
	}
}
