/* SPDX-License-Identifier: MIT */
/* The runtime's counters (ftrace_rt_get_stats, `ctl stats`). */
#ifndef FRT_COUNTERS_H
#define FRT_COUNTERS_H

#include "compiler.h"

/* Written under frt_lock except where noted. */
struct frt_counters {
	unsigned long transactions, syncs;
	unsigned long mprotects;		 /* atomic: the audit module's conversions too */
	unsigned long recursion_misses;		 /* atomic */
	unsigned long anomalies;		 /* sites whose bytes changed behind our back */
	unsigned long runs_converted;		 /* atomic */
	unsigned long objects_converted_at_load; /* atomic: by the rtld-audit module */
	unsigned long runs_refused;		 /* atomic: left as runs, not traceable */
};

extern struct frt_counters frt_counters FRT_HIDDEN;

#endif
