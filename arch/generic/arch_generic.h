/* SPDX-License-Identifier: MIT */
/*
 * arch/generic/: the defaults of the architecture interface (arch/arch.h)
 * for what an architecture has nothing special about. An arch_impl.h that
 * defines ARCH_HAS_<VERB> provides that verb itself; the inline defaults are
 * here, the others in arch/generic/defaults.c.
 */
#ifndef FRT_ARCH_GENERIC_H
#define FRT_ARCH_GENERIC_H

#include <stdint.h>

#ifndef ARCH_HAS_FLUSH
/* The compiler's own I-cache maintenance for a written range. */
static inline void arch_flush(uintptr_t start, size_t len)
{
	__builtin___clear_cache((char *)start, (char *)(start + len));
}
#endif

#ifndef ARCH_HAS_CYCLES
/* No cycle counter: arch_cycles_init() says so and lib/trace reads CLOCK_MONOTONIC. */
static inline uint64_t arch_cycles(void)
{
	return 0;
}
#endif

#endif
