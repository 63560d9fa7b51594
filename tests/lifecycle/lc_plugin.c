// SPDX-License-Identifier: MIT
/*
 * A plugin that traces its host's host_work() from its constructor and stops
 * in its destructor. Built with -DLEAK it never unregisters: its ops (code and
 * struct) go away with it while still registered.
 */
#include <ftrace_rt/ftrace_rt.h>

void host_report(const char *what, int ret);

unsigned long plug_hits;

static void plug_cb(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		    struct ftrace_rt_regs *regs)
{
	(void)ip, (void)parent_ip, (void)op, (void)regs;
	__atomic_add_fetch(&plug_hits, 1, __ATOMIC_RELAXED);
}

static struct ftrace_rt_ops plug_ops = {.func = plug_cb};

__attribute__((constructor)) static void plug_ctor(void)
{
	int ret = ftrace_rt_set_filter(&plug_ops, "host_work", 1);

	host_report("constructor: set_filter", ret);
	host_report("constructor: register", ftrace_rt_register_ops(&plug_ops));
}

__attribute__((destructor)) static void plug_dtor(void)
{
#ifndef LEAK
	host_report("destructor: unregister", ftrace_rt_unregister_ops(&plug_ops));
#endif
}
