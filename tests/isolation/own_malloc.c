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
#include <sys/wait.h>
#include <unistd.h>

static volatile unsigned long own_calls; /* volatile: libc calls in from outside */
/*
 * Calls in a forked child, counted where its parent can read them after it
 * exited: shared memory, mapped before the fork.
 */
static volatile unsigned long *child_calls;

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
	if (child_calls)
		child_calls[0]++;
	return p;
}

void free(void *p)
{
	(void)p;
	if (child_calls)
		child_calls[1]++;
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

static volatile int sink;

__attribute__((noinline)) int traced(int x)
{
	return x + 1;
}

/*
 * A forked child that allocates nothing itself: every call of this malloc
 * or free it makes comes from libc's own exit path or from the runtime
 * (which must make none). Prints the child's malloc and free calls.
 */
static int fork_child_calls(int how)
{
	volatile unsigned long *shared =
		mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (!pid) {
		child_calls = shared;
		/* more records than a 4 KiB buffer's chunk: written out while it runs */
		for (int i = 0; i < 1000; i++)
			sink += traced(i);
		if (how)
			_exit(0);
		exit(0);
	}
	waitpid(pid, &st, 0);
	printf("fork child (%s): %lu malloc, %lu free\n", how ? "_exit" : "exit", shared[0],
	       shared[1]);
	return st;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "fork"))
		return fork_child_calls(0) | fork_child_calls(1);

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
