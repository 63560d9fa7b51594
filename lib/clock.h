/* SPDX-License-Identifier: MIT */
/*
 * Timestamps. The hot path reads the TSC (invariant on every x86_64 this
 * targets); raw values become CLOCK_MONOTONIC nanoseconds with one
 * calibration per process, measured over 200 us when recording starts and
 * never changed, so every conversion of the process (records, task lines)
 * agrees exactly and keeps the order of the raw values. Without an
 * invariant TSC, CLOCK_MONOTONIC is read directly (vDSO).
 */
#ifndef FRT_CLOCK_H
#define FRT_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

extern bool frt_clock_tsc __attribute__((visibility("hidden")));

static inline uint64_t frt_clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A raw timestamp: TSC ticks, or ns when there is no usable TSC. */
static inline uint64_t frt_clock_raw(void)
{
	if (__builtin_expect(frt_clock_tsc, 1)) {
		uint32_t lo, hi;

		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		return (uint64_t)hi << 32 | lo;
	}
	return frt_clock_mono_ns();
}

void frt_clock_init(void) __attribute__((visibility("hidden")));
/* A difference of raw timestamps in ns. */
uint64_t frt_clock_delta_ns(uint64_t raw_delta) __attribute__((visibility("hidden")));

/* ns = base_ns + (raw - base_raw) * mult >> 32; set once by frt_clock_init() */
extern uint64_t frt_clock_base_raw __attribute__((visibility("hidden")));
extern uint64_t frt_clock_base_ns __attribute__((visibility("hidden")));
extern uint64_t frt_clock_mult __attribute__((visibility("hidden")));

/* Raw timestamp to CLOCK_MONOTONIC ns. Inline: the flusher converts every record. */
static inline uint64_t frt_clock_to_ns(uint64_t raw)
{
	uint64_t m = frt_clock_mult, b = frt_clock_base_raw;

	if (!frt_clock_tsc)
		return raw;
	if (raw < b) /* a core whose TSC lags the one we calibrated on */
		return frt_clock_base_ns - (uint64_t)(((unsigned __int128)(b - raw) * m) >> 32);
	return frt_clock_base_ns + (uint64_t)(((unsigned __int128)(raw - b) * m) >> 32);
}

#endif
