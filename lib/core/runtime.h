/* SPDX-License-Identifier: MIT */
/*
 * lib/core/: objects and sites, ops and per-site state, transactions, text
 * pages, cross-core sync, veneers, init once of RAW sites, the loader's
 * hooks. This is its internal header (not installed): what a site SHOULD be
 * is decided here; how its bytes look is arch/ (arch/arch.h). Calls go
 * down (core -> scan, base, arch); an upper layer learns of new objects
 * through frt_objects_notify().
 */
#ifndef FRT_RUNTIME_H
#define FRT_RUNTIME_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <urcu-bp.h>
#include <urcu/list.h>

#include <ftrace_rt/ftrace_rt.h>

#include "arch.h"
#include "elf_scan.h"
#include "pattern.h"

#define FRT_HIDDEN  __attribute__((visibility("hidden")))
#define FRT_TLS	    __attribute__((tls_model("initial-exec")))

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/*
 * The stack a traced call may use below the traced function's entry stack
 * pointer (the address of its return address): the trampoline's register
 * frame, the dispatcher, the built-in tracers, a thread's first event
 * (buffers mapped, its task line written, urcu-bp's registration) and the
 * return hook together use at most about 2.5 KiB (tests/test_stack.py
 * measures it), leaving the rest to a user callback. The dispatcher and the
 * return hook touch the lowest byte of this range before they change any
 * state, so an overflow faults there, where a SIGSEGV handler may
 * siglongjmp away, and not inside the runtime's read-side section or with
 * the recursion guard set. Stacks that the program itself finds big enough
 * (an 8 KiB sigaltstack, a 16 KiB coroutine or thread) have this much room
 * left; the sanitizers' own stack use is far larger.
 */
#ifdef FRT_SANITIZED
#define FRT_STACK_NEED 16384
#else
#define FRT_STACK_NEED 4096
#endif

/*
 * Touch the stack down to @sp - FRT_STACK_NEED a page at a time, so that no
 * guard page is stepped over (the stack just below @sp is in use, so
 * mapped). With 4 KiB that is one load.
 */
static inline __attribute__((always_inline)) void frt_stack_probe(uintptr_t sp)
{
	uintptr_t limit = sp - FRT_STACK_NEED;

	for (uintptr_t p = sp - 4096; p > limit; p -= 4096)
		(void)*(volatile char *)p;
	(void)*(volatile char *)limit;
}

/*
 * What an enabled site calls: the slot or the lookup trampoline, each with
 * or without saving vector registers (gpr: every ops of the site promised
 * FTRACE_RT_OPS_F_NO_VECTOR).
 */
enum { FRT_CALL_SLOT, FRT_CALL_LOOKUP, FRT_CALL_SLOT_GPR, FRT_CALL_LOOKUP_GPR, FRT_CALL_KINDS };

/* runtime state kept in frt_site.flags next to the scanner's FRT_SITE_F_* */
#define FRT_SITE_F_GPR	   0x80 /* the CALL in place goes to a gpr trampoline */
#define FRT_SITE_F_FOREIGN 0x40 /* reported: its slot held bytes we did not put there */

/* One patch site: 24 bytes. */
struct frt_site {
	uintptr_t addr;		   /* the 5-byte site */
	struct ftrace_rt_ops *ops; /* what it dispatches to while enabled; read by lookup sites */
	uint32_t name;		   /* offset into the object's names */
	uint8_t layout;		   /* enum frt_layout */
	uint8_t flags;		   /* FRT_SITE_F_* */
	uint8_t state;		   /* enum arch_state now at the site */
	uint8_t entry_off;	   /* addr - function entry */
};

struct frt_object {
	struct cds_list_head node; /* frt_objects, RCU */
	unsigned int idx;	   /* small integer, reused after removal */
	char *path;		   /* as the loader names it ("" for the executable) */
	char *name;		   /* file name used for @MODULE patterns */
	bool is_main;
	uintptr_t bias;
	const void *key;	      /* dlpi_phdr: where it is while loaded */
	uint64_t ident;		      /* its name and program headers: which object it is */
	uintptr_t lo, hi;	      /* address range of the sites */
	uintptr_t map_start, map_end; /* first loadable segment to end of the last executable one */
	uintptr_t load_lo, load_hi;   /* every loadable segment: where its code and data lie */
	struct frt_site *sites;
	size_t nsites;
	char *names;
	size_t names_len;
	uintptr_t call[FRT_CALL_KINDS]; /* what enabled sites call: see frt_site_call_kind() */
	void *veneer;			/* page of veneers, or NULL */
	unsigned int nskipped;		/* records found but not patchable */
	unsigned int nunconverted;	/* RAW sites that could not be initialised */
	bool seen;			/* scratch for frt_objects_sync */
	struct rcu_head rcu;
};

static inline uintptr_t frt_site_entry(const struct frt_site *s)
{
	return s->addr - s->entry_off;
}

static inline bool frt_site_has_slot(const struct frt_site *s)
{
	return s->flags & FRT_SITE_F_SLOT;
}

static inline struct ftrace_rt_ops **frt_site_slot(const struct frt_site *s)
{
	return (struct ftrace_rt_ops **)(frt_site_entry(s) - ARCH_SLOT_SIZE);
}

static inline int frt_site_call_kind(const struct frt_site *s, bool gpr)
{
	return (frt_site_has_slot(s) ? FRT_CALL_SLOT : FRT_CALL_LOOKUP) + (gpr ? 2 : 0);
}

static inline const char *frt_site_name(const struct frt_object *o, const struct frt_site *s)
{
	return o->names + s->name;
}

/* Counters; written under frt_lock except where noted. */
struct frt_counters {
	unsigned long transactions, syncs;
	unsigned long mprotects;		 /* atomic: the audit module's conversions too */
	unsigned long recursion_misses;		 /* atomic */
	unsigned long anomalies;		 /* sites whose bytes changed behind our back */
	unsigned long runs_converted;		 /* atomic */
	unsigned long objects_converted_at_load; /* atomic: by the rtld-audit module */
	unsigned long runs_refused;		 /* atomic: left as runs, not traceable */
};

extern struct frt_counters frt_counters FRT_HIDDEN;
extern struct cds_list_head frt_objects FRT_HIDDEN; /* RCU list of struct frt_object */
extern struct ftrace_rt_ops frt_nop_ops FRT_HIDDEN;
extern struct arch_tramps frt_tramps FRT_HIDDEN;

/* init.c: the one lock serializing patchers and changes of the object table */
void frt_init(void) FRT_HIDDEN;
void frt_lock(void) FRT_HIDDEN;
void frt_unlock(void) FRT_HIDDEN;
bool frt_lock_held_here(void) FRT_HIDDEN;
/*
 * The dynamic loader runs without the patch lock held, so that constructors
 * and destructors may use the API. While a dlclose is inside the loader
 * (between frt_unload_begin and frt_unload_end), an object may be unmapped at
 * any moment: frt_lock then waits, except in a thread that is itself inside
 * the loader (frt_loader_enter/leave), which holds the loader's own lock, so
 * nothing can be unmapped under it. frt_unload_end returns with the lock
 * held, once no other dlclose is in the loader.
 */
void frt_loader_enter(void) FRT_HIDDEN;
bool frt_in_loader_here(void) FRT_HIDDEN;
extern unsigned int frt_loads_in_flight FRT_HIDDEN; /* loader.c */
void frt_loader_leave(void) FRT_HIDDEN;
void frt_unload_begin(void) FRT_HIDDEN; /* under frt_lock */
void frt_unload_end(void) FRT_HIDDEN;
/*
 * Per-thread state of the dispatcher: bit 0 set while a callback (or the
 * runtime on its behalf) runs: traced calls are missed and the API refuses
 * with -EDEADLK. FRT_UNTRACED marks runtime threads that are never traced
 * but may use the API (the control thread).
 */
extern __thread int frt_in_callback FRT_TLS FRT_HIDDEN;
#define FRT_UNTRACED 2
static inline bool frt_api_refused_here(void);
extern bool frt_preloaded FRT_HIDDEN;

static inline bool frt_api_refused_here(void)
{
	return (frt_in_callback & 1) || frt_lock_held_here();
}

/* a urcu-bp grace period (init.c) */
void frt_synchronize(void) FRT_HIDDEN;

/* sync.c */
int frt_sync_init(void) FRT_HIDDEN;
void frt_sync_core(void) FRT_HIDDEN;
const char *frt_sync_mode(void) FRT_HIDDEN;

/* maps.c: stream /proc/self/maps without allocating */
struct frt_map {
	uintptr_t start, end;
	int prot;
	const char *path; /* valid during the callback only */
};
int frt_maps_foreach(int (*cb)(const struct frt_map *m, void *arg), void *arg) FRT_HIDDEN;

/* text.c: page protections around patching */
struct frt_prot {
	uintptr_t start, end;
	int prot;
};
struct frt_text {
	struct frt_prot *v;
	size_t n, cap;
	bool held; /* the program's mprotect() calls wait until frt_text_restore() */
};
/* Make the pages holding [addr, addr+len) of each range writable (keeping exec). */
int frt_text_unprotect(uintptr_t *pages, size_t npages, struct frt_text *t) FRT_HIDDEN;
void frt_text_restore(struct frt_text *t) FRT_HIDDEN;
void frt_text_fork_child(void) FRT_HIDDEN;

/* objects.c */
int frt_objects_sync(void) FRT_HIDDEN;			       /* under frt_lock */
struct frt_object *frt_object_by_addr(uintptr_t a) FRT_HIDDEN; /* RCU or frt_lock */
bool frt_slot_pristine(const struct frt_site *s) FRT_HIDDEN;
struct frt_site *frt_object_site(struct frt_object *o, uintptr_t a) FRT_HIDDEN;
struct frt_site *frt_site_by_ip(uintptr_t ip, struct frt_object **op) FRT_HIDDEN;
void frt_objects_counts(unsigned long *objects, unsigned long *sites, unsigned long *enabled,
			unsigned long *skipped, unsigned long *unaligned,
			unsigned long *bytes) FRT_HIDDEN;
/* called for each object added or removed, under frt_lock */
void frt_ops_object_added(struct frt_object *o) FRT_HIDDEN;
/* @gone: every object removed in this sync, already unmapped */
void frt_ops_object_removed(struct frt_object *o, struct cds_list_head *gone) FRT_HIDDEN;
/*
 * The notifier an upper layer (lib/trace: the data directory's maps) sets to
 * hear of each object added, under frt_lock, before any of its sites can be
 * enabled (so before any record of its functions).
 */
typedef void (*frt_object_notifier)(const struct frt_object *o);
void frt_objects_notify(frt_object_notifier fn) FRT_HIDDEN;
/* hook for `ftrace-rt list -- PROG`: prints each object's sites as it is added */
void frt_list_object(int fd, const struct frt_object *o) FRT_HIDDEN;
extern int frt_list_fd FRT_HIDDEN;
extern unsigned long frt_sites_enabled_unloaded FRT_HIDDEN;

/* siteinit.c: init RAW sites once, when no thread can be inside them */
int frt_convert_runs(struct frt_object *o) FRT_HIDDEN;
/* around the syncs that may convert runs: the runtime's start, after a dlopen */
void frt_convert_allow(bool on) FRT_HIDDEN;

/* a runtime thread (flusher, control server) starts or ends: it runs no
 * application code, so the conversion need not stop it */
void frt_own_thread(bool running) FRT_HIDDEN;
void frt_own_threads_forget(void) FRT_HIDDEN; /* fork child: they did not follow */

/* loader.c: keeping dlopen/dlclose and the table's syncs in order across fork */
void frt_dl_order_prepare(void) FRT_HIDDEN;
void frt_dl_order_after_fork(bool child) FRT_HIDDEN;

/* veneer.c */
int frt_veneer_setup(struct frt_object *o) FRT_HIDDEN;
void frt_veneer_free(struct frt_object *o) FRT_HIDDEN;

/* txn.c */
struct frt_change {
	struct frt_object *obj;
	struct frt_site *site;
	struct ftrace_rt_ops *ops; /* new dispatch target (nop ops when turning off) */
	uint8_t state;		   /* ARCH_ST_OFF or ARCH_ST_ON */
	bool gpr;		   /* with a CALL: to a gpr trampoline */
};
int frt_txn_apply(struct frt_change *v, size_t n) FRT_HIDDEN;

/* ops.c */
int frt_update_sites(void) FRT_HIDDEN; /* recompute every site from the registered ops */
unsigned long frt_ops_registered(void) FRT_HIDDEN;
bool frt_ops_need_update(void) FRT_HIDDEN; /* some ops registered, or one just dropped */
/*
 * Around a dlclose (under frt_lock): ops whose struct or callback lie in
 * [lo, hi) are marked (@token), then frt_ops_suspend_apply takes them off
 * every site, past a grace period, before the loader may unmap them (on
 * failure, resume them as loaded: they stay registered). Afterwards
 * frt_ops_resume puts them back if their object is still loaded (@loaded),
 * or forgets them with a message.
 */
unsigned int frt_ops_suspend(uintptr_t lo, uintptr_t hi, unsigned long token) FRT_HIDDEN;
int frt_ops_suspend_apply(void) FRT_HIDDEN;
void frt_ops_resume(unsigned long token, bool loaded, uintptr_t lo, uintptr_t hi,
		    const char *path) FRT_HIDDEN;
/* set (reset) patterns, keeping those that match nothing yet; they are listed in @unmatched */
int frt_set_patterns_lenient(struct ftrace_rt_ops *ops, const char *patterns, bool notrace,
			     char *unmatched, size_t len) FRT_HIDDEN;

#endif
