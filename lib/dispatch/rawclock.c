// SPDX-License-Identifier: MIT
/*
 * The clock's state and what reads it on the hot path (rawclock.h):
 * lib/trace/clock.c calibrates and appends the mapping's segments.
 */
#include "rawclock.h"

bool frt_clock_cycles;
struct frt_clock_seg frt_clock_segs[FRT_CLOCK_SEGS];
unsigned int frt_clock_nsegs;
uint64_t frt_clock_mult; /* long-term rate, for durations */

const struct frt_clock_seg *frt_clock_seg_of(uint64_t raw, unsigned int n)
{
	unsigned int lo = 0, hi = n; /* the last segment whose start is <= raw */

	while (hi - lo > 1) {
		unsigned int mid = (lo + hi) / 2;

		if (frt_clock_segs[mid].raw <= raw)
			lo = mid;
		else
			hi = mid;
	}
	return &frt_clock_segs[lo];
}

uint64_t frt_clock_delta_ns(uint64_t d)
{
	if (!frt_clock_cycles)
		return d;
	return (uint64_t)(((unsigned __int128)d *
			   __atomic_load_n(&frt_clock_mult, __ATOMIC_RELAXED)) >>
			  32);
}
