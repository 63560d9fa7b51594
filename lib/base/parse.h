/* SPDX-License-Identifier: MIT */
#ifndef FRT_PARSE_H
#define FRT_PARSE_H

#include <stddef.h>

/* FTRACE_RT_BUFSIZE: what the runtime accepts (`ftrace-rt record -b` checks the same) */
#define FRT_BUFSIZE_DEFAULT (2UL << 20)
#define FRT_BUFSIZE_MIN	    (4UL << 10)
#define FRT_BUFSIZE_MAX	    (4UL << 30)

/* "4096", "512K", "64M", "1G" (optionally followed by B or iB): 0, or -EINVAL. */
int frt_parse_size(const char *s, size_t *out);

#endif
