/* SPDX-License-Identifier: MIT */
/*
 * Reading the clock on the hot path: the arch's cycle counter (arch_cycles,
 * arch/arch.h), or CLOCK_MONOTONIC (vDSO) where there is no usable one.
 * Raw values become CLOCK_MONOTONIC ns through the piecewise linear mapping
 * that lib/trace/clock.c (clock.h) calibrates and appends to.
 */
#ifndef FRT_RAWCLOCK_H
#define FRT_RAWCLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "arch.h"

/* the cycle counter is used (else raw values are ns) */
extern bool frt_clock_cycles __attribute__((visibility("hidden")));

static inline uint64_t frt_clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A raw timestamp: cycles, or ns when there is no usable counter. */
static inline uint64_t frt_clock_raw(void)
{
	if (__builtin_expect(frt_clock_cycles, 1))
		return arch_cycles();
	return frt_clock_mono_ns();
}

/* A difference of raw timestamps in ns. */
uint64_t frt_clock_delta_ns(uint64_t raw_delta) __attribute__((visibility("hidden")));

/*
 * The mapping, piecewise linear (see lib/trace/clock.c): ns = seg.ns + (raw - seg.raw)
 * * seg.mult >> 32 in the last segment starting at or before raw. Appended
 * by the flusher only; readers take a prefix of frt_clock_nsegs segments.
 */
struct frt_clock_seg {
	uint64_t raw, ns, mult;
};
#define FRT_CLOCK_SEGS 4096
extern struct frt_clock_seg frt_clock_segs[FRT_CLOCK_SEGS] __attribute__((visibility("hidden")));
extern unsigned int frt_clock_nsegs __attribute__((visibility("hidden")));
extern uint64_t frt_clock_mult __attribute__((visibility("hidden"))); /* long-term rate */
const struct frt_clock_seg *frt_clock_seg_of(uint64_t raw, unsigned int n)
	__attribute__((visibility("hidden")));

/* Raw timestamp to CLOCK_MONOTONIC ns. Inline: the flusher converts every record. */
static inline uint64_t frt_clock_to_ns(uint64_t raw)
{
	unsigned int n = __atomic_load_n(&frt_clock_nsegs, __ATOMIC_ACQUIRE);
	const struct frt_clock_seg *s;

	if (!frt_clock_cycles || !n)
		return raw;
	s = &frt_clock_segs[n - 1];
	if (raw < s->raw && n > 1)
		s = frt_clock_seg_of(raw, n);
	if (raw < s->raw) /* before the first calibration, or a core whose counter lags */
		return s->ns - (uint64_t)(((unsigned __int128)(s->raw - raw) * s->mult) >> 32);
	return s->ns + (uint64_t)(((unsigned __int128)(raw - s->raw) * s->mult) >> 32);
}

#endif
