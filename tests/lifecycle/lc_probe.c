// SPDX-License-Identifier: MIT
/* A probe provider linked with the runtime, loaded at run time by lc_bare. */
#include <ftrace_rt/ftrace_rt.h>

static unsigned long n;
static volatile int sink;

static void probe_cb(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		     struct ftrace_rt_regs *regs)
{
	(void)ip, (void)parent_ip, (void)op, (void)regs;
	n++;
}

static struct ftrace_rt_ops probe_ops = {.func = probe_cb};

__attribute__((noinline)) void probe_fn(int x)
{
	sink += x;
}

int probe_start(const char *filter)
{
	int ret = ftrace_rt_set_filter(&probe_ops, filter, 1);

	return ret ? ret : ftrace_rt_register_ops(&probe_ops);
}

unsigned long probe_hits(void)
{
	return n;
}

__attribute__((destructor)) static void probe_stop(void)
{
	ftrace_rt_unregister_ops(&probe_ops);
}
