// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "pattern.h"
#include "demangle.h"

/* Length of the bracket expression starting at @g ('['), or 0 if unterminated. */
static size_t bracket_len(const char *g)
{
	size_t i = 1;

	if (g[i] == '!' || g[i] == '^')
		i++;
	if (g[i] == ']') /* a leading ']' is literal */
		i++;
	for (; g[i]; i++) {
		if (g[i] == '\\' && g[i + 1])
			i++;
		else if (g[i] == ']')
			return i + 1;
	}
	return 0;
}

static bool bracket_match(const char *g, size_t len, unsigned char c)
{
	size_t i = 1, end = len - 1;
	bool neg = false, hit = false;

	if (g[i] == '!' || g[i] == '^') {
		neg = true;
		i++;
	}
	for (bool first = true; i < end; first = false) {
		unsigned char lo = (unsigned char)g[i], hi;

		if (lo == '\\' && i + 1 < end)
			lo = (unsigned char)g[++i];
		else if (lo == ']' && !first)
			break;
		i++;
		hi = lo;
		if (g[i] == '-' && i + 1 < end) {
			hi = (unsigned char)g[i + 1];
			if (hi == '\\' && i + 2 < end)
				hi = (unsigned char)g[++i + 1];
			i += 2;
		}
		if (c >= lo && c <= hi)
			hit = true;
	}
	return hit != neg;
}

/* Iterative matcher with one backtrack point for the last '*': linear in practice. */
bool frt_glob_match(const char *g, const char *s)
{
	const char *star_g = NULL, *star_s = NULL;

	for (;;) {
		if (*g == '*') {
			while (*g == '*')
				g++;
			if (!*g)
				return true;
			star_g = g;
			star_s = s;
			continue;
		}
		if (*s) {
			size_t blen;

			if (*g == '?') {
				g++;
				s++;
				continue;
			}
			if (*g == '[' && (blen = bracket_len(g))) {
				if (bracket_match(g, blen, (unsigned char)*s)) {
					g += blen;
					s++;
					continue;
				}
			} else if (*g == '\\' && g[1]) {
				if (g[1] == *s) {
					g += 2;
					s++;
					continue;
				}
			} else if (*g && *g == *s) {
				g++;
				s++;
				continue;
			}
		} else if (!*g) {
			return true;
		}
		if (!star_g || !*star_s)
			return false;
		g = star_g;
		s = ++star_s;
	}
}

const char *frt_glob_check(const char *g)
{
	if (!*g)
		return "empty pattern";
	for (size_t i = 0; g[i]; i++) {
		if (g[i] == '\\') {
			if (!g[i + 1])
				return "trailing backslash";
			i++;
		} else if (g[i] == '[') {
			size_t l = bracket_len(g + i);

			if (!l)
				return "unterminated '['";
			i += l - 1;
		} else if ((unsigned char)g[i] < 0x20 || g[i] == 0x7f) {
			return "control character";
		}
	}
	return NULL;
}

static bool is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

void frt_patterns_free(struct frt_patterns *p)
{
	for (size_t i = 0; i < p->n; i++) {
		frt_free(p->v[i].glob);
		frt_free(p->v[i].module);
	}
	frt_free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}

int frt_patterns_parse(const char *s, struct frt_patterns *out, char *err, size_t errlen)
{
	size_t n0 = out->n;
	const char *p = s;

	if (err && errlen)
		err[0] = 0;
	if (!s)
		return 0;
	while (*p) {
		const char *tok, *at = NULL, *why = NULL;
		size_t len;
		char *glob = NULL, *mod = NULL;

		while (*p && is_sep(*p))
			p++;
		if (!*p)
			break;
		tok = p;
		while (*p && !is_sep(*p)) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '@' && !at)
				at = p;
			p++;
		}
		len = (size_t)(p - tok);
		if (len > FRT_PATTERN_MAX) {
			why = "too long";
		} else {
			glob = frt_strndup(tok, at ? (size_t)(at - tok) : len);
			if (at)
				mod = frt_strndup(at + 1, (size_t)(p - at - 1));
			if (!glob || (at && !mod)) {
				frt_free(glob);
				frt_free(mod);
				goto nomem;
			}
			why = frt_glob_check(glob);
			if (!why && mod) {
				why = frt_glob_check(mod);
				if (why && !*mod)
					why = "empty module after '@'";
				else if (!why && strchr(mod, '@'))
					why = "more than one '@'";
			}
		}
		if (why) {
			if (err && errlen)
				snprintf(err, errlen, "pattern '%.*s': %s",
					 (int)(len > 200 ? 200 : len), tok, why);
			frt_free(glob);
			frt_free(mod);
			goto undo;
		}
		if (frt_grow((void **)&out->v, &out->cap, out->n + 1, sizeof(*out->v))) {
			frt_free(glob);
			frt_free(mod);
			goto nomem;
		}
		out->v[out->n++] = (struct frt_pattern){glob, mod};
	}
	return 0;
nomem:
	if (err && errlen)
		snprintf(err, errlen, "out of memory");
	while (out->n > n0) {
		out->n--;
		frt_free(out->v[out->n].glob);
		frt_free(out->v[out->n].module);
	}
	if (!out->n)
		frt_patterns_free(out);
	return -ENOMEM;
undo:
	while (out->n > n0) {
		out->n--;
		frt_free(out->v[out->n].glob);
		frt_free(out->v[out->n].module);
	}
	if (!out->n) /* the array may have been allocated here */
		frt_patterns_free(out);
	return -EINVAL;
}

bool frt_pattern_match(const struct frt_pattern *p, const char *func, const char *module,
		       bool is_main)
{
	if (p->module && !frt_glob_match(p->module, module) &&
	    !(is_main && frt_glob_match(p->module, "main")))
		return false;
	if (frt_glob_match(p->glob, func))
		return true;
	/*
	 * C++: the simple demangled name too (Registry::get, shapes::*). Only
	 * for _Z names and patterns that are not themselves mangled; the
	 * demangler allocates nothing, so this is safe wherever patterns are
	 * evaluated (never on the traced path: sites are selected when ops
	 * change or objects load).
	 */
	if (func[0] == '_' && func[1] == 'Z' && strncmp(p->glob, "_Z", 2)) {
		char buf[FRT_DEMANGLE_MAX + 1];

		if (frt_demangle_simple(func, buf, sizeof(buf)))
			return frt_glob_match(p->glob, buf);
	}
	return false;
}
