/* SPDX-License-Identifier: MIT */
/*
 * GNU_PROPERTY_NOTE_BTI_PAC: the note that marks an aarch64 object as
 * BTI- and PAC-compatible (the linker ANDs the marks of its inputs, so
 * every hand-written object of a BTI-marked output must carry it). For
 * assembly files only. Layout (ELF note, 8-aligned):
 *
 *	+0  n_namesz = 4         +4  n_descsz = 16     +8  n_type = 5
 *	+12 "GNU\0"
 *	+16 pr_type = 0xc0000000 (GNU_PROPERTY_AARCH64_FEATURE_1_AND)
 *	+20 pr_datasz = 4        +24 pr_data = 3 (BTI | PAC)  +28 padding
 */
#ifndef FTRACE_RT_ARCH_AARCH64_GNU_PROPERTY_H
#define FTRACE_RT_ARCH_AARCH64_GNU_PROPERTY_H

/* clang-format off */
#define GNU_PROPERTY_NOTE_BTI_PAC					\
	.pushsection .note.gnu.property, "a";				\
	.balign	8;							\
	.long	4;							\
	.long	16;							\
	.long	5;							\
	.asciz	"GNU";							\
	.long	0xc0000000;						\
	.long	4;							\
	.long	3;							\
	.long	0;							\
	.popsection
/* clang-format on */

#endif
