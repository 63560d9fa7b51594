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

/*
 * A duration, as uftrace's -t and the kernel's tracing_thresh take it:
 * "500ns", "1us", "1.5ms", "2s", or a bare number of microseconds ("10").
 * 0 and the value in ns in @out, or -EINVAL (also above an hour).
 */
int frt_parse_time_ns(const char *s, unsigned long long *out);

/* A call depth, as uftrace's -D and the kernel's max_graph_depth: 1..FRT_DEPTH_LIMIT. */
#define FRT_DEPTH_LIMIT 65535
int frt_parse_depth(const char *s, int *out);

#endif
