// SPDX-License-Identifier: MIT
/*
 * The two ops lib/core/ops.c puts in slots besides registered ones (see
 * listops.h): the nop ops of a site being turned off, and the list ops that
 * calls every ops of a site several want. A list ops exists per distinct
 * set of ops, so dispatch never searches.
 */
#include "listops.h"

static void nop_func(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		     struct ftrace_rt_regs *regs)
{
	(void)ip, (void)parent_ip, (void)op, (void)regs;
}

struct ftrace_rt_ops frt_nop_ops = {.func = nop_func, .flags = FTRACE_RT_OPS_F_NO_VECTOR};

void frt_list_func(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		   struct ftrace_rt_regs *regs)
{
	struct frt_multi *m = op->priv;

	for (unsigned int i = 0; i < m->n; i++)
		m->v[i]->func(ip, parent_ip, m->v[i], regs);
}
