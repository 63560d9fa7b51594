// SPDX-License-Identifier: MIT
/* Small public API pieces: errors, stats, register accessors. */
#include <errno.h>
#include <string.h>

#include "arch.h"
#include "regs.h"
#include "objects.h"
#include "counters.h"
#include "init.h"
#include "lock.h"
#include "guard.h"
#include "ops.h"

const char *ftrace_rt_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case -EINVAL:
		return "invalid argument or malformed pattern";
	case -ENOENT:
		return "no such function, or pattern matches nothing";
	case -EBUSY:
		return "ops already registered";
	case -ENOMEM:
		return "out of memory";
	case -EPERM:
		return "page protection change refused (W^X policy?)";
	case -EDEADLK:
		return "called from inside a callback or the runtime";
	case -EFAULT:
		return "code is no longer mapped";
	case -ENOSYS:
		return "no cross-thread instruction sync available";
	default:
		return err < 0 ? strerror(-err) : "unknown error";
	}
}

unsigned long ftrace_rt_regs_get_arg(const struct ftrace_rt_regs *regs, unsigned int n)
{
	return regs ? arch_regs_arg(regs, n) : 0;
}

unsigned long ftrace_rt_regs_get_sp(const struct ftrace_rt_regs *regs)
{
	return regs ? arch_regs_sp(regs) : 0;
}

int ftrace_rt_get_stats(struct ftrace_rt_stats *st)
{
	if (!st)
		return -EINVAL;
	frt_init();
	memset(st, 0, sizeof(*st));
	if (frt_api_refused_here())
		return -EDEADLK;
	frt_lock();
	frt_objects_counts(&st->objects, &st->sites, &st->sites_enabled, &st->sites_skipped,
			   &st->sites_unaligned, &st->metadata_bytes);
	st->transactions = frt_counters.transactions;
	st->syncs = frt_counters.syncs;
	st->mprotects = __atomic_load_n(&frt_counters.mprotects, __ATOMIC_RELAXED);
	st->recursion_misses = __atomic_load_n(&frt_counters.recursion_misses, __ATOMIC_RELAXED);
	st->ops_registered = frt_ops_registered();
	st->nop_runs_converted = __atomic_load_n(&frt_counters.runs_converted, __ATOMIC_RELAXED);
	st->objects_converted_at_load =
		__atomic_load_n(&frt_counters.objects_converted_at_load, __ATOMIC_RELAXED);
	st->nop_runs_refused = __atomic_load_n(&frt_counters.runs_refused, __ATOMIC_RELAXED);
	frt_unlock();
	return 0;
}
