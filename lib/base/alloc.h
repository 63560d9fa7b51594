/* SPDX-License-Identifier: MIT */
/*
 * lib/base/: what every layer uses: the private heap and allocation helpers
 * (here), logging (log.h), value parsing (parse.h), TSan annotations (tsan.h).
 *
 * The runtime's own allocator. In libftrace_rt.so these resolve to the
 * private heap of lib/base/heap.c, so the application's malloc is never called by
 * the runtime. Never free memory returned by libc
 * functions that allocate (strdup, getline, realpath(NULL)...) with frt_free:
 * they come from the application's allocator. tests/banned_calls checks this.
 */
#ifndef FRT_ALLOC_H
#define FRT_ALLOC_H

#include <stddef.h>

void *frt_malloc(size_t size);
void *frt_calloc(size_t n, size_t size);
void *frt_realloc(void *p, size_t size);
void frt_free(void *p);
char *frt_strdup(const char *s);
char *frt_strndup(const char *s, size_t n);

/* lib/base/heap.c: keep the heap consistent across fork (from the runtime's atfork handlers) */
void frt_heap_fork_prepare(void);
void frt_heap_fork_parent(void);
void frt_heap_fork_child(void);

/* qsort that accepts an empty (possibly NULL) array. */
void frt_sort(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* Grow *v (of element size @elem, capacity *cap) to hold at least @need elements. */
int frt_grow(void **v, size_t *cap, size_t need, size_t elem);

#endif
