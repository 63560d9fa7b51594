// SPDX-License-Identifier: MIT
/*
 * Unit tests: the TSC to CLOCK_MONOTONIC mapping. A simulated TSC runs at
 * 2.6 GHz; the first calibration is off by 100 ppm (what a 200 us
 * calibration gives in a VM, and more) and samples carry +-40 ns of jitter.
 * Recalibration must hold the error to microseconds where the first
 * calibration alone drifts by milliseconds, never step or go backwards, and
 * keep the segment table bounded.
 */
#include <check.h>
#include "run_suite.h"
#include <stdint.h>
#include <stdlib.h>

#include "clock.h"

#define HZ   2600000000ULL
#define RAW0 1000000000000ULL /* the TSC at T0 */
#define T0   1000000000000ULL /* CLOCK_MONOTONIC when tracing starts: 1000 s */

/* the TSC at T0 + t */
static uint64_t raw_at(uint64_t t)
{
	return RAW0 + (uint64_t)((unsigned __int128)t * HZ / 1000000000ULL);
}

/* a tick at T0 + t, the clock read with @j ns of error */
static void tick(uint64_t t, int64_t j)
{
	frt_clock_tick_at(raw_at(t), T0 + (uint64_t)((int64_t)t + j));
}

static int64_t jitter(unsigned int *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (int64_t)((*seed >> 8) % 81) - 40;
}

static void reset(void)
{
	frt_clock_cycles = true;
	frt_clock_nsegs = 0;
	/* 200 us measured as 200.02 us: the rate is 100 ppm fast */
	frt_clock_init_at(raw_at(0), T0, raw_at(200000), T0 + 200020);
}

static int64_t err_at(uint64_t t)
{
	return (int64_t)(frt_clock_to_ns(raw_at(t)) - (T0 + t));
}

START_TEST(test_drift_without_ticks)
{
	reset();
	/* the premise: uncorrected, 100 ppm is 60 ms after 10 minutes */
	ck_assert_int_gt(err_at(600000000000ULL), 59000000);
}
END_TEST

START_TEST(test_ticks_hold_the_error)
{
	unsigned int seed = 1;
	uint64_t t;
	int64_t worst = 0;

	reset();
	for (t = 1000000000ULL; t <= 3000000000000ULL; t += 250000000ULL) {
		int64_t e;

		tick(t, jitter(&seed));
		if (t < 30000000000ULL)
			continue; /* converging: 500 ppm at most per interval */
		e = err_at(t + 123456789);
		if (e < 0)
			e = -e;
		if (e > worst)
			worst = e;
	}
	ck_assert_msg(worst < 2000, "worst error after convergence %lld ns", (long long)worst);
	ck_assert_uint_lt(frt_clock_nsegs, FRT_CLOCK_SEGS);
	ck_assert_uint_gt(frt_clock_nsegs, 600);
}
END_TEST

START_TEST(test_monotonic_and_continuous)
{
	unsigned int seed = 7;
	uint64_t t, prev = 0;

	reset();
	for (t = 1000000000ULL; t <= 100000000000ULL; t += 1000000000ULL)
		tick(t, jitter(&seed));
	ck_assert_uint_gt(frt_clock_nsegs, 50);
	/* at each segment start: no step, no going back */
	for (unsigned int k = 1; k < frt_clock_nsegs; k++) {
		uint64_t r = frt_clock_segs[k].raw;
		uint64_t before = frt_clock_to_ns(r - 1), at = frt_clock_to_ns(r);

		ck_assert_uint_le(before, at);
		ck_assert_uint_le(at - before, 2);
	}
	/* a sweep over the whole range, and a core whose TSC lags the first sample */
	for (uint64_t r = raw_at(0) - 1000000; r < raw_at(101000000000ULL); r += 9999991) {
		uint64_t ns = frt_clock_to_ns(r);

		ck_assert_uint_ge(ns, prev);
		prev = ns;
	}
	/* 1 us of ticks before the first sample */
	ck_assert_uint_le(frt_clock_to_ns(raw_at(0) - 2600), T0 - 999);
	ck_assert_uint_ge(frt_clock_to_ns(raw_at(0) - 2600), T0 - 1001);
}
END_TEST

START_TEST(test_not_due_and_odd_samples)
{
	uint64_t n;

	reset();
	n = frt_clock_nsegs;
	/* not due yet: nothing appended, and the wait until due is returned */
	ck_assert_uint_eq(frt_clock_tick_at(raw_at(400000000ULL), T0 + 400000000ULL), 600000000ULL);
	ck_assert_uint_eq(frt_clock_nsegs, n);
	/* due, but a raw value behind the last segment (a lagging core): skipped */
	ck_assert_uint_gt(frt_clock_tick_at(raw_at(0) - 5, T0 + 2000000000ULL), 0);
	ck_assert_uint_eq(frt_clock_nsegs, n);
	/* a sample 50 ms off at 2 s (2.5%): not a calibration error, skipped */
	tick(2000000000ULL, 50000000);
	ck_assert_uint_eq(frt_clock_nsegs, n);
	/* 2 ms off at 10 s: slewed at 500 ppm over the next second, never stepped */
	tick(10000000000ULL, 2000000);
	ck_assert_uint_eq(frt_clock_nsegs, n + 1);
	{
		int64_t d = (int64_t)(frt_clock_to_ns(raw_at(11000000000ULL)) -
				      frt_clock_to_ns(raw_at(10000000000ULL))) -
			    1000000000;

		ck_assert_int_ge(d, 0);
		ck_assert_int_le(d, 710000);
	}
	/* durations use the long-term rate */
	ck_assert_uint_ge(frt_clock_delta_ns(HZ), 999000000ULL);
	ck_assert_uint_le(frt_clock_delta_ns(HZ), 1001000000ULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("clock");
	TCase *tc = tcase_create("clock");

	tcase_add_test(tc, test_drift_without_ticks);
	tcase_add_test(tc, test_ticks_hold_the_error);
	tcase_add_test(tc, test_monotonic_and_continuous);
	tcase_add_test(tc, test_not_due_and_odd_samples);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
