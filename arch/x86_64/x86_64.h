/* SPDX-License-Identifier: MIT */
/*
 * x86_64's constants and pure verbs (insn.c), usable on any host: the unit
 * tests walk these plans wherever they are built. arch_impl.h maps the
 * generic names of arch/arch.h onto them for an x86_64 build.
 *
 * A site is 5 bytes: one NOP5 while off, one CALL rel32 while on. GCC leaves
 * five 1-byte NOPs (RAW) that init turns into one NOP5 while no thread can be
 * inside the run; clang leaves the NOP5. With -fcf-protection an endbr64 (the
 * landing pad) precedes the site.
 */
#ifndef FRT_ARCH_X86_64_H
#define FRT_ARCH_X86_64_H

#include <stddef.h>
#include <stdint.h>

#define X86_SITE_SIZE  5 /* a NOP5 or a CALL rel32 */
#define X86_PAD_SIZE   4 /* endbr64 */
#define X86_CACHE_LINE 64

/* Layouts (arch_site_desc.layout). */
enum {
	X86_LAYOUT_PFE_NOP1 = 1, /* -fpatchable-function-entry, GCC: run of 1-byte NOPs */
	X86_LAYOUT_PFE_NOP5,	 /* -fpatchable-function-entry, clang: one NOP5 */
	X86_LAYOUT_MCOUNT,	 /* -pg -mfentry -mnop-mcount -mrecord-mcount: NOP5 at entry */
};

struct arch_scan_src;
struct arch_site_desc;
struct arch_init;
struct arch_plan;
struct arch_desc;

int x86_64_scan_site(const struct arch_scan_src *src, uint64_t rec, uint64_t entry, int kind,
		     struct arch_site_desc *out);
size_t x86_64_nop_len(const uint8_t *p, size_t avail);
const char *x86_64_layout_name(int layout);
int x86_64_site_state(const uint8_t *p, size_t avail, uint64_t site, uint64_t *target);
int x86_64_init_site(uint64_t site, const uint8_t *cur, struct arch_init *out);
int x86_64_plan_site(struct arch_plan *p, uint64_t site, int from, uint64_t from_target, int to,
		     uint64_t to_target);
void x86_64_veneer(uint8_t *out, uint64_t at, uint64_t target);
#define X86_PLT_STUB_SIZE  32
#define X86_PLT_STUB_ENTRY 8
#define X86_PLT_VFORK_SIZE 64
void x86_64_plt_vfork_stub(uint8_t *out, uint64_t at, uint64_t real_word, int32_t guard,
			   int32_t saved, uint8_t bit);
void x86_64_plt_stub(uint8_t *out, uint64_t at, uint64_t ops, uint64_t tramp_word,
		     uint64_t real_word);
extern const struct arch_desc arch_desc_x86_64;

#endif
