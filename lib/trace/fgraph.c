// SPDX-License-Identifier: MIT
/*
 * function_graph mechanics: at a function's entry its return address is
 * replaced by the return hook and kept on the thread's shadow stack; when
 * the function returns into the hook, the entry is popped and the real
 * return address handed back.
 *
 * Frames can vanish without returning (longjmp, setcontext, exceptions
 * handled elsewhere, frames whose real return address an unwinder put back)
 * or be live on another stack (coroutines, a signal handler on its
 * sigaltstack). What is known for certain:
 *  - a return through the hook names its exact stack slot: that entry ends;
 *  - a call that writes its return address into the slot of an entry ends
 *    that entry (a live frame's return slot is never reused);
 *  - on one stack, frames below the slot of a new call are gone.
 * The last needs to know which stack a slot lies on: an address comparison
 * alone is wrong across a stack switch (a handler on a sigaltstack that lies
 * in main's frame, above the frames it interrupted; a coroutine stack that is
 * a local array). So the stacks the program declares are told apart: its
 * alternate signal stack (asked from the kernel when it matters) and every
 * stack it switched to with swapcontext/setcontext (frt_fgraph_declare_stack).
 * Frames on another stack than the new call's are kept.
 *
 * Entries dropped without proof that their frame is gone (above a frame that
 * returned; below a new call, if the program switches stacks without
 * declaring them) go to a graveyard, where a return that misses the shadow
 * stack still finds its address: such a frame returns correctly and only
 * loses its exit time. When the graveyard wraps onto an entry not returned
 * through yet, that entry's slot gets its real return address back (if it
 * still holds the hook): a live frame then returns without the hook, never to
 * a wrong address. So a return through the hook always finds its address.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
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

/*
 * A word of memory that may be unmapped by now (a freed coroutine stack): the
 * kernel copies it or says EFAULT. Only on rare paths; errno is the program's.
 */
static bool mem_xfer(uintptr_t addr, uintptr_t *val, bool write)
{
	struct iovec local = {val, sizeof(*val)}, remote = {(void *)addr, sizeof(*val)};
	int saved = errno;
	ssize_t n = write ? process_vm_writev(getpid(), &local, 1, &remote, 1, 0)
			  : process_vm_readv(getpid(), &local, 1, &remote, 1, 0);

	errno = saved;
	return n == sizeof(*val);
}

/*
 * The graveyard's slot @g is needed for a newer entry. If g's frame may still
 * be live (its slot still holds the hook and no other entry claims that
 * slot), give it its real return address: it then returns without the hook.
 */
static void evict(struct frt_thread *t, struct frt_shadow *g)
{
	uintptr_t v;

	for (unsigned int i = 0; i < t->depth; i++)
		if (t->shadow[i].loc == g->loc)
			return; /* the slot belongs to a newer frame: g is gone */
	for (unsigned int k = 1; k < FRT_GRAVEYARD; k++) {
		struct frt_shadow *n = &t->graveyard[(t->grave_pos - 1 - k) % FRT_GRAVEYARD];

		if (n == g)
			break;
		if (n->loc == g->loc)
			return; /* ... to a newer buried frame */
	}
	if (mem_xfer(g->loc, &v, false) && v == frt_tramps.ret) {
		v = g->ret;
		if (mem_xfer(g->loc, &v, true))
			t->evicted++;
	}
}

/* A frame that will not return through its entry: its exit is now. */
static void bury(struct frt_thread *t, struct frt_shadow *s, uint64_t now)
{
	struct frt_shadow *g = &t->graveyard[t->grave_pos++ % FRT_GRAVEYARD];

	leave(t, s, now);
	if (g->loc)
		evict(t, g);
	*g = *s;
}

/*
 * Stacks the program switched to with swapcontext/setcontext: [lo, lo+size).
 * Written under a spin flag, read without: a torn or overwritten pair only
 * makes two slots look like different stacks, so a dead frame is kept a while.
 */
#define FRT_STACKS 256
static struct {
	uintptr_t lo, size;
} declared[FRT_STACKS];
static unsigned int n_declared;
static int declare_lock;

void frt_fgraph_declare_stack(uintptr_t lo, size_t size)
{
	unsigned int n;

	while (__atomic_exchange_n(&declare_lock, 1, __ATOMIC_ACQUIRE))
		;
	n = __atomic_load_n(&n_declared, __ATOMIC_RELAXED);
	/* most recent first: a scheduler switches among a few stacks */
	for (unsigned int k = 1; k <= n && k <= FRT_STACKS; k++) {
		unsigned int i = (n - k) % FRT_STACKS;

		if (__atomic_load_n(&declared[i].lo, __ATOMIC_RELAXED) == lo &&
		    __atomic_load_n(&declared[i].size, __ATOMIC_RELAXED) == size)
			goto out;
	}
	/* the oldest declaration goes first: its stack is the likeliest to be gone */
	__atomic_store_n(&declared[n % FRT_STACKS].size, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&declared[n % FRT_STACKS].lo, lo, __ATOMIC_RELAXED);
	__atomic_store_n(&declared[n % FRT_STACKS].size, size, __ATOMIC_RELEASE);
	__atomic_store_n(&n_declared, n + 1, __ATOMIC_RELEASE);
out:
	__atomic_store_n(&declare_lock, 0, __ATOMIC_RELEASE);
}

/* The declared stack @a lies on, its alternate signal stack's, or 0: the thread's own. */
static uintptr_t stack_of(uintptr_t a, const stack_t *alt)
{
	unsigned int n = __atomic_load_n(&n_declared, __ATOMIC_ACQUIRE);

	if (!(alt->ss_flags & SS_DISABLE) && a - (uintptr_t)alt->ss_sp < alt->ss_size)
		return (uintptr_t)alt->ss_sp;
	for (unsigned int i = 0; i < n && i < FRT_STACKS; i++) {
		uintptr_t size = __atomic_load_n(&declared[i].size, __ATOMIC_ACQUIRE);
		uintptr_t lo = __atomic_load_n(&declared[i].lo, __ATOMIC_RELAXED);

		if (a - lo < size)
			return lo;
	}
	return 0;
}

/* the thread's alternate signal stack, asked for once per decision that needs it */
struct alt_stack {
	bool known;
	stack_t ss;
};

/* Do @lower and @upper (>= @lower) lie on the same stack? */
static bool same_stack(uintptr_t lower, uintptr_t upper, struct alt_stack *alt)
{
	if (upper - lower >= SAME_STACK_SPAN)
		return false;
	if (!alt->known) {
		/* a plain system call: no vector register, as -mgeneral-regs-only needs */
		if (sigaltstack(NULL, &alt->ss) || !alt->ss.ss_size)
			alt->ss.ss_flags = SS_DISABLE;
		alt->known = true;
	}
	return stack_of(lower, &alt->ss) == stack_of(upper, &alt->ss);
}

void frt_fgraph_entry(struct frt_thread *t, unsigned long ip, struct ftrace_rt_regs *regs,
		      bool record)
{
	uintptr_t loc = arch_regs_sp(regs);
	uintptr_t *ra = arch_regs_ret(regs);
	uint64_t now = frt_clock_raw();
	struct alt_stack alt;
	struct frt_shadow *s;

	alt.known = false;

	while (t->depth) {
		s = &t->shadow[t->depth - 1];
		if (s->loc > loc)
			break; /* the caller's frame, or one on another stack: kept */
		if (s->loc == loc) {
			/* a tail call from that frame: it will return through the hook */
			if (*ra == frt_tramps.ret)
				break;
			/* this call wrote its return address into that frame's slot: gone */
			t->depth--;
			leave(t, s, now);
			continue;
		}
		/* below this call: gone if on the same stack */
		if (!same_stack(s->loc, loc, &alt))
			break; /* e.g. interrupted by a handler running on its sigaltstack */
		t->depth--;
		bury(t, s, now);
	}
	if (t->depth >= FRT_SHADOW_MAX) {
		t->overflow++;
		return;
	}
	s = &t->shadow[t->depth];
	s->loc = loc;
	s->ret = *ra;
	s->ip = ip;
	s->start = now;
	s->child = 0;
	s->depth = t->depth;
	s->unhooked = FRT_HOOKED;
	s->recorded = record && frt_rec_put(t, FRT_REC_ENTRY, t->depth, ip, now);
	/* profile (the only tracer that does not record): is it a nested call? */
	s->prof = record ? 0 : frt_profile_enter(t, ip);
	t->depth++;
	t->all_unhooked = false;
	*ra = frt_tramps.ret;
}

/*
 * Called by the return hook with the stack pointer just after the hooked
 * return. The real return address goes back into its slot before the entry is
 * popped: the hook's CFI reads it there, so an unwinder that interrupts the
 * hook (a signal handler calling backtrace()) sees the real caller at every
 * instruction.
 */
uintptr_t frt_graph_return(uintptr_t sp, struct ftrace_rt_regs *regs)
{
	struct frt_thread *t = frt_self;
	uintptr_t loc = arch_graph_ret_key(sp);
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
		arch_graph_ret_restore(loc, t->shadow[i].ret);
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

			arch_graph_ret_restore(loc, ret);
			g->loc = 0;
			frt_in_callback = nested;
			return ret;
		}
	}
	/*
	 * Unreachable unless the runtime's own state is corrupt: every hooked
	 * slot has an entry until it returns, or gets its real address back.
	 * No address is known to return to; going on would jump anywhere.
	 */
	frt_msg("function_graph: return through slot %#lx not found in thread %d's shadow stack "
		"(corrupt runtime state); stopping rather than return to an unknown address",
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
 * Slots of entries the unwinder paths below rewrite. An entry may lie on a
 * stack freed since (a coroutine's): only the current stack, from the stack
 * pointer up, is known to be mapped; elsewhere the kernel does the access.
 */
struct slot_access {
	uintptr_t sp;
	struct alt_stack alt;
};

static bool slot_get(struct slot_access *a, uintptr_t loc, uintptr_t *v)
{
	if (loc >= a->sp && same_stack(a->sp, loc, &a->alt)) {
		*v = *(uintptr_t *)loc;
		return true;
	}
	return mem_xfer(loc, v, false);
}

static void slot_set(struct slot_access *a, uintptr_t loc, uintptr_t v)
{
	if (loc >= a->sp && same_stack(a->sp, loc, &a->alt))
		*(uintptr_t *)loc = v;
	else
		mem_xfer(loc, &v, true);
}

#define SLOT_ACCESS                                     \
	{                                               \
		(uintptr_t) __builtin_frame_address(0), \
		{                                       \
			0                               \
		}                                       \
	}

/*
 * Before an unwinder walks this thread's stack, put every real return address
 * back: it must see the program's frames. Entries stay, marked @why; those an
 * unwind leaves live are hooked again by frt_fgraph_rehook_live() (after a
 * catch) or frt_fgraph_rehook_walked() (after backtrace()). Frames left
 * unhooked return without the hook; the mismatch rules above end their
 * entries later (their exit time is then late).
 */
void frt_fgraph_unhook_all(struct frt_thread *t, unsigned int why)
{
	struct slot_access a = SLOT_ACCESS;
	uintptr_t v;

	for (unsigned int i = 0; i < t->depth; i++) {
		struct frt_shadow *s = &t->shadow[i];

		if (slot_get(&a, s->loc, &v) && v == frt_tramps.ret) {
			slot_set(&a, s->loc, s->ret);
			if (s->ret != frt_tramps.ret) /* not the inner one of a tail call */
				s->unhooked = why;
		}
	}
	t->all_unhooked = true;
}

/* After a catch at stack pointer @sp: frames below it are gone, the others hooked again. */
void frt_fgraph_rehook_live(struct frt_thread *t, uintptr_t sp)
{
	struct slot_access a = SLOT_ACCESS;
	uint64_t now = frt_clock_raw();
	uintptr_t v;

	while (t->depth && t->shadow[t->depth - 1].loc < sp) {
		t->depth--;
		leave(t, &t->shadow[t->depth], now);
	}
	for (unsigned int i = 0; i < t->depth; i++) {
		struct frt_shadow *s = &t->shadow[i];

		if (slot_get(&a, s->loc, &v) && v == s->ret) {
			slot_set(&a, s->loc, frt_tramps.ret);
			s->unhooked = FRT_HOOKED;
		}
	}
	t->all_unhooked = false;
}

/* After a walk that unwound nothing: the frames it unhooked are hooked again. */
void frt_fgraph_rehook_walked(struct frt_thread *t)
{
	struct slot_access a = SLOT_ACCESS;
	uintptr_t v;

	for (unsigned int i = 0; i < t->depth; i++) {
		struct frt_shadow *s = &t->shadow[i];

		if (s->unhooked == FRT_UNHOOKED_WALK) {
			if (slot_get(&a, s->loc, &v) && v == s->ret)
				slot_set(&a, s->loc, frt_tramps.ret);
			s->unhooked = FRT_HOOKED;
		}
	}
	t->all_unhooked = false;
}
