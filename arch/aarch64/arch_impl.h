/* SPDX-License-Identifier: MIT */
/*
 * aarch64: constants, the inline hot-path verbs and the mapping of the
 * generic verb names (arch/arch.h) to this architecture's.
 *
 * The site (arm64's DYNAMIC_FTRACE_WITH_CALL_OPS, seeds 000, 001, 003), built
 * with -fpatchable-function-entry=4,2 -falign-functions=8:
 *
 *	entry-8:  NOP NOP              the slot: the ops pointer, 8-aligned
 *	entry:    [BTI c]              with -mbranch-protection (the pad)
 *	site:     NOP                  RAW; MOV X9, X30 once initialised (OFF)
 *	site+4:   NOP                  OFF; BL tramp (or veneer) when ON
 *
 * MOV X9, X30 keeps the caller's return address in x9: the BL overwrites
 * x30, and the trampoline restores x30 from x9 on the way back. The slot-less
 * layouts (-fpatchable-function-entry=2, or 4,2 at an entry that is not
 * 8-aligned) are the same two instructions, dispatched by looking the site up.
 */
#ifndef FRT_ARCH_IMPL_H
#define FRT_ARCH_IMPL_H

#include <elf.h>
#include <stdint.h>

#include "aarch64.h"

#define ARCH_NAME	     "aarch64"
#define ARCH_SITE_SIZE	     A64_SITE_SIZE /* MOV X9, X30 (or NOP); BL (or NOP) */
#define ARCH_SLOT_SIZE	     8
#define ARCH_PAD_SIZE	     4 /* BTI c */
#define ARCH_PAD_NAME	     "bti"
#define ARCH_ELF_CLASS	     ELFCLASS64
#define ARCH_ELF_MACHINE     EM_AARCH64
#define ARCH_R_RELATIVE	     R_AARCH64_RELATIVE
#define ARCH_PLT_HEADER_SIZE 32 /* .plt's header calls the resolver */
#define ARCH_PLT_ENTRY_SIZE  16
#define ARCH_CALL_BASE	     A64_CALL_BASE  /* the BL is the site's second instruction */
#define ARCH_CALL_REACH	     A64_CALL_REACH /* BL imm26: +-128 MiB */
#define ARCH_VENEER_SIZE     16		    /* LDR X16, #8; BR X16; .quad target */
#define ARCH_USER_VA_END     ((uint64_t)1 << 48)
#define ARCH_UNSTEPPABLE_WHY "site not 4-aligned"
#define ARCH_RAW_WHO	     "compiled by GCC or clang"
#define ARCH_RAW_WHAT	     "NOP pairs not yet turned into MOV X9, X30"
#define ARCH_RAW_FIX                                                                      \
	"or load the object with the rtld-audit module (LD_AUDIT=libftrace_rt_audit.so, " \
	"as `ftrace-rt record` does)"

#define ARCH_DESC	 arch_desc_aarch64
#define arch_scan_site	 aarch64_scan_site
#define arch_nop_len	 aarch64_nop_len
#define arch_layout_name aarch64_layout_name
#define arch_site_state	 aarch64_site_state
#define arch_init_site	 aarch64_init_site
#define arch_plan_site	 aarch64_plan_site
#define arch_veneer	 aarch64_veneer

/* verbs of arch/generic/ this arch provides itself (native.c and below);
 * flush and apply_step are the generic ones: __builtin___clear_cache (DC CVAU,
 * IC IVAU, DSB, ISB) and aligned __atomic 32-bit stores */
#define ARCH_HAS_SYNC_FALLBACK 1
#define ARCH_HAS_CYCLES	       1
#define ARCH_HAS_TEXT_PROT     1

/*
 * The virtual counter. No ISB before the read: a timestamp may be taken a
 * few instructions early, which no trace can tell from the call's own
 * duration; the ISB would cost every traced call a pipeline flush.
 */
static inline uint64_t arch_cycles(void)
{
	uint64_t v;

	__asm__ volatile("mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

/*
 * The slot from x30 as a slot trampoline sees it (site + 8): the entry is
 * 8-aligned and the site is the entry or entry + 4 (after BTI c), so
 * (x30 - 16) & ~7 is entry - 8 in both cases.
 */
static inline uintptr_t arch_slot_from_ret(uintptr_t ret)
{
	return (ret - 16) & ~(uintptr_t)7;
}

#endif
