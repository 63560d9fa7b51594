// SPDX-License-Identifier: MIT
/*
 * Per-call cost of a tiny function. Built several times: without patchable
 * entries (the baseline) and in each layout. Modes:
 *   plain      just call it (the tracer decides from the environment)
 *   empty      one registered ops with an empty callback on tiny()
 *   empty2     two ops on tiny(): dispatch through the list ops
 *   emptynv    one ops with an empty callback that promised FTRACE_RT_OPS_F_NO_VECTOR
 *   threads    -t N threads calling concurrently (calls per second)
 * -c: a dependent chain, x = tiny(x): each call waits for the previous one's
 * result, so calls cannot overlap (without -c, s += tiny(i): they can)
 * Prints: ns_per_call calls lost
 *
 * usage: percall MODE [-c] [-n CALLS] [-r REPEATS] [-t THREADS]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef WITH_API
#include <ftrace_rt/ftrace_rt.h>
#endif

__attribute__((noinline)) int tiny(int x)
{
	__asm__ volatile("" ::: "memory"); /* not folded into the caller's loop */
	return x + 1;
}

static long calls = 10000000;
static int chain; /* -c: each call's result is the next call's argument */
static volatile long sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *loop(void *arg)
{
	long s = 0;
	(void)arg;

	if (chain) {
		int x = 0;

		/* a dependent chain: no call can start before the previous returns */
		for (long i = 0; i < calls; i++)
			x = tiny(x);
		s = x;
	} else {
		for (long i = 0; i < calls; i++)
			s += tiny((int)i);
	}
	sink += s;
	return NULL;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#ifdef WITH_API
static void empty(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		  struct ftrace_rt_regs *regs)
{
	(void)ip, (void)parent_ip, (void)op, (void)regs;
}
static struct ftrace_rt_ops ops1 = {.func = empty}, ops2 = {.func = empty};
#endif

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "plain";
	int repeats = 7, threads = 1, c;
	double t[64];

	optind = 2;
	while ((c = getopt(argc, argv, "cn:r:t:")) != -1) {
		switch (c) {
		case 'c':
			chain = 1;
			break;
		case 'n':
			calls = atol(optarg);
			break;
		case 'r':
			repeats = atoi(optarg);
			break;
		case 't':
			threads = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (repeats < 1 || repeats > 64 || threads < 1 || threads > 64)
		return 2;
#ifdef WITH_API
	if (!strcmp(mode, "emptynv"))
		ops1.flags = FTRACE_RT_OPS_F_NO_VECTOR;
	if (!strcmp(mode, "empty") || !strcmp(mode, "empty2") || !strcmp(mode, "emptynv")) {
		if (ftrace_rt_set_filter(&ops1, "tiny", 1) || ftrace_rt_register_ops(&ops1))
			return 3;
		if (!strcmp(mode, "empty2") &&
		    (ftrace_rt_set_filter(&ops2, "tiny", 1) || ftrace_rt_register_ops(&ops2)))
			return 3;
	}
#else
	if (strcmp(mode, "plain"))
		return 4;
#endif
	loop(NULL); /* warm up: page faults, first dispatch, buffers */
	for (int r = 0; r < repeats; r++) {
		pthread_t th[64];
		double t0 = now();

		if (threads == 1) {
			loop(NULL);
		} else {
			for (int i = 0; i < threads; i++)
				pthread_create(&th[i], NULL, loop, NULL);
			for (int i = 0; i < threads; i++)
				pthread_join(th[i], NULL);
		}
		/* per call as seen by one thread; with threads, wall time per call of each */
		t[r] = (now() - t0) * 1e9 / (double)calls;
	}
	qsort(t, (size_t)repeats, sizeof(*t), cmp_d);
	printf("%.3f %ld\n", t[repeats / 2], calls);
	return 0;
}
