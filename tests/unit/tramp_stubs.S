/* SPDX-License-Identifier: MIT */
/*
 * For check_tramp: the C side of the trampolines replaced by code that
 * clobbers every register the System V ABI lets it (the vector registers
 * only when stub_vec is set: a gpr trampoline's C side never touches them),
 * and tramp_check, which calls a trampoline, return hook or thunk with
 * patterns in the registers a Microsoft-ABI caller keeps (xmm6-15, rdi, rsi)
 * and returns a mask of those changed: bit n for xmmn, 16 for rdi, 17 for rsi.
 */
	.data
	.globl	stub_vec, stub_ret, stub_target
stub_vec:	.long 0
	.balign 8
stub_ret:	.quad 0		/* what the frt_graph_return stub returns */
stub_target:	.quad 0

	.section .rodata
	.balign 16
pattern:
	.irp n, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	.quad	0x0123456789abcd00 + \n, 0xfedcba9876543200 + \n
	.endr

	.text
.macro CLOBBER
	movq	$-1, %rdi
	movq	$-1, %rsi
	movq	$-1, %rdx
	movq	$-1, %rcx
	movq	$-1, %r8
	movq	$-1, %r9
	movq	$-1, %r10
	movq	$-1, %r11
	cmpl	$0, stub_vec(%rip)
	je	9f
	.irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	pcmpeqd	%xmm\n, %xmm\n
	.endr
9:
.endm

	.globl	frt_dispatch_slot, frt_dispatch_lookup, frt_dispatch_slot_gpr
	.globl	frt_dispatch_lookup_gpr, frt_graph_return, stub_clobber
	.type	stub_clobber, @function
frt_dispatch_slot:
frt_dispatch_lookup:
frt_dispatch_slot_gpr:
frt_dispatch_lookup_gpr:
stub_clobber:
	CLOBBER
	movq	$-1, %rax
	ret
	.size	stub_clobber, .-stub_clobber

	.type	frt_graph_return, @function
frt_graph_return:
	CLOBBER
	movq	stub_ret(%rip), %rax
	ret
	.size	frt_graph_return, .-frt_graph_return

/* a traced function's site: calls the trampoline, then "runs" */
	.type	fake_fn, @function
fake_fn:
	call	*stub_target(%rip)
	ret
	.size	fake_fn, .-fake_fn

/* unsigned long tramp_check(void *target, int kind): 0 trampoline, 1 return hook, 2 thunk */
	.globl	tramp_check
	.type	tramp_check, @function
tramp_check:
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	subq	$16, %rsp		/* %rsp 16-aligned at the calls */
	movq	%rdi, stub_target(%rip)
	movl	%esi, %r12d
	.irp n, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	movdqa	pattern+16*(\n-6)(%rip), %xmm\n
	.endr
	cmpl	$1, %r12d
	je	1f
	cmpl	$2, %r12d
	je	2f
	movabsq	$0x5eed5eed00000016, %rdi
	movabsq	$0x5eed5eed00000017, %rsi
	call	fake_fn
	jmp	3f
1:	/* as if a hooked function returned into the hook; it returns to 4: */
	leaq	4f(%rip), %rax
	movq	%rax, stub_ret(%rip)
	movabsq	$0x5eed5eed00000016, %rdi
	movabsq	$0x5eed5eed00000017, %rsi
	jmp	*stub_target(%rip)
4:	jmp	3f
2:	/* vsave_call(stub_clobber, 0, 0, 0, 0): called from C, it need not keep rdi/rsi */
	leaq	stub_clobber(%rip), %rdi
	xorl	%esi, %esi
	xorl	%edx, %edx
	xorl	%ecx, %ecx
	xorl	%r8d, %r8d
	call	*stub_target(%rip)
	movabsq	$0x5eed5eed00000016, %rdi
	movabsq	$0x5eed5eed00000017, %rsi
3:
	xorl	%r13d, %r13d
	.irp n, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	pcmpeqb	pattern+16*(\n-6)(%rip), %xmm\n
	pmovmskb %xmm\n, %eax
	cmpl	$0xffff, %eax
	je	5f
	orq	$(1 << \n), %r13
5:
	.endr
	movabsq	$0x5eed5eed00000016, %rax
	cmpq	%rax, %rdi
	je	6f
	orq	$(1 << 16), %r13
6:
	movabsq	$0x5eed5eed00000017, %rax
	cmpq	%rax, %rsi
	je	7f
	orq	$(1 << 17), %r13
7:
	movq	%r13, %rax
	addq	$16, %rsp
	popq	%r13
	popq	%r12
	popq	%rbx
	ret
	.size	tramp_check, .-tramp_check

	.section .note.GNU-stack, "", @progbits
