// SPDX-License-Identifier: MIT
#include <cpuid.h>

#include "clock.h"

bool frt_clock_tsc;

uint64_t frt_clock_base_raw, frt_clock_base_ns, frt_clock_mult;

static bool invariant_tsc(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(0x80000000, &a, &b, &c, &d) || a < 0x80000007)
		return false;
	__get_cpuid(0x80000007, &a, &b, &c, &d);
	return d & (1u << 8);
}

/* A (raw, ns) pair taken as close together as we can: the tightest of a few tries. */
static void sample(uint64_t *raw, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 5; i++) {
		uint64_t r0 = frt_clock_raw(), n = frt_clock_mono_ns(), r1 = frt_clock_raw();

		if (r1 - r0 < best) {
			best = r1 - r0;
			*raw = r0 + (r1 - r0) / 2;
			*ns = n;
		}
	}
}

void frt_clock_init(void)
{
	uint64_t r, n;

	frt_clock_tsc = invariant_tsc();
	if (!frt_clock_tsc || frt_clock_mult)
		return;
	sample(&frt_clock_base_raw, &frt_clock_base_ns);
	do
		sample(&r, &n);
	while (n - frt_clock_base_ns < 200000);
	frt_clock_mult = (uint64_t)(((unsigned __int128)(n - frt_clock_base_ns) << 32) /
				    (r - frt_clock_base_raw));
}

uint64_t frt_clock_delta_ns(uint64_t d)
{
	if (!frt_clock_tsc)
		return d;
	return (uint64_t)(((unsigned __int128)d * frt_clock_mult) >> 32);
}
