/* SPDX-License-Identifier: MIT */
/*
 * What a slot may hold besides a registered ops: the nop ops (a site being
 * turned off) and a list ops (several ops want the site; one per distinct
 * set, shared). lib/core/ops.c makes and frees them and stores them in
 * slots; their functions run on the hot path and are defined in
 * lib/dispatch/listops.c, built gpr-only. Core only takes their addresses.
 */
#ifndef FRT_LISTOPS_H
#define FRT_LISTOPS_H

#include <ftrace_rt/ftrace_rt.h>

#include "compiler.h"

struct frt_multi {
	struct ftrace_rt_ops ops;
	struct frt_multi *next;
	unsigned long refs;
	unsigned int n;
	struct ftrace_rt_ops *v[];
};

extern struct ftrace_rt_ops frt_nop_ops FRT_HIDDEN;
/* the func of every list ops: calls each ops of the set (op->priv: its struct frt_multi) */
void frt_list_func(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		   struct ftrace_rt_regs *regs) FRT_HIDDEN;

#endif
