// SPDX-License-Identifier: MIT
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/*
 * libc's allocator, for the command-line tool and the tests that link the
 * scanner alone. libftrace_rt.so links lib/base/heap.c, whose definitions win.
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

static void swap_elems(char *a, char *b, size_t size)
{
	for (; size >= 8; size -= 8, a += 8, b += 8) {
		uint64_t x, y;

		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		memcpy(a, &y, 8);
		memcpy(b, &x, 8);
	}
	while (size--) {
		char t = *a;

		*a++ = *b;
		*b++ = t;
	}
}

static void sift_down(char *v, size_t i, size_t n, size_t size,
		      int (*cmp)(const void *, const void *))
{
	for (;;) {
		size_t big = i, l = 2 * i + 1, r = l + 1;

		if (l < n && cmp(v + l * size, v + big * size) > 0)
			big = l;
		if (r < n && cmp(v + r * size, v + big * size) > 0)
			big = r;
		if (big == i)
			return;
		swap_elems(v + i * size, v + big * size, size);
		i = big;
	}
}

/*
 * Heapsort in place: glibc's qsort allocates its merge buffer with the
 * program's malloc, which the runtime must never call.
 */
void frt_sort(void *v, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	char *p = v;

	if (n < 2)
		return;
	for (size_t i = n / 2; i-- > 0;)
		sift_down(p, i, n, size, cmp);
	for (size_t end = n - 1; end > 0; end--) {
		swap_elems(p, p + end * size, size);
		sift_down(p, 0, end, size, cmp);
	}
}
