/* SPDX-License-Identifier: MIT */
/* The register frame the trampolines build; offsets are shared with trampoline.S. */
#ifndef FRT_ARCH_REGS_H
#define FRT_ARCH_REGS_H

#define REGS_RDI   0
#define REGS_RSI   8
#define REGS_RDX   16
#define REGS_RCX   24
#define REGS_R8	   32
#define REGS_R9	   40
#define REGS_RAX   48
#define REGS_R10   56
#define REGS_R11   64
#define REGS_RBP   72
#define REGS_SP	   80  /* rsp at the function's entry: points at the return address */
#define REGS_IP	   88  /* return into the function, just after the site */
#define REGS_VEC   128 /* vector argument registers, 64-byte aligned */
#define REGS_XMM   (REGS_VEC + 8 * 64) /* xmm8-15, low 128 bits (see trampoline.S) */
#define REGS_FRAME (REGS_XMM + 8 * 16)

#ifndef __ASSEMBLER__
#include <stdint.h>
#include <ucontext.h>

struct ftrace_rt_regs {
	unsigned long di, si, dx, cx, r8, r9, ax, r10, r11;
	unsigned long bp;
	unsigned long sp;
	unsigned long ip;
	unsigned long pad[4];
	unsigned char vec[8][64];
	unsigned char xmm[8][16]; /* xmm8-15: callee-saved in the Microsoft ABI */
};

_Static_assert(__builtin_offsetof(struct ftrace_rt_regs, r11) == REGS_R11, "regs layout");
_Static_assert(__builtin_offsetof(struct ftrace_rt_regs, ip) == REGS_IP, "regs layout");
_Static_assert(__builtin_offsetof(struct ftrace_rt_regs, vec) == REGS_VEC, "regs layout");
_Static_assert(__builtin_offsetof(struct ftrace_rt_regs, xmm) == REGS_XMM, "regs layout");
_Static_assert(sizeof(struct ftrace_rt_regs) == REGS_FRAME, "regs layout");

/* Integer argument registers in System V order. */
static inline unsigned long arch_regs_arg(const struct ftrace_rt_regs *r, unsigned int n)
{
	switch (n) {
	case 0:
		return r->di;
	case 1:
		return r->si;
	case 2:
		return r->dx;
	case 3:
		return r->cx;
	case 4:
		return r->r8;
	case 5:
		return r->r9;
	default:
		/* stack arguments sit above the return address */
		return ((const unsigned long *)r->sp)[1 + (n - 6)];
	}
}

/* The traced function's stack pointer at its entry: the address of its return address. */
static inline uintptr_t arch_regs_sp(const struct ftrace_rt_regs *r)
{
	return r->sp;
}

/*
 * The frame pointer at the traced function's entry (its caller's rbp), and
 * where a frame record {caller's rbp, return address} lies from a frame
 * pointer: for the stacktrace trigger's walk.
 */
static inline uintptr_t arch_regs_fp(const struct ftrace_rt_regs *r)
{
	return r->bp;
}
#define ARCH_FRAME_RECORD 0

/* Where function_graph finds and replaces the return address: the stack slot at sp. */
static inline uintptr_t *arch_regs_ret(struct ftrace_rt_regs *r)
{
	return (uintptr_t *)r->sp;
}

/* The return hook's stack pointer just after the hooked return: the slot is below it. */
static inline uintptr_t arch_graph_ret_key(uintptr_t sp)
{
	return sp - sizeof(uintptr_t);
}

/* The stack pointer of a saved context (swapcontext's target). */
static inline uintptr_t arch_ucontext_sp(const ucontext_t *uc)
{
	return (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
}

/* The real return address back into its slot, where the hook's CFI reads it. */
static inline void arch_graph_ret_restore(uintptr_t key, uintptr_t ret)
{
	*(volatile uintptr_t *)key = ret;
}

/* Floating-point argument @n (0-based) as a vector trampoline saved it: its low bytes. */
static inline const unsigned char *arch_regs_fparg(const struct ftrace_rt_regs *r, unsigned int n)
{
	return n < 8 ? r->vec[n] : (const unsigned char *)0;
}

/* The integer (or pointer) return value, in the return hook's frame. */
static inline unsigned long arch_regs_retval(const struct ftrace_rt_regs *r)
{
	return r->ax;
}

/*
 * The floating-point return value (the low 8 bytes of xmm0), read from the
 * register itself: the return hook saves no vector register and its C side
 * uses none, so call this before anything else there.
 */
static inline uint64_t arch_fp_retval_live(void)
{
	uint64_t v;

	__asm__ volatile("movq %%xmm0, %0" : "=r"(v));
	return v;
}
#endif

#endif
