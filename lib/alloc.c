// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/*
 * libc's allocator, for the command-line tool and the tests that link the
 * scanner alone. libftrace_rt.so links lib/heap.c, whose definitions win.
 */
__attribute__((weak)) void *frt_malloc(size_t size)
{
	return malloc(size);
}

__attribute__((weak)) void *frt_calloc(size_t n, size_t size)
{
	return calloc(n, size);
}

__attribute__((weak)) void *frt_realloc(void *p, size_t size)
{
	return realloc(p, size);
}

__attribute__((weak)) void frt_free(void *p)
{
	free(p);
}

char *frt_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *d = frt_malloc(len + 1);

	if (d) {
		memcpy(d, s, len);
		d[len] = 0;
	}
	return d;
}

char *frt_strdup(const char *s)
{
	return frt_strndup(s, (size_t)-1);
}

int frt_grow(void **v, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 16;
	void *nv;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	nv = frt_realloc(*v, ncap * elem);
	if (!nv)
		return -1;
	*v = nv;
	*cap = ncap;
	return 0;
}

void frt_sort(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(v, n, size, cmp);
}
