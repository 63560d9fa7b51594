// SPDX-License-Identifier: MIT
/*
 * Traced functions on small stacks that are big enough for the program
 * itself, and a measurement of the stack the runtime uses. Run preloaded
 * under each tracer, and untraced.
 *
 *   stk threads      threads with PTHREAD_STACK_MIN, 16 KiB and 20 KiB stacks
 *   stk altstack     a handler on an 8 KiB sigaltstack calls traced functions
 *                    (also a thread's very first traced call)
 *   stk coroutine    a 16 KiB makecontext coroutine calls traced functions
 *                    (also a thread's very first traced call)
 *   stk measure      on a stack filled with a pattern: how many bytes below
 *                    the caller's stack pointer a traced call wrote, on a
 *                    thread's first traced call and over 20,000 more
 *
 * Stacks the program allocates itself have a PROT_NONE page below them, as
 * pthread stacks do, so that an access below the stack faults.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
/* the scaffolding is not traced: each scenario decides where the first traced call is */
#define UNTRACED __attribute__((noinline, patchable_function_entry(0, 0)))

#define PAGE	 4096
#define PATTERN	 0xa5

static volatile long sink;

NOINLINE long s_leaf(long x)
{
	sink++;
	return x + 1;
}

static long (*volatile s_leaf_p)(long) = s_leaf;

NOINLINE long s_mid(long x)
{
	return s_leaf_p(x) * 2;
}

static long (*volatile s_mid_p)(long) = s_mid;

static UNTRACED int work(int n)
{
	for (int i = 0; i < n; i++)
		if (s_mid_p(i) != 2 * (i + 1))
			return 1;
	return 0;
}

/* @size usable bytes with a PROT_NONE guard page below */
static UNTRACED char *guarded(size_t size)
{
	char *p =
		mmap(NULL, size + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p, PAGE, PROT_NONE)) {
		perror("mmap");
		exit(2);
	}
	return p + PAGE;
}

static UNTRACED void *thread_work(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)work(1000);
}

static UNTRACED int threads(void)
{
	const size_t sizes[] = {PTHREAD_STACK_MIN, 16384, 20480};
	int bad = 0;

	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		pthread_attr_t a;
		pthread_t t;
		void *ret;

		pthread_attr_init(&a);
		if (pthread_attr_setstacksize(&a, sizes[i]) ||
		    pthread_create(&t, &a, thread_work, NULL)) {
			printf("cannot start a thread with a %zu-byte stack\n", sizes[i]);
			return 2;
		}
		pthread_join(t, &ret);
		bad |= ret != NULL;
		pthread_attr_destroy(&a);
	}
	printf("threads: %s\n", bad ? "wrong results" : "ok");
	return bad;
}

#define ALTSTACK 8192
static volatile int handled, handler_bad;

NOINLINE void on_usr1(int sig)
{
	(void)sig;
	handler_bad |= work(50);
	handled++;
}

/* a thread whose first traced call is in a handler on an 8 KiB alternate stack */
static UNTRACED void *altstack_thread(void *arg)
{
	stack_t ss = {.ss_sp = guarded(ALTSTACK), .ss_size = ALTSTACK};
	struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_ONSTACK};
	sigset_t s;

	(void)arg;
	if (sigaltstack(&ss, NULL))
		return (void *)1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	for (int i = 0; i < 100; i++)
		raise(SIGUSR1);
	return NULL;
}

static UNTRACED int altstack(void)
{
	pthread_t t;
	void *ret;

	pthread_create(&t, NULL, altstack_thread, NULL);
	pthread_join(t, &ret);
	printf("altstack: %d handled%s\n", handled, ret || handler_bad ? ", wrong results" : "");
	return handled != 100 || ret || handler_bad;
}

#define COSTACK 16384
static ucontext_t uc_main, uc_co;
static volatile int co_bad, co_rounds;

NOINLINE void co_body(void)
{
	for (;;) {
		co_bad |= work(20);
		co_rounds++;
		swapcontext(&uc_co, &uc_main);
	}
}

/* a thread whose first traced call is in a coroutine on a 16 KiB stack */
static UNTRACED void *coroutine_thread(void *arg)
{
	(void)arg;
	getcontext(&uc_co);
	uc_co.uc_stack.ss_sp = guarded(COSTACK);
	uc_co.uc_stack.ss_size = COSTACK;
	uc_co.uc_link = NULL;
	makecontext(&uc_co, co_body, 0);
	for (int i = 0; i < 200; i++)
		swapcontext(&uc_main, &uc_co);
	return NULL;
}

static UNTRACED int coroutine(void)
{
	pthread_t t;

	pthread_create(&t, NULL, coroutine_thread, NULL);
	pthread_join(t, NULL);
	printf("coroutine: %d rounds%s\n", co_rounds, co_bad ? ", wrong results" : "");
	return co_rounds != 200 || co_bad;
}

#define MSTACK (1 << 20)
static char *mstack;

static UNTRACED uintptr_t get_sp(void)
{
	uintptr_t sp;

#if defined(__x86_64__)
	__asm__ volatile("movq %%rsp, %0" : "=r"(sp));
#else
	__asm__ volatile("mov %0, sp" : "=r"(sp));
#endif
	return sp + 8; /* the caller's: below it, this call's return address */
}

/* bytes below @sp written since the pattern was laid (no calls: they would write too) */
static UNTRACED size_t depth_below(uintptr_t sp)
{
	const volatile unsigned char *p = (const unsigned char *)mstack;

	while ((uintptr_t)p < sp && *p == PATTERN)
		p++;
	return sp - (uintptr_t)p;
}

static UNTRACED void lay_pattern(uintptr_t below)
{
	for (volatile unsigned char *p = (unsigned char *)mstack; (uintptr_t)p < below - 64; p++)
		*p = PATTERN;
}

static UNTRACED void *measure_thread(void *arg)
{
	uintptr_t sp = get_sp();
	size_t first, steady;

	(void)arg;
	s_leaf_p(0); /* the thread's first traced call: its buffers are set up */
	first = depth_below(sp);
	lay_pattern(sp);
	/* many calls: chunks fill and are handed over (a small FTRACE_RT_BUFSIZE) */
	for (int i = 0; i < 20000; i++)
		s_leaf_p(i);
	steady = depth_below(sp);
	printf("measure: first %zu steady %zu\n", first, steady);
	return NULL;
}

static UNTRACED int measure(void)
{
	pthread_attr_t a;
	pthread_t t;

	mstack = guarded(MSTACK);
	memset(mstack, PATTERN, MSTACK);
	pthread_attr_init(&a);
	pthread_attr_setstack(&a, mstack, MSTACK);
	if (pthread_create(&t, &a, measure_thread, NULL))
		return 2;
	pthread_join(t, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "threads"))
		return threads();
	if (!strcmp(mode, "altstack"))
		return altstack();
	if (!strcmp(mode, "coroutine"))
		return coroutine();
	if (!strcmp(mode, "measure"))
		return measure();
	fprintf(stderr, "usage: stk threads|altstack|coroutine|measure\n");
	return 2;
}
