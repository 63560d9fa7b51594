/* SPDX-License-Identifier: MIT */
/* The stress test's ops: shared by stress.c and stress_light.c. */
#ifndef STRESS_TRACER_H
#define STRESS_TRACER_H

/* an ops and what its callbacks count */
#include <ftrace_rt/ftrace_rt.h>

#define MAGIC 0x5eed5eed5eed5eedUL

struct tracer {
	struct ftrace_rt_ops ops; /* first: the callback gets &ops */
	unsigned long magic;
	unsigned long hits;
	int id;
};

/* stress_light.c, built with -mgeneral-regs-only: may promise FTRACE_RT_OPS_F_NO_VECTOR */
void light_callback(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		    struct ftrace_rt_regs *regs);

#endif
