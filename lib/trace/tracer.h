/* SPDX-License-Identifier: MIT */
/* Choosing and switching the built-in tracer (environment, control socket). */
#ifndef FRT_TRACER_H
#define FRT_TRACER_H

#include <stdbool.h>
#include <stddef.h>

const char *frt_tracer_name(int kind) __attribute__((visibility("hidden")));
int frt_tracer_parse(const char *s) __attribute__((visibility("hidden")));
int frt_tracer_set(int kind, const char *filter, const char *notrace, char *msg, size_t msglen)
	__attribute__((visibility("hidden")));
int frt_tracer_enable(bool on) __attribute__((visibility("hidden")));
bool frt_tracer_enabled(void) __attribute__((visibility("hidden")));
void frt_tracer_finish(void) __attribute__((visibility("hidden")));
void frt_tracer_emergency(const char *why, bool interrupted_runtime)
	__attribute__((visibility("hidden")));

#endif
