/* SPDX-License-Identifier: MIT */
/*
 * x86_64's side of the architecture interface (arch/arch.h) for an x86_64
 * build: constants, the inline hot-path verbs, and the generic names of its
 * pure verbs (insn.c, declared in x86_64.h).
 */
#ifndef FRT_ARCH_IMPL_H
#define FRT_ARCH_IMPL_H

#include <elf.h>
#include <stdint.h>

#include "x86_64.h"

#define ARCH_NAME	     "x86_64"
#define ARCH_DESC	     arch_desc_x86_64
#define ARCH_SITE_SIZE	     X86_SITE_SIZE
#define ARCH_SLOT_SIZE	     8 /* ops pointer ahead of the entry */
#define ARCH_PAD_SIZE	     X86_PAD_SIZE
#define ARCH_PAD_NAME	     "endbr"
#define ARCH_ELF_CLASS	     ELFCLASS64
#define ARCH_ELF_MACHINE     EM_X86_64
#define ARCH_R_RELATIVE	     R_X86_64_RELATIVE
#define ARCH_PLT_HEADER_SIZE 16 /* .plt's first entry calls the resolver */
#define ARCH_PLT_ENTRY_SIZE  16
#define ARCH_R_JUMP_SLOT     R_X86_64_JUMP_SLOT
#define ARCH_PLT_STUB_SIZE   X86_PLT_STUB_SIZE
#define ARCH_PLT_STUB_ENTRY  X86_PLT_STUB_ENTRY
#define ARCH_PLT_VFORK_SIZE  X86_PLT_VFORK_SIZE
#define ARCH_CALL_BASE	     5			  /* rel32 counts from the end of the call */
#define ARCH_CALL_REACH	     ((uintptr_t)1 << 31) /* +-2 GiB */
#define ARCH_VENEER_SIZE     16 /* four per object: slot, lookup, slot_gpr, lookup_gpr */
#define ARCH_USER_VA_END     ((uintptr_t)1 << 47)
#define ARCH_UNSTEPPABLE_WHY "head straddles a cache line"
#define ARCH_RAW_WHO	     "compiled by GCC"
#define ARCH_RAW_WHAT	     "1-byte NOP runs"
#define ARCH_RAW_FIX	     "or build with clang"

#define arch_scan_site	     x86_64_scan_site
#define arch_nop_len	     x86_64_nop_len
#define arch_layout_name     x86_64_layout_name
#define arch_site_state	     x86_64_site_state
#define arch_init_site	     x86_64_init_site
#define arch_plan_site	     x86_64_plan_site
#define arch_veneer	     x86_64_veneer
#define arch_plt_stub	     x86_64_plt_stub
#define arch_plt_vfork_stub  x86_64_plt_vfork_stub

/* verbs of arch/generic/ this arch provides itself (native.c and below) */
#define ARCH_HAS_APPLY_STEP    1
#define ARCH_HAS_FLUSH	       1
#define ARCH_HAS_SYNC_FALLBACK 1
#define ARCH_HAS_CYCLES	       1
#define ARCH_HAS_PLT_STUB      1

/* The I-cache is coherent with stores; the sync after each step serializes. */
static inline void arch_flush(uintptr_t start, size_t len)
{
	(void)start;
	(void)len;
}

/* The cycle counter: the TSC (arch_cycles_init checks that it is invariant). */
static inline uint64_t arch_cycles(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* Slot address from the trampoline's return address (entry 8-aligned). */
static inline uintptr_t arch_slot_from_ret(uintptr_t ret)
{
	return (ret - 13) & ~(uintptr_t)7;
}

#endif
