// SPDX-License-Identifier: MIT
/*
 * Library calls through the executable's PLT, for test_libcall.py.
 *
 *   lc_prog tree      a fixed call tree: libc calls from traced functions,
 *                     libc calling back into the executable (qsort)
 *   lc_prog special   calls that return twice or never: setjmp/longjmp, a
 *                     vfork child calling libc before _exit, a fork child
 *   lc_prog stress N  N threads call libc functions through the PLT and check
 *                     every result, until stdin reaches its end; prints the
 *                     number of calls; exit status 1 if any result was wrong
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static jmp_buf env;
static volatile int stop, bad;

__attribute__((noinline)) int cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

__attribute__((noinline)) void jump(void)
{
	longjmp(env, 1);
}

__attribute__((noinline)) int work(int n)
{
	char *p = malloc(64);
	int v[4] = {3, 1, 2, 0};

	memset(p, 'x', 10);
	p[10] = 0;
	n += (int)strlen(p);
	free(p);
	qsort(v, 4, sizeof(v[0]), cmp);
	return n + v[3];
}

__attribute__((noinline)) int leaf(int x)
{
	return x * 3 + 1;
}

static void *worker(void *arg)
{
	char src[64], dst[64];
	unsigned long n = 0;

	(void)arg;
	memset(src, 'a', sizeof(src) - 1);
	src[sizeof(src) - 1] = 0;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		int i = (int)(n % 50);

		memcpy(dst, src, (size_t)i);
		dst[i] = 0;
		if (strlen(dst) != (size_t)i || abs(-i) != i || atoi("1234") != 1234 ||
		    leaf(i) != i * 3 + 1) {
			__atomic_store_n(&bad, 1, __ATOMIC_RELAXED);
			break;
		}
		n++;
	}
	return (void *)n;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "tree")) {
		char buf[32];

		snprintf(buf, sizeof(buf), "%d", work(1) + leaf(getpid() > 0));
		printf("%s\n", buf);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "special")) {
		volatile int jumped = 0;
		int st = -1;
		pid_t pid;

		if (!setjmp(env))
			jump();
		else
			jumped = 1;
		pid = vfork();
		if (!pid) {
			close(-1); /* libc calls in a vfork child: the parent's state is shared */
			_exit(leaf(1) == 4 ? 0 : 1);
		}
		waitpid(pid, &st, 0);
		if (st)
			return 1;
		pid = fork();
		if (!pid)
			exit(leaf(2) == 7 ? 0 : 1);
		waitpid(pid, &st, 0);
		printf("special %s\n", jumped && !st ? "ok" : "WRONG");
		return st;
	}
	if (argc >= 3 && !strcmp(argv[1], "stress")) {
		int nt = atoi(argv[2]);
		pthread_t th[64];
		unsigned long total = 0;
		char buf[64];

		if (nt < 1 || nt > 64)
			return 2;
		for (int i = 0; i < nt; i++)
			pthread_create(&th[i], NULL, worker, NULL);
		while (fgets(buf, sizeof(buf), stdin))
			;
		__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
		for (int i = 0; i < nt; i++) {
			void *r;

			pthread_join(th[i], &r);
			total += (unsigned long)r;
		}
		printf("%lu calls%s\n", total, bad ? ", WRONG RESULTS" : "");
		return bad;
	}
	fprintf(stderr, "usage: %s tree | special | stress NTHREADS\n", argv[0]);
	return 2;
}
