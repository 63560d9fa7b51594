// SPDX-License-Identifier: MIT
/*
 * Cycle counter (arch_cycles) to CLOCK_MONOTONIC. Where the arch does not
 * know the counter's frequency, a 200 us calibration is off by up to ~50 ppm in
 * this kind of VM (measured against 1 s), which over an hour of tracing is
 * 0.2 s of drift against the system's clock and between processes. So the
 * mapping is piecewise linear: the flusher appends a segment at each
 * recalibration, starting where the previous one is at that moment (no step)
 * and with a rate that absorbs the error measured there over the next
 * interval. A raw value maps through the segment that covers it, so its ns
 * value does not depend on when it is converted (except a value read in
 * the moment the flusher appends a segment and converted by another thread
 * before the segment is published: the two segments differ there by well
 * under a nanosecond), and the mapping never decreases.
 */
#include "clock.h"

#define CAL_NS	    200000ULL	  /* the first calibration */
#define TICK_NS	    1000000000ULL /* then recalibrate every second, */
#define TICK_DOUBLE 256		  /* doubling the interval every 256 segments */
#define MAX_SLEW    500		  /* ppm: at most this much faster or slower */

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

static uint64_t rate(uint64_t dns, uint64_t draw)
{
	return draw ? (uint64_t)(((unsigned __int128)dns << 32) / draw) : 0;
}

void frt_clock_init_at(uint64_t raw0, uint64_t ns0, uint64_t raw1, uint64_t ns1)
{
	uint64_t m = rate(ns1 - ns0, raw1 - raw0);

	frt_clock_segs[0] = (struct frt_clock_seg){raw0, ns0, m};
	frt_clock_mult = m;
	__atomic_store_n(&frt_clock_nsegs, 1, __ATOMIC_RELEASE);
}

void frt_clock_init(void)
{
	uint64_t r0, n0, r, n, hz;

	frt_clock_cycles = arch_cycles_init(&hz);
	if (!frt_clock_cycles || frt_clock_nsegs)
		return;
	sample(&r0, &n0);
	if (hz) { /* the arch knows the rate: one second's worth of it */
		frt_clock_init_at(r0, n0, r0 + hz, n0 + 1000000000ULL);
		return;
	}
	do
		sample(&r, &n);
	while (n - n0 < CAL_NS);
	frt_clock_init_at(r0, n0, r, n);
}

/* the recalibration interval after segment @k - 1 */
static uint64_t interval_of(unsigned int k)
{
	return TICK_NS << ((k - 1) / TICK_DOUBLE < 16 ? (k - 1) / TICK_DOUBLE : 16);
}

uint64_t frt_clock_tick_at(uint64_t raw, uint64_t ns)
{
	unsigned int k = __atomic_load_n(&frt_clock_nsegs, __ATOMIC_ACQUIRE);
	const struct frt_clock_seg *first = &frt_clock_segs[0], *last;
	uint64_t interval = interval_of(k);
	uint64_t at, m_long, m;
	int64_t err, limit;

	if (!k || k >= FRT_CLOCK_SEGS)
		return UINT64_MAX;
	last = &frt_clock_segs[k - 1];
	if ((int64_t)(ns - last->ns) < (int64_t)interval)
		return (int64_t)(ns - last->ns) < 0 ? interval : interval - (ns - last->ns);
	if (raw <= last->raw) /* a lagging core's counter: next time */
		return TICK_NS;
	at = frt_clock_to_ns(raw);
	m_long = rate(ns - first->ns, raw - first->raw);
	/* a sample off by more than any calibration error: a bad sample, skip it */
	if (m_long > first->mult + first->mult / 1000 || m_long < first->mult - first->mult / 1000)
		return TICK_NS;
	/* ahead (err < 0) or behind: made up over the next interval, within MAX_SLEW */
	err = (int64_t)(ns - at);
	limit = (int64_t)(interval / 1000000 * MAX_SLEW);
	if (err > limit)
		err = limit;
	if (err < -limit)
		err = -limit;
	m = (uint64_t)((unsigned __int128)m_long * (uint64_t)((int64_t)interval + err) / interval);
	frt_clock_segs[k] = (struct frt_clock_seg){raw, at, m};
	__atomic_store_n(&frt_clock_mult, m_long, __ATOMIC_RELAXED);
	__atomic_store_n(&frt_clock_nsegs, k + 1, __ATOMIC_RELEASE);
	return interval;
}

uint64_t frt_clock_tick(void)
{
	unsigned int k = __atomic_load_n(&frt_clock_nsegs, __ATOMIC_ACQUIRE);
	uint64_t r, n, since;

	if (!frt_clock_cycles || !k || k >= FRT_CLOCK_SEGS)
		return UINT64_MAX;
	/*
	 * The flusher calls this on every wake-up: one counter read through the
	 * mapping (right to microseconds) says whether a recalibration is due,
	 * before the samples, which cost some 40 times as much.
	 */
	since = frt_clock_to_ns(frt_clock_raw()) - frt_clock_segs[k - 1].ns;
	if ((int64_t)since >= 0 && since < interval_of(k))
		return interval_of(k) - since;
	sample(&r, &n);
	return frt_clock_tick_at(r, n);
}
