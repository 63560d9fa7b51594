// SPDX-License-Identifier: MIT
/* Parsing of environment values that are not patterns. */
#include <errno.h>
#include <stdint.h>

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
