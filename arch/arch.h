/* SPDX-License-Identifier: MIT */
/*
 * The architecture interface: the one place that says what lib/ asks of an
 * architecture and what an architecture may assume of lib/.
 *
 * lib/ decides WHAT a site should be (off, on and calling which target, when
 * a site may be initialised, which ops its slot holds); arch/ARCH/ knows HOW
 * ITS BYTES LOOK (decoding, encoding, the steps that move a live site, the
 * register frame, the cycle counter). Each verb below has a contract: what
 * the verb may assume, what it returns. An architecture implements its verbs
 * in arch/ARCH/ and takes the defaults of arch/generic/ for the rest (it
 * says which it overrides with ARCH_HAS_* in its arch_impl.h).
 *
 * Layout of an architecture directory:
 *   arch/ARCH/arch_impl.h  constants (ARCH_*), the inline hot-path verbs
 *                          (cycle counter, slot from the trampoline's view),
 *                          and the mapping of the generic verb names to its
 *                          own (e.g. #define arch_plan_site x86_64_plan_site)
 *   arch/ARCH/regs.h       struct ftrace_rt_regs, REGS_* offsets shared with
 *                          the trampolines, the frame verbs
 *   arch/ARCH/insn.c       the pure verbs: scan, state (check), init, plan,
 *                          veneer bytes and the test simulator. Pure C with no
 *                          inline assembly and no host dependency, so that any
 *                          host computes (and tests/unit/check_insn.c walks)
 *                          any architecture's plans; exports struct arch_desc
 *   arch/ARCH/other .c, .S     the native verbs: apply a step, flush, clock, sync
 *                          fallback, trampolines and their selection
 *   arch/ARCH/meson.build  per-arch build data (flags for traceable code)
 *
 * Words: the SITE is the byte range [addr, addr + ARCH_SITE_SIZE) that init
 * and plans may write (after any landing pad); the ENTRY is the function's
 * symbol address; the SLOT is the 8-byte ops pointer at entry - 8.
 *
 * Site states (enum arch_state), the same on every architecture:
 *
 *             init once                plan             plan
 *     RAW  -------------->  OFF  <------------>  ON(A)  <------>  ON(B)
 *
 *   RAW  what the compiler left, where it is not already the canonical OFF
 *        (x86 GCC: five 1-byte NOPs; aarch64: NOP; NOP)
 *   OFF  threads run through the site and skip the hook
 *        (x86: one NOP5; aarch64: MOV X9, X30; NOP)
 *   ON   threads call a target: a trampoline or a veneer
 *        (x86: CALL rel32; aarch64: MOV X9, X30; BL target)
 */
#ifndef FRT_ARCH_IF_H
#define FRT_ARCH_IF_H

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

/* ------------------------------------------------------------------ */
/* Generic data: identical on every architecture (a host computes any arch's plans). */

enum arch_state {
	ARCH_ST_OTHER = 0, /* not something the arch put or expects there */
	ARCH_ST_RAW,	   /* as the compiler left it; must be initialised once */
	ARCH_ST_OFF,	   /* canonical disabled state */
	ARCH_ST_ON,	   /* calls a target */
};

/*
 * One store into a site. With ARCH_STORE_ATOMIC, @len is 2, 4 or 8 and the
 * store is one single-copy-atomic store instruction (the arch's scan refused
 * every site where it would not be: misaligned where that matters, straddling
 * a cache line). Without it, the @len bytes are written one by one in address
 * order: a plan may do that only to bytes no thread can execute in the state
 * the step starts from (nor in any state in between).
 */
#define ARCH_STORE_MAX	  8
#define ARCH_STORE_ATOMIC 0x01
struct arch_store {
	uint8_t off; /* from the site's address */
	uint8_t len;
	uint8_t flags; /* ARCH_STORE_* */
	uint8_t b[ARCH_STORE_MAX];
};

/* The stores of one step, applied in order with a release fence between them. */
#define ARCH_STEP_STORES 2
struct arch_step {
	uint8_t n;
	struct arch_store st[ARCH_STEP_STORES];
};

/*
 * A plan: the steps that move one site from one state to another. lib/
 * applies step k to every changing site of a transaction, then flushes
 * (arch_flush) the sites and syncs every core once, then step k+1.
 * Contract: for a thread stopped at any instruction boundary it may reach
 * in any earlier state, every state after every store executes a valid
 * instruction stream through the site that either skips the hook or calls
 * the old or the new target, and the last state is exactly the new one.
 */
#define ARCH_PLAN_STEPS 4
struct arch_plan {
	uint8_t n;
	struct arch_step step[ARCH_PLAN_STEPS];
};

/*
 * Init once (RAW -> OFF). @step is applied once; then arch_flush, and a
 * sync of every core when ARCH_INIT_SYNC is set.
 * No thread may be stopped at a PC in [site + quiet_lo, site + quiet_hi)
 * from before the first store until after that flush (and sync): a thread
 * found there may be moved to site + quiet_hi, which is exact because every
 * instruction in the range is a NOP. quiet_lo == quiet_hi: init is safe with
 * threads running anywhere.
 *   x86 GCC:  the run's inner boundaries, [site+1, site+5): rewriting bytes
 *             1..4 under a thread there makes it execute the tail of a NOP5.
 *   aarch64:  NOP#2's address [site+4, site+8): a thread there executed
 *             NOP#1 before it became MOV X9, X30 and must not meet the BL
 *             that a later plan puts at NOP#2 (seed 000).
 * Today lib/core only initialises a site whose init has a quiet range or
 * ARCH_INIT_STOPPED when no thread can run the object's code at all (one
 * application thread, or the rtld-audit hook before the object's code can
 * run); parking threads is the other way the contract allows. A site whose
 * init has neither may be initialised at any time.
 */
#define ARCH_INIT_SYNC 0x01 /* flush and sync before any other thread may run the site */
#define ARCH_INIT_STOPPED                                                 \
	0x02 /* the stores are unsafe for a thread running the site (x86: \
		bytes 1..4 before the head): every other thread must be   \
		parked, or unable to run the object, until the flush */
struct arch_init {
	struct arch_step step;
	uint8_t quiet_lo, quiet_hi;
	uint8_t flags; /* ARCH_INIT_* */
};

/* Why scan did not take a recorded address as a site (0: it did). */
enum arch_skip {
	ARCH_SKIP_NONE = 0,
	ARCH_SKIP_OUTSIDE,     /* bytes not readable in an executable segment */
	ARCH_SKIP_BYTES,       /* not what the layout says the compiler leaves */
	ARCH_SKIP_UNSTEPPABLE, /* a plan's atomic store would not be atomic there */
};

/* What scan says of one site. */
#define ARCH_SCAN_F_PAD	       0x01 /* a landing pad at the entry (endbr64, BTI c) */
#define ARCH_SCAN_F_SLOT       0x02 /* an 8-aligned slot at entry - 8 */
#define ARCH_SCAN_F_SLOT_UNAL  0x04 /* room for a slot, not 8-aligned: lookup dispatch */
#define ARCH_SCAN_F_ENTRY_HEUR 0x10 /* entry guessed from the bytes (no symbol, no FDE) */
#define ARCH_SCAN_F_RAW	       0x20 /* the compiler left it RAW (even if init already ran) */
/* bits 0x08, 0x40 and 0x80 belong to lib/ */
struct arch_site_desc {
	uint64_t entry;	  /* function entry (link-time address when scanning a file) */
	uint8_t site_off; /* site = entry + site_off (0, or the landing pad's size) */
	uint8_t state;	  /* enum arch_state the bytes show */
	uint8_t layout;	  /* the arch's layout number (arch_layout_name) */
	uint8_t flags;	  /* ARCH_SCAN_F_* */
	uint8_t n, m;	  /* -fpatchable-function-entry=N,M as found */
};

/* Where scan reads bytes from (lib/scan owns ELF; the arch only sees bytes). */
struct arch_scan_src {
	/* Copy @len bytes at @va; false unless all lie in an executable segment. */
	bool (*read)(void *ctx, uint64_t va, void *buf, size_t len);
	/* The same, as the file holds them, for an object scanned in memory whose
	 * bytes an earlier init may have changed; NULL when scanning the file. */
	bool (*read_file)(void *ctx, uint64_t va, void *buf, size_t len);
	void *ctx;
};

/* The record kinds scan is asked about. */
enum arch_rec {
	ARCH_REC_PFE,	 /* __patchable_function_entries: the first prefix byte */
	ARCH_REC_MCOUNT, /* __mcount_loc (-mrecord-mcount): the call site */
};

/* What a thread does when it runs a site image from a PC (tests' simulator). */
enum arch_run {
	ARCH_RUN_INVALID = 0, /* executes something that is neither skip nor call */
	ARCH_RUN_SKIP,	      /* reaches the end of the site without calling */
	ARCH_RUN_CALL,	      /* calls *target */
};

/*
 * The pure verbs of one architecture as data, so that a host (the unit
 * tests, a tool) uses any architecture's. The running architecture's are
 * also reachable under the generic names below (arch_scan_site...).
 */
struct arch_desc {
	const char *name;
	unsigned int site_size;
	/* scan (see arch_scan_site) */
	int (*scan_site)(const struct arch_scan_src *src, uint64_t rec, uint64_t entry, int kind,
			 struct arch_site_desc *out);
	/* check (see arch_site_state) */
	int (*site_state)(const uint8_t *p, size_t avail, uint64_t site, uint64_t *target);
	/* the bytes of a state: RAW (as the compiler leaves it), OFF, or
	 * ON(target); -ERANGE when target is out of reach */
	int (*encode)(uint8_t *out, uint64_t site, int state, uint64_t target);
	/* init once (see arch_init_site) */
	int (*init_site)(uint64_t site, const uint8_t *cur, struct arch_init *out);
	/* plan (see arch_plan_site) */
	int (*plan_site)(struct arch_plan *p, uint64_t site, int from, uint64_t from_target, int to,
			 uint64_t to_target);
	/*
	 * Simulator for tests: a thread at offset @pc of the site image @img
	 * (site_size bytes at address @site) runs until it leaves the site.
	 * Each PC it stops at (an instruction boundary, @pc included) is added
	 * to the bitmask *@seen (bit k: offset k; bit site_size: the end).
	 */
	int (*run)(const uint8_t *img, unsigned int pc, uint64_t site, uint64_t *target,
		   uint64_t *seen);
};

/* ------------------------------------------------------------------ */
/* The running architecture: constants, inline verbs and name mapping.  */

/*
 * An arch's pure verbs (arch/ARCH/insn.c) define ARCH_PURE before including
 * this header: they use only the generic data above and their own
 * constants (arch/ARCH/ARCH.h), so that they build on any host.
 */
#ifndef ARCH_PURE
#include "arch_impl.h"

/*
 * Constants every arch_impl.h defines:
 *   ARCH_NAME		"x86_64"
 *   ARCH_SITE_SIZE	bytes init and plans may write, from the site address
 *   ARCH_SLOT_SIZE	8: the ops pointer ahead of the entry
 *   ARCH_PAD_SIZE	size of the landing pad a site may follow (0: none)
 *   ARCH_PAD_NAME	its name in listings ("endbr")
 *   ARCH_ELF_CLASS	ELFCLASS32 or ELFCLASS64
 *   ARCH_ELF_MACHINE	e_machine of the objects it traces (EM_*)
 *   ARCH_R_RELATIVE	the relative relocation type (R_*_RELATIVE)
 *   ARCH_CALL_BASE	a direct call at site s counts from s + ARCH_CALL_BASE
 *   ARCH_CALL_REACH	and reaches targets less than this far from there
 *   ARCH_VENEER_SIZE	bytes of one veneer
 *   ARCH_USER_VA_END	first address above user space (veneer gap search)
 *   ARCH_UNSTEPPABLE_WHY  what ARCH_SKIP_UNSTEPPABLE means here, for listings
 *   ARCH_RAW_WHO	which compiler leaves RAW sites, for messages ("compiled by GCC")
 *   ARCH_RAW_WHAT	what RAW sites are, for messages ("1-byte NOP runs")
 *   ARCH_RAW_FIX	how a user avoids them, for messages ("or build with clang")
 * Overrides of arch/generic/'s defaults, each a 1 when the arch has its own:
 *   ARCH_HAS_FLUSH		arch_flush (default: __builtin___clear_cache)
 *   ARCH_HAS_APPLY_STEP	arch_apply_step (default: __atomic stores, aligned)
 *   ARCH_HAS_SYNC_FALLBACK	arch_sync_fallback* (default: none)
 *   ARCH_HAS_CYCLES		arch_cycles* (default: none, CLOCK_MONOTONIC is read)
 *   ARCH_HAS_TEXT_PROT	arch_text_prot (default: 0, nothing beyond /proc/self/maps)
 */
extern const struct arch_desc ARCH_DESC;

/* --- scan --- */
/*
 * Describe the site of section record @rec (of @kind, enum arch_rec).
 * @entry is the function entry lib/scan found from symbols or FDEs (when
 * the bytes from @rec to it are all NOPs by arch_nop_len), or 0: then the
 * arch guesses it from the bytes and sets ARCH_SCAN_F_ENTRY_HEUR.
 * Returns ARCH_SKIP_NONE and fills @out, or the reason to skip.
 * May assume: @src reads link-time addresses; nothing else.
 */
int arch_scan_site(const struct arch_scan_src *src, uint64_t rec, uint64_t entry, int kind,
		   struct arch_site_desc *out);

/* Length of the NOP instruction at @p (of @avail bytes), 0 if none (prefix and slot checks). */
size_t arch_nop_len(const uint8_t *p, size_t avail);

/* Name of a layout number scan returned ("pfe-nop5"...). */
const char *arch_layout_name(int layout);

/* --- check --- */
/*
 * The state of the site whose ARCH_SITE_SIZE bytes are @p (at address
 * @site); for ARCH_ST_ON, *@target (if not NULL) is the call's target.
 * lib/ calls it on the live bytes and compares with what it last put there
 * before it plans any write (the kernel's ftrace_modify_code habit).
 */
int arch_site_state(const uint8_t *p, size_t avail, uint64_t site,
		    uint64_t *target) ARCH_TEXT_ACCESS;

/* --- init once --- */
/* The init of a site whose bytes @cur are RAW: 0, or -EINVAL if they are not. */
int arch_init_site(uint64_t site, const uint8_t *cur, struct arch_init *out);

/* --- plan --- */
/*
 * Fill @p with the steps from @from to @to (ARCH_ST_OFF or ARCH_ST_ON with
 * a target; from ON(a) to ON(b) included). Returns 0, -ERANGE when
 * @to_target is out of direct reach (lib/ then calls a veneer), -EINVAL for
 * a state it cannot plan from or to. Pure: reads no memory but its
 * arguments. An arch may need several steps (x86: 3) or one (aarch64).
 */
int arch_plan_site(struct arch_plan *p, uint64_t site, int from, uint64_t from_target, int to,
		   uint64_t to_target);

/* Apply one step to the live site at @site (text made writable by lib/). */
void arch_apply_step(uintptr_t site, const struct arch_step *s) ARCH_TEXT_ACCESS;

/* --- flush --- */
/*
 * void arch_flush(uintptr_t start, size_t len) (inline): I-cache maintenance
 * for [start, start+len) after writes, before the sync (x86: nothing).
 */

/* --- reach and veneers --- */
/* A veneer at @at forwarding to @target: ARCH_VENEER_SIZE bytes into @out. */
void arch_veneer(uint8_t *out, uint64_t at, uint64_t target);

/* --- library calls (optional: ARCH_HAS_PLT_STUB) --- */
/*
 * void arch_plt_stub(uint8_t *out, uint64_t at, uint64_t ops, uint64_t tramp_word,
 *		      uint64_t real_word)
 *	ARCH_PLT_STUB_SIZE bytes into @out for address @at (ARCH_PLT_STUB_SIZE-
 *	aligned): a slot holding @ops, then at at + ARCH_PLT_STUB_ENTRY code that
 *	enters the trampoline whose address is in the word at @tramp_word exactly
 *	as a patched site of a traced function does (same stack, same slot from
 *	the trampoline's view), then jumps to the address in the word at
 *	@real_word with every register as the caller left it. Both words lie
 *	within ARCH_CALL_REACH of @at. lib/trace/libcall.c points GOT slots
 *	(relocations of type ARCH_R_JUMP_SLOT) at such stubs.
 * void arch_plt_vfork_stub(uint8_t *out, uint64_t at, uint64_t real_word, int32_t guard,
 *			    int32_t saved, uint8_t bit)
 *	ARCH_PLT_VFORK_SIZE bytes for vfork's slot (entry at @at): sets @bit in
 *	the int at thread-pointer offset @guard (the recursion guard), calls the
 *	address in the word at @real_word, clears the bit again in the parent
 *	only (vfork returned non-zero), and returns to the caller through the
 *	address it kept at thread-pointer offset @saved (the child shares and
 *	may overwrite the stack). The vfork child then runs untraced.
 */

/* --- frame (arch/ARCH/regs.h) --- */
/*
 * unsigned long arch_regs_arg(const struct ftrace_rt_regs *r, unsigned int n)
 *	the n-th integer argument of the traced function
 * uintptr_t arch_regs_sp(const struct ftrace_rt_regs *r)
 *	the traced function's stack pointer at its entry: identifies its frame
 *	for function_graph's shadow stack
 * uintptr_t *arch_regs_ret(struct ftrace_rt_regs *r)
 *	where the traced function's return address is: function_graph reads it
 *	and writes the return hook's address there (x86: the stack slot at sp;
 *	aarch64: the caller's LR the trampoline saved from x9, restored into
 *	x30 on the way back)
 * uintptr_t arch_regs_fp(const struct ftrace_rt_regs *r), ARCH_FRAME_RECORD
 *	the frame pointer at the traced function's entry, and the offset from a
 *	frame pointer of the frame record {next frame pointer, return address}
 *	(two words) that the stacktrace trigger's walk follows
 * uintptr_t arch_graph_ret_key(uintptr_t sp)
 *	the return hook passes its stack pointer just after the hooked return:
 *	the same value arch_regs_sp gave at the entry
 * void arch_graph_ret_restore(uintptr_t key, uintptr_t ret)
 *	put the real return address back where unwinders look for it while
 *	the hook runs (x86: the stack slot), or nothing
 * ARCH_GRAPH_RET_IN_RECORD, arch_record_next(fp), arch_record_ret(fp),
 * arch_ret_strip(v), arch_ret_replace(stored, from, to, key, fn) (optional; fn: the function whose
 *frame it is) where the return address is not at the key while the function runs (aarch64: x30,
 *then the function's frame record): lib/trace walks the frame records to find it and rewrites it as
 *it was stored (PAC) uintptr_t arch_ucontext_sp(const ucontext_t *uc) the stack pointer of a saved
 *context (a coroutine switched to) uintptr_t arch_slot_from_ret(uintptr_t ret) (arch_impl.h) the
 *slot, from the return address a slot trampoline sees
 */

/* --- clock --- */
/*
 * uint64_t arch_cycles(void) (arch_impl.h, inline): a cycle counter read on
 * the hot path. arch_cycles_init() says whether it is constant-rate and
 * synchronized across cores (else lib/trace reads CLOCK_MONOTONIC), and its
 * frequency in *@hz, or 0: lib/trace calibrates it against CLOCK_MONOTONIC.
 */
bool arch_cycles_init(uint64_t *hz);

/* --- page protections --- */
/*
 * The protection bits the loader gave the executable pages of an object
 * whose PT_GNU_PROPERTY segment holds @note (@len bytes), on this CPU,
 * beyond what /proc/self/maps shows: lib/core adds them whenever it changes
 * and restores those pages, so that patching never takes them away.
 * aarch64: PROT_BTI for a BTI-marked object when the CPU has BTI (glibc's
 * loader maps such objects guarded). 0: none (generic default).
 */
int arch_text_prot(const void *note, size_t len);

/* --- sync fallback --- */
/*
 * How to serialize every core of the process without membarrier
 * SYNC_CORE: arch_sync_fallback_init() returns 0 if arch_sync_fallback()
 * does (every thread executes a context-synchronizing event before it next
 * runs user code), -ENOSYS if the arch has none (generic default).
 * arch_sync_fallback_name is its name in stats ("tlb-shootdown") and
 * arch_sync_fallback_what a phrase for the log.
 */
int arch_sync_fallback_init(void);
void arch_sync_fallback(void);
extern const char arch_sync_fallback_name[], arch_sync_fallback_what[];

/* --- trampolines --- */
/* Trampoline entry points, chosen for this CPU (arch/ARCH/tramps.c). */
struct arch_tramps {
	uintptr_t slot;	    /* ops found through the slot ahead of the entry */
	uintptr_t lookup;   /* ops found by looking up the site */
	uintptr_t slot_gpr; /* the same, saving no vector register */
	uintptr_t lookup_gpr;
	uintptr_t ret; /* return hook for function_graph */
	/* fn(a, b, c, d), keeping the vector argument registers around it */
	uintptr_t (*vsave_call)(void *fn, uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t d);
	const char *vec; /* which vector state the trampolines save ("sse", "avx"...) */
};
void arch_select_tramps(struct arch_tramps *t);

#include "generic/arch_generic.h"
#endif /* !ARCH_PURE */

#endif
