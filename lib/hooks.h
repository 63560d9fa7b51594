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

#endif
