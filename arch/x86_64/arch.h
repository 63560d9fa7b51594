/* SPDX-License-Identifier: MIT */
/*
 * The architecture interface: everything that knows how x86_64 bytes look.
 * lib/ decides what a site should be; this layer decodes, encodes and says in
 * which steps a site moves between instructions while threads run through it.
 */
#ifndef FRT_ARCH_H
#define FRT_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Code and slots live in text pages, which ThreadSanitizer keeps no shadow
 * for: functions that read or write them are not instrumented by it.
 */
#if defined(__SANITIZE_THREAD__)
#define ARCH_TEXT_ACCESS __attribute__((no_sanitize("thread")))
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ARCH_TEXT_ACCESS __attribute__((no_sanitize("thread")))
#endif
#endif
#ifndef ARCH_TEXT_ACCESS
#define ARCH_TEXT_ACCESS
#endif

#define ARCH_NAME	 "x86_64"
#define ARCH_SITE_SIZE	 5 /* a NOP5 or a CALL rel32 */
#define ARCH_SLOT_SIZE	 8 /* ops pointer ahead of the entry */
#define ARCH_ENDBR_SIZE	 4
#define ARCH_PATCH_STEPS 3  /* each followed by a sync_core */
#define ARCH_VENEER_SIZE 16 /* four per object: slot, lookup, slot_gpr, lookup_gpr */
#define ARCH_CACHE_LINE	 64

/* What is at a site now. */
enum arch_insn {
	ARCH_INSN_OTHER = 0, /* not something we put or expect there */
	ARCH_INSN_NOP1RUN,   /* five or more 1-byte NOPs (GCC) */
	ARCH_INSN_NOP5,	     /* one 5-byte NOP */
	ARCH_INSN_CALL,	     /* CALL rel32 */
};

/* True if @p (with @avail readable bytes) starts with endbr64. */
bool arch_is_endbr(const uint8_t *p, size_t avail);

/* Length of the NOP instruction at @p, 0 if it is not a NOP. */
size_t arch_nop_len(const uint8_t *p, size_t avail);

/* Classify the instruction at a site; for a CALL, *target is set. */
enum arch_insn arch_site_insn(const uint8_t *p, size_t avail, uintptr_t site,
			      uintptr_t *target) ARCH_TEXT_ACCESS;

/* Bytes of the NOP5 a site holds while disabled. */
void arch_encode_nop(uint8_t out[ARCH_SITE_SIZE]);

/* CALL from @site to @target; false if out of rel32 range. */
bool arch_encode_call(uint8_t out[ARCH_SITE_SIZE], uintptr_t site, uintptr_t target);

/* True if a site at @site can be rewritten in steps (its 2-byte head must be
 * stored atomically, so it must not straddle a cache line). */
bool arch_site_steppable(uintptr_t site);

/*
 * Step @step (0..ARCH_PATCH_STEPS-1) of moving the site at @p to @insn.
 * Every state between steps is one valid instruction stream for a thread
 * stopped at any instruction boundary, provided the caller syncs all cores
 * after each step:
 *   0: head := "jmp +3" (one 16-bit store): callers now skip the site
 *   1: bytes 2..4 := insn[2..4] (not executed by anyone)
 *   2: head := insn[0..1] (one 16-bit store)
 */
void arch_patch_step(int step, uint8_t *p, const uint8_t insn[ARCH_SITE_SIZE]) ARCH_TEXT_ACCESS;

/* Make a run of 1-byte NOPs one NOP5. Only while no thread can be inside it. */
void arch_convert_nop_run(uint8_t *p) ARCH_TEXT_ACCESS;

/* A veneer at @p jumping to @target. */
void arch_write_veneer(uint8_t *p, uintptr_t target);

/* Trampoline entry points, chosen for this CPU's vector width. */
struct arch_tramps {
	uintptr_t slot;	    /* ops found through the slot ahead of the entry */
	uintptr_t lookup;   /* ops found by looking up the site */
	uintptr_t slot_gpr; /* the same, saving no vector register */
	uintptr_t lookup_gpr;
	uintptr_t ret; /* return hook for function_graph */
	/* fn(a, b, c, d), keeping vector registers 0-7 at full width around it */
	uintptr_t (*vsave_call)(void *fn, uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t d);
	const char *vec; /* "sse", "avx" or "avx512" */
};
void arch_select_tramps(struct arch_tramps *t);

/* Slot address from the trampoline's return address (entry 8-aligned). */
static inline uintptr_t arch_slot_from_ret(uintptr_t ret)
{
	return (ret - 13) & ~(uintptr_t)7;
}

#endif
