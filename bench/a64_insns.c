// SPDX-License-Identifier: MIT
/*
 * Instructions per traced call on aarch64, counted by qemu-user
 * (bench/a64_insns.sh): N calls of a traced function in one of these modes,
 *   off    the site disabled (MOV X9, X30; NOP)
 *   empty  one ops with an empty callback (vector registers saved)
 *   emptyg the same, FTRACE_RT_OPS_F_NO_VECTOR (the gpr trampoline)
 *   graph  nothing registered here: run with FTRACE_RT_TRACER=function_graph
 * The script runs N and 11 N calls and divides the difference by 10 N.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ftrace_rt/ftrace_rt.h>

__attribute__((noinline)) int bench_target(int x)
{
	__asm__ volatile("");
	return x + 1;
}

static void empty(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		  struct ftrace_rt_regs *regs)
{
	(void)ip, (void)parent_ip, (void)op, (void)regs;
}

static struct ftrace_rt_ops ops = {.func = empty};

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "off";
	long n = argc > 2 ? atol(argv[2]) : 1000, sum = 0;
	int (*volatile fn)(int) = bench_target;

	if (!strcmp(mode, "empty") || !strcmp(mode, "emptyg")) {
		if (!strcmp(mode, "emptyg"))
			ops.flags = FTRACE_RT_OPS_F_NO_VECTOR;
		if (ftrace_rt_set_filter(&ops, "bench_target", 1) || ftrace_rt_register_ops(&ops)) {
			fprintf(stderr, "a64_insns: cannot register\n");
			return 1;
		}
	}
	for (long i = 0; i < n; i++)
		sum += fn((int)i);
	printf("%ld\n", sum);
	return 0;
}
