/* SPDX-License-Identifier: MIT */
/* Messages to stderr, written with one write(2) each so lines never interleave. */
#ifndef FRT_LOG_H
#define FRT_LOG_H

extern int frt_verbose;

/* Always printed: errors and the exit summary. */
void frt_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed when FTRACE_RT_VERBOSE >= @level. */
void frt_info(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
