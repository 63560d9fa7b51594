// SPDX-License-Identifier: MIT
/*
 * Programs for the ftrace-rt command's tests: recursion, mutual recursion
 * and threads, so that report totals can be compared with uftrace's.
 *   tl_prog fib N | mutual N | tree N | threads NTHREADS N | calls N
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

NOINLINE int fib(int n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

NOINLINE int is_odd(int n);

NOINLINE int is_even(int n)
{
	return n == 0 ? 1 : is_odd(n - 1);
}

NOINLINE int is_odd(int n)
{
	return n == 0 ? 0 : is_even(n - 1);
}

struct node {
	int key;
	struct node *l, *r;
};

NOINLINE struct node *insert(struct node *t, int key)
{
	if (!t) {
		t = calloc(1, sizeof(*t));
		t->key = key;
	} else if (key < t->key) {
		t->l = insert(t->l, key);
	} else {
		t->r = insert(t->r, key);
	}
	return t;
}

static void tree_free(struct node *t)
{
	if (t) {
		tree_free(t->l);
		tree_free(t->r);
		free(t);
	}
}

NOINLINE int leaf(int x)
{
	return x * 3 + 1;
}

static int nloop = 10;

NOINLINE void *worker(void *arg)
{
	long id = (long)arg;
	int s = 0;

	for (int i = 0; i < nloop; i++)
		s += fib(6) + is_even(i) + leaf((int)id);
	return (void *)(long)s;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "fib";
	int n = argc > 2 ? atoi(argv[2]) : 10;

	if (!strcmp(mode, "fib")) {
		printf("fib(%d) = %d\n", n, fib(n));
	} else if (!strcmp(mode, "mutual")) {
		printf("is_even(%d) = %d\n", n, is_even(n));
	} else if (!strcmp(mode, "tree")) {
		struct node *t = NULL;
		unsigned int x = 12345;

		for (int i = 0; i < n; i++) {
			x = x * 1103515245 + 12345;
			t = insert(t, (int)(x >> 8) % 1000);
		}
		printf("tree of %d\n", n);
		tree_free(t);
	} else if (!strcmp(mode, "threads")) {
		pthread_t th[64];
		int nt = n > 64 ? 64 : n;

		nloop = argc > 3 ? atoi(argv[3]) : 10;
		for (long i = 0; i < nt; i++)
			pthread_create(&th[i], NULL, worker, (void *)i);
		for (int i = 0; i < nt; i++)
			pthread_join(th[i], NULL);
		worker((void *)99L);
		printf("%d threads\n", nt);
	} else if (!strcmp(mode, "calls")) {
		long s = 0;

		for (int i = 0; i < n; i++)
			s += leaf(i);
		printf("sum %ld\n", s);
	} else {
		fprintf(stderr, "unknown mode %s\n", mode);
		return 2;
	}
	return 0;
}
