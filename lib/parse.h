/* SPDX-License-Identifier: MIT */
#ifndef FRT_PARSE_H
#define FRT_PARSE_H

#include <stddef.h>

/* "4096", "512K", "64M", "1G" (optionally followed by B or iB): 0, or -EINVAL. */
int frt_parse_size(const char *s, size_t *out);

#endif
