/* SPDX-License-Identifier: MIT */
#include "gnu_property.h"

/*
 * The program entry of a BTI-enforced fixture. Debian 12's crt1.o has no
 * landing pad at _start, and the loader enters a program with BR: a program
 * whose pages are guarded dies there with SIGILL. This is glibc's aarch64
 * start.S (2.34 ABI: no init/fini arguments) with `bti c` first. The
 * fixtures are linked -nostartfiles (no crti/crtbegin: their _init and
 * frame_dummy, called with BLR, have no pads either).
 */
	.text
	.globl	_start
	.type	_start, %function
_start:
	bti	c
	mov	x29, #0
	mov	x30, #0
	mov	x5, x0			/* rtld_fini */
	ldr	x1, [sp]		/* argc */
	add	x2, sp, #8		/* argv */
	mov	x6, sp			/* stack_end */
	adrp	x0, :got:main
	ldr	x0, [x0, #:got_lo12:main]
	mov	x3, #0
	mov	x4, #0
	bl	__libc_start_main
	bl	abort
	.size	_start, . - _start

	.section .note.GNU-stack, "", %progbits
GNU_PROPERTY_NOTE_BTI_PAC
