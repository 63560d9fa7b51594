// SPDX-License-Identifier: MIT
/*
 * Graph ops (ftrace_rt_register_graph): the entry callback decides which
 * returns are hooked; the return callback sees each hooked call's return
 * value and duration, frames left by longjmp as unwound, and nothing after
 * unregistering. This file is built with patchable entries: its own
 * functions are the sites. The program links the runtime and records
 * nothing: the graph ops work without a tracer.
 */
#include <check.h>
#include "run_suite.h"
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ftrace_rt/ftrace_rt.h>

/* noipa: GCC must not specialise the callers on these; clang has no such attribute, and
 * does not change what an external function returns */
#ifdef __clang__
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noipa))
#endif

NOINLINE long g_fib(long n);
/* called through a pointer: the compiler cannot fold the recursion */
static long (*volatile fib_p)(long) = g_fib;
static volatile int sink;

NOINLINE long g_fib(long n)
{
	return n < 2 ? n : fib_p(n - 1) + fib_p(n - 2);
}

NOINLINE long g_spin(long ns)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < ns);
	return ns;
}

static jmp_buf jb;

NOINLINE void g_jump(int n);
static void (*volatile jump_p)(int) = g_jump;

NOINLINE void g_jump(int n)
{
	if (!n)
		longjmp(jb, 1);
	jump_p(n - 1);
	sink++; /* not a tail call: every level keeps its frame */
}

static long expect_fib(long n)
{
	long a = 0, b = 1;

	while (n--) {
		long c = a + b;

		a = b;
		b = c;
	}
	return a;
}

struct rec {
	struct ftrace_rt_fgraph_ops g;
	long args[64]; /* argument of each open hooked call */
	int depth;     /* open hooked calls */
	long entries, hooked, returns, unwound, bad, decline_odd;
	unsigned long long min_ns;
};

static int on_entry(struct ftrace_rt_graph_ent *ent, struct ftrace_rt_fgraph_ops *g,
		    struct ftrace_rt_regs *regs)
{
	struct rec *r = (struct rec *)g;
	long n = (long)ftrace_rt_regs_get_arg(regs, 0);

	r->entries++;
	if (r->decline_odd && (n & 1))
		return 0;
	if (r->depth < 64)
		r->args[r->depth] = n;
	r->depth++;
	r->hooked++;
	(void)ent;
	return 1;
}

static void on_return(struct ftrace_rt_graph_ret *ret, struct ftrace_rt_fgraph_ops *g)
{
	struct rec *r = (struct rec *)g;
	long n;

	if (r->depth <= 0) {
		r->bad++;
		return;
	}
	n = r->args[--r->depth];
	if (ret->flags & FTRACE_RT_GRAPH_RET_UNWOUND) {
		r->unwound++;
		return;
	}
	r->returns++;
	if (ret->rettime < ret->calltime)
		r->bad++;
	if (ret->func == (unsigned long)g_fib && (long)ret->retval != expect_fib(n))
		r->bad++;
	if (ret->func == (unsigned long)g_spin) {
		if ((long)ret->retval != n)
			r->bad++;
		if (r->min_ns == 0 || ret->rettime - ret->calltime < r->min_ns)
			r->min_ns = ret->rettime - ret->calltime;
	}
}

static void rec_init(struct rec *r, const char *filter)
{
	memset(r, 0, sizeof(*r));
	r->g.entryfunc = on_entry;
	r->g.retfunc = on_return;
	ck_assert_int_eq(ftrace_rt_set_filter(&r->g.ops, filter, 1), 0);
}

/* calls of g_fib(n), recursion included */
static long fib_calls(long n)
{
	return n < 2 ? 1 : 1 + fib_calls(n - 1) + fib_calls(n - 2);
}

START_TEST(test_return_values)
{
	struct rec r;

	rec_init(&r, "g_fib");
	ck_assert_int_eq(ftrace_rt_register_graph(&r.g), 0);
	ck_assert_int_eq(g_fib(15), 610);
	ck_assert_int_eq(ftrace_rt_unregister_graph(&r.g), 0);
	ck_assert_int_eq(r.entries, fib_calls(15));
	ck_assert_int_eq(r.returns, fib_calls(15));
	ck_assert_int_eq(r.bad, 0);
	ck_assert_int_eq(r.depth, 0);
	/* nothing after unregistering */
	g_fib(10);
	ck_assert_int_eq(r.entries, fib_calls(15));
	ck_assert_int_eq(ftrace_rt_unregister_graph(&r.g), -ENOENT);
}
END_TEST

START_TEST(test_entry_decides)
{
	struct rec r;
	long hooked = 0;

	rec_init(&r, "g_fib");
	r.decline_odd = 1;
	ck_assert_int_eq(ftrace_rt_register_graph(&r.g), 0);
	g_fib(12);
	ck_assert_int_eq(ftrace_rt_unregister_graph(&r.g), 0);
	/* calls with an even argument: fib_calls counts each n; count them directly */
	for (long n = 12, k; n >= 0; n--) {
		/* calls of g_fib(n) inside g_fib(12): fib(12 - n + 1), and one for n = 0 */
		k = n == 0 ? expect_fib(12 - 1) : expect_fib(12 - n + 1);
		if (!(n & 1))
			hooked += k;
	}
	ck_assert_int_eq(r.entries, fib_calls(12));
	ck_assert_int_eq(r.hooked, hooked);
	ck_assert_int_eq(r.returns, hooked);
	ck_assert_int_eq(r.bad, 0);
}
END_TEST

START_TEST(test_duration)
{
	struct rec r;

	rec_init(&r, "g_spin");
	ck_assert_int_eq(ftrace_rt_register_graph(&r.g), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(g_spin(2000000), 2000000);
	ck_assert_int_eq(ftrace_rt_unregister_graph(&r.g), 0);
	ck_assert_int_eq(r.returns, 3);
	ck_assert_int_eq(r.bad, 0);
	ck_assert_uint_ge(r.min_ns, 2000000);
	ck_assert_uint_lt(r.min_ns, 2000000000ULL);
}
END_TEST

START_TEST(test_unwound_and_two_ops)
{
	struct rec a, b;
	volatile int jumped = 0;

	rec_init(&a, "g_jump g_fib");
	rec_init(&b, "g_fib");
	ck_assert_int_eq(ftrace_rt_register_graph(&a.g), 0);
	ck_assert_int_eq(ftrace_rt_register_graph(&b.g), 0);
	ck_assert_int_eq(ftrace_rt_register_graph(&b.g), -EBUSY);
	if (!setjmp(jb))
		g_jump(5);
	else
		jumped = 1;
	ck_assert_int_eq(jumped, 1);
	/* the 6 abandoned frames end as unwound when the next call is hooked */
	ck_assert_int_eq(g_fib(6), 8);
	ck_assert_int_eq(a.unwound, 6);
	/* both ops saw every return of g_fib, with the right values */
	ck_assert_int_eq(a.returns, fib_calls(6));
	ck_assert_int_eq(b.returns, fib_calls(6));
	ck_assert_int_eq(ftrace_rt_unregister_graph(&b.g), 0);
	g_fib(3);
	ck_assert_int_eq(b.returns, fib_calls(6));
	ck_assert_int_eq(a.returns, fib_calls(6) + fib_calls(3));
	ck_assert_int_eq(ftrace_rt_unregister_graph(&a.g), 0);
	ck_assert_int_eq(a.bad, 0);
	ck_assert_int_eq(b.bad, 0);
}
END_TEST

START_TEST(test_errors)
{
	struct ftrace_rt_fgraph_ops g;

	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(ftrace_rt_register_graph(NULL), -EINVAL);
	ck_assert_int_eq(ftrace_rt_register_graph(&g), -EINVAL);
	ck_assert_int_eq(ftrace_rt_unregister_graph(&g), -ENOENT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("graph");
	TCase *tc = tcase_create("graph");

	tcase_add_test(tc, test_return_values);
	tcase_add_test(tc, test_entry_decides);
	tcase_add_test(tc, test_duration);
	tcase_add_test(tc, test_unwound_and_two_ops);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
