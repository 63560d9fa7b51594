// SPDX-License-Identifier: MIT
/* Argument and return value specs (see argspec.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "argspec.h"
#include "pattern.h"

static int parse_item(const char *it, bool retval, struct frt_arg *a, char *err, size_t errlen)
{
	const char *p = it;
	unsigned long idx = 0;
	char *end;

	memset(a, 0, sizeof(*a));
	a->size = 8;
	a->fmt = 'd';
	if (!strncmp(p, "retval", 6)) {
		p += 6;
	} else if (!strncmp(p, "fparg", 5) && p[5] >= '1' && p[5] <= '9') {
		idx = strtoul(p + 5, &end, 10);
		p = end;
		a->kind = FRT_ARG_FP;
		a->fp = 1;
		a->fmt = 'f';
		if (idx > 8) {
			snprintf(err, errlen, "'%s': only fparg1 to fparg8 (in registers)", it);
			return -EINVAL;
		}
	} else if (!strncmp(p, "arg", 3) && p[3] >= '1' && p[3] <= '9') {
		idx = strtoul(p + 3, &end, 10);
		p = end;
	} else {
		snprintf(err, errlen,
			 "'%s' is not argN, fpargN or retval (e.g. fib@arg1, half@fparg1, "
			 "fib@retval)",
			 it);
		return -EINVAL;
	}
	if (retval != (idx == 0)) {
		snprintf(err, errlen, "'%s': %s", it,
			 retval ? "-R/retval specs take retval[/FMT] only (arguments go in -A)"
				: "-A/argument specs take argN or fpargN (the return value goes in "
				  "-R)");
		return -EINVAL;
	}
	if (idx > 32) {
		snprintf(err, errlen, "'%s': argument number above 32", it);
		return -EINVAL;
	}
	a->idx = (uint8_t)idx;
	if (!*p)
		return 0;
	if (*p != '/')
		goto bad;
	p++;
	if (a->kind == FRT_ARG_FP && *p >= '0' && *p <= '9')
		goto size; /* fparg1/32 */
	a->fmt = *p;
	switch (*p) {
	case 'd':
	case 'i':
	case 'u':
	case 'x':
	case 'p':
		break;
	case 'c':
		a->size = 1;
		break;
	case 's':
		a->kind = FRT_ARG_STR;
		a->fp = 0;
		p++;
		if (*p)
			goto bad;
		return 0;
	case 'f':
		if (a->idx > 8) {
			snprintf(err, errlen, "'%s': only arguments 1 to 8 can be /f", it);
			return -EINVAL;
		}
		a->kind = FRT_ARG_FP;
		a->fp = 1;
		break;
	default:
		goto bad;
	}
	if (a->kind == FRT_ARG_FP && *p != 'f' && *p != 'd') {
		snprintf(err, errlen, "'%s': a floating-point value takes /f or /SIZE only", it);
		return -EINVAL;
	}
	p++;
	if (!*p)
		return 0;
size : {
	unsigned long bits = strtoul(p, &end, 10);

	if (*end || end == p || !(bits == 8 || bits == 16 || bits == 32 || bits == 64) ||
	    (a->kind == FRT_ARG_FP && bits < 32)) {
		snprintf(err, errlen,
			 "'%s': the size is 8, 16, 32 or 64 bits (floating point: 32 or 64)", it);
		return -EINVAL;
	}
	a->size = (uint8_t)(bits / 8);
	return 0;
}
bad:
	snprintf(err, errlen,
		 "'%s': unsupported format (use /d /i /u /x /p /c /s /f with an optional size "
		 "in bits, e.g. arg1/i32, arg2/s, fparg1/32; std::string, enums, structs and "
		 "register or stack locations are not supported)",
		 it);
	return -EINVAL;
}

static int parse_one(const char *spec, bool retval, struct frt_argspec *out, char *err,
		     size_t errlen)
{
	const char *at = strchr(spec, '@');
	const char *p, *gerr;
	char item[64];

	memset(out, 0, sizeof(*out));
	if (!at || at == spec) {
		snprintf(err, errlen, "'%s' is not FUNCTION@%s (e.g. %s)", spec,
			 retval ? "retval[/FMT]" : "argN[/FMT],...",
			 retval ? "fib@retval" : "fib@arg1 or 'open@arg1/s,arg2/x32'");
		return -EINVAL;
	}
	out->glob = frt_strndup(spec, (size_t)(at - spec));
	if (!out->glob)
		return -ENOMEM;
	gerr = frt_glob_check(out->glob);
	if (gerr) {
		snprintf(err, errlen, "'%s': %s", spec, gerr);
		goto fail;
	}
	for (p = at + 1;;) {
		size_t n = strcspn(p, ",");

		if (!n || n >= sizeof(item)) {
			snprintf(err, errlen, "'%s': %s", spec,
				 n ? "an item is too long" : "an empty item (two commas?)");
			goto fail;
		}
		if (out->n == FRT_ARGS_MAX) {
			snprintf(err, errlen, "'%s': more than %d values", spec, FRT_ARGS_MAX);
			goto fail;
		}
		memcpy(item, p, n);
		item[n] = 0;
		if (!out->module && !strcmp(item, "plt")) {
			/* uftrace's FUNC@plt,arg1: library calls' arguments are not
			 * recorded yet, so the spec matches nothing (other modules are not taken:
			 * uftrace names objects differently, and its reader must expect what we
			 * write) */
			out->module = frt_strdup(item);
			if (!out->module)
				goto fail;
		} else if (parse_item(item, retval, &out->v[out->n], err, errlen)) {
			goto fail;
		} else {
			out->n++;
		}
		p += n;
		if (!*p)
			break;
		p++;
	}
	return 0;
fail:
	frt_free(out->glob);
	out->glob = NULL;
	return -EINVAL;
}

int frt_argspecs_parse(const char *s, bool retval, struct frt_argspecs *out, char *err,
		       size_t errlen)
{
	size_t first = out->n;
	char spec[512];
	int ret = 0;

	while (s && *s) {
		size_t n = strcspn(s, ";");
		struct frt_argspec a;

		/* blanks around specs are not part of them */
		while (n && (*s == ' ' || *s == '\t'))
			s++, n--;
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n >= sizeof(spec)) {
			snprintf(err, errlen, "a spec longer than %zu characters",
				 sizeof(spec) - 1);
			ret = -EINVAL;
			goto fail;
		}
		if (n) {
			memcpy(spec, s, n);
			spec[n] = 0;
			ret = parse_one(spec, retval, &a, err, errlen);
			if (ret)
				goto fail;
			if (out->n == out->cap) {
				size_t cap = out->cap ? out->cap * 2 : 8;
				struct frt_argspec *v = frt_realloc(out->v, cap * sizeof(*v));

				if (!v) {
					frt_free(a.glob);
					frt_free(a.module);
					ret = -ENOMEM;
					goto fail;
				}
				out->v = v;
				out->cap = cap;
			}
			out->v[out->n++] = a;
		}
		s += strcspn(s, ";");
		if (*s)
			s++;
	}
	return 0;
fail:
	while (out->n > first)
		frt_free(out->v[--out->n].glob);
	return ret;
}

void frt_argspecs_free(struct frt_argspecs *p)
{
	for (size_t i = 0; i < p->n; i++) {
		frt_free(p->v[i].glob);
		frt_free(p->v[i].module);
	}
	frt_free(p->v);
	memset(p, 0, sizeof(*p));
}

void frt_argset_add(struct frt_argset *set, const struct frt_argspec *spec)
{
	/* uftrace takes a name with any of these for a pattern (REGEX_CHARS) */
	bool exact = !strpbrk(spec->glob, ".?*+-^$|()[]{}");

	for (unsigned int k = 0; k < spec->n; k++) {
		const struct frt_arg *a = &spec->v[k];
		unsigned int i;

		if (!a->idx) {
			if (!set->has_ret || exact || !set->ret_exact) {
				set->ret = *a;
				set->ret_exact = exact;
			}
			set->has_ret = true;
			continue;
		}
		for (i = 0; i < set->nargs; i++)
			if (set->args[i].fp == a->fp && set->args[i].idx == a->idx)
				break;
		if (i < set->nargs) {
			if (exact || !set->exact[i]) {
				set->args[i] = *a;
				set->exact[i] = exact;
			}
			continue;
		}
		if (set->nargs == FRT_ARGS_MAX)
			continue;
		/* uftrace 0.13 keeps the order of the specs (later versions sort) */
		set->args[set->nargs] = *a;
		set->exact[set->nargs] = exact;
		set->nargs++;
	}
}

/*
 * A stack dump action: "stacktrace" (the kernel's word), "backtrace" or "bt"
 * (uftrace's), each with an optional ":N", the number of dumps it writes
 * (the kernel's count). *@count: 0 for no limit, -1 for a bad N.
 */
static bool stack_action(const char *a, int *count)
{
	static const char *const words[] = {"stacktrace", "backtrace", "bt"};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i]);
		char *end;
		long c;

		if (strncmp(a, words[i], n) || (a[n] && a[n] != ':'))
			continue;
		*count = 0;
		if (!a[n])
			return true;
		errno = 0;
		c = strtol(a + n + 1, &end, 10);
		*count = end == a + n + 1 || *end || errno || c < 1 || c > INT_MAX ? -1 : (int)c;
		return true;
	}
	return false;
}

static int trigger_one(const char *spec, struct frt_trigger *t, char *err, size_t errlen)
{
	const char *at = strchr(spec, '@'), *p, *gerr;

	memset(t, 0, sizeof(*t));
	if (!at || at == spec || !at[1]) {
		snprintf(err, errlen,
			 "'%s' is not FUNCTION@ACTION (trace_on, trace_off, depth=N, filter, "
			 "notrace, trace, stacktrace[:N]; e.g. main@trace_on, 'parse@depth=2')",
			 spec);
		return -EINVAL;
	}
	t->glob = frt_strndup(spec, (size_t)(at - spec));
	if (!t->glob)
		return -ENOMEM;
	gerr = frt_glob_check(t->glob);
	if (gerr) {
		snprintf(err, errlen, "'%s': %s", spec, gerr);
		goto fail;
	}
	for (p = at + 1; *p;) {
		size_t n = strcspn(p, ",");
		char a[64];

		if (!n || n >= sizeof(a)) {
			snprintf(err, errlen, "'%s': %s", spec,
				 n ? "an action is too long" : "an empty action");
			goto fail;
		}
		memcpy(a, p, n);
		a[n] = 0;
		if (!strcmp(a, "trace_on") || !strcmp(a, "trace-on") || !strcmp(a, "traceon")) {
			t->flags = (t->flags & ~(unsigned)FRT_TRIG_TRACE_OFF) | FRT_TRIG_TRACE_ON;
		} else if (!strcmp(a, "trace_off") || !strcmp(a, "trace-off") ||
			   !strcmp(a, "traceoff")) {
			t->flags = (t->flags & ~(unsigned)FRT_TRIG_TRACE_ON) | FRT_TRIG_TRACE_OFF;
		} else if (!strncmp(a, "depth=", 6)) {
			char *end;
			long d = strtol(a + 6, &end, 10);

			if (end == a + 6 || *end || d < 0 || d > 65535) {
				snprintf(err, errlen, "'%s': depth=N takes N from 0 to 65535",
					 spec);
				goto fail;
			}
			t->flags |= FRT_TRIG_DEPTH;
			t->depth = (int)d;
		} else if (!strcmp(a, "filter")) {
			t->flags = (t->flags & ~(unsigned)FRT_TRIG_NOTRACE) | FRT_TRIG_FILTER;
		} else if (!strcmp(a, "notrace")) {
			t->flags = (t->flags & ~(unsigned)FRT_TRIG_FILTER) | FRT_TRIG_NOTRACE;
		} else if (!strcmp(a, "trace")) {
			t->flags |= FRT_TRIG_TRACE; /* kept whatever the threshold says */
		} else if (stack_action(a, &t->count)) {
			/* the kernel's stacktrace[:N], uftrace's backtrace (bt) */
			if (t->count < 0) {
				snprintf(err, errlen,
					 "'%s': stacktrace:N takes N from 1 to %d (dumps left; "
					 "none: every call)",
					 spec, INT_MAX);
				goto fail;
			}
			t->flags |= FRT_TRIG_STACK;
		} else {
			snprintf(err, errlen,
				 "'%s': unknown action '%s' (supported: trace_on, trace_off, "
				 "depth=N, filter, notrace, trace, stacktrace[:N] (also "
				 "backtrace, bt))",
				 spec, a);
			goto fail;
		}
		p += n;
		if (*p)
			p++;
	}
	return 0;
fail:
	frt_free(t->glob);
	t->glob = NULL;
	return -EINVAL;
}

int frt_triggers_parse(const char *s, struct frt_triggers *out, char *err, size_t errlen)
{
	size_t first = out->n;
	char spec[512];
	int ret = 0;

	while (s && *s) {
		size_t n = strcspn(s, ";");
		struct frt_trigger t;

		while (n && (*s == ' ' || *s == '\t'))
			s++, n--;
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n >= sizeof(spec)) {
			snprintf(err, errlen, "a trigger longer than %zu characters",
				 sizeof(spec) - 1);
			ret = -EINVAL;
			goto fail;
		}
		if (n) {
			memcpy(spec, s, n);
			spec[n] = 0;
			ret = trigger_one(spec, &t, err, errlen);
			if (ret)
				goto fail;
			if (frt_grow((void **)&out->v, &out->cap, out->n + 1, sizeof(*out->v))) {
				frt_free(t.glob);
				ret = -ENOMEM;
				goto fail;
			}
			out->v[out->n++] = t;
		}
		s += strcspn(s, ";");
		if (*s)
			s++;
	}
	return 0;
fail:
	while (out->n > first)
		frt_free(out->v[--out->n].glob);
	return ret;
}

void frt_triggers_free(struct frt_triggers *p)
{
	for (size_t i = 0; i < p->n; i++)
		frt_free(p->v[i].glob);
	frt_free(p->v);
	memset(p, 0, sizeof(*p));
}
