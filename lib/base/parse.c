// SPDX-License-Identifier: MIT
/* Parsing of environment values that are not patterns. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "parse.h"

/* "4096", "512K", "64M", "1G" (optionally followed by B or iB); 0 or -EINVAL. */
int frt_parse_size(const char *s, size_t *out)
{
	uint64_t v = 0, mul = 1;
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		return -EINVAL;
	switch (*p) {
	case 'k':
	case 'K':
		mul = 1ULL << 10;
		p++;
		break;
	case 'm':
	case 'M':
		mul = 1ULL << 20;
		p++;
		break;
	case 'g':
	case 'G':
		mul = 1ULL << 30;
		p++;
		break;
	}
	if (mul > 1 && *p == 'i')
		p++;
	if (*p == 'b' || *p == 'B')
		p++;
	if (*p || (v && v > UINT64_MAX / mul))
		return -EINVAL;
	*out = (size_t)(v * mul);
	return 0;
}

int frt_parse_time_ns(const char *s, unsigned long long *out)
{
	unsigned long long v = 0, frac = 0, fdiv = 1, mul;
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > 1000000000000ULL)
			return -EINVAL;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	if (p == s)
		return -EINVAL;
	if (*p == '.') {
		const char *q = ++p;

		for (; *p >= '0' && *p <= '9'; p++)
			if (fdiv < 1000000000ULL)
				frac = frac * 10 + (unsigned long long)(*p - '0'), fdiv *= 10;
		if (p == q)
			return -EINVAL;
	}
	if (!*p || !strcmp(p, "us") || !strcmp(p, "usec"))
		mul = 1000;
	else if (!strcmp(p, "ns") || !strcmp(p, "nsec"))
		mul = 1;
	else if (!strcmp(p, "ms") || !strcmp(p, "msec"))
		mul = 1000000;
	else if (!strcmp(p, "s") || !strcmp(p, "sec"))
		mul = 1000000000;
	else
		return -EINVAL;
	if (v > 3600ULL * 1000000000ULL / mul)
		return -EINVAL;
	*out = v * mul + frac * mul / fdiv;
	return 0;
}

int frt_parse_depth(const char *s, int *out)
{
	long v = 0;
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > FRT_DEPTH_LIMIT)
			return -EINVAL;
	}
	if (p == s || *p || v < 1)
		return -EINVAL;
	*out = (int)v;
	return 0;
}
