// SPDX-License-Identifier: MIT
/*
 * A callback that keeps the FTRACE_RT_OPS_F_NO_VECTOR promise: built with
 * -mgeneral-regs-only and calling nothing. Its sites call the trampoline that
 * saves no vector register, while the workers pass a double to every traced
 * function and check the result.
 */
#include "stress.h"
#include "stress_tracer.h"

void light_callback(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		    struct ftrace_rt_regs *regs)
{
	struct tracer *t = (struct tracer *)op;
	(void)parent_ip, (void)regs;

	if (t->magic != MAGIC || !ip)
		__builtin_trap(); /* called for an unregistered (poisoned) ops */
	__atomic_add_fetch(&t->hits, 1, __ATOMIC_RELAXED);
}
