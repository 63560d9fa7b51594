// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

void *frt_malloc(size_t size)
{
	return malloc(size);
}

void *frt_calloc(size_t n, size_t size)
{
	return calloc(n, size);
}

void *frt_realloc(void *p, size_t size)
{
	return realloc(p, size);
}

void frt_free(void *p)
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
