// SPDX-License-Identifier: MIT
/*
 * API and per-site state computation, through the public interface: which
 * sites are enabled for which set of ops, exact callback counts, errors,
 * recursion, and a constant number of syncs per transaction. This file is
 * built with patchable entries so its own functions are the sites.
 */
#include <check.h>
#include "run_suite.h"
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <ftrace_rt/ftrace_rt.h>

/*
 * What a site looks like here: its landing pad, where its call is (the whole
 * site on x86_64; the BL after MOV X9, X30 on aarch64) and a breakpoint
 * over the call's first bytes.
 */
#if defined(__aarch64__)
static const uint8_t pad[4] = {0x5f, 0x24, 0x03, 0xd5}; /* BTI c */
static const uint8_t brk[4] = {0x00, 0x00, 0x20, 0xd4}; /* BRK #0 */
#define CALL_OFF 4
static bool is_call(const uint8_t *p)
{
	return (p[3] & 0xfc) == 0x94; /* BL */
}
#else
static const uint8_t pad[4] = {0xf3, 0x0f, 0x1e, 0xfa}; /* endbr64 */
static const uint8_t brk[1] = {0xcc};			/* int3 */
#define CALL_OFF 0
static bool is_call(const uint8_t *p)
{
	return p[0] == 0xe8; /* CALL rel32 */
}
#endif
/* syncs per transaction: one per step of the arch's plans */
#if defined(__aarch64__)
#define PLAN_SYNCS 1
#else
#define PLAN_SYNCS 3
#endif

#define NOINLINE __attribute__((noinline))

NOINLINE int op_alpha(int x)
{
	return x + 1;
}
NOINLINE int op_beta(int x)
{
	return x + 2;
}
NOINLINE int op_gamma(int x)
{
	return x + 3;
}
NOINLINE int op_delta(int x)
{
	return x + 4;
}

static int (*volatile fns[4])(int) = {op_alpha, op_beta, op_gamma, op_delta};

/* for the tests of bytes changed behind the runtime: not in fns[] */
NOINLINE int op_epsilon(int x)
{
	return x + 5;
}
NOINLINE int op_zeta(int x)
{
	return x + 6;
}
static int (*volatile eps_fn)(int) = op_epsilon, (*volatile zeta_fn)(int) = op_zeta;

struct counter {
	struct ftrace_rt_ops ops;
	unsigned long hits[4];
	unsigned long other;
	int api_ret;  /* what an API call from inside the callback returned */
	int call_api; /* make one */
	int recurse;  /* call a traced function from the callback */
};

static void count(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		  struct ftrace_rt_regs *regs)
{
	struct counter *c = (struct counter *)op;
	(void)parent_ip, (void)regs;

	for (int i = 0; i < 4; i++)
		if (ip == (unsigned long)fns[i]) {
			c->hits[i]++;
			goto done;
		}
	c->other++;
done:
	if (c->call_api)
		c->api_ret = ftrace_rt_set_filter(op, "op_alpha", 1);
	if (c->recurse)
		fns[0](1);
}

static void call_each(int n)
{
	for (int r = 0; r < n; r++)
		for (int i = 0; i < 4; i++)
			ck_assert_int_eq(fns[i](r), r + i + 1);
}

static struct counter *counter_new(void)
{
	struct counter *c = calloc(1, sizeof(*c));

	c->ops.func = count;
	return c;
}

struct enabled {
	unsigned long mask; /* bit i: fns[i] enabled */
	unsigned long slot_mask;
};

static int site_cb(const struct ftrace_rt_site_info *s, void *arg)
{
	struct enabled *e = arg;

	for (int i = 0; i < 4; i++)
		if (s->ip == (unsigned long)fns[i]) {
			if (s->flags & FTRACE_RT_SITE_ENABLED)
				e->mask |= 1UL << i;
			if (s->flags & FTRACE_RT_SITE_SLOT)
				e->slot_mask |= 1UL << i;
		}
	return 0;
}

static unsigned long enabled_mask(void)
{
	struct enabled e = {0, 0};

	ck_assert_int_eq(ftrace_rt_for_each_site("op_*", site_cb, &e), 0);
	return e.mask;
}

START_TEST(test_single_filter)
{
	struct counter *c = counter_new();

	ck_assert_int_eq(ftrace_rt_set_filter(&c->ops, "op_alpha op_gamma", 1), 0);
	ck_assert_uint_eq(enabled_mask(), 0); /* not registered yet */
	ck_assert_int_eq(ftrace_rt_register_ops(&c->ops), 0);
	ck_assert(c->ops.flags & FTRACE_RT_OPS_F_ENABLED);
	ck_assert_uint_eq(enabled_mask(), 0x5);
	call_each(10);
	ck_assert_uint_eq(c->hits[0], 10);
	ck_assert_uint_eq(c->hits[1], 0);
	ck_assert_uint_eq(c->hits[2], 10);
	ck_assert_uint_eq(c->hits[3], 0);
	/* live refilter */
	ck_assert_int_eq(ftrace_rt_set_filter(&c->ops, "op_delta", 0), 0);
	ck_assert_uint_eq(enabled_mask(), 0xd);
	ck_assert_int_eq(ftrace_rt_set_filter(&c->ops, "op_beta", 1), 0);
	ck_assert_uint_eq(enabled_mask(), 0x2);
	call_each(5);
	ck_assert_uint_eq(c->hits[1], 5);
	ck_assert_uint_eq(c->hits[0], 10);
	ck_assert_int_eq(ftrace_rt_unregister_ops(&c->ops), 0);
	ck_assert(!(c->ops.flags & FTRACE_RT_OPS_F_ENABLED));
	ck_assert_ptr_null(c->ops.internal);
	ck_assert_uint_eq(enabled_mask(), 0);
	call_each(5);
	ck_assert_uint_eq(c->hits[1], 5);
	free(c);
}
END_TEST

START_TEST(test_overlap_and_notrace)
{
	struct counter *a = counter_new(), *b = counter_new();

	ck_assert_int_eq(ftrace_rt_set_filter(&a->ops, "op_*", 1), 0);
	ck_assert_int_eq(ftrace_rt_set_notrace(&a->ops, "op_delta", 1), 0);
	ck_assert_int_eq(ftrace_rt_set_filter(&b->ops, "op_gamma,op_delta", 1), 0);
	ck_assert_int_eq(ftrace_rt_register_ops(&a->ops), 0);
	ck_assert_int_eq(ftrace_rt_register_ops(&b->ops), 0);
	ck_assert_uint_eq(enabled_mask(), 0xf);
	call_each(7);
	/* gamma has both ops: each called once per call through the list ops */
	ck_assert_uint_eq(a->hits[0], 7);
	ck_assert_uint_eq(a->hits[2], 7);
	ck_assert_uint_eq(a->hits[3], 0); /* notrace wins */
	ck_assert_uint_eq(b->hits[2], 7);
	ck_assert_uint_eq(b->hits[3], 7);
	ck_assert_uint_eq(b->hits[0], 0);
	ck_assert_int_eq(ftrace_rt_unregister_ops(&a->ops), 0);
	ck_assert_uint_eq(enabled_mask(), 0xc);
	call_each(1);
	ck_assert_uint_eq(b->hits[2], 8);
	ck_assert_uint_eq(a->hits[2], 7);
	ck_assert_int_eq(ftrace_rt_unregister_ops(&b->ops), 0);
	ck_assert_uint_eq(enabled_mask(), 0);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_empty_filter_is_all)
{
	struct counter *c = counter_new();

	ck_assert_int_eq(ftrace_rt_register_ops(&c->ops), 0);
	ck_assert_uint_eq(enabled_mask(), 0xf);
	call_each(3);
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(c->hits[i], 3);
	ck_assert_uint_gt(c->other, 0); /* call_each itself and the check helpers are traced */
	ck_assert_int_eq(ftrace_rt_unregister_ops(&c->ops), 0);
	free(c);
}
END_TEST

START_TEST(test_filter_ip)
{
	struct counter *c = counter_new();

	ck_assert_int_eq(ftrace_rt_set_filter_ip(&c->ops, (unsigned long)op_beta, 0, 1), 0);
	ck_assert_int_eq(ftrace_rt_set_filter_ip(&c->ops, (unsigned long)op_delta, 0, 0), 0);
	ck_assert_int_eq(ftrace_rt_register_ops(&c->ops), 0);
	ck_assert_uint_eq(enabled_mask(), 0xa);
	ck_assert_int_eq(ftrace_rt_set_filter_ip(&c->ops, (unsigned long)op_beta, 1, 0), 0);
	ck_assert_uint_eq(enabled_mask(), 0x8);
	ck_assert_int_eq(ftrace_rt_set_filter_ip(&c->ops, (unsigned long)op_beta, 1, 0), -ENOENT);
	ck_assert_int_eq(ftrace_rt_set_filter_ip(&c->ops, (unsigned long)malloc, 0, 0), -ENOENT);
	ck_assert_int_eq(ftrace_rt_set_filter_ip(&c->ops, (unsigned long)op_beta + 1, 0, 0),
			 -ENOENT);
	ck_assert_uint_eq(enabled_mask(), 0x8);
	ck_assert_int_eq(ftrace_rt_unregister_ops(&c->ops), 0);
	free(c);
}
END_TEST

START_TEST(test_errors)
{
	struct counter *c = counter_new();
	struct ftrace_rt_ops nofunc = {0};

	ck_assert_int_eq(ftrace_rt_register_ops(NULL), -EINVAL);
	ck_assert_int_eq(ftrace_rt_register_ops(&nofunc), -EINVAL);
	ck_assert_int_eq(ftrace_rt_unregister_ops(&c->ops), -ENOENT);
	ck_assert_int_eq(ftrace_rt_set_filter(&c->ops, "op_[", 1), -EINVAL);
	ck_assert_int_eq(ftrace_rt_set_filter(&c->ops, "no_such_function_anywhere", 1), -ENOENT);
	ck_assert_int_eq(ftrace_rt_set_filter(&c->ops, "op_alpha,no_such_fn", 1), -ENOENT);
	ck_assert_int_eq(ftrace_rt_set_filter(&c->ops, "op_alpha@no_such_module", 1), -ENOENT);
	ck_assert_int_eq(ftrace_rt_set_notrace(&c->ops, "zzz_nothing", 1), -ENOENT);
	ck_assert_int_eq(ftrace_rt_set_filter(&c->ops, "op_alpha@main", 1), 0);
	ck_assert_int_eq(ftrace_rt_register_ops(&c->ops), 0);
	ck_assert_int_eq(ftrace_rt_register_ops(&c->ops), -EBUSY);
	/* a failed change leaves the filter as it was */
	ck_assert_int_eq(ftrace_rt_set_filter(&c->ops, "op_beta,[", 1), -EINVAL);
	ck_assert_uint_eq(enabled_mask(), 0x1);
	ck_assert_int_eq(ftrace_rt_unregister_ops(&c->ops), 0);
	ck_assert_int_eq(ftrace_rt_unregister_ops(&c->ops), -ENOENT);
	ck_assert_str_eq(ftrace_rt_strerror(-EDEADLK),
			 "called from inside a callback or the runtime");
	ck_assert_ptr_nonnull(ftrace_rt_strerror(-12345));
	free(c);
}
END_TEST

START_TEST(test_api_from_callback_and_recursion)
{
	struct counter *c = counter_new();
	struct ftrace_rt_stats st0, st1;

	ck_assert_int_eq(ftrace_rt_set_filter(&c->ops, "op_alpha,op_beta", 1), 0);
	c->call_api = 1;
	c->api_ret = 1;
	ck_assert_int_eq(ftrace_rt_register_ops(&c->ops), 0);
	fns[1](1);
	ck_assert_int_eq(c->api_ret, -EDEADLK);
	c->call_api = 0;
	ck_assert_int_eq(ftrace_rt_get_stats(&st0), 0);
	c->recurse = 1;
	fns[1](1); /* the callback calls op_alpha: not traced, counted as a miss */
	c->recurse = 0;
	ck_assert_int_eq(ftrace_rt_get_stats(&st1), 0);
	ck_assert_uint_eq(c->hits[0], 0);
	ck_assert_uint_eq(c->hits[1], 2);
	ck_assert_uint_eq(st1.recursion_misses - st0.recursion_misses, 1);
	ck_assert_int_eq(ftrace_rt_unregister_ops(&c->ops), 0);
	free(c);
}
END_TEST

START_TEST(test_constant_syncs)
{
	struct counter *c = counter_new();
	struct ftrace_rt_stats st0, st1, st2;

	ck_assert_int_eq(ftrace_rt_get_stats(&st0), 0);
	ck_assert_int_eq(ftrace_rt_register_ops(&c->ops), 0); /* every site in the process */
	ck_assert_int_eq(ftrace_rt_get_stats(&st1), 0);
	ck_assert_uint_gt(st1.sites_enabled, 4);
	ck_assert_uint_eq(st1.transactions - st0.transactions, 1);
	ck_assert_uint_eq(st1.syncs - st0.syncs, PLAN_SYNCS);
	ck_assert_int_eq(ftrace_rt_set_filter(&c->ops, "op_alpha", 1), 0);
	ck_assert_int_eq(ftrace_rt_get_stats(&st2), 0);
	ck_assert_uint_eq(st2.sites_enabled, 1);
	ck_assert_uint_eq(st2.syncs - st1.syncs, PLAN_SYNCS);
	ck_assert_int_eq(ftrace_rt_unregister_ops(&c->ops), 0);
	free(c);
}
END_TEST

START_TEST(test_args)
{
	struct counter *c = counter_new();

	ck_assert_int_eq(ftrace_rt_set_filter(&c->ops, "op_gamma", 1), 0);
	ck_assert_int_eq(ftrace_rt_register_ops(&c->ops), 0);
	ck_assert_int_eq(fns[2](41), 44);
	ck_assert_uint_eq(c->hits[2], 1);
	ck_assert_int_eq(ftrace_rt_unregister_ops(&c->ops), 0);
	ck_assert_uint_eq(ftrace_rt_regs_get_arg(NULL, 0), 0);
	free(c);
}
END_TEST

NOINLINE double op_fp(double a, float b, double c, long d)
{
	return a * b + c - (double)d;
}

static double (*volatile fp_fn)(double, float, double, long) = op_fp;
static unsigned long light_hits;

/* keeps the FTRACE_RT_OPS_F_NO_VECTOR promise: no vector register, no call */
__attribute__((target("general-regs-only"))) static void light(unsigned long ip,
							       unsigned long parent_ip,
							       struct ftrace_rt_ops *op,
							       struct ftrace_rt_regs *regs)
{
	(void)ip, (void)parent_ip, (void)op, (void)regs;
	__atomic_add_fetch(&light_hits, 1, __ATOMIC_RELAXED);
}

/* wipes every vector register: must only ever run where they were saved */
static void clobber(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		    struct ftrace_rt_regs *regs)
{
	(void)ip, (void)parent_ip, (void)op, (void)regs;
	__atomic_add_fetch(&light_hits, 1, __ATOMIC_RELAXED);
#if defined(__x86_64__)
	if (__builtin_cpu_supports("avx"))
		__asm__ volatile("vzeroall" ::: "memory");
	else
		__asm__ volatile("pxor %%xmm0, %%xmm0\n pxor %%xmm1, %%xmm1\n pxor %%xmm2, %%xmm2"
				 "\n pxor %%xmm3, %%xmm3" ::
					 : "memory");
#elif defined(__aarch64__)
	__asm__ volatile(
		"movi v0.16b, #0\n movi v1.16b, #0\n movi v2.16b, #0\n movi v3.16b, #0"
		"\n movi v4.16b, #0\n movi v5.16b, #0\n movi v6.16b, #0\n movi v7.16b, #0" ::
			: "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "memory");
#endif
}

/* vector arguments survive the trampoline that saves none, and the switches to and from it */
START_TEST(test_no_vector)
{
	struct ftrace_rt_ops nv = {.func = light, .flags = FTRACE_RT_OPS_F_NO_VECTOR};
	struct counter *c = counter_new();
	struct ftrace_rt_stats s0, s1;

	ck_assert_int_eq(ftrace_rt_set_filter(&nv, "op_fp", 1), 0);
	ck_assert_int_eq(ftrace_rt_register_ops(&nv), 0);
	for (int i = 0; i < 100; i++)
		ck_assert(fp_fn(1.5, 2.0f, i, i) == 3.0);
	ck_assert_uint_eq(light_hits, 100);
	/* a second ops without the promise: the site calls the saving trampoline again */
	ck_assert_int_eq(ftrace_rt_get_stats(&s0), 0);
	ck_assert_int_eq(ftrace_rt_set_filter(&c->ops, "op_fp", 1), 0);
	ck_assert_int_eq(ftrace_rt_register_ops(&c->ops), 0);
	ck_assert_int_eq(ftrace_rt_get_stats(&s1), 0);
#ifdef FRT_SANITIZED
	ck_assert_uint_eq(s1.syncs - s0.syncs, 0); /* sanitizer build: always the saving one */
#else
	ck_assert_uint_eq(s1.syncs - s0.syncs, PLAN_SYNCS); /* CALL to CALL: the site changed */
#endif
	for (int i = 0; i < 100; i++)
		ck_assert(fp_fn(1.5, 2.0f, i, i) == 3.0);
	ck_assert_uint_eq(light_hits, 200);
	ck_assert_uint_eq(c->other, 100);
	ck_assert_int_eq(ftrace_rt_unregister_ops(&c->ops), 0);
	for (int i = 0; i < 100; i++)
		ck_assert(fp_fn(1.5, 2.0f, i, i) == 3.0);
	ck_assert_uint_eq(light_hits, 300);
	/*
	 * The promise withdrawn while registered, by a callback that wipes every
	 * vector register: the site still calls the trampoline that saves none,
	 * and the dispatcher must call it through the saving thunk.
	 */
	nv.flags &= ~FTRACE_RT_OPS_F_NO_VECTOR;
	__atomic_store_n(&nv.func, clobber, __ATOMIC_RELEASE);
	for (int i = 0; i < 100; i++)
		ck_assert(fp_fn(1.5, 2.0f, i, i) == 3.0);
	ck_assert_uint_eq(light_hits, 400);
	ck_assert_int_eq(ftrace_rt_unregister_ops(&nv), 0);
	free(c);
}
END_TEST

/* What a debugger does: make the text writable and write into it. */
static void poke(void *at, const void *bytes, size_t n)
{
	uintptr_t pg = (uintptr_t)at & ~(uintptr_t)4095;

	ck_assert_int_eq(mprotect((void *)pg, 8192, PROT_READ | PROT_WRITE | PROT_EXEC), 0);
	memcpy(at, bytes, n);
	ck_assert_int_eq(mprotect((void *)pg, 8192, PROT_READ | PROT_EXEC), 0);
}

static uint8_t *site_of(void *fn)
{
	return (uint8_t *)fn + (memcmp(fn, pad, 4) ? 0 : 4);
}

static int stale_calls;

static void stale(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		  struct ftrace_rt_regs *regs)
{
	(void)ip, (void)parent_ip, (void)op, (void)regs;
	stale_calls++;
}

/*
 * A breakpoint on an enabled site keeps the transaction that unregisters its
 * ops from changing the code. The slot must still stop pointing at the ops:
 * once the debugger puts the call back, the site must reach the nop ops,
 * never the ops the program has freed.
 */
START_TEST(test_breakpoint_then_unregister)
{
	struct counter *c = counter_new();
	uint8_t *site = site_of((void *)op_epsilon) + CALL_OFF, saved[5];
	struct ftrace_rt_ops **slot = (struct ftrace_rt_ops **)((uintptr_t)op_epsilon - 8);

	ck_assert_int_eq(ftrace_rt_set_filter(&c->ops, "op_epsilon", 1), 0);
	ck_assert_int_eq(ftrace_rt_register_ops(&c->ops), 0);
	ck_assert_int_eq(eps_fn(1), 6);
	ck_assert_uint_eq(c->other, 1);
	ck_assert_ptr_eq(*slot, &c->ops);
	memcpy(saved, site, sizeof(brk));
	ck_assert(is_call(saved));
	poke(site, brk, sizeof(brk));
	ck_assert_int_eq(ftrace_rt_unregister_ops(&c->ops), 0);
	ck_assert_ptr_ne(*slot, &c->ops);
	c->ops.func = stale; /* "freed" */
	poke(site, saved, sizeof(brk));
	ck_assert_int_eq(eps_fn(1), 6);
	ck_assert_int_eq(stale_calls, 0);
	/* the runtime's record still says CALL, and the bytes agree again: it can turn it off */
	c->ops.func = count;
	ck_assert_int_eq(ftrace_rt_register_ops(&c->ops), 0);
	ck_assert_int_eq(ftrace_rt_unregister_ops(&c->ops), 0);
	ck_assert(!is_call(site));
	ck_assert_int_eq(eps_fn(1), 6);
	ck_assert_uint_eq(c->other, 1);
	free(c);
}
END_TEST

/*
 * A slot that holds bytes the runtime did not put there means the code under
 * it is not what was scanned: nothing at that site is written.
 */
START_TEST(test_foreign_slot_left_alone)
{
	struct counter *c = counter_new();
	uint8_t *slot = (uint8_t *)((uintptr_t)op_zeta - 8), saved[8], junk[8];
	uint8_t site[5];

	memcpy(saved, slot, 8);
	memset(junk, 0x41, sizeof(junk));
	memcpy(site, site_of((void *)op_zeta), 5);
	poke(slot, junk, 8);
	ck_assert_int_eq(ftrace_rt_set_filter(&c->ops, "op_zeta", 1), 0);
	ck_assert_int_eq(ftrace_rt_register_ops(&c->ops), 0);
	ck_assert_mem_eq(slot, junk, 8);
	ck_assert_mem_eq(site_of((void *)op_zeta), site, 5);
	ck_assert_int_eq(zeta_fn(1), 7);
	ck_assert_uint_eq(c->other, 0);
	ck_assert_int_eq(ftrace_rt_unregister_ops(&c->ops), 0);
	/* the compiler's bytes back: the site can be traced again */
	poke(slot, saved, 8);
	ck_assert_int_eq(ftrace_rt_register_ops(&c->ops), 0);
	ck_assert_int_eq(zeta_fn(1), 7);
	ck_assert_uint_eq(c->other, 1);
	ck_assert_int_eq(ftrace_rt_unregister_ops(&c->ops), 0);
	free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ops");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_single_filter);
	tcase_add_test(tc, test_overlap_and_notrace);
	tcase_add_test(tc, test_empty_filter_is_all);
	tcase_add_test(tc, test_filter_ip);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_api_from_callback_and_recursion);
	tcase_add_test(tc, test_constant_syncs);
	tcase_add_test(tc, test_args);
	tcase_add_test(tc, test_no_vector);
	tcase_add_test(tc, test_breakpoint_then_unregister);
	tcase_add_test(tc, test_foreign_slot_left_alone);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
