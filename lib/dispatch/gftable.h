/* SPDX-License-Identifier: MIT */
/*
 * The graph filters' state as function_graph's entry and return read it:
 * settings and the table of functions named by a filter, by entry address.
 * lib/trace/gfilter.c (gfilter.h) builds and publishes them.
 */
#ifndef FRT_GFTABLE_H
#define FRT_GFTABLE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "argspec.h"
#include "compiler.h"

/* what a function is to the graph filters (struct frt_gf_trig.flags) */
enum {
	FRT_GF_FUNC = 1 << 0,	   /* graph function: it and its callees are recorded */
	FRT_GF_NOTRACE = 1 << 1,   /* graph notrace: it and its callees are not */
	FRT_GF_ARGS = 1 << 2,	   /* arguments and/or return value recorded (set) */
	FRT_GF_DEPTH = 1 << 3,	   /* trigger depth=N: the depth budget becomes N here */
	FRT_GF_TRACE_ON = 1 << 4,  /* trigger trace_on: recording starts (all threads) */
	FRT_GF_TRACE_OFF = 1 << 5, /* trigger trace_off: recording stops */
	FRT_GF_STACK = 1 << 6,	   /* trigger stacktrace: the stack at the call goes in the data */
	FRT_GF_TRACE = 1 << 7,	   /* trigger trace: recorded whatever the threshold says */
};

/* Stack dump triggers with a count (stacktrace:N): the dumps each has left. */
#define FRT_GF_COUNTS 64
extern int frt_gf_counts[FRT_GF_COUNTS] FRT_HIDDEN; /* defined in lib/trace/gfilter.c */

struct frt_gf_trig {
	uintptr_t ip; /* entry address; 0: empty */
	uint32_t flags;
	int32_t depth;
	const struct frt_argset *set; /* FRT_GF_ARGS: what to record */
	int32_t count;		      /* FRT_GF_STACK: index in frt_gf_counts + 1 (0: no limit) */
};

struct frt_gf_table {
	size_t mask;		 /* capacity - 1 (a power of two) */
	struct frt_argset *sets; /* owned: one per function with FRT_GF_ARGS */
	struct frt_gf_trig v[];
};

/* Read by the hot path; written under frt_lock. */
struct frt_gf_state {
	struct frt_gf_table *table; /* NULL: no function is named; RCU-published */
	int mode_in;		    /* graph functions are set: only their subtrees are recorded */
	int max_depth;		    /* INT_MAX: no limit */
	uint64_t thresh_ns;	    /* 0: none */
	unsigned int gen;	    /* changes with max_depth: threads resync their budget */
	int enabled;		    /* tracing on (uftrace's mcount_enabled): triggers switch it */
};
extern struct frt_gf_state frt_gf FRT_HIDDEN; /* defined in lib/trace/gfilter.c */

static inline size_t frt_gf_hash(uintptr_t ip)
{
	return (size_t)((ip * 0x9e3779b97f4a7c15ULL) >> 24);
}

/* Inside a read-side section (a callback): the function's filter entry, or NULL. */
static inline const struct frt_gf_trig *frt_gf_lookup(uintptr_t ip)
{
	struct frt_gf_table *t = __atomic_load_n(&frt_gf.table, __ATOMIC_ACQUIRE);

	if (!t)
		return NULL;
	for (size_t h = frt_gf_hash(ip) & t->mask;; h = (h + 1) & t->mask) {
		if (t->v[h].ip == ip)
			return &t->v[h];
		if (!t->v[h].ip)
			return NULL;
	}
}

/* Argument or return value data was written (set by the recording path). */
extern int frt_gf_args_written FRT_HIDDEN;

#endif
