// SPDX-License-Identifier: MIT
/*
 * Calls that never return in the recording process: a forked child
 * returning from its parent's calls, exit() and pthread_exit() inside nested
 * calls. Built with the runtime's flags and with -pg, so that uftrace's own
 * recording of the -pg build can be compared with ours.
 *
 * usage: tr_fork fork|fork-exit|exit|thread-exit
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NI __attribute__((noinline))

static volatile int sink;

NI int leaf(int x)
{
	sink += x;
	return x + 1;
}

NI int child_work(int n)
{
	int s = 0;

	for (int i = 0; i < n; i++)
		s += leaf(i);
	return s;
}

/* weak: symbol files mark it so ('w'), and readers must still name its calls */
__attribute__((weak)) NI int parent_work(int n)
{
	return leaf(n) + leaf(n + 1);
}

NI void exit_inner(int code)
{
	leaf(code);
	fflush(stdout);
	exit(code);
}

NI void exit_outer(int code)
{
	leaf(1);
	exit_inner(code);
	leaf(2); /* never */
}

/* forks from two frames deep; the child returns through them, or exits inside */
NI int do_fork(int child_exits)
{
	pid_t pid;
	int st;

	leaf(7);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		child_work(3);
		if (child_exits)
			exit_outer(0);
		return 0;
	}
	/* nothing traced in the parent until the child is gone: a fixed order */
	waitpid(pid, &st, 0);
	return 1;
}

NI int forker(int child_exits)
{
	return do_fork(child_exits) + leaf(9);
}

NI void thr_inner(void)
{
	leaf(11);
	pthread_exit(NULL);
}

NI void *thr_body(void *arg)
{
	leaf(10);
	thr_inner();
	return arg;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "fork";

	leaf(0);
	if (!strcmp(mode, "fork") || !strcmp(mode, "fork-exit")) {
		int r = forker(!strcmp(mode, "fork-exit"));

		if (r > 1)
			parent_work(2);
		else
			child_work(2);
		printf("%s %s done\n", mode, r > 1 ? "parent" : "child");
	} else if (!strcmp(mode, "exit")) {
		exit_outer(3);
	} else if (!strcmp(mode, "thread-exit")) {
		pthread_t t;

		pthread_create(&t, NULL, thr_body, NULL);
		pthread_join(t, NULL);
		leaf(12);
		printf("thread-exit done\n");
	} else {
		fprintf(stderr, "unknown mode %s\n", mode);
		return 2;
	}
	return 0;
}
