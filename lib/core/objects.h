/* SPDX-License-Identifier: MIT */
/*
 * lib/core/objects.c: the table of loaded objects and their sites (what the
 * scanner found, what each site is now, what it calls while enabled), kept
 * in step with the loader. Readers walk it under RCU; writers hold frt_lock.
 * An upper layer hears of each object added through frt_objects_notify().
 */
#ifndef FRT_OBJECTS_H
#define FRT_OBJECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <urcu-bp.h>
#include <urcu/list.h>
#include <urcu/rculist.h>

#include <ftrace_rt/ftrace_rt.h>

#include "arch.h"
#include "compiler.h"
#include "elf_scan.h"

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
	int text_prot;			/* kept on its code pages (arch_text_prot) */
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

extern struct cds_list_head frt_objects FRT_HIDDEN; /* RCU list of struct frt_object */

/*
 * The object whose sites' range holds @a, inside a read-side section or
 * under frt_lock. Inline: core uses it without calling up into
 * lib/dispatch/, whose lookup.c compiles it gpr-only for the trampolines.
 */
static inline struct frt_object *frt_objects_find(uintptr_t a)
{
	struct frt_object *o;

	cds_list_for_each_entry_rcu (o, &frt_objects, node)
		if (a >= o->lo && a < o->hi)
			return o;
	return NULL;
}

int frt_objects_sync(void) FRT_HIDDEN; /* under frt_lock */
/* 1 if @a is in a loaded object's code (through frt_tramps.vsave_call from the hot path) */
uintptr_t frt_pc_is_code(uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t d) FRT_HIDDEN;
bool frt_slot_pristine(const struct frt_site *s) FRT_HIDDEN;
/* A site by its address or its function's entry (RCU or frt_lock). */
struct frt_site *frt_site_by_ip(uintptr_t ip, struct frt_object **op) FRT_HIDDEN;
void frt_objects_counts(unsigned long *objects, unsigned long *sites, unsigned long *enabled,
			unsigned long *skipped, unsigned long *unaligned,
			unsigned long *bytes) FRT_HIDDEN;
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

#endif
