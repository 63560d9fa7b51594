/* SPDX-License-Identifier: MIT */
/*
 * aarch64 trampolines. A patched site executes (arch_impl.h)
 *
 *	MOV	X9, X30		x9 = the traced function's return address
 *	BL	tramp		x30 = site + 8: return into the function
 *
 * (BL to a veneer, LDR X16, #8; BR X16, when the trampoline is out of BL
 * range: x16 is then clobbered, as any PLT stub may.) The traced function
 * has not run yet: x0-x7 and q0-q7 hold its arguments, x8 an indirect
 * result address; all are saved in a struct ftrace_rt_regs (regs.h) and
 * restored. On the way back x30 is loaded from the saved x9 (REGS_LR),
 * where function_graph may have put its return hook, and the trampoline
 * returns into the function with RET X9 (x9 is a temporary at a function's
 * entry). The C dispatcher reads the ops pointer from the slot only inside
 * its RCU read-side section: nothing here loads it.
 *
 * Frame records (as arm64's ftrace_caller): one for the traced function's
 * caller (x29, x9) and one for the traced function itself (x29, x30 = site
 * + 8), so a frame-pointer walk from a callback sees callback, trampoline,
 * traced function, its caller. The CFI says the same to DWARF unwinders: its
 * return column is x9's (a CIE of its own), whose value is the saved x30
 * (the return into the traced function), and the caller's x30 is the saved
 * x9: unwinding into the traced function at site + 8, before its prologue,
 * its own CFI then finds its caller in x30. GCC and clang start a function's
 * FDE after its patchable NOPs, at site + 8 itself, so the usual lookup at
 * return address - 1 would find no FDE: the CIE is marked a signal frame
 * ('S'), whose caller's pc is looked up as it is (libgcc, libunwind and gdb
 * all do so), as for a function interrupted at its first instruction.
 *
 * Copies:
 *   q    q0-q7 at full width (128 bits)
 *   sve  the same plus z0-z7 and p0-p3 at the CPU's vector length (chosen at
 *        start-up when HWCAP_SVE): a function with SVE arguments keeps them;
 *        writing a q register zeroes the upper part of its z register, so
 *        the q copy alone would lose them
 *   gpr  no vector register: for sites whose every ops promised not to touch
 *        them (FTRACE_RT_OPS_F_NO_VECTOR); the runtime code on that path is
 *        built with -mgeneral-regs-only
 * SVE's callee-saved z8-z23 and p4-p15 (functions with SVE arguments only)
 * are not saved: a callback compiled for the base ABI keeps d8-d15 only.
 * SME's ZA and streaming mode are not handled.
 *
 * BTI: everything reached by BR starts with a landing pad: the trampolines
 * with `bti c` (accepts BR X16 from a veneer, and BLR), the return hook with
 * `bti jc`. RET needs none. The GNU property note at the end marks the
 * object BTI- and PAC-compatible (nothing here signs a return address: the
 * traced function signs its own after the site, in its prologue).
 */
#include "gnu_property.h"
#include "regs.h"

	.text
	.arch	armv8-a

/* hidden functions with their own CIE when they change the return column */
.macro FUNC_START name
	.globl	\name
	.hidden	\name
	.type	\name, %function
	.p2align 4
\name:
	.cfi_startproc
.endm

.macro FUNC_END name
	.cfi_endproc
	.size	\name, .-\name
.endm

.macro SAVE_Q
	stp	q0, q1, [sp, #REGS_Q]
	stp	q2, q3, [sp, #REGS_Q + 32]
	stp	q4, q5, [sp, #REGS_Q + 64]
	stp	q6, q7, [sp, #REGS_Q + 96]
.endm

.macro RESTORE_Q
	ldp	q0, q1, [sp, #REGS_Q]
	ldp	q2, q3, [sp, #REGS_Q + 32]
	ldp	q4, q5, [sp, #REGS_Q + 64]
	ldp	q6, q7, [sp, #REGS_Q + 96]
.endm

/*
 * SVE: z0-z7 then p0-p3 below the frame, in vector-length units (addvl keeps
 * sp 16-aligned: the vector length is a multiple of 128 bits). Restoring
 * them restores q0-q7 too (their low 128 bits); a q register restored after
 * them would zero the rest, so the sve copies restore no q register.
 */
.macro SVE_SAVE
	.arch_extension sve
	addvl	sp, sp, #-9
	str	z0, [sp, #1, mul vl]
	str	z1, [sp, #2, mul vl]
	str	z2, [sp, #3, mul vl]
	str	z3, [sp, #4, mul vl]
	str	z4, [sp, #5, mul vl]
	str	z5, [sp, #6, mul vl]
	str	z6, [sp, #7, mul vl]
	str	z7, [sp, #8, mul vl]
	str	p0, [sp, #0, mul vl]
	str	p1, [sp, #1, mul vl]
	str	p2, [sp, #2, mul vl]
	str	p3, [sp, #3, mul vl]
.endm

.macro SVE_RESTORE
	ldr	p0, [sp, #0, mul vl]
	ldr	p1, [sp, #1, mul vl]
	ldr	p2, [sp, #2, mul vl]
	ldr	p3, [sp, #3, mul vl]
	ldr	z0, [sp, #1, mul vl]
	ldr	z1, [sp, #2, mul vl]
	ldr	z2, [sp, #3, mul vl]
	ldr	z3, [sp, #4, mul vl]
	ldr	z4, [sp, #5, mul vl]
	ldr	z5, [sp, #6, mul vl]
	ldr	z6, [sp, #7, mul vl]
	ldr	z7, [sp, #8, mul vl]
	addvl	sp, sp, #9
.endm

/*
 * \kind = slot: the ops pointer is in the 8-aligned slot ahead of the entry.
 * \kind = lookup: the C side finds the site's record by address.
 * \vec = q, sve or gpr (see above).
 *
 * Stack, from the entry's sp (S) down: the caller's frame record (x29, x9)
 * at S - 16, the traced function's (S - 16, x30) at S - 32, the struct
 * ftrace_rt_regs below it, and (sve) z0-z7, p0-p3 below that.
 */
.macro TRAMPOLINE name, kind, vec
	FUNC_START \name
	.cfi_signal_frame		/* the traced function's pc is exact: see above */
	.cfi_return_column x9
	.cfi_def_cfa sp, 0
	.cfi_register x9, x30		/* caller's pc: the return into the traced function */
	.cfi_register x30, x9		/* caller's x30: the traced function's return address */
	bti	c
	sub	sp, sp, #REGS_FRAME + 32
	.cfi_adjust_cfa_offset REGS_FRAME + 32
	stp	x30, x29, [sp, #REGS_IP]	/* REGS_IP, REGS_FP */
	stp	x29, x9, [sp, #REGS_FRAME + 16]
	.cfi_offset x29, -16
	.cfi_offset x30, -8
	add	x29, sp, #REGS_FRAME + 16
	stp	x29, x30, [sp, #REGS_FRAME]
	.cfi_offset x9, -24
	add	x29, sp, #REGS_FRAME
	.cfi_def_cfa x29, 32
	stp	x0, x1, [sp, #REGS_X0]
	stp	x2, x3, [sp, #REGS_X0 + 16]
	stp	x4, x5, [sp, #REGS_X0 + 32]
	stp	x6, x7, [sp, #REGS_X0 + 48]
	stp	x8, x9, [sp, #REGS_X8]		/* x9: REGS_LR */
	add	x10, sp, #REGS_FRAME + 32
	str	x10, [sp, #REGS_SP]
.ifnc \vec,gpr
	SAVE_Q
.endif
	mov	x2, sp				/* regs */
.ifc \vec,sve
	SVE_SAVE
.endif
.ifc \kind,slot
	sub	x0, x30, #16
	and	x0, x0, #~7			/* slot = (x30 - 16) & ~7 */
.else
	sub	x0, x30, #8			/* the site: MOV X9, X30 */
.endif
	mov	x1, x9				/* parent ip */
.ifc \vec,gpr
.ifc \kind,slot
	bl	frt_dispatch_slot_gpr
.else
	bl	frt_dispatch_lookup_gpr
.endif
.else
.ifc \kind,slot
	bl	frt_dispatch_slot
.else
	bl	frt_dispatch_lookup
.endif
.endif
.ifc \vec,sve
	SVE_RESTORE			/* z0-z7 whole: q0-q7 are their low halves */
.endif
.ifc \vec,q
	RESTORE_Q
.endif
	ldp	x0, x1, [sp, #REGS_X0]
	ldp	x2, x3, [sp, #REGS_X0 + 16]
	ldp	x4, x5, [sp, #REGS_X0 + 32]
	ldp	x6, x7, [sp, #REGS_X0 + 48]
	ldr	x8, [sp, #REGS_X8]
	ldr	x30, [sp, #REGS_LR]		/* maybe function_graph's return hook */
	ldp	x9, x29, [sp, #REGS_IP]
	.cfi_def_cfa sp, REGS_FRAME + 32
	.cfi_register x30, x30
	.cfi_register x9, x9
	.cfi_same_value x29
	add	sp, sp, #REGS_FRAME + 32
	.cfi_def_cfa_offset 0
	ret	x9
	FUNC_END \name
.endm

/*
 * function_graph return hook: a hooked function returns here (its x30 was
 * the hook). Its return values are live: x0-x7 (x8 kept too), and q0-q7 in
 * the vector copies (HFA and vector returns use q0-q3). The C side pops the
 * thread's shadow stack, stores the real return address into this hook's
 * frame record (at S - 8, S the sp as the function returned) and returns it.
 *
 * Unwinding: CFA = S, the return address at S - 8, x29 at S - 16 once
 * saved. The word before the hook is a BRK outside any FDE: an unwinder that
 * meets the hook as a frame's return address looks up hook - 4... finds no
 * unwind information and stops rather than loop.
 */
.macro RETHOOK name, vec
	.p2align 4
	brk	#0x3e8
	FUNC_START \name
	.cfi_def_cfa sp, 0
	.cfi_offset x30, -8
	bti	jc
	sub	sp, sp, #REGS_FRAME + 16
	.cfi_adjust_cfa_offset REGS_FRAME + 16
	stp	x29, xzr, [sp, #REGS_FRAME]	/* the real return address comes later */
	.cfi_offset x29, -16
	add	x29, sp, #REGS_FRAME
	.cfi_def_cfa x29, 16
	stp	x0, x1, [sp, #REGS_X0]
	stp	x2, x3, [sp, #REGS_X0 + 16]
	stp	x4, x5, [sp, #REGS_X0 + 32]
	stp	x6, x7, [sp, #REGS_X0 + 48]
	str	x8, [sp, #REGS_X8]
.ifnc \vec,gpr
	SAVE_Q
.endif
	mov	x1, sp				/* regs */
.ifc \vec,sve
	SVE_SAVE
.endif
	add	x0, x29, #16			/* sp as the function returned */
	bl	frt_graph_return
	mov	x30, x0
.ifc \vec,sve
	SVE_RESTORE			/* z0-z7 whole: q0-q7 are their low halves */
.endif
.ifc \vec,q
	RESTORE_Q
.endif
	ldp	x0, x1, [sp, #REGS_X0]
	ldp	x2, x3, [sp, #REGS_X0 + 16]
	ldp	x4, x5, [sp, #REGS_X0 + 32]
	ldp	x6, x7, [sp, #REGS_X0 + 48]
	ldr	x8, [sp, #REGS_X8]
	ldr	x29, [sp, #REGS_FRAME]
	.cfi_def_cfa sp, REGS_FRAME + 16
	.cfi_same_value x29
	add	sp, sp, #REGS_FRAME + 16
	.cfi_def_cfa_offset 0
	.cfi_register x30, x30
	ret
	FUNC_END \name
.endm

TRAMPOLINE frt_tramp_slot_gpr, slot, gpr
TRAMPOLINE frt_tramp_lookup_gpr, lookup, gpr
RETHOOK frt_rethook_gpr, gpr
TRAMPOLINE frt_tramp_slot_q, slot, q
TRAMPOLINE frt_tramp_lookup_q, lookup, q
RETHOOK frt_rethook_q, q
TRAMPOLINE frt_tramp_slot_sve, slot, sve
TRAMPOLINE frt_tramp_lookup_sve, lookup, sve
RETHOOK frt_rethook_sve, sve

/*
 * uintptr_t vsave_call(fn, a, b, c, d): fn(a, b, c, d) keeping the vector
 * argument registers (q0-q7; with SVE z0-z7, p0-p3) around it. On a gpr
 * trampoline's way: for an ops that made no promise about vector registers,
 * and for the runtime's own rare calls into libc.
 */
.macro VSAVE_CALL name, vec
	FUNC_START \name
	bti	c
	sub	sp, sp, #REGS_FRAME + 16
	.cfi_adjust_cfa_offset REGS_FRAME + 16
	stp	x29, x30, [sp, #REGS_FRAME]
	.cfi_offset x29, -16
	.cfi_offset x30, -8
	add	x29, sp, #REGS_FRAME
	.cfi_def_cfa x29, 16
	SAVE_Q
.ifc \vec,sve
	SVE_SAVE
.endif
	mov	x16, x0
	mov	x0, x1
	mov	x1, x2
	mov	x2, x3
	mov	x3, x4
	blr	x16
.ifc \vec,sve
	SVE_RESTORE
.else
	RESTORE_Q
.endif
	ldp	x29, x30, [sp, #REGS_FRAME]
	.cfi_def_cfa sp, REGS_FRAME + 16
	.cfi_same_value x29
	.cfi_same_value x30
	add	sp, sp, #REGS_FRAME + 16
	.cfi_def_cfa_offset 0
	ret
	FUNC_END \name
.endm

VSAVE_CALL frt_vsave_call_q, q
VSAVE_CALL frt_vsave_call_sve, sve

/* This object is BTI- and PAC-compatible. */
GNU_PROPERTY_NOTE_BTI_PAC

	.section .note.GNU-stack, "", %progbits
