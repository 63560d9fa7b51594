// SPDX-License-Identifier: MIT
/*
 * The floor of a recording tracer's per-call cost: what reading the time
 * costs here. function_graph reads it twice per call (entry and exit):
 * ftrace_rt the cycle counter (rdtsc, CNTVCT_EL0), uftrace clock_gettime().
 *
 * usage: clockread [READS]   prints "counter_ns clock_gettime_ns" per read,
 * each the median of 7 runs
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t counter(void)
{
#if defined(__x86_64__)
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); /* no fence: as the runtime reads it */
	return (uint64_t)hi << 32 | lo;
#elif defined(__aarch64__)
	uint64_t v;

	__asm__ volatile("mrs %0, cntvct_el0" : "=r"(v));
	return v;
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_nsec;
#endif
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 5000000;
	double c[7], g[7];
	volatile uint64_t sink = 0;

	for (int r = 0; r < 7; r++) {
		double t0 = now();

		for (long i = 0; i < n; i++)
			sink += counter();
		c[r] = (now() - t0) * 1e9 / (double)n;
		t0 = now();
		for (long i = 0; i < n; i++) {
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			sink += (uint64_t)ts.tv_nsec;
		}
		g[r] = (now() - t0) * 1e9 / (double)n;
	}
	qsort(c, 7, sizeof(*c), cmp_d);
	qsort(g, 7, sizeof(*g), cmp_d);
	printf("%.2f %.2f\n", c[3], g[3]);
	return 0;
}
