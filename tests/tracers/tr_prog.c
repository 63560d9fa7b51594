// SPDX-License-Identifier: MIT
/*
 * Scenarios for the tracer tests; every traced function is called a known
 * number of times. Calls go through volatile pointers so the compiler keeps
 * every call.  usage: tr_prog MODE [N] [ARG]
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static volatile long sink;

NOINLINE void leaf(void)
{
	sink++;
}

NOINLINE long rec(int n);
static long (*volatile rec_p)(int) = rec;

NOINLINE long rec(int n)
{
	return n < 2 ? 1 : rec_p(n - 1) + rec_p(n - 2);
}

static jmp_buf jb;

NOINLINE void jump_deep(int n);
static void (*volatile jump_deep_p)(int) = jump_deep;

NOINLINE void jump_deep(int n)
{
	leaf();
	if (n)
		jump_deep_p(n - 1);
	else
		longjmp(jb, 1);
	sink--; /* keeps the call from being a tail call */
}

NOINLINE void jump_top(void)
{
	jump_deep(3);
	sink--;
}

NOINLINE void *thread_body(void *arg)
{
	for (long i = 0; i < (long)arg; i++)
		leaf();
	return NULL;
}

NOINLINE void in_handler(void)
{
	leaf();
}

static void handler(int sig)
{
	(void)sig;
	in_handler();
}

NOINLINE void raiser(int i)
{
	leaf();
	if (i % 2)
		raise(SIGUSR1);
	leaf();
}

NOINLINE long deep(int n);
static long (*volatile deep_p)(int) = deep;

NOINLINE long deep(int n)
{
	return n ? deep_p(n - 1) + 1 : 0;
}

NOINLINE void exit_inside(int code)
{
	leaf();
	exit(code);
}

NOINLINE void abort_inside(void)
{
	leaf();
	abort(); /* never returns: the buffered data is lost, nothing hangs */
}

NOINLINE void *exit_thread(void *arg)
{
	leaf();
	exit_inside((int)(long)arg);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "rec";
	int n = argc > 2 ? atoi(argv[2]) : 10;

	if (!strcmp(mode, "rec")) {
		printf("rec(%d) = %ld\n", n, rec(n));
	} else if (!strcmp(mode, "longjmp")) {
		volatile int i = 0;

		setjmp(jb);
		if (i++ < n)
			jump_top();
		for (int k = 0; k < 10; k++)
			leaf();
		printf("longjmp %d done\n", n);
	} else if (!strcmp(mode, "threads")) {
		for (int r = 0; r < n; r++) {
			pthread_t t[4];

			for (int k = 0; k < 4; k++)
				pthread_create(&t[k], NULL, thread_body, (void *)10L);
			for (int k = 0; k < 4; k++)
				pthread_join(t[k], NULL);
		}
		printf("threads %d done\n", n);
	} else if (!strcmp(mode, "fork")) {
		pid_t pid = fork();
		int st;

		for (int k = 0; k < (pid ? 50 : 100); k++)
			leaf();
		if (!pid)
			exit(0);
		waitpid(pid, &st, 0);
		printf("fork done, child status %d\n", st);
	} else if (!strcmp(mode, "exec")) {
		for (int k = 0; k < 10; k++)
			leaf();
		fflush(stdout);
		execl(argv[0], argv[0], "rec", "5", (char *)NULL);
		perror("execl");
		return 1;
	} else if (!strcmp(mode, "vfork")) {
		/* vfork+exec from inside traced frames; the parent's trace must stay whole */
		for (volatile int k = 0; k < 3; k++) {
			pid_t pid;
			int st;

			leaf();
			pid = vfork();
			if (!pid) {
				execl(argv[0], argv[0], "rec", "4", (char *)NULL);
				_exit(127);
			}
			waitpid(pid, &st, 0);
			leaf();
		}
		printf("vfork done\n");
	} else if (!strcmp(mode, "signal")) {
		signal(SIGUSR1, handler);
		for (int i = 0; i < n; i++)
			raiser(i);
		printf("signal %d done\n", n);
	} else if (!strcmp(mode, "deep")) {
		printf("deep(%d) = %ld\n", n, deep(n));
	} else if (!strcmp(mode, "exit")) {
		exit_inside(3);
	} else if (!strcmp(mode, "abort")) {
		leaf();
		abort_inside();
	} else if (!strcmp(mode, "exit-thread")) {
		pthread_t t;

		pthread_create(&t, NULL, exit_thread, (void *)4L);
		for (;;)
			leaf();
	} else if (!strcmp(mode, "calls")) {
		for (int i = 0; i < n; i++)
			leaf();
		printf("calls %d done\n", n);
	} else {
		return 2;
	}
	return 0;
}
