/* SPDX-License-Identifier: MIT */
/*
 * function_graph's hot half (graph.c): the entry, the return hook, the
 * shadow stack's rules, graph ops' frames. lib/trace/fgraph.c, its cold
 * half (registering graph ops, the unwinder paths, exec and exit), shares
 * what is declared here.
 */
#ifndef FRT_GRAPH_H
#define FRT_GRAPH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ftrace_rt/ftrace_rt.h>

#include "arch.h"
#include "compiler.h"
#include "regs.h"
#include "thread.h"

void frt_fgraph_entry(struct frt_thread *t, unsigned long ip, struct ftrace_rt_regs *regs,
		      bool record) FRT_HIDDEN;
uintptr_t frt_graph_return(uintptr_t sp, struct ftrace_rt_regs *regs) FRT_HIDDEN;
void frt_fgraph_declare_stack(uintptr_t lo, size_t size) FRT_HIDDEN;

/* Graph ops' slots (see graph.c); written by ftrace_rt_register_graph */
struct frt_gslot {
	struct ftrace_rt_fgraph_ops *g;
	uint16_t gen;
};
extern struct frt_gslot frt_gslots[FTRACE_RT_GRAPH_OPS_MAX] FRT_HIDDEN;
/* the ops func of every graph ops */
void frt_graph_user_entry(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
			  struct ftrace_rt_regs *regs) FRT_HIDDEN;

#define SAME_STACK_SPAN ((uintptr_t)1 << 20) /* a longjmp rarely skips more */

/* the thread's alternate signal stack, asked for once per decision that needs it */
struct frt_alt_stack {
	bool known;
	stack_t ss;
};

/* Frame @s (already off the shadow stack) ends at @now */
void frt_graph_leave(struct frt_thread *t, struct frt_shadow *s, uint64_t now) FRT_HIDDEN;
/* ... and will not return through its entry: to the graveyard */
void frt_graph_bury(struct frt_thread *t, struct frt_shadow *s, uint64_t now) FRT_HIDDEN;
/* a word of memory that may be unmapped by now: the kernel copies it or says EFAULT */
bool frt_mem_xfer(uintptr_t addr, uintptr_t *val, bool write) FRT_HIDDEN;
/* @len bytes at @addr, which may be unmapped, into @dst: true if all were read */
bool frt_mem_read(void *dst, uintptr_t addr, size_t len) FRT_HIDDEN;
/* Do @lower and @upper (>= @lower) lie on the same stack? */
bool frt_same_stack(uintptr_t lower, uintptr_t upper, struct frt_alt_stack *alt) FRT_HIDDEN;

#ifndef ARCH_GRAPH_RET_IN_RECORD
/* the return address stays in the slot the key names (a call that pushes it there) */
#define ARCH_GRAPH_RET_IN_RECORD 0

static inline uintptr_t arch_ret_replace(uintptr_t stored, uintptr_t from, uintptr_t to,
					 uintptr_t key, uintptr_t fn)
{
	(void)key, (void)fn;
	return stored == from ? to : 0;
}
#endif

/* a stored return address without what the arch may have signed into it */
static inline uintptr_t ret_strip(uintptr_t v)
{
#if ARCH_GRAPH_RET_IN_RECORD
	return arch_ret_strip(v);
#else
	return v;
#endif
}

/*
 * rbelow of an entry a walk had found, and a later walk of its stack did not
 * find on the live chain any more (its frame is gone, or the chain was cut
 * short): no slot either, but no longer known to be live.
 */
#define FRT_RBELOW_LOST UINT32_MAX

/* Where frame @s's live return address is, or 0 if not known. */
static inline uintptr_t ret_slot(const struct frt_shadow *s)
{
	if (!ARCH_GRAPH_RET_IN_RECORD)
		return s->loc;
	return s->rbelow && s->rbelow != FRT_RBELOW_LOST ? s->loc - s->rbelow : 0;
}

#endif
