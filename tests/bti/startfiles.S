/* SPDX-License-Identifier: MIT */
#include "gnu_property.h"

/*
 * For the objects linked -nostartfiles (tests/bti/meson.build): what
 * crtbeginS.o gives an object, __dso_handle (atexit and pthread_atfork name
 * the object with it), and libgcc's outline-atomics flag. libgcc.a's own
 * (lse-init.o) comes with a constructor without a landing pad, called by
 * the loader with BLR: under BTI enforcement the object dies at start-up.
 * Defining the flag here keeps that member out; this constructor sets it
 * the same way (HWCAP_ATOMICS), after `bti c`.
 */
	.section .data.rel.ro, "aw"
	.align	3
	.globl	__dso_handle
	.hidden	__dso_handle
	.type	__dso_handle, %object
__dso_handle:
	.xword	__dso_handle
	.size	__dso_handle, 8

	.bss
	.globl	__aarch64_have_lse_atomics
	.hidden	__aarch64_have_lse_atomics
	.type	__aarch64_have_lse_atomics, %object
__aarch64_have_lse_atomics:
	.byte	0
	.size	__aarch64_have_lse_atomics, 1

	.text
	.type	frt_lse_init, %function
frt_lse_init:
	bti	c
	stp	x29, x30, [sp, #-16]!
	mov	x29, sp
	mov	x0, #16			/* AT_HWCAP */
	bl	getauxval
	ubfx	w0, w0, #8, #1		/* HWCAP_ATOMICS */
	adrp	x1, __aarch64_have_lse_atomics
	strb	w0, [x1, #:lo12:__aarch64_have_lse_atomics]
	ldp	x29, x30, [sp], #16
	ret
	.size	frt_lse_init, . - frt_lse_init

	.section .init_array, "aw"
	.align	3
	.xword	frt_lse_init

	.section .note.GNU-stack, "", %progbits
GNU_PROPERTY_NOTE_BTI_PAC
