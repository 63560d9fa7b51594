/* SPDX-License-Identifier: MIT */
/* What preload/ calls: start-up, exit and the loader hooks. */
#ifndef FRT_HOOKS_H
#define FRT_HOOKS_H

#include <stddef.h>

void frt_runtime_start(void) __attribute__((visibility("hidden")));
void frt_runtime_stop(void) __attribute__((visibility("hidden")));
void *frt_hook_dlopen(const char *file, int mode, const void *caller)
	__attribute__((visibility("hidden")));
int frt_hook_dlclose(void *handle) __attribute__((visibility("hidden")));
int frt_hook_mprotect(void *addr, size_t len, int prot) __attribute__((visibility("hidden")));

/*
 * fatal.c: fatal signals and _exit write the trace buffers first. A
 * sanitizer runtime calls sigaction() while it initializes, before it can
 * take instrumented code: these hooks are not instrumented for threads.
 */
#define FRT_NO_TSAN __attribute__((no_sanitize("thread")))
#include <signal.h>
#include <stdbool.h>
int frt_hook_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
	__attribute__((visibility("hidden"))) FRT_NO_TSAN;
__sighandler_t frt_hook_signal(int sig, __sighandler_t h, bool sysv)
	__attribute__((visibility("hidden")));
__sighandler_t frt_hook_sigset(int sig, __sighandler_t h) __attribute__((visibility("hidden")));
void frt_hook_exit(int status) __attribute__((visibility("hidden")));
void frt_fatal_start(void) __attribute__((visibility("hidden")));

#endif
