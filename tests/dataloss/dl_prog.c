// SPDX-License-Identifier: MIT
/*
 * Deaths that skip exit(), and calls that cannot be recorded.
 * usage: dl_prog MODE [N]
 *   wait      N calls of leaf() inside work(), "ready", then wait for a signal
 *   segv, fpe, abort, _exit   the same, then die that way inside work()
 *   handler   its own SIGTERM handler; "ready"; returns normally once it ran
 *   ignore    SIGHUP ignored; "ready"; goes on after a line on stdin
 *   query     what sigaction() and signal() report for untouched fatal signals
 *   threads   16 threads, each N calls of leaf() inside thread_body()
 *   busy      4 threads calling leaf() without end; "ready" once they all
 *             have; wait for a signal
 *   orphan    forks; the parent exits at once, the child calls child_work()
 *             (the child's atfork handler in libdl_forkwait.so waits until
 *             it has been re-parented)
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

void dl_forkwait_enable(void);

static __thread volatile long sink; /* per thread: threads call leaf() at once */
static volatile sig_atomic_t got;

NOINLINE void leaf(void)
{
	sink++;
}

static void ready(void)
{
	printf("ready\n");
	fflush(stdout);
}

NOINLINE void crash(void)
{
	*(volatile int *)(sink - sink) = 1;
}

NOINLINE void work(const char *mode, int n)
{
	for (int i = 0; i < n; i++)
		leaf();
	if (!strcmp(mode, "wait")) {
		ready();
		for (;;)
			pause();
	} else if (!strcmp(mode, "segv")) {
		crash();
	} else if (!strcmp(mode, "fpe")) {
#if defined(__x86_64__) || defined(__i386__)
		static volatile int zero;

		sink = n / zero; /* the CPU traps */
#else
		/* an integer division by zero gives 0 here (aarch64): the signal itself */
		raise(SIGFPE);
#endif
	} else if (!strcmp(mode, "abort")) {
		abort();
	} else if (!strcmp(mode, "_exit")) {
		_exit(5);
	}
	sink--;
}

static void on_term(int sig)
{
	(void)sig;
	got = 1;
}

NOINLINE void *thread_body(void *arg)
{
	for (long i = 0; i < (long)arg; i++)
		leaf();
	return NULL;
}

static int spinning;

NOINLINE void *spin(void *arg)
{
	for (int i = 0; i < 1000; i++)
		leaf();
	__atomic_fetch_add(&spinning, 1, __ATOMIC_RELEASE);
	for (;;)
		leaf();
	return arg;
}

NOINLINE void child_work(int n)
{
	for (int i = 0; i < n; i++)
		leaf();
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "wait";
	int n = argc > 2 ? atoi(argv[2]) : 100;

	if (!strcmp(mode, "handler")) {
		struct sigaction sa = {.sa_handler = on_term}, old;

		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, &old);
		printf("old handler %s\n", old.sa_handler == SIG_DFL ? "SIG_DFL" : "other");
		for (int i = 0; i < n; i++)
			leaf();
		ready();
		while (!got)
			pause();
		printf("handled\n");
	} else if (!strcmp(mode, "ignore")) {
		char line[64];

		signal(SIGHUP, SIG_IGN);
		for (int i = 0; i < n; i++)
			leaf();
		ready();
		if (fgets(line, sizeof(line), stdin))
			printf("survived\n");
	} else if (!strcmp(mode, "query")) {
		struct sigaction old, dfl = {.sa_handler = SIG_DFL};
		int bad = 0;

		for (int sig = 1; sig < 32; sig++) {
			if (sig == SIGKILL || sig == SIGSTOP)
				continue;
			sigaction(sig, NULL, &old);
			if (old.sa_handler != SIG_DFL && sig != SIGPIPE) /* a pipe may be ignored */
				printf("signal %d: not SIG_DFL\n", sig), bad++;
		}
		if (signal(SIGINT, SIG_DFL) != SIG_DFL)
			printf("signal(SIGINT) did not return SIG_DFL\n"), bad++;
		/* restored to the default: dying of it still writes the trace */
		sigaction(SIGTERM, &dfl, &old);
		if (old.sa_handler != SIG_DFL)
			printf("sigaction(SIGTERM) did not report SIG_DFL\n"), bad++;
		printf("query: %d problems\n", bad);
		for (int i = 0; i < n; i++)
			leaf();
		fflush(stdout);
		raise(SIGTERM);
	} else if (!strcmp(mode, "threads")) {
		pthread_t t[16];

		for (int k = 0; k < 16; k++)
			pthread_create(&t[k], NULL, thread_body, (void *)(long)n);
		for (int k = 0; k < 16; k++)
			pthread_join(t[k], NULL);
		printf("threads done\n");
	} else if (!strcmp(mode, "busy")) {
		pthread_t t;

		for (int k = 0; k < 4; k++)
			pthread_create(&t, NULL, spin, NULL);
		while (__atomic_load_n(&spinning, __ATOMIC_ACQUIRE) < 4)
			sched_yield(); /* every thread is writing records */
		ready();
		for (;;)
			pause();
	} else if (!strcmp(mode, "orphan")) {
		dl_forkwait_enable();
		leaf();
		fflush(stdout);
		if (fork())
			exit(0);
		child_work(n);
		printf("child done, ppid %d\n", (int)getppid());
	} else {
		work(mode, n);
	}
	return 0;
}
