// SPDX-License-Identifier: MIT
/* arch/generic/: default verbs of the architecture interface (see arch_generic.h). */
#include <errno.h>
#include <string.h>

#include "arch.h"

#ifndef ARCH_HAS_APPLY_STEP
/* Atomic stores as the arch's own naturally aligned stores; the others byte by byte. */
ARCH_TEXT_ACCESS void arch_apply_step(uintptr_t site, const struct arch_step *s)
{
	for (unsigned int i = 0; i < s->n; i++) {
		const struct arch_store *st = &s->st[i];
		uintptr_t p = site + st->off;

		if (i)
			__atomic_thread_fence(__ATOMIC_RELEASE);
		if (st->flags & ARCH_STORE_ATOMIC) {
			uint64_t v = 0;

			memcpy(&v, st->b, st->len);
			switch (st->len) {
			case 2:
				__atomic_store_n((volatile uint16_t *)p, (uint16_t)v,
						 __ATOMIC_RELAXED);
				break;
			case 4:
				__atomic_store_n((volatile uint32_t *)p, (uint32_t)v,
						 __ATOMIC_RELAXED);
				break;
			case 8:
				__atomic_store_n((volatile uint64_t *)p, v, __ATOMIC_RELAXED);
				break;
			}
			continue;
		}
		for (unsigned int k = 0; k < st->len; k++)
			((volatile uint8_t *)p)[k] = st->b[k];
	}
}
#endif

#ifndef ARCH_HAS_SYNC_FALLBACK
/* No way to serialize every core without membarrier. */
const char arch_sync_fallback_name[] = "none", arch_sync_fallback_what[] = "nothing";

int arch_sync_fallback_init(void)
{
	return -ENOSYS;
}

void arch_sync_fallback(void)
{
}
#endif

#ifndef ARCH_HAS_TEXT_PROT
int arch_text_prot(const void *note, size_t len)
{
	(void)note, (void)len;
	return 0;
}
#endif

#ifndef ARCH_HAS_CYCLES
bool arch_cycles_init(uint64_t *hz)
{
	*hz = 0;
	return false;
}
#endif
