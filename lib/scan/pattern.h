/* SPDX-License-Identifier: MIT */
/* Filter patterns: globs over function names, optionally GLOB@MODULE. */
#ifndef FRT_PATTERN_H
#define FRT_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

#define FRT_PATTERN_MAX 4096 /* longest single pattern accepted */

struct frt_pattern {
	char *glob;   /* over the function name */
	char *module; /* over the object's file name; NULL for any object */
};

struct frt_patterns {
	struct frt_pattern *v;
	size_t n, cap;
};

/* Glob match: '*', '?', '[...]' with ranges and '!'/'^' negation, '\' escapes. */
bool frt_glob_match(const char *glob, const char *s);

/* Syntax check of one glob; NULL if fine, else what is wrong. */
const char *frt_glob_check(const char *glob);

/*
 * Append the patterns in @s (separated by commas or white space) to @out.
 * On a malformed pattern nothing is appended, -EINVAL is returned and @err
 * says which pattern and why. An empty or blank @s appends nothing.
 */
int frt_patterns_parse(const char *s, struct frt_patterns *out, char *err, size_t errlen);
void frt_patterns_free(struct frt_patterns *p);

/* @module is the object's file name; @is_main makes "main" match it too. */
bool frt_pattern_match(const struct frt_pattern *p, const char *func, const char *module,
		       bool is_main);

#endif
