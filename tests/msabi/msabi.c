// SPDX-License-Identifier: MIT
/*
 * A Microsoft-ABI function, traced, whose caller keeps values in the
 * registers that ABI makes callee-saved (xmm6-15, rdi, rsi; msabi_call.S
 * checks them after the call). Linked with the runtime; the built-in tracer
 * comes from FTRACE_RT_TRACER.
 *
 *   msabi ops N     a user ops whose callback clobbers every xmm register
 *                   traces ms_scale (with the tracer: through the list ops)
 *   msabi tracer N  only the built-in tracer
 *   msabi flip N    one thread calls while another registers and unregisters
 *                   that ops N times, with an ops that promised not to touch
 *                   vector registers registered all along: the site moves
 *                   between the trampoline that saves no vector register and
 *                   one that does, and in between the clobbering callback is
 *                   called through the runtime's vector-saving thunk
 *
 * Prints "msabi: calls C hits H changed 0xMASK" (MASK as msabi_call's).
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ftrace_rt/ftrace_rt.h>

typedef double (*ms_fn)(double, long) __attribute__((ms_abi));
unsigned long msabi_call(ms_fn fn, double x, long k, double *out);

__attribute__((ms_abi, noinline)) double ms_scale(double x, long k)
{
	return x * (double)k + 0.5;
}

static ms_fn volatile ms_scale_p = ms_scale;
static volatile unsigned long hits;

static void clobber(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		    struct ftrace_rt_regs *regs)
{
	(void)ip, (void)parent_ip, (void)op, (void)regs;
	hits++;
	/* what any vector code compiled for the System V ABI may do */
	__asm__ volatile("pcmpeqd %%xmm0, %%xmm0\n\t"
			 "pcmpeqd %%xmm1, %%xmm1\n\t"
			 "pcmpeqd %%xmm2, %%xmm2\n\t"
			 "pcmpeqd %%xmm3, %%xmm3\n\t"
			 "pcmpeqd %%xmm4, %%xmm4\n\t"
			 "pcmpeqd %%xmm5, %%xmm5\n\t"
			 "pcmpeqd %%xmm6, %%xmm6\n\t"
			 "pcmpeqd %%xmm7, %%xmm7\n\t"
			 "pcmpeqd %%xmm8, %%xmm8\n\t"
			 "pcmpeqd %%xmm9, %%xmm9\n\t"
			 "pcmpeqd %%xmm10, %%xmm10\n\t"
			 "pcmpeqd %%xmm11, %%xmm11\n\t"
			 "pcmpeqd %%xmm12, %%xmm12\n\t"
			 "pcmpeqd %%xmm13, %%xmm13\n\t"
			 "pcmpeqd %%xmm14, %%xmm14\n\t"
			 "pcmpeqd %%xmm15, %%xmm15" ::
				 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
				   "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
				   "xmm15");
}

static struct ftrace_rt_ops ops = {.func = clobber};

static volatile unsigned long quiet_hits;

/* integer code only: it keeps the promise of FTRACE_RT_OPS_F_NO_VECTOR */
static void quiet(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		  struct ftrace_rt_regs *regs)
{
	(void)ip, (void)parent_ip, (void)op, (void)regs;
	quiet_hits++;
}

static struct ftrace_rt_ops quiet_ops = {.func = quiet, .flags = FTRACE_RT_OPS_F_NO_VECTOR};
static unsigned long changed, wrong, calls;
static volatile int stop;

static void one_call(long i)
{
	double x = 1.25 + (double)i, out = 0;

	changed |= msabi_call(ms_scale_p, x, i % 7, &out);
	if (out != x * (double)(i % 7) + 0.5)
		wrong++;
	calls++;
}

static void *caller(void *arg)
{
	(void)arg;
	for (long i = 0; !stop; i++)
		one_call(i);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "ops";
	long n = argc > 2 ? atol(argv[2]) : 1000;
	int ret = 0;

	if (!strcmp(mode, "ops") || !strcmp(mode, "flip")) {
		ret = ftrace_rt_set_filter(&ops, "ms_*", 1);
		if (ret) {
			printf("filter: %s\n", ftrace_rt_strerror(ret));
			return 2;
		}
	}
	if (!strcmp(mode, "ops")) {
		ret = ftrace_rt_register_ops(&ops);
		for (long i = 0; i < n; i++)
			one_call(i);
		if (!ret)
			ret = ftrace_rt_unregister_ops(&ops);
	} else if (!strcmp(mode, "tracer")) {
		for (long i = 0; i < n; i++)
			one_call(i);
	} else if (!strcmp(mode, "flip")) {
		pthread_t t;

		ret = ftrace_rt_set_filter(&quiet_ops, "ms_*", 1);
		if (!ret)
			ret = ftrace_rt_register_ops(&quiet_ops);
		if (ret) {
			printf("ops: %s\n", ftrace_rt_strerror(ret));
			return 2;
		}
		pthread_create(&t, NULL, caller, NULL);
		for (long i = 0; i < n && !ret; i++) {
			unsigned long h = hits;

			ret = ftrace_rt_register_ops(&ops);
			/* the caller runs meanwhile: it got to the ops at least once */
			while (!ret && hits == h)
				sched_yield();
			if (!ret)
				ret = ftrace_rt_unregister_ops(&ops);
		}
		stop = 1;
		pthread_join(t, NULL);
		if (!ret)
			ret = ftrace_rt_unregister_ops(&quiet_ops);
	} else {
		return 2;
	}
	if (ret) {
		printf("ops: %s\n", ftrace_rt_strerror(ret));
		return 2;
	}
	printf("msabi: calls %lu hits %lu changed %#lx\n", calls, hits, changed);
	return changed || wrong ? 1 : 0;
}
