/* SPDX-License-Identifier: MIT */
/*
 * Graph filters of function_graph (and profile), with uftrace's meanings and
 * the kernel's words: graph functions (a function and everything it calls),
 * graph notrace (a function's whole subtree out), a maximum depth, and a
 * duration threshold. Functions named by a filter are found through a table
 * by entry address, rebuilt whenever the filters or the loaded objects change.
 */
#ifndef FRT_GFILTER_H
#define FRT_GFILTER_H

#include <limits.h>
#include <stdbool.h>
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
};

struct frt_gf_trig {
	uintptr_t ip; /* entry address; 0: empty */
	uint32_t flags;
	int32_t depth;
	const struct frt_argset *set; /* FRT_GF_ARGS: what to record */
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
extern struct frt_gf_state frt_gf FRT_HIDDEN;

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

/*
 * Set the graph filters; a NULL argument keeps that setting. Patterns as
 * for the filter ('' removes them); @depth "0" or "" removes the limit, else
 * 1..FRT_DEPTH_LIMIT; @thresh a duration ("1us", "500ns"; bare: us), "0"
 * removes it. On a bad value nothing changes and @err names it.
 * @unmatched gets the patterns that match no function (yet), if any.
 * Not from a callback (a grace period passes).
 */
int frt_gf_set(const char *funcs, const char *notrace, const char *depth, const char *thresh,
	       char *err, size_t errlen) FRT_HIDDEN;
/*
 * Set the argument and return value specs (uftrace's -A and -R; NULL keeps
 * one). Refused once argument data was written with other specs: the data
 * directory's info names one set of specs for all its records.
 */
int frt_gf_set_args(const char *args, const char *rets, char *err, size_t errlen) FRT_HIDDEN;
/* The specs as given, for the info file (NULL: none). */
const char *frt_gf_argspec_text(void) FRT_HIDDEN;
const char *frt_gf_retspec_text(void) FRT_HIDDEN;
/* Some argument spec reads a vector register: the tracer's ops must save them. */
extern bool frt_gf_need_vector FRT_HIDDEN;
/* Argument or return value data was written (set by the recording path). */
extern int frt_gf_args_written FRT_HIDDEN;

/* Triggers (uftrace's -T): NULL keeps them. */
int frt_gf_set_triggers(const char *spec, char *err, size_t errlen) FRT_HIDDEN;

/* The settings as text, for `ctl stats` and the summary. */
void frt_gf_describe(char *buf, size_t len) FRT_HIDDEN;

#endif
