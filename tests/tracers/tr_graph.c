// SPDX-License-Identifier: MIT
/*
 * A fixed call tree for the graph filter and argument tests: the same
 * source is built with the runtime's flags and with -pg, so that uftrace's
 * own recording of the -pg build can be compared with ours.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NI __attribute__((noinline))

static volatile int sink;

/* at least @ns nanoseconds, whatever the machine's load */
NI void spin(long ns)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < ns);
}

NI int leaf(int x)
{
	sink = x;
	return x + 1;
}

NI int mid(int x)
{
	return leaf(x) + leaf(x + 1);
}

NI int top(int x)
{
	return mid(x) * 2 + leaf(x);
}

NI int skipme(int x)
{
	return mid(x) + 1;
}

NI long fib(int n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

NI int slow(int x)
{
	spin(20000000);
	return leaf(x);
}

NI int outer(int x)
{
	return slow(x) + mid(x);
}

NI const char *greet(const char *s)
{
	sink = s[0];
	return s;
}

NI double half(double d)
{
	return d / 2;
}

NI long mix(int a, long b, unsigned char c, const char *s, double d)
{
	return a + b + c + s[0] + (long)d;
}

NI int ptrarg(const char *s, int n)
{
	return (s != 0) + n;
}

NI char chr(char c, short h)
{
	return (char)(c + h);
}

NI float fhalf(float f)
{
	return f / 2;
}

/* one round of calls; with "wait", one round per line read (the control test) */
NI long round_of_calls(void)
{
	long r = 0;

	r += top(1);
	r += skipme(2);
	r += fib(5);
	r += outer(3);
	r += top(4);
	r += greet("hello")[1];
	r += (long)half(3.0);
	r += mix(-7, 1L << 40, 200, "str", 2.5);
	r += ptrarg(0, 1) + ptrarg((const char *)16, 2);
	r += chr('a', -3) + (long)fhalf(5.0f);
	return r;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	char line[64];
	long r = 0;

	if (argc > 2) {
		setvbuf(stdout, NULL, _IOLBF, 0);
		while (fgets(line, sizeof(line), stdin)) {
			r += round_of_calls();
			printf("round %ld\n", r);
		}
		return 0;
	}
	for (int i = 0; i < n; i++) {
		r += top(1);
		r += skipme(2);
		r += fib(5);
		r += outer(3);
		r += top(4);
		r += greet("hello")[1];
		r += (long)half(3.0);
		r += mix(-7, 1L << 40, 200, "str", 2.5);
		r += ptrarg(0, 1) + ptrarg((const char *)16, 2);
		r += chr('a', -3) + (long)fhalf(5.0f);
	}
	printf("result %ld\n", r);
	return 0;
}
