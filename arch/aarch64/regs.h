/* SPDX-License-Identifier: MIT */
/*
 * The register frame the aarch64 trampolines build, and the frame verbs
 * (arch/arch.h). Offsets are shared with trampoline.S.
 *
 * At a patched site the traced function has not run yet: x0-x7 and q0-q7
 * hold its arguments, x8 the address of an indirect result, x9 the caller's
 * return address (MOV X9, X30 at the site), x30 the return into the function
 * just after the BL. All of them are saved and restored; x30 is restored
 * from the saved x9 (`lr` below), which is where function_graph puts its
 * return hook. x16 and x17 (IP0, IP1) are clobbered by a veneer, as by any
 * PLT stub, and x10-x15 are free at a function's entry: AAPCS64 lets no
 * caller keep anything there.
 */
#ifndef FRT_ARCH_REGS_H
#define FRT_ARCH_REGS_H

#define REGS_X0	   0 /* x0-x8: 9 registers */
#define REGS_X8	   64
#define REGS_LR	   72  /* x9 at the site: the traced function's return address */
#define REGS_IP	   80  /* x30 at the trampoline: return into the function after the BL */
#define REGS_FP	   88  /* x29 at the function's entry */
#define REGS_SP	   96  /* sp at the function's entry */
#define REGS_Q	   112 /* q0-q7, 16-byte aligned */
#define REGS_FRAME (REGS_Q + 8 * 16)

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>

struct ftrace_rt_regs {
	unsigned long x[9]; /* x0-x8 */
	unsigned long lr;   /* the caller's return address (x9 at the site) */
	unsigned long ip;   /* return into the traced function, after the site */
	unsigned long fp;
	unsigned long sp;
	unsigned long pad;
	unsigned char q[8][16]; /* q0-q7: the vector argument registers (not in gpr frames) */
};

_Static_assert(__builtin_offsetof(struct ftrace_rt_regs, x[8]) == REGS_X8, "regs layout");
_Static_assert(__builtin_offsetof(struct ftrace_rt_regs, lr) == REGS_LR, "regs layout");
_Static_assert(__builtin_offsetof(struct ftrace_rt_regs, ip) == REGS_IP, "regs layout");
_Static_assert(__builtin_offsetof(struct ftrace_rt_regs, fp) == REGS_FP, "regs layout");
_Static_assert(__builtin_offsetof(struct ftrace_rt_regs, sp) == REGS_SP, "regs layout");
_Static_assert(__builtin_offsetof(struct ftrace_rt_regs, q) == REGS_Q, "regs layout");
_Static_assert(sizeof(struct ftrace_rt_regs) == REGS_FRAME, "regs layout");
_Static_assert(REGS_FRAME % 16 == 0, "sp stays 16-aligned");

/* Integer arguments: x0-x7, then 8-byte stack slots from the entry's sp. */
static inline unsigned long arch_regs_arg(const struct ftrace_rt_regs *r, unsigned int n)
{
	if (n < 8)
		return r->x[n];
	return ((const unsigned long *)r->sp)[n - 8];
}

/*
 * x29 at the traced function's entry (its caller's frame record), and where
 * a frame record {caller's x29, x30} lies from it (AAPCS64 5.2.3): for the
 * stacktrace trigger's walk.
 */
static inline uintptr_t arch_regs_fp(const struct ftrace_rt_regs *r)
{
	return r->fp;
}
#define ARCH_FRAME_RECORD 0

/* The traced function's sp at its entry: its frame's identity for function_graph. */
static inline uintptr_t arch_regs_sp(const struct ftrace_rt_regs *r)
{
	return r->sp;
}

/*
 * Where the traced function's return address is: the x9 the trampoline saved,
 * which it restores into x30 before it returns into the function. Writing
 * the return hook there makes the function return into the hook.
 */
static inline uintptr_t *arch_regs_ret(struct ftrace_rt_regs *r)
{
	return (uintptr_t *)&r->lr;
}

/* The return value (x0) in a frame the return hook built. */
static inline unsigned long arch_regs_retval(const struct ftrace_rt_regs *r)
{
	return r->x[0];
}

/* Floating-point argument @n (0-based) as a vector trampoline saved it: q@n's low bytes. */
static inline const unsigned char *arch_regs_fparg(const struct ftrace_rt_regs *r, unsigned int n)
{
	return n < 8 ? r->q[n] : (const unsigned char *)0;
}

/*
 * The floating-point return value (d0), read from the register itself: the
 * return hook saves no vector register and its C side is built
 * -mgeneral-regs-only, so call this before anything else there.
 */
static inline uint64_t arch_fp_retval_live(void)
{
	/* FMOV X16, D0 as a word: clang's assembler refuses FP instructions in
	 * code built -mgeneral-regs-only, GCC's accepts them */
	register uint64_t v __asm__("x16");

	__asm__ volatile(".inst 0x9e660010" : "=r"(v));
	return v;
}

/* The return hook passes sp just after the hooked return: the entry's sp. */
static inline uintptr_t arch_graph_ret_key(uintptr_t sp)
{
	return sp;
}

/*
 * While the return hook runs, its frame record sits just below that sp and
 * its CFI finds the return address at sp - 8: the real one goes there, so an
 * unwinder that interrupts the hook continues into the real caller.
 */
static inline void arch_graph_ret_restore(uintptr_t key, uintptr_t ret)
{
	*(volatile uintptr_t *)(key - sizeof(uintptr_t)) = ret;
}

/*
 * While a hooked function runs, its return address (the hook) is not at the
 * key: it is in x30, and once the function calls anything, in its frame
 * record (AAPCS64 5.2.3: x29 points at {caller's x29, x30}), somewhere
 * below the key. Where exactly depends on the prologue, so the runtime finds
 * it by walking the frame records (lib/trace/fgraph.c) and keeps it per
 * shadow entry. A function built without frame records is not found: its
 * frame keeps the hook (unwinders stop there; the graveyard cannot give it
 * its return address back).
 */
#define ARCH_GRAPH_RET_IN_RECORD 1

/* The frame record at @fp: the caller's record, and where its return address is. */
static inline uintptr_t arch_record_next(uintptr_t fp)
{
	return *(const uintptr_t *)fp;
}

static inline uintptr_t arch_record_ret(uintptr_t fp)
{
	return fp + sizeof(uintptr_t);
}

/*
 * Pointer authentication (-mbranch-protection=pac-ret): a function may sign
 * its return address (PACIASP/PACIBSP, modifier: sp at its entry, the key)
 * before it stores it in its frame record. These are HINT-space
 * instructions: plain NOPs on a CPU without PAuth, where nothing is signed.
 */
static inline uintptr_t arch_ret_strip(uintptr_t v)
{
	register uintptr_t x30 __asm__("x30") = v;

	__asm__("hint #7" /* XPACLRI */ : "+r"(x30));
	return x30;
}

static inline uintptr_t a64_pac(uintptr_t v, uintptr_t mod, bool bkey)
{
	register uintptr_t x17 __asm__("x17") = v;
	register uintptr_t x16 __asm__("x16") = mod;

	if (bkey)
		__asm__("hint #10" /* PACIB1716 */ : "+r"(x17) : "r"(x16));
	else
		__asm__("hint #8" /* PACIA1716 */ : "+r"(x17) : "r"(x16));
	return x17;
}

/*
 * The key function @fn signs its return address with: its PACIASP or
 * PACIBSP comes in its first instructions (after the site, or later where
 * the prologue is shrink-wrapped); looked for within @fn's page, up to its
 * first return. 0: neither found (it does not sign), 1: A, 2: B.
 */
static inline int a64_ret_key(uintptr_t fn)
{
	for (uintptr_t p = fn & ~(uintptr_t)3; p < fn + 64 && ((p ^ fn) & ~(uintptr_t)4095) == 0;
	     p += 4) {
		uint32_t insn = *(const volatile uint32_t *)p;

		if (insn == 0xd503237fu) /* PACIBSP */
			return 2;
		if (insn == 0xd503233fu) /* PACIASP */
			return 1;
		if (insn == 0xd65f03c0u) /* RET: the end of an unsigned leaf */
			break;
	}
	return 0;
}

/*
 * A frame record's return word @stored holds @from (signed or not, with
 * modifier @key, by function @fn): the word that holds @to the same way, or
 * 0 if @stored is not @from. A PAC has few bits (7 under qemu-user, whose
 * instruction addresses keep top-byte-ignore), so @stored may read the same
 * several ways: a value signed with one key verifies with the other now and
 * then (a run in ten of tr_cxx's backtrace case re-signed the hook with the
 * wrong key and died at the return), and a signed value whose PAC happens
 * to be 0 is equal to the plain one (1 in 128 under qemu: the hook then went
 * back unsigned, and the function's AUTIASP failed at its return; also a run
 * in ten of tr_cxx_pac's C++ cases). When more than one reading holds, the
 * function's own code says which it uses; if it names none of them, the
 * word is left alone (0).
 */
static inline uintptr_t arch_ret_replace(uintptr_t stored, uintptr_t from, uintptr_t to,
					 uintptr_t key, uintptr_t fn)
{
	bool plain, a, b;

	if (arch_ret_strip(stored) != from)
		return 0;
	plain = stored == from;
	a = a64_pac(from, key, false) == stored;
	b = a64_pac(from, key, true) == stored;
	if (plain + a + b > 1) {
		int k = a64_ret_key(fn);

		plain = plain && k == 0;
		a = a && k == 1;
		b = b && k == 2;
	}
	if (plain)
		return to;
	if (a || b)
		return a64_pac(to, key, b);
	return 0;
}

/* The stack pointer a ucontext_t holds (a macro: no <ucontext.h> here). */
#define arch_ucontext_sp(ucp) ((uintptr_t)(ucp)->uc_mcontext.sp)
#endif

#endif
