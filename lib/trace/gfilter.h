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
#include "gftable.h"

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

/* Triggers (uftrace's -T): NULL keeps them. */
int frt_gf_set_triggers(const char *spec, char *err, size_t errlen) FRT_HIDDEN;

/* The settings as text, for `ctl stats` and the summary. */
void frt_gf_describe(char *buf, size_t len) FRT_HIDDEN;

#endif
