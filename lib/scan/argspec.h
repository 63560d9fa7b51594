/* SPDX-License-Identifier: MIT */
/*
 * Argument and return value specs in uftrace's syntax (`-A fib@arg1`,
 * `-A 'open@arg1/s,arg2/x32'`, `-A half@fparg1`, `-R fib@retval/i32`), and
 * the order and sizes in which uftrace lays their values out after an entry
 * or exit record, so that `uftrace replay` reads what the runtime writes.
 */
#ifndef FRT_ARGSPEC_H
#define FRT_ARGSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRT_ARGS_MAX	16   /* values per function */
#define FRT_ARG_STR_MAX 100  /* characters of a string argument kept ("..." past it) */
#define FRT_ARGBUF_MAX	1024 /* bytes of argument data per record, at most */

enum { FRT_ARG_INT, FRT_ARG_FP, FRT_ARG_STR };

struct frt_arg {
	uint8_t kind; /* FRT_ARG_* */
	uint8_t size; /* bytes recorded: 1, 2, 4, 8 (strings: their own length) */
	uint8_t idx;  /* argN / fpargN: N (1-based); 0 for the return value */
	uint8_t fp;   /* uftrace's ARG_TYPE_FLOAT (fpargN, argN/f, retval/f) */
	char fmt;     /* d i u x p c s f, as given ('d' when not) */
};

/* One spec: a glob over function names and the values it names. */
struct frt_argspec {
	char *glob;
	char *module; /* uftrace's FUNC@plt,...: "plt" (matches nothing: library calls' arguments
		       * are not recorded yet)
		       */
	struct frt_arg v[FRT_ARGS_MAX];
	unsigned int n;
};

struct frt_argspecs {
	struct frt_argspec *v;
	size_t n, cap;
};

/* What one function records: its specs merged as uftrace merges them. */
struct frt_argset {
	struct frt_arg args[FRT_ARGS_MAX];
	unsigned int nargs;
	struct frt_arg ret;
	bool has_ret;
	bool exact[FRT_ARGS_MAX], ret_exact; /* set by a spec naming the function exactly */
};

/*
 * Parse specs separated by ';' (each FUNC@ITEM[,ITEM...]) into @out: with
 * @retval the items must be `retval[/FMT]` (uftrace's -R), else `argN[/FMT]`
 * or `fpargN[/SIZE]` (-A). FMT: d i u x c s f p, each with an optional size
 * in bits (8 16 32 64). On error nothing is added and @err says what and how
 * to fix it.
 */
int frt_argspecs_parse(const char *s, bool retval, struct frt_argspecs *out, char *err,
		       size_t errlen);
void frt_argspecs_free(struct frt_argspecs *p);
/*
 * Add @spec's items to @set as uftrace 0.13's reader does: a value of the
 * same index is replaced (but a pattern's never replaces an exact name's),
 * others are appended.
 */
void frt_argset_add(struct frt_argset *set, const struct frt_argspec *spec);
/* Bytes a value takes in the data: uftrace aligns each to 4. */
static inline unsigned int frt_arg_slot(unsigned int size)
{
	return (size + 3) & ~3U;
}

/*
 * Triggers, uftrace's -T FUNC@ACTION[,ACTION...]: trace_on, trace_off, depth=N, filter, notrace,
 * trace (kept whatever the threshold), stacktrace[:N] (also backtrace, bt: the stack at
 * the call written into the data).
 */
enum {
	FRT_TRIG_TRACE_ON = 1 << 0,
	FRT_TRIG_TRACE_OFF = 1 << 1,
	FRT_TRIG_DEPTH = 1 << 2,
	FRT_TRIG_FILTER = 1 << 3,
	FRT_TRIG_NOTRACE = 1 << 4,
	FRT_TRIG_STACK = 1 << 5,
	FRT_TRIG_TRACE = 1 << 6, /* uftrace's trace: recorded whatever its duration (-t) */
};

struct frt_trigger {
	char *glob;
	unsigned int flags; /* FRT_TRIG_* */
	int depth;
	int count; /* FRT_TRIG_STACK: dumps it writes (0: every call) */
};

struct frt_triggers {
	struct frt_trigger *v;
	size_t n, cap;
};

/* Specs separated by ';'; on error nothing is added and @err says what and how to fix it. */
int frt_triggers_parse(const char *s, struct frt_triggers *out, char *err, size_t errlen);
void frt_triggers_free(struct frt_triggers *p);

#endif
