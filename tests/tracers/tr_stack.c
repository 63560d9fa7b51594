// SPDX-License-Identifier: MIT
/*
 * Calls for the stacktrace trigger test (tests/test_stacktrace.py), built
 * with frame pointers so that the expected stacks are exact:
 *  - main -> outer -> middle -> inner (twice): inner's stack is
 *    inner, middle, outer, main, then libc's start code;
 *  - bad_frame: calls probe() with the frame pointer register set to a
 *    word just past the top of the main thread's stack (unmapped: the walk
 *    must stop there, not fault), then to a readable word that is no frame;
 *  - a signal handler on an alternate stack calls probe();
 *  - a thread calls inner();
 *  - the program execs itself, and the new image (same pid) calls inner().
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NI __attribute__((noinline))

static volatile int sink;

NI void probe(void)
{
	sink++;
}

NI void inner(void)
{
	sink++;
}

NI void middle(void)
{
	inner();
	sink++;
}

NI void outer(void)
{
	middle();
	sink++;
}

/* probe() called with the frame pointer register holding @fp */
NI void bad_frame(uintptr_t fp)
{
#if defined(__x86_64__)
	__asm__ volatile("mov %%rsp, %%rbx\n\t"
			 "and $-16, %%rsp\n\t"
			 "sub $128, %%rsp\n\t" /* past any red zone */
			 "mov %%rbp, %%r12\n\t"
			 "mov %0, %%rbp\n\t"
			 "call probe\n\t"
			 "mov %%r12, %%rbp\n\t"
			 "mov %%rbx, %%rsp"
			 :
			 : "r"(fp)
			 : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
			   "r12", "memory", "cc");
#elif defined(__aarch64__)
	__asm__ volatile("mov x19, x29\n\t"
			 "mov x29, %0\n\t"
			 "bl probe\n\t"
			 "mov x29, x19"
			 :
			 : "r"(fp)
			 : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
			   "x12", "x13", "x14", "x15", "x16", "x17", "x19", "x30", "memory", "cc");
#else
	(void)fp;
	probe();
#endif
}

NI void handler(int sig)
{
	(void)sig;
	probe();
}

/* The end of the [stack] mapping if no mapping follows it directly, else 0. */
static uintptr_t stack_end_unmapped(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long lo, hi, end = 0, next = 0;
	char line[512];

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			continue;
		if (end && !next)
			next = lo;
		if (strstr(line, "[stack]"))
			end = hi;
	}
	if (f)
		fclose(f);
	return end && (!next || next > end + 4096) ? end : 0;
}

static void *thread_main(void *arg)
{
	(void)arg;
	inner();
	return NULL;
}

int main(int argc, char **argv)
{
	static uintptr_t junk[64]; /* readable, and no frame record */
	static char altstack[64 * 1024];
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
	struct sigaction sa;
	pthread_t th;

	uintptr_t end = stack_end_unmapped();

	if (argc > 1) {
		/* the image exec'd below: same pid, ids of its own */
		inner();
		printf("done %d\n", sink);
		return 0;
	}
	outer();
	outer();
	printf("unmapped %d\n", end != 0);
	if (end)
		bad_frame(end + 64);
	junk[0] = (uintptr_t)&junk[8];
	junk[1] = 12345;
	bad_frame((uintptr_t)junk);
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	if (pthread_create(&th, NULL, thread_main, NULL) || pthread_join(th, NULL))
		return 1;
	fflush(stdout);
	execl("/proc/self/exe", argv[0], "again", (char *)NULL);
	/* an emulator without binfmt_misc cannot exec a foreign program */
	printf("noexec\ndone %d\n", sink);
	return 0;
}
