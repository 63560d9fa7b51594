/* SPDX-License-Identifier: MIT */
/*
 * Common trampolines. A patched site executes "call veneer" (or calls the
 * trampoline directly when it is in rel32 range); on entry here:
 *	0(%rsp)  return into the traced function, just after its site
 *	8(%rsp)  the traced function's own return address
 * The traced function has not run yet, so everything the ABI lets a caller
 * rely on at a call is live: the integer argument registers, %rax (vector
 * count for varargs), %r10 (static chain), %r11, and the vector argument
 * registers at full width. All are saved in a struct ftrace_rt_regs and
 * restored. The direction flag is clear on entry to any function by the ABI
 * and the C code keeps it so. The C dispatcher reads the ops pointer only
 * inside its RCU read-side section; nothing here loads it.
 *
 * A function declared __attribute__((ms_abi)) has callers that may keep
 * values in xmm6-15 (the low 128 bits) and in %rdi and %rsi, callee-saved in
 * that ABI and not in System V, whose code runs behind this hook: every copy
 * that runs code which may touch vector registers also keeps the low 128
 * bits of xmm8-15 (xmm6 and 7 are saved with the arguments), and the return
 * hooks keep xmm6-15, %rdi and %rsi. The upper halves are volatile in both
 * ABIs.
 *
 * Three copies differ only in vector width (SSE, AVX, AVX-512) and are chosen
 * at start-up from CPUID/XCR0. A fourth ("gpr") saves no vector register: it
 * is called only by sites whose every ops promised not to touch them
 * (FTRACE_RT_OPS_F_NO_VECTOR), and the runtime code on that path is built
 * with -mgeneral-regs-only. Trampolines are never unmapped.
 */
#include "regs.h"
#ifdef __CET__
#include <cet.h> /* marks the object IBT/SHSTK compatible */
#endif

	.text

.macro SAVE_GPRS
	movq	%rdi, REGS_RDI(%rsp)
	movq	%rsi, REGS_RSI(%rsp)
	movq	%rdx, REGS_RDX(%rsp)
	movq	%rcx, REGS_RCX(%rsp)
	movq	%r8, REGS_R8(%rsp)
	movq	%r9, REGS_R9(%rsp)
	movq	%rax, REGS_RAX(%rsp)
	movq	%r10, REGS_R10(%rsp)
	movq	%r11, REGS_R11(%rsp)
	movq	0(%rbp), %rax
	movq	%rax, REGS_RBP(%rsp)
	leaq	16(%rbp), %rax
	movq	%rax, REGS_SP(%rsp)
	movq	8(%rbp), %rax
	movq	%rax, REGS_IP(%rsp)
.endm

.macro RESTORE_GPRS
	movq	REGS_RDI(%rsp), %rdi
	movq	REGS_RSI(%rsp), %rsi
	movq	REGS_RDX(%rsp), %rdx
	movq	REGS_RCX(%rsp), %rcx
	movq	REGS_R8(%rsp), %r8
	movq	REGS_R9(%rsp), %r9
	movq	REGS_RAX(%rsp), %rax
	movq	REGS_R10(%rsp), %r10
	movq	REGS_R11(%rsp), %r11
.endm



/* a function of this library only, with its CFI */
.macro FUNC_START name
	.globl	\name
	.hidden	\name
	.type	\name, @function
	.p2align 4
\name:
	.cfi_startproc
.endm

.macro FUNC_END name
	.cfi_endproc
	.size	\name, .-\name
.endm

/*
 * The size of the frame: a gpr copy never touches the struct ftrace_rt_regs
 * part for xmm8-15 (nor does any C code), so it does not reserve it.
 */
.macro FRAME_SIZE vec
.ifc \vec,gpr
	subq	$REGS_XMM, %rsp
.else
	subq	$REGS_FRAME, %rsp
.endif
.endm

/* a frame pointer, and a 64-byte aligned struct ftrace_rt_regs at %rsp */
.macro FRAME_ENTER vec
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	movq	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	FRAME_SIZE \vec
	andq	$-64, %rsp
.endm

.macro FRAME_LEAVE
	movq	%rbp, %rsp
	popq	%rbp
	.cfi_def_cfa %rsp, 8
	ret
.endm

/* save/restore vector register \n at full width */
.macro VSAVE vec, n
.ifc \vec,sse
	movdqu	%xmm\n, REGS_VEC+64*\n(%rsp)
.endif
.ifc \vec,avx
	vmovdqu	%ymm\n, REGS_VEC+64*\n(%rsp)
.endif
.ifc \vec,avx512
	vmovdqu64 %zmm\n, REGS_VEC+64*\n(%rsp)
.endif
.endm

.macro VRESTORE vec, n
.ifc \vec,sse
	movdqu	REGS_VEC+64*\n(%rsp), %xmm\n
.endif
.ifc \vec,avx
	vmovdqu	REGS_VEC+64*\n(%rsp), %ymm\n
.endif
.ifc \vec,avx512
	vmovdqu64 REGS_VEC+64*\n(%rsp), %zmm\n
.endif
.endm

/* the vector argument registers 0-7 */
.macro VSAVE_ARGS vec
	VSAVE	\vec, 0
	VSAVE	\vec, 1
	VSAVE	\vec, 2
	VSAVE	\vec, 3
	VSAVE	\vec, 4
	VSAVE	\vec, 5
	VSAVE	\vec, 6
	VSAVE	\vec, 7
.endm

.macro VRESTORE_ARGS vec
	VRESTORE \vec, 0
	VRESTORE \vec, 1
	VRESTORE \vec, 2
	VRESTORE \vec, 3
	VRESTORE \vec, 4
	VRESTORE \vec, 5
	VRESTORE \vec, 6
	VRESTORE \vec, 7
.endm

/* xmm\n's low 128 bits (xmm6-15: the Microsoft ABI's callee-saved part) at \off */
.macro XSAVE vec, n, off
.ifc \vec,sse
	movaps	%xmm\n, \off(%rsp)
.else
	vmovaps	%xmm\n, \off(%rsp)
.endif
.endm

.macro XRESTORE vec, n, off
.ifc \vec,sse
	movaps	\off(%rsp), %xmm\n
.else
	vmovaps	\off(%rsp), %xmm\n
.endif
.endm

/* xmm8-15: with the vector argument registers, all the Microsoft ABI keeps */
.macro XSAVE_MS vec
.irp n, 8, 9, 10, 11, 12, 13, 14, 15
	XSAVE	\vec, \n, REGS_XMM+16*(\n-8)
.endr
.endm

.macro XRESTORE_MS vec
.irp n, 8, 9, 10, 11, 12, 13, 14, 15
	XRESTORE \vec, \n, REGS_XMM+16*(\n-8)
.endr
.endm

/* After saving the wide registers, run the C code with clean upper halves. */
.macro VZERO vec
.ifc \vec,avx
	vzeroupper
.endif
.ifc \vec,avx512
	vzeroupper
.endif
.endm

/*
 * \kind = slot: the ops pointer is in the 8-aligned slot ahead of the entry.
 * \kind = lookup: the C side finds the site's record by address.
 */
.macro TRAMPOLINE name, kind, vec
	FUNC_START \name
	endbr64
	FRAME_ENTER \vec
	SAVE_GPRS
	VSAVE_ARGS \vec
.ifnc \vec,gpr
	XSAVE_MS \vec
.endif
	VZERO	\vec
	movq	8(%rbp), %rdi
.ifc \kind,slot
	subq	$13, %rdi
	andq	$-8, %rdi		/* slot = (ret - 13) & ~7 */
.else
	subq	$5, %rdi		/* site address */
.endif
	movq	16(%rbp), %rsi		/* parent ip */
	movq	%rsp, %rdx		/* regs */
.ifc \vec,gpr
.ifc \kind,slot
	call	frt_dispatch_slot_gpr
.else
	call	frt_dispatch_lookup_gpr
.endif
.else
.ifc \kind,slot
	call	frt_dispatch_slot
.else
	call	frt_dispatch_lookup
.endif
.endif
	VRESTORE_ARGS \vec
.ifnc \vec,gpr
	XRESTORE_MS \vec
.endif
	RESTORE_GPRS
	FRAME_LEAVE
	FUNC_END \name
.endm

/*
 * function_graph return hook: a hooked function "returns" here. Its return
 * values (%rax, %rdx, vector 0 and 1 at full width) are live; the C side
 * pops the thread's shadow stack and gives back the real return address,
 * which is put where this hook's own return address goes. The gpr copy
 * leaves the vector registers alone: its C side never touches them. %rdi
 * and %rsi are kept for Microsoft-ABI callers, and the vector copies keep
 * xmm6-15 for them too.
 *
 * Unwinding. The hook reuses the slot it was hijacked from (rsp - 8 on
 * entry) for the real return address, and frt_graph_return() stores it there
 * before it pops the entry; while the entry is still on the shadow stack, an
 * unwinder that starts on this thread has it put there too (lib/trace/unwind.c).
 * So the CFI says what is true at every instruction: CFA = rsp at entry (the
 * caller's stack pointer after the return), return address at CFA - 8, %rbp
 * the caller's until pushed. A signal handler's backtrace, or a debugger
 * stopped in here, continues into the real caller.
 *
 * The byte before the hook belongs to no FDE. An unwinder that meets the hook
 * as a frame's return address (a walk nothing warned us of: a debugger) looks
 * up hook - 1, as for any return address, finds no unwind information and
 * stops there, as before: it can never loop on the hook's own CFI, which
 * would name the same slot again.
 */
.macro RETHOOK name, vec
	.p2align 4
	int3				/* padding outside any FDE: see above */
	FUNC_START \name
	.cfi_def_cfa %rsp, 0
	.cfi_offset %rip, -8
	endbr64
	subq	$8, %rsp		/* the slot: becomes the real return address */
	.cfi_adjust_cfa_offset 8
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_offset %rbp, -16
	movq	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	FRAME_SIZE \vec
	andq	$-64, %rsp
	movq	%rax, REGS_RAX(%rsp)
	movq	%rdx, REGS_RDX(%rsp)
	movq	%rdi, REGS_RDI(%rsp)
	movq	%rsi, REGS_RSI(%rsp)
	VSAVE	\vec, 0
	VSAVE	\vec, 1
.ifnc \vec,gpr
	XSAVE	\vec, 6, REGS_VEC+64*6
	XSAVE	\vec, 7, REGS_VEC+64*7
	XSAVE_MS \vec
.endif
	VZERO	\vec
	leaq	16(%rbp), %rdi		/* rsp as the function returned */
	movq	%rsp, %rsi
	call	frt_graph_return	/* has stored the return address at 8(%rbp) */
	VRESTORE \vec, 0
	VRESTORE \vec, 1
.ifnc \vec,gpr
	XRESTORE \vec, 6, REGS_VEC+64*6
	XRESTORE \vec, 7, REGS_VEC+64*7
	XRESTORE_MS \vec
.endif
	movq	REGS_RAX(%rsp), %rax
	movq	REGS_RDX(%rsp), %rdx
	movq	REGS_RDI(%rsp), %rdi
	movq	REGS_RSI(%rsp), %rsi
	movq	%rbp, %rsp
	popq	%rbp
	.cfi_def_cfa %rsp, 8
	.cfi_restore %rbp
	ret
	FUNC_END \name
.endm

TRAMPOLINE frt_tramp_slot_gpr, slot, gpr
TRAMPOLINE frt_tramp_lookup_gpr, lookup, gpr
RETHOOK frt_rethook_gpr, gpr
TRAMPOLINE frt_tramp_slot_sse, slot, sse
TRAMPOLINE frt_tramp_lookup_sse, lookup, sse
RETHOOK frt_rethook_sse, sse
TRAMPOLINE frt_tramp_slot_avx, slot, avx
TRAMPOLINE frt_tramp_lookup_avx, lookup, avx
RETHOOK frt_rethook_avx, avx
TRAMPOLINE frt_tramp_slot_avx512, slot, avx512
TRAMPOLINE frt_tramp_lookup_avx512, lookup, avx512
RETHOOK frt_rethook_avx512, avx512

/*
 * uintptr_t vsave_call(fn, a, b, c, d): fn(a, b, c, d) keeping vector
 * registers 0-7 at full width and the low 128 bits of xmm8-15 (for a
 * Microsoft-ABI function's caller). On a gpr trampoline's way: for an ops that
 * made no promise about vector registers, and for the runtime's own rare
 * calls into libc (a thread's first event sets up its buffers).
 */
.macro VSAVE_CALL name, vec
	FUNC_START \name
	FRAME_ENTER \vec
	VSAVE_ARGS \vec
	XSAVE_MS \vec
	VZERO	\vec
	movq	%rdi, %rax
	movq	%rsi, %rdi
	movq	%rdx, %rsi
	movq	%rcx, %rdx
	movq	%r8, %rcx
	call	*%rax
	VRESTORE_ARGS \vec
	XRESTORE_MS \vec
	FRAME_LEAVE
	FUNC_END \name
.endm

VSAVE_CALL frt_vsave_call_sse, sse
VSAVE_CALL frt_vsave_call_avx, avx
VSAVE_CALL frt_vsave_call_avx512, avx512

	.section .note.GNU-stack, "", @progbits
