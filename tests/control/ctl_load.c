// SPDX-License-Identifier: MIT
/*
 * A program under load for the control tests: worker threads call traced
 * functions without pause, checking every result, until SIGTERM; then it
 * exits normally (so the tracer writes its data) with status 0, or 1 if a
 * traced function ever returned a wrong value.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static volatile sig_atomic_t stop;
static volatile long bad;

NOINLINE long work_leaf(long x)
{
	return x * 3 + 1;
}

NOINLINE long work_mid(long x)
{
	return work_leaf(x) + work_leaf(x + 1);
}

NOINLINE long work_top(long x)
{
	return work_mid(x) - work_leaf(x);
}

static void *worker(void *arg)
{
	long x = (long)arg;
	struct timespec pause = {0, 200 * 1000};

	while (!stop) {
		/* bursts without pause; the pauses keep the trace data to some MB/s */
		for (int i = 0; i < 2000; i++) {
			if (work_top(x) != 3 * x + 4)
				bad++;
			x = (x + 1) % 100000;
		}
		nanosleep(&pause, NULL);
	}
	return NULL;
}

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4;
	pthread_t t[16];

	signal(SIGTERM, on_term);
	if (n < 1 || n > 16)
		return 2;
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, (void *)(long)i);
	printf("ready %d\n", (int)getpid());
	fflush(stdout);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("done bad=%ld\n", bad);
	return bad != 0;
}
