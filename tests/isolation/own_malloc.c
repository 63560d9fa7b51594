// SPDX-License-Identifier: MIT
/*
 * A program with its own malloc: under LD_PRELOAD of the runtime, its calls
 * (and libc's) must still reach this malloc, never the runtime's private
 * jemalloc; and the runtime must not export any allocator symbol.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static volatile unsigned long own_calls; /* volatile: libc calls in from outside */

/* a bump allocator over one mapping; free does nothing */
static char *volatile arena, *volatile next;

void *malloc(size_t n)
{
	void *p;

	if (!arena)
		next = arena = mmap(NULL, 64 << 20, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	n = (n + 15) & ~(size_t)15;
	p = next;
	next += n ? n : 16;
	own_calls++;
	return p;
}

void free(void *p)
{
	(void)p;
}

void *calloc(size_t a, size_t b)
{
	void *p = malloc(a * b);

	memset(p, 0, a * b);
	return p;
}

void *realloc(void *old, size_t n)
{
	void *p = malloc(n);

	if (old)
		memcpy(p, old, n); /* enough for this test: the arena is contiguous */
	return p;
}

__attribute__((noinline)) int traced(int x)
{
	return x + 1;
}

int main(void)
{
	unsigned long before = own_calls;
	char *s = strdup("libc's strdup calls malloc");
	void *m = dlsym(RTLD_DEFAULT, "malloc");
	Dl_info where;
	static const char *const foreign[] = {"mallocx", "je_malloc", "mallctl", "sdallocx",
					      "malloc_stats_print"};

	if (own_calls == before || (char *)s < arena || (char *)s >= next) {
		printf("FAIL: strdup did not use the program's malloc\n");
		return 1;
	}
	if (!dladdr(m, &where) || m != (void *)malloc) {
		printf("FAIL: malloc resolves to %s\n", where.dli_fname);
		return 1;
	}
	for (size_t i = 0; i < sizeof(foreign) / sizeof(*foreign); i++)
		if (dlsym(RTLD_DEFAULT, foreign[i])) {
			printf("FAIL: %s is exported into the program\n", foreign[i]);
			return 1;
		}
	printf("own malloc: %lu calls, traced(1) = %d\n", own_calls, traced(1));
	return 0;
}
