// SPDX-License-Identifier: MIT
/*
 * The C half of the trampolines. The ops pointer is loaded only inside the
 * RCU read-side section: a thread preempted between the site's call and this
 * load holds no pointer, so once the slot is repointed and a grace period
 * has passed, nobody can call the old ops. The per-thread guard keeps a
 * callback that calls traced functions from recursing (those calls are
 * counted as misses). errno is preserved for the traced function's caller.
 */
#include <errno.h>

#include <urcu-bp.h>

#include "arch.h"
#include "counters.h"
#include "dispatch.h"
#include "guard.h"
#include "init.h"
#include "lookup.h"
#include "objects.h"
#include "stack.h"
#include "tsan.h"

static __thread int *errno_p FRT_TLS; /* fixed for a thread's life: saves a libc call per call */

static inline int *errno_loc(void)
{
	if (unlikely(!errno_p))
		errno_p = &errno;
	return errno_p;
}

/*
 * Before any state changes, touch the stack a traced call may need
 * (frt_stack_probe): an overflow then faults here, where a SIGSEGV handler
 * may siglongjmp away safely, rather than inside the read-side section
 * (which would stay open and stall every grace period) or with the
 * recursion guard set.
 */
static inline bool enter(const struct ftrace_rt_regs *regs)
{
	if (unlikely(frt_in_callback)) {
		if (frt_in_callback & 1)
			__atomic_fetch_add(&frt_counters.recursion_misses, 1, __ATOMIC_RELAXED);
		return false;
	}
	frt_stack_probe(arch_regs_sp(regs));
	frt_in_callback = 1;
	return true;
}

/*
 * Behind a gpr trampoline no vector register was saved: an ops that made no
 * promise about them is called through the arch thunk that saves them. This
 * file is built with -mgeneral-regs-only.
 */
static inline void call_op(struct ftrace_rt_ops *op, unsigned long ip, unsigned long parent_ip,
			   struct ftrace_rt_regs *regs, bool gpr)
{
	if (gpr && unlikely(!(op->flags & FTRACE_RT_OPS_F_NO_VECTOR)))
		frt_tramps.vsave_call((void *)op->func, ip, parent_ip, (uintptr_t)op,
				      (uintptr_t)regs);
	else
		op->func(ip, parent_ip, op, regs);
}

/* urcu-bp registers a thread on its first read-side section; that calls libc */
static inline void register_reader(bool gpr)
{
	if (gpr && unlikely(!URCU_TLS(urcu_bp_reader)))
		frt_tramps.vsave_call((void *)urcu_bp_register, 0, 0, 0, 0);
}

ARCH_TEXT_ACCESS static inline void dispatch_slot(struct ftrace_rt_ops **slot,
						  unsigned long parent_ip,
						  struct ftrace_rt_regs *regs, bool gpr)
{
	struct ftrace_rt_ops *op;
	int saved;

	if (!enter(regs))
		return;
	saved = *errno_loc();
	register_reader(gpr);
	urcu_bp_read_lock();
	op = rcu_dereference(*slot);
	frt_tsan_acquire(&frt_tsan_publish);
	call_op(op, (unsigned long)slot + ARCH_SLOT_SIZE, parent_ip, regs, gpr);
	frt_tsan_release(&frt_tsan_grace);
	urcu_bp_read_unlock();
	*errno_p = saved;
	frt_in_callback = 0;
}

static inline void dispatch_lookup(uintptr_t site, unsigned long parent_ip,
				   struct ftrace_rt_regs *regs, bool gpr)
{
	struct frt_object *o;
	int saved;

	if (!enter(regs))
		return;
	saved = *errno_loc();
	register_reader(gpr);
	urcu_bp_read_lock();
	o = frt_object_by_addr(site);
	if (o) {
		struct frt_site *s = frt_object_site(o, site);
		struct ftrace_rt_ops *op = s ? __atomic_load_n(&s->ops, __ATOMIC_ACQUIRE) : NULL;

		frt_tsan_acquire(&frt_tsan_publish);
		if (op)
			call_op(op, site - s->entry_off, parent_ip, regs, gpr);
	}
	frt_tsan_release(&frt_tsan_grace);
	urcu_bp_read_unlock();
	*errno_p = saved;
	frt_in_callback = 0;
}

ARCH_TEXT_ACCESS void frt_dispatch_slot(struct ftrace_rt_ops **slot, unsigned long parent_ip,
					struct ftrace_rt_regs *regs)
{
	dispatch_slot(slot, parent_ip, regs, false);
}

ARCH_TEXT_ACCESS void frt_dispatch_slot_gpr(struct ftrace_rt_ops **slot, unsigned long parent_ip,
					    struct ftrace_rt_regs *regs)
{
	dispatch_slot(slot, parent_ip, regs, true);
}

void frt_dispatch_lookup(uintptr_t site, unsigned long parent_ip, struct ftrace_rt_regs *regs)
{
	dispatch_lookup(site, parent_ip, regs, false);
}

void frt_dispatch_lookup_gpr(uintptr_t site, unsigned long parent_ip, struct ftrace_rt_regs *regs)
{
	dispatch_lookup(site, parent_ip, regs, true);
}
