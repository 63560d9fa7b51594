// SPDX-License-Identifier: MIT
/*
 * function_graph mechanics: at a function's entry its return address is
 * replaced by the return hook and kept on the thread's shadow stack; when
 * the function returns into the hook, the entry is popped and the real
 * return address handed back.
 *
 * Frames can vanish without returning (longjmp, setcontext, exceptions
 * handled elsewhere) or be live on another stack (coroutines, sigaltstack).
 * So a return looks for the entry with its exact stack slot, from the top:
 * entries above it are abandoned frames. Abandoned entries, and entries a
 * new frame shows to be dead (a slot below the new frame's, on the same
 * stack), go to a graveyard where a return that misses the shadow stack
 * still finds its address: a frame wrongly taken for dead (another stack)
 * returns correctly, it only loses its exit event.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "regs.h"
#include "trace.h"

#define SAME_STACK_SPAN ((uintptr_t)1 << 20) /* a longjmp rarely skips more */

static void leave(struct frt_thread *t, struct frt_shadow *s, uint64_t now)
{
	if (frt_tracer_kind == FRT_TRACER_PROFILE) {
		frt_profile_exit(t, s, now);
	} else if (s->recorded) {
		frt_rec_put(t, FRT_REC_EXIT, s->depth, s->ip, now);
	} else if (frt_tracer_kind == FRT_TRACER_GRAPH) {
		/* its entry was dropped: the exit is lost with it */
		t->lost++;
		t->lost_pending++;
	}
	s->recorded = 0;
}

/* A frame that will not return through its entry: its exit is now. */
static void bury(struct frt_thread *t, struct frt_shadow *s, uint64_t now)
{
	leave(t, s, now);
	t->graveyard[t->grave_pos++ % FRT_GRAVEYARD] = *s;
}

void frt_fgraph_entry(struct frt_thread *t, unsigned long ip, struct ftrace_rt_regs *regs,
		      bool record)
{
	uintptr_t loc = regs->sp;
	uint64_t now = frt_clock_raw();
	struct frt_shadow *s;

	/*
	 * Frames whose slots lie below this one's on the same stack are gone; so
	 * is one in this very slot, unless the slot still holds the return hook:
	 * then this is a tail call from that frame, which will return through it.
	 */
	while (t->depth && loc - t->shadow[t->depth - 1].loc < SAME_STACK_SPAN &&
	       (t->shadow[t->depth - 1].loc < loc ||
		(t->shadow[t->depth - 1].loc == loc && *(uintptr_t *)loc != frt_tramps.ret))) {
		t->depth--;
		bury(t, &t->shadow[t->depth], now);
	}
	if (t->depth >= FRT_SHADOW_MAX) {
		t->overflow++;
		return;
	}
	s = &t->shadow[t->depth];
	s->loc = loc;
	s->ret = *(uintptr_t *)loc;
	s->ip = ip;
	s->start = now;
	s->child = 0;
	s->depth = (uint16_t)t->depth;
	s->recorded = record && frt_rec_put(t, FRT_REC_ENTRY, t->depth, ip, now);
	/* profile (the only tracer that does not record): is it a nested call? */
	s->prof = record ? 0 : frt_profile_enter(t, ip);
	t->depth++;
	*(uintptr_t *)loc = frt_tramps.ret;
}

/* Called by the return hook with the stack pointer just after the hooked return. */
uintptr_t frt_graph_return(uintptr_t sp, struct ftrace_rt_regs *regs)
{
	struct frt_thread *t = frt_self;
	uintptr_t loc = sp - sizeof(uintptr_t);
	uint64_t now = frt_clock_raw();
	int nested = frt_in_callback;
	(void)regs;

	/* as in the dispatcher: an overflow faults here, before the shadow stack changes;
	 * the hooked function's entry passed the same probe at the same depth */
	frt_stack_probe(loc);
	frt_in_callback |= 1;
	for (unsigned int i = t ? t->depth : 0; i-- > 0;) {
		struct frt_shadow s;

		if (t->shadow[i].loc != loc)
			continue;
		/* entries above are frames that will not return here */
		while (t->depth > i + 1) {
			t->depth--;
			bury(t, &t->shadow[t->depth], now);
		}
		s = t->shadow[i];
		t->depth = i;
		if (!(nested & 1))
			leave(t, &s, now);
		frt_in_callback = nested;
		return s.ret;
	}
	for (unsigned int k = 0; t && k < FRT_GRAVEYARD; k++) {
		struct frt_shadow *g = &t->graveyard[(t->grave_pos - 1 - k) % FRT_GRAVEYARD];

		if (g->loc == loc && g->ret) {
			uintptr_t ret = g->ret;

			g->loc = 0;
			frt_in_callback = nested;
			return ret;
		}
	}
	/* nowhere to return to: nothing sane is left to do */
	frt_msg("function_graph: return through slot %#lx not found in thread %d's shadow stack",
		(unsigned long)loc, t ? t->tid : -1);
	abort();
}

/* Emit exits for every open frame (thread or process exit); hooks stay for the returns. */
void frt_fgraph_close_all(struct frt_thread *t, uint64_t now)
{
	if (frt_tracer_kind != FRT_TRACER_GRAPH)
		return;
	for (unsigned int i = t->depth; i-- > 0;) {
		if (t->shadow[i].recorded) {
			frt_rec_put(t, FRT_REC_EXIT, t->shadow[i].depth, t->shadow[i].ip, now);
			t->shadow[i].recorded = 0;
		}
	}
}

/*
 * Before an exception unwinds the stack, put every real return address
 * back: the unwinder must see the program's frames. Entries stay; those
 * still live afterwards are hooked again by frt_fgraph_rehook_live().
 */
void frt_fgraph_unhook_all(struct frt_thread *t)
{
	for (unsigned int i = 0; i < t->depth; i++) {
		uintptr_t *slot = (uintptr_t *)t->shadow[i].loc;

		if (*slot == frt_tramps.ret)
			*slot = t->shadow[i].ret;
	}
}

/* After a catch at stack pointer @sp: frames below it are gone, the others hooked again. */
void frt_fgraph_rehook_live(struct frt_thread *t, uintptr_t sp)
{
	uint64_t now = frt_clock_raw();

	while (t->depth && t->shadow[t->depth - 1].loc < sp) {
		t->depth--;
		leave(t, &t->shadow[t->depth], now);
	}
	for (unsigned int i = 0; i < t->depth; i++) {
		uintptr_t *slot = (uintptr_t *)t->shadow[i].loc;

		if (*slot == t->shadow[i].ret)
			*slot = frt_tramps.ret;
	}
}
