/* SPDX-License-Identifier: MIT */
/*
 * aarch64 instruction words, layouts and the pure verbs' names: what
 * arch_impl.h maps the generic names to, and what any host includes to use
 * aarch64's plans (tests/unit), whatever its own arch_impl.h says.
 */
#ifndef FRT_ARCH_AARCH64_H
#define FRT_ARCH_AARCH64_H

#include <stddef.h>
#include <stdint.h>

#define A64_SITE_SIZE  8		   /* MOV X9, X30 (or NOP); BL (or NOP) */
#define A64_CALL_BASE  4		   /* the BL is the site's second instruction */
#define A64_CALL_REACH ((uint64_t)1 << 27) /* BL imm26: +-128 MiB */

/* Instruction words (little-endian in memory; aarch64 Linux is little-endian). */
#define A64_NOP		 0xd503201fu
#define A64_MOV_X9_X30	 0xaa1e03e9u /* ORR X9, XZR, X30 */
#define A64_BTI_C	 0xd503245fu
#define A64_BTI_J	 0xd503249fu
#define A64_BTI_JC	 0xd50324dfu
#define A64_PACIASP	 0xd503233fu
#define A64_BL		 0x94000000u /* | imm26 */
#define A64_BL_MASK	 0xfc000000u
#define A64_LDR_X16_LIT8 0x58000050u /* LDR X16, #8 */
#define A64_BR_X16	 0xd61f0200u

/* Layouts scan reports (arch_layout_name). */
enum aarch64_layout {
	AARCH64_LAYOUT_PFE = 1, /* -fpatchable-function-entry: two NOPs at the site */
};

/* The pure verbs (insn.c: pure C, any host compiles them). */
struct arch_desc;
struct arch_scan_src;
struct arch_site_desc;
struct arch_init;
struct arch_plan;
struct arch_step;
extern const struct arch_desc arch_desc_aarch64;
int aarch64_scan_site(const struct arch_scan_src *src, uint64_t rec, uint64_t entry, int kind,
		      struct arch_site_desc *out);
size_t aarch64_nop_len(const uint8_t *p, size_t avail);
const char *aarch64_layout_name(int layout);
int aarch64_site_state(const uint8_t *p, size_t avail, uint64_t site, uint64_t *target);
int aarch64_encode(uint8_t *out, uint64_t site, int state, uint64_t target);
int aarch64_init_site(uint64_t site, const uint8_t *cur, struct arch_init *out);
int aarch64_plan_site(struct arch_plan *p, uint64_t site, int from, uint64_t from_target, int to,
		      uint64_t to_target);
void aarch64_veneer(uint8_t *out, uint64_t at, uint64_t target);

#endif
