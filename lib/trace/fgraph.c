// SPDX-License-Identifier: MIT
/*
 * function_graph's cold half: registering graph ops, and what the unwinder
 * interposers (unwind.c), exec and process exit do to a thread's shadow
 * stack. The entry and the return hook, and what they call, are
 * lib/dispatch/graph.c (built gpr-only), which says how frames are kept.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>

#include "arch.h"
#include "callbacks.h"
#include "graph.h"
#include "guard.h"
#include "init.h"
#include "ops.h"
#include "record.h"
#include "trace.h"

int ftrace_rt_register_graph(struct ftrace_rt_fgraph_ops *gops)
{
	static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;
	unsigned int k;
	int ret;

	if (!gops || !gops->entryfunc)
		return -EINVAL;
	if (frt_api_refused_here())
		return -EDEADLK;
	if (frt_thread_key_init())
		return -EAGAIN;
	frt_clock_init();
	pthread_mutex_lock(&slot_lock);
	for (k = 0; k < FTRACE_RT_GRAPH_OPS_MAX; k++)
		if (frt_gslots[k].g == gops) {
			pthread_mutex_unlock(&slot_lock);
			return -EBUSY;
		}
	for (k = 0; k < FTRACE_RT_GRAPH_OPS_MAX && frt_gslots[k].g; k++)
		;
	if (k == FTRACE_RT_GRAPH_OPS_MAX) {
		pthread_mutex_unlock(&slot_lock);
		return -EBUSY;
	}
	gops->ops.func = frt_graph_user_entry;
	gops->ops.priv = (void *)(uintptr_t)k;
	__atomic_store_n(&frt_gslots[k].gen, (uint16_t)(frt_gslots[k].gen + 1), __ATOMIC_RELAXED);
	__atomic_store_n(&frt_gslots[k].g, gops, __ATOMIC_RELEASE);
	__atomic_add_fetch(&frt_graph_users, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&slot_lock);
	ret = ftrace_rt_register_ops(&gops->ops);
	if (ret) {
		pthread_mutex_lock(&slot_lock);
		__atomic_store_n(&frt_gslots[k].g, NULL, __ATOMIC_RELEASE);
		__atomic_sub_fetch(&frt_graph_users, 1, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&slot_lock);
	}
	return ret;
}

int ftrace_rt_unregister_graph(struct ftrace_rt_fgraph_ops *gops)
{
	unsigned int k;
	int ret;

	if (!gops)
		return -EINVAL;
	for (k = 0; k < FTRACE_RT_GRAPH_OPS_MAX; k++)
		if (__atomic_load_n(&frt_gslots[k].g, __ATOMIC_ACQUIRE) == gops)
			break;
	if (k == FTRACE_RT_GRAPH_OPS_MAX)
		return -ENOENT;
	ret = ftrace_rt_unregister_ops(&gops->ops); /* no entryfunc runs after it */
	if (ret)
		return ret;
	__atomic_store_n(&frt_gslots[k].g, NULL, __ATOMIC_RELEASE);
	__atomic_sub_fetch(&frt_graph_users, 1, __ATOMIC_RELEASE);
	frt_synchronize(); /* no retfunc runs after it */
	return 0;
}

/* Emit exits for every open frame (before exec); hooks stay for the returns. */
void frt_fgraph_close_all(struct frt_thread *t, uint64_t now)
{
	if (frt_tracer_kind != FRT_TRACER_GRAPH)
		return;
	for (unsigned int i = t->depth; i-- > 0;) {
		/* a frame entered before a fork: the child's file has no entry to close,
		 * and uftrace writes nothing for it at exec */
		if (t->shadow[i].recorded == FRT_RECORDED_BEFORE_FORK) {
			t->shadow[i].recorded = 0;
		} else if (t->shadow[i].recorded) {
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
	struct frt_alt_stack alt;
};

static bool slot_get(struct slot_access *a, uintptr_t loc, uintptr_t *v)
{
	if (loc >= a->sp && frt_same_stack(a->sp, loc, &a->alt)) {
		*v = *(uintptr_t *)loc;
		return true;
	}
	return frt_mem_xfer(loc, v, false);
}

static void slot_set(struct slot_access *a, uintptr_t loc, uintptr_t v)
{
	if (loc >= a->sp && frt_same_stack(a->sp, loc, &a->alt))
		*(uintptr_t *)loc = v;
	else
		frt_mem_xfer(loc, &v, true);
}

#define SLOT_ACCESS                                     \
	{                                               \
		(uintptr_t) __builtin_frame_address(0), \
		{                                       \
			0                               \
		}                                       \
	}

#if ARCH_GRAPH_RET_IN_RECORD
/*
 * Find where this thread's hooked frames on the current stack keep their
 * return address: walk the frame records up from this function's own (not
 * inlined, not tail-called: its record is live while it runs), and
 * at each record whose return word is the hook (signed or not), that word
 * belongs to the innermost frame above it on this stack (an untraced
 * function's record holds its real return address). Only memory between
 * the stack pointer and the outermost such frame's key is read: that is the
 * live stack, mapped, whatever a function without records left in x29.
 * Records are met innermost first, and an outer one wins: a frame
 * interrupted by a signal before its prologue stored x30 shows the hook in
 * the signal frame's record too, below its own (once it has one).
 *
 * What an earlier walk found for an entry on this stack is forgotten first:
 * its frame may be gone since (left by longjmp, by an unwind whose end was
 * not seen) while its entry stays, and another frame's record may lie where
 * its own was. Only the records on the live chain are given to entries: a
 * hook's, or the real return address of an entry an unwinder unhooked
 * (frt_fgraph_unhook_all), so that hooking it again finds it. An entry not
 * found has no slot: nothing writes on its behalf (FRT_RBELOW_LOST if an
 * earlier walk had found it: frt_fgraph_end_returned ends it).
 *
 * The walk ends after the clock has moved past its start: an entry pushed
 * later has a later start than every entry it saw (evict in
 * lib/dispatch/graph.c orders entries by it).
 */
static __attribute__((noinline)) void find_slots(struct frt_thread *t)
{
	struct frt_alt_stack alt = {false};
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0), sp = fp, hi = 0;
	uint64_t begun = frt_clock_raw();
	bool unhooked = false;

	for (unsigned int i = 0; i < t->depth; i++) {
		struct frt_shadow *s = &t->shadow[i];
		bool here = s->loc > sp ? frt_same_stack(sp, s->loc, &alt)
					: frt_same_stack(s->loc, sp, &alt);

		if (!here)
			continue;
		if (s->rbelow)
			s->rbelow = FRT_RBELOW_LOST;
		unhooked |= s->unhooked != FRT_HOOKED;
		if (s->loc > hi)
			hi = s->loc;
	}
	for (unsigned int n = 0; n < 65536 && fp >= sp && fp < hi && hi - fp >= 16 && !(fp & 7);
	     n++) {
		uintptr_t at = arch_record_ret(fp), next;
		uintptr_t v = arch_ret_strip(*(const uintptr_t *)at);

		if (v == frt_tramps.ret || unhooked) {
			for (unsigned int i = t->depth; i-- > 0;) {
				struct frt_shadow *s = &t->shadow[i];
				bool mine = v == frt_tramps.ret;

				if (s->loc <= at || !frt_same_stack(at, s->loc, &alt))
					continue;
				/* every hook of this call (stacked at one key) returns there */
				for (unsigned int j = i + 1; !mine && j-- > 0;)
					mine = t->shadow[j].loc == s->loc &&
					       t->shadow[j].unhooked != FRT_HOOKED &&
					       v == t->shadow[j].ret;
				for (unsigned int j = i + 1; mine && j-- > 0;)
					if (t->shadow[j].loc == s->loc)
						t->shadow[j].rbelow = (uint32_t)(s->loc - at);
				break;
			}
		}
		next = arch_record_next(fp);
		if (next <= fp)
			break;
		fp = next;
	}
	while (frt_clock_raw() == begun)
		;
}
#endif

/*
 * Is @at the return word of a frame record on the chain from this function's
 * own record up to @hi (a live frame's key, so the chain below it is the live
 * stack)?
 */
#if ARCH_GRAPH_RET_IN_RECORD
static __attribute__((noinline)) bool on_record_chain(uintptr_t at, uintptr_t hi)
{
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0), sp = fp;

	for (unsigned int n = 0; n < 65536 && fp >= sp && fp < hi && hi - fp >= 16 && !(fp & 7);
	     n++) {
		uintptr_t next;

		if (arch_record_ret(fp) == at)
			return true;
		next = arch_record_next(fp);
		if (next <= fp)
			break;
		fp = next;
	}
	return false;
}
#else
static inline bool on_record_chain(uintptr_t at, uintptr_t hi)
{
	(void)at, (void)hi;
	return false; /* not called: the return address stays at its key */
}
#endif

/*
 * The program leaves this stack (swapcontext, setcontext): where its hooked
 * frames keep their return addresses is found now, while their records can
 * be walked; the graveyard may have to give them back later (evict).
 */
void frt_fgraph_leave_stack(struct frt_thread *t)
{
#if ARCH_GRAPH_RET_IN_RECORD
	if (t->depth)
		find_slots(t);
#else
	(void)t;
#endif
}

/*
 * Process exit, on the exiting thread: frames that returned without the hook
 * (an unwinder's walk gave them their return address back) end now, late:
 * their slot lies below the stack pointer, or holds neither the hook nor
 * their return address any more (main's slot holds exit()'s). The others are
 * live — exit() was called inside them — and stay open in the data, as
 * uftrace leaves them.
 */
void frt_fgraph_end_returned(struct frt_thread *t, uint64_t now)
{
	struct slot_access a = SLOT_ACCESS;
	uintptr_t v;

#if ARCH_GRAPH_RET_IN_RECORD
	find_slots(t); /* where each hooked frame keeps its return address now */
#endif
	while (t->depth) {
		struct frt_shadow *s = &t->shadow[t->depth - 1];
		uintptr_t at = ret_slot(s);

		if (s->loc < a.sp && frt_same_stack(s->loc, a.sp, &a.alt)) {
			/* below the stack pointer: returned */
		} else if (ARCH_GRAPH_RET_IN_RECORD && s->rbelow == FRT_RBELOW_LOST) {
			/* found by an earlier walk, no longer on this stack's chain: returned */
		} else if (!at) {
			/* the return address is in no frame record found: taken as live */
			break;
		} else if (ARCH_GRAPH_RET_IN_RECORD) {
			/*
			 * A frame record outlives its frame's return (the epilogue only
			 * reads it): the frame is live if its record is on the chain from
			 * here, whatever the word there holds. A frame on another stack
			 * (exit() from a handler on its sigaltstack, or from a coroutine)
			 * is taken as live: only this stack's chain is walked.
			 */
			if (!frt_same_stack(a.sp, s->loc, &a.alt) || on_record_chain(at, s->loc))
				break;
		} else if (slot_get(&a, at, &v) && (v == frt_tramps.ret || v == s->ret)) {
			break;
		}
		t->depth--;
		frt_graph_bury(t, s, now);
	}
}

/*
 * Before an unwinder walks this thread's stack, put every real return address
 * back: it must see the program's frames. Entries stay, marked @why; those an
 * unwind leaves live are hooked again by frt_fgraph_rehook_live() (after a
 * catch) or frt_fgraph_rehook_walked() (after backtrace()). Frames left
 * unhooked return without the hook; the mismatch rules above end their
 * entries later (their exit time is then late).
 */
/*
 * Could a newer entry than shadow entry @i have its frame record at @at, @i's
 * slot? Only where @i's slot was found by a walk of another stack than this
 * one (its stack may have run since: left by a signal to a handler on the
 * alternate stack); on the stack just walked a live frame's newer entries
 * are inner ones, below @at. The rule of slot_claimed (lib/dispatch/graph.c).
 */
static bool newer_claims(struct frt_thread *t, unsigned int i, uintptr_t at,
			 struct frt_alt_stack *alt)
{
	if (!ARCH_GRAPH_RET_IN_RECORD)
		return false;
	for (unsigned int j = i + 1; j < t->depth; j++) {
		const struct frt_shadow *n = &t->shadow[j];

		if (n->loc > at && n->loc != t->shadow[i].loc &&
		    (!ret_slot(n) || ret_slot(n) == at) && frt_same_stack(at, n->loc, alt))
			return true;
	}
	return false;
}

void frt_fgraph_unhook_all(struct frt_thread *t, unsigned int why)
{
	struct slot_access a = SLOT_ACCESS;
	uintptr_t v;

#if ARCH_GRAPH_RET_IN_RECORD
	find_slots(t);
#endif
	for (unsigned int i = 0; i < t->depth; i++) {
		struct frt_shadow *s = &t->shadow[i];
		uintptr_t at = ret_slot(s);

		if (at && !newer_claims(t, i, at, &a.alt) && slot_get(&a, at, &v) &&
		    (v = arch_ret_replace(v, frt_tramps.ret, s->ret, s->loc, s->ip))) {
			slot_set(&a, at, v);
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
		frt_graph_leave(t, &t->shadow[t->depth], now);
	}
	for (unsigned int i = 0; i < t->depth; i++) {
		struct frt_shadow *s = &t->shadow[i];
		uintptr_t at = ret_slot(s);

		if (at && slot_get(&a, at, &v) &&
		    (v = arch_ret_replace(v, s->ret, frt_tramps.ret, s->loc, s->ip))) {
			slot_set(&a, at, v);
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
		uintptr_t at = ret_slot(s);

		if (s->unhooked == FRT_UNHOOKED_WALK) {
			if (at && slot_get(&a, at, &v) &&
			    (v = arch_ret_replace(v, s->ret, frt_tramps.ret, s->loc, s->ip)))
				slot_set(&a, at, v);
			s->unhooked = FRT_HOOKED;
		}
	}
	t->all_unhooked = false;
}
