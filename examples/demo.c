// SPDX-License-Identifier: MIT
/*
 * The bundled example: a tiny expression evaluator with a recursive-descent
 * parser, a recursive Fibonacci and a worker thread. Built with
 * -fpatchable-function-entry=13,8 so every function can be traced.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct parser {
	const char *p;
};

static long expr(struct parser *ps);

static void skip_space(struct parser *ps)
{
	while (isspace((unsigned char)*ps->p))
		ps->p++;
}

static long number(struct parser *ps)
{
	long v = 0;

	skip_space(ps);
	if (*ps->p == '(') {
		ps->p++;
		v = expr(ps);
		skip_space(ps);
		if (*ps->p == ')')
			ps->p++;
		return v;
	}
	while (isdigit((unsigned char)*ps->p))
		v = v * 10 + (*ps->p++ - '0');
	return v;
}

static long term(struct parser *ps)
{
	long v = number(ps);

	for (;;) {
		skip_space(ps);
		if (*ps->p == '*') {
			ps->p++;
			v *= number(ps);
		} else if (*ps->p == '/') {
			long d;

			ps->p++;
			d = number(ps);
			v = d ? v / d : 0;
		} else {
			return v;
		}
	}
}

static long expr(struct parser *ps)
{
	long v = term(ps);

	for (;;) {
		skip_space(ps);
		if (*ps->p == '+') {
			ps->p++;
			v += term(ps);
		} else if (*ps->p == '-') {
			ps->p++;
			v -= term(ps);
		} else {
			return v;
		}
	}
}

long evaluate(const char *s)
{
	struct parser ps = {s};

	return expr(&ps);
}

long fib(int n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static void *worker(void *arg)
{
	long *out = arg;

	*out = fib(12);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *e = argc > 1 ? argv[1] : "2 * (3 + 4) - 10 / 5";
	pthread_t t;
	long f = 0;

	pthread_create(&t, NULL, worker, &f);
	printf("%s = %ld\n", e, evaluate(e));
	pthread_join(t, NULL);
	printf("fib(12) = %ld (worker thread), fib(8) = %ld\n", f, fib(8));
	return 0;
}
