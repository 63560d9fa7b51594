/* SPDX-License-Identifier: MIT */
/* The stack a traced call may need, touched before the hot path changes any state. */
#ifndef FRT_STACK_H
#define FRT_STACK_H

#include <stdint.h>

/*
 * The stack a traced call may use below the traced function's entry stack
 * pointer (the address of its return address): the trampoline's register
 * frame, the dispatcher, the built-in tracers, a thread's first event
 * (buffers mapped, its task line written, urcu-bp's registration) and the
 * return hook together use at most about 2.5 KiB (tests/test_stack.py
 * measures it), leaving the rest to a user callback. The dispatcher and the
 * return hook touch the lowest byte of this range before they change any
 * state, so an overflow faults there, where a SIGSEGV handler may
 * siglongjmp away, and not inside the runtime's read-side section or with
 * the recursion guard set. Stacks that the program itself finds big enough
 * (an 8 KiB sigaltstack, a 16 KiB coroutine or thread) have this much room
 * left; the sanitizers' own stack use is far larger.
 */
#ifdef FRT_SANITIZED
#define FRT_STACK_NEED 16384
#else
#define FRT_STACK_NEED 4096
#endif

/*
 * Touch the stack down to @sp - FRT_STACK_NEED a page at a time, so that no
 * guard page is stepped over (the stack just below @sp is in use, so
 * mapped). With 4 KiB that is one load.
 */
static inline __attribute__((always_inline)) void frt_stack_probe(uintptr_t sp)
{
	uintptr_t limit = sp - FRT_STACK_NEED;

	for (uintptr_t p = sp - 4096; p > limit; p -= 4096)
		(void)*(volatile char *)p;
	(void)*(volatile char *)limit;
}

#endif
