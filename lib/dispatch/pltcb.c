// SPDX-License-Identifier: MIT
/*
 * The callback of every PLT stub's ops (pltcb.h). Runs inside the
 * dispatcher's read-side section, so the target read here stays valid until
 * the call returns: lib/trace/libcall.c clears frt_libcall_target before the
 * tracer's ops is unregistered, whose grace period waits for this.
 */
#include <stddef.h>

#include <urcu-bp.h>

#include "pltcb.h"

struct ftrace_rt_ops *frt_libcall_target;
__thread uintptr_t frt_vfork_ret FRT_TLS;

void frt_plt_cb(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		struct ftrace_rt_regs *regs)
{
	struct frt_plt_stub *s =
		(struct frt_plt_stub *)((char *)op - offsetof(struct frt_plt_stub, ops));
	struct ftrace_rt_ops *t = rcu_dereference(frt_libcall_target);

	(void)ip;
	if (t)
		t->func(s->plt_ip, parent_ip, t, regs);
}
