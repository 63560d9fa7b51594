/* SPDX-License-Identifier: MIT */
/*
 * unsigned long msabi_call(double (*fn)(double, long) __attribute__((ms_abi)),
 *                          double x, long k, double *out)
 *
 * Calls the Microsoft-ABI function @fn(x, k) with values of its own in the
 * registers that ABI makes callee-saved and System V does not (xmm6-15, low
 * 128 bits; rdi, rsi), stores the result at @out and returns a mask of those
 * that came back changed: bit n for xmmn, bit 16 for rdi, bit 17 for rsi.
 * In assembly so that the values really are live across the call, whatever
 * the compiler.
 */
	.section .rodata
	.balign 16
pattern:
	.irp n, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	.quad	0x0123456789abcd00 + \n, 0xfedcba9876543200 + \n
	.endr

	.text
	.globl	msabi_call
	.type	msabi_call, @function
msabi_call:
	.cfi_startproc
	pushq	%rbx
	.cfi_adjust_cfa_offset 8
	pushq	%r12
	.cfi_adjust_cfa_offset 8
	pushq	%r13
	.cfi_adjust_cfa_offset 8
	subq	$32, %rsp		/* the callee's home space; %rsp stays 16-aligned */
	.cfi_adjust_cfa_offset 32
	movq	%rdi, %rbx
	movq	%rdx, %r12
	movq	%rsi, %rdx		/* second argument; the first (x) is in %xmm0 in both ABIs */
	.irp n, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	movdqa	pattern+16*(\n-6)(%rip), %xmm\n
	.endr
	movabsq	$0x5eed5eed00000016, %rdi
	movabsq	$0x5eed5eed00000017, %rsi
	call	*%rbx
	movsd	%xmm0, (%r12)
	xorl	%r13d, %r13d
	.irp n, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	pcmpeqb	pattern+16*(\n-6)(%rip), %xmm\n
	pmovmskb %xmm\n, %eax
	cmpl	$0xffff, %eax
	je	1f
	orq	$(1 << \n), %r13
1:
	.endr
	movabsq	$0x5eed5eed00000016, %rax
	cmpq	%rax, %rdi
	je	2f
	orq	$(1 << 16), %r13
2:
	movabsq	$0x5eed5eed00000017, %rax
	cmpq	%rax, %rsi
	je	3f
	orq	$(1 << 17), %r13
3:
	movq	%r13, %rax
	addq	$32, %rsp
	.cfi_adjust_cfa_offset -32
	popq	%r13
	.cfi_adjust_cfa_offset -8
	popq	%r12
	.cfi_adjust_cfa_offset -8
	popq	%rbx
	.cfi_adjust_cfa_offset -8
	ret
	.cfi_endproc
	.size	msabi_call, .-msabi_call

	.section .note.GNU-stack, "", @progbits
