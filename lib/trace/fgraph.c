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
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <sys/types.h>
#include <unistd.h>

#include "log.h"
#include "gfilter.h"
#include "regs.h"
#include "trace.h"
#include "compiler.h"
#include "init.h"
#include "guard.h"
#include "stack.h"
#include "arch.h"

#define SAME_STACK_SPAN ((uintptr_t)1 << 20) /* a longjmp rarely skips more */

/*
 * Copy @len bytes between this process's memory at @remote, which may be
 * unmapped (a freed coroutine stack, a bad string pointer), and @local: the
 * kernel does the access and says EFAULT. process_vm_readv/writev, or where
 * they are missing (ENOSYS: qemu-user 7.2 implements neither) a pipe of our
 * own, whose write(2) and read(2) fail on a bad address the same way (in
 * page-sized pieces, so that a read stops at the first bad page). Rare
 * paths only. errno is the program's. Returns the bytes copied, or -1.
 */
static ssize_t remote_copy(void *local, uintptr_t remote, size_t len, bool to_remote)
{
	static int no_pvm;
	struct iovec l = {local, len}, r = {(void *)remote, len};
	int saved = errno, fds[2];
	ssize_t n = -1, done = 0;

	if (!__atomic_load_n(&no_pvm, __ATOMIC_RELAXED)) {
		n = to_remote ? process_vm_writev(getpid(), &l, 1, &r, 1, 0)
			      : process_vm_readv(getpid(), &l, 1, &r, 1, 0);
		if (n >= 0 || errno != ENOSYS) {
			errno = saved;
			return n;
		}
		__atomic_store_n(&no_pvm, 1, __ATOMIC_RELAXED);
	}
	if (pipe2(fds, O_CLOEXEC)) {
		errno = saved;
		return -1;
	}
	while ((size_t)done < len) {
		uintptr_t at = remote + (uintptr_t)done;
		size_t piece = 4096 - (at & 4095);
		char *buf = (char *)local + done;

		if (piece > len - (size_t)done)
			piece = len - (size_t)done;
		if (to_remote)
			n = write(fds[1], buf, piece) == (ssize_t)piece
				    ? read(fds[0], (void *)at, piece)
				    : -1;
		else
			n = write(fds[1], (void *)at, piece) == (ssize_t)piece
				    ? read(fds[0], buf, piece)
				    : -1;
		if (n != (ssize_t)piece)
			break;
		done += n;
	}
	close(fds[0]);
	close(fds[1]);
	errno = saved;
	return done ? done : -1;
}

/*
 * Arguments and return values, laid out as uftrace does (libmcount's
 * save_to_argbuf): each value in its size rounded up to 4 bytes, a string as
 * a 2-byte length and its characters (NUL-terminated, cut at
 * FRT_ARG_STR_MAX with "..."), the whole rounded up to 8. Strings are read
 * through the kernel: a bad pointer gives "<0x...>", not a fault. No libc
 * call here may touch vector registers, so no memcpy.
 */
static size_t put_str(char *dst, uintptr_t p)
{
	char *s = dst + 2;
	size_t len = 0;
	ssize_t n = 0;

	if (!p) {
		s[0] = 'N', s[1] = 'U', s[2] = 'L', s[3] = 'L';
		len = 4;
	} else {
		n = remote_copy(s, p, FRT_ARG_STR_MAX + 1, false);
		if (n <= 0) {
			s[len++] = '<', s[len++] = '0', s[len++] = 'x';
			for (int b = 60; b >= 0; b -= 4)
				if ((p >> b) || b == 0)
					s[len++] = "0123456789abcdef"[(p >> b) & 15];
			s[len++] = '>';
		} else {
			while (len < (size_t)n && s[len])
				len++;
			if (len > FRT_ARG_STR_MAX) {
				len = FRT_ARG_STR_MAX;
				s[len - 3] = s[len - 2] = s[len - 1] = '.';
			}
		}
	}
	s[len] = 0;
	dst[0] = (char)(len & 0xff);
	dst[1] = (char)(len >> 8);
	return frt_arg_slot((unsigned int)len + 2);
}

static size_t put_val(char *dst, const struct frt_arg *a, uint64_t v)
{
	size_t slot = frt_arg_slot(a->size);

	for (size_t b = 0; b < slot; b++)
		dst[b] = b < a->size ? (char)(v >> (8 * b)) : 0;
	return slot;
}

static size_t arg_max(const struct frt_arg *a)
{
	return a->kind == FRT_ARG_STR ? frt_arg_slot(FRT_ARG_STR_MAX + 3) : frt_arg_slot(a->size);
}

/* The entry of @s, with the arguments @set names. */
static bool put_entry_args(struct frt_thread *t, const struct frt_shadow *s,
			   const struct frt_argset *set, const struct ftrace_rt_regs *regs)
{
	size_t max = 0, len = 0;
	char *d;

	for (unsigned int i = 0; i < set->nargs; i++)
		max += arg_max(&set->args[i]);
	d = frt_rec_begin(t, max);
	if (!d)
		return false;
	for (unsigned int i = 0; i < set->nargs; i++) {
		const struct frt_arg *a = &set->args[i];
		uint64_t v = 0;

		if (a->fp) {
			const unsigned char *x = arch_regs_fparg(regs, a->idx - 1u);

			for (int b = 7; x && b >= 0; b--)
				v = v << 8 | x[b];
			len += put_val(d + len, a, v);
		} else if (a->kind == FRT_ARG_STR) {
			len += put_str(d + len, arch_regs_arg(regs, a->idx - 1u));
		} else {
			len += put_val(d + len, a, arch_regs_arg(regs, a->idx - 1u));
		}
	}
	frt_rec_commit(t, FRT_REC_ENTRY, s->depth, s->ip, s->start, len);
	__atomic_store_n(&frt_gf_args_written, 1, __ATOMIC_RELAXED);
	return true;
}

/* The exit of @s with its return value (@ret integer, @fpret floating point). */
static void put_exit_ret(struct frt_thread *t, const struct frt_shadow *s, uint64_t now,
			 uint64_t ret, uint64_t fpret)
{
	struct frt_arg a = {s->rkind, s->rsize, 0, s->rkind == FRT_ARG_FP, 0};
	char *d = frt_rec_begin(t, arg_max(&a));
	size_t len;

	if (!d)
		return;
	if (a.kind == FRT_ARG_STR)
		len = put_str(d, ret);
	else
		len = put_val(d, &a, a.fp ? fpret : ret);
	frt_rec_commit(t, FRT_REC_EXIT, s->depth, s->ip, now, len);
	__atomic_store_n(&frt_gf_args_written, 1, __ATOMIC_RELAXED);
}

/* The graph filters' state of the thread as it was before the popped frame @s. */
static inline void gf_pop(struct frt_thread *t, const struct frt_shadow *s)
{
	if (s->gflags & FRT_GF_FUNC)
		t->in_count--;
	else if (s->gflags & FRT_GF_NOTRACE)
		t->out_count--;
	t->fdepth = s->fdepth;
	if (!s->norecord && !s->off && t->rdepth)
		t->rdepth--;
}

/*
 * Write the entries held back by the tracing threshold, of the open frames
 * (outermost first): a call long enough to keep is written with its callers.
 */
static void flush_held(struct frt_thread *t)
{
	for (unsigned int i = 0; i < t->depth; i++) {
		struct frt_shadow *o = &t->shadow[i];

		if (o->held) {
			o->held = 0;
			o->recorded = frt_rec_put(t, FRT_REC_ENTRY, o->depth, o->ip, o->start);
		}
	}
}

/*
 * Graph ops (ftrace_rt_register_graph): each registered one has a slot; a
 * call whose entryfunc asks for its return gets a frame of its own on the
 * thread's shadow stack, naming the slot and the slot's generation, so a
 * frame left by an ops unregistered since is never reported to another.
 * Several hooks of one call are stacked frames at the same return slot, as
 * a tail call's are: each return through the hook ends the top one.
 */
static struct {
	struct ftrace_rt_fgraph_ops *g;
	uint16_t gen;
} gslots[FTRACE_RT_GRAPH_OPS_MAX];
static bool push_prepare(struct frt_thread *t, uintptr_t loc, const uintptr_t *ra, uint64_t now);
unsigned int frt_graph_users;

static void user_return(struct frt_thread *t, struct frt_shadow *s, uint64_t now,
			const struct ftrace_rt_regs *rregs)
{
	struct ftrace_rt_fgraph_ops *g;
	unsigned int k = s->guser - 1u;
	(void)t;

	urcu_bp_read_lock(); /* unregistering waits for it */
	g = __atomic_load_n(&gslots[k].g, __ATOMIC_ACQUIRE);
	if (g && __atomic_load_n(&gslots[k].gen, __ATOMIC_RELAXED) == s->ggen && g->retfunc) {
		struct ftrace_rt_graph_ret r = {
			.func = s->ip,
			.retval = rregs ? arch_regs_retval(rregs) : 0,
			.calltime = frt_clock_to_ns(s->start),
			.rettime = frt_clock_to_ns(now),
			.depth = s->depth,
			.flags = rregs ? 0 : FTRACE_RT_GRAPH_RET_UNWOUND,
		};

		/* the return hook saved no vector register */
		if (g->ops.flags & FTRACE_RT_OPS_F_NO_VECTOR)
			g->retfunc(&r, g);
		else
			frt_tramps.vsave_call((void *)g->retfunc, (uintptr_t)&r, (uintptr_t)g, 0,
					      0);
	}
	urcu_bp_read_unlock();
}

/* The ops func of every graph ops: its entryfunc decides whether the return is hooked. */
static void user_entry(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		       struct ftrace_rt_regs *regs)
{
	struct ftrace_rt_fgraph_ops *g =
		(struct ftrace_rt_fgraph_ops *)((char *)op -
						__builtin_offsetof(struct ftrace_rt_fgraph_ops,
								   ops));
	struct frt_thread *t = frt_thread_self();
	uintptr_t loc = arch_regs_sp(regs);
	uintptr_t *ra = arch_regs_ret(regs);
	struct ftrace_rt_graph_ent ent;
	uint16_t k = (uint16_t)(uintptr_t)op->priv, gen;
	uint64_t now;
	struct frt_shadow *s;
	bool room;
	(void)parent_ip;

	now = frt_clock_raw();
	/* frames found gone end first (their returns are reported before this entry) */
	room = t && push_prepare(t, loc, ra, now);
	ent.func = ip;
	ent.depth = t ? t->depth : 0;
	if (!g->entryfunc(&ent, g, regs) || !g->retfunc || !room)
		return;
	gen = __atomic_load_n(&gslots[k].gen, __ATOMIC_RELAXED);
	s = &t->shadow[t->depth];
	s->loc = loc;
	s->ret = *ra;
	s->ip = ip;
	s->start = now;
	s->child = 0;
	s->depth = t->depth;
	s->unhooked = FRT_HOOKED;
	s->norecord = 1;
	s->off = 0;
	s->held = s->recorded = 0;
	s->gflags = 0;
	s->fdepth = t->fdepth;
	s->has_ret = 0;
	s->prof = 0;
	s->guser = (uint16_t)(k + 1);
	s->ggen = gen;
	s->rbelow = 0;
	t->depth++;
	t->all_unhooked = false;
	*ra = frt_tramps.ret;
}

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
		if (gslots[k].g == gops) {
			pthread_mutex_unlock(&slot_lock);
			return -EBUSY;
		}
	for (k = 0; k < FTRACE_RT_GRAPH_OPS_MAX && gslots[k].g; k++)
		;
	if (k == FTRACE_RT_GRAPH_OPS_MAX) {
		pthread_mutex_unlock(&slot_lock);
		return -EBUSY;
	}
	gops->ops.func = user_entry;
	gops->ops.priv = (void *)(uintptr_t)k;
	__atomic_store_n(&gslots[k].gen, (uint16_t)(gslots[k].gen + 1), __ATOMIC_RELAXED);
	__atomic_store_n(&gslots[k].g, gops, __ATOMIC_RELEASE);
	__atomic_add_fetch(&frt_graph_users, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&slot_lock);
	ret = ftrace_rt_register_ops(&gops->ops);
	if (ret) {
		pthread_mutex_lock(&slot_lock);
		__atomic_store_n(&gslots[k].g, NULL, __ATOMIC_RELEASE);
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
		if (__atomic_load_n(&gslots[k].g, __ATOMIC_ACQUIRE) == gops)
			break;
	if (k == FTRACE_RT_GRAPH_OPS_MAX)
		return -ENOENT;
	ret = ftrace_rt_unregister_ops(&gops->ops); /* no entryfunc runs after it */
	if (ret)
		return ret;
	__atomic_store_n(&gslots[k].g, NULL, __ATOMIC_RELEASE);
	__atomic_sub_fetch(&frt_graph_users, 1, __ATOMIC_RELEASE);
	frt_synchronize(); /* no retfunc runs after it */
	return 0;
}

/* Frame @s (already off the shadow stack) ends at @now; @rregs: the return
 * hook's frame when it returned normally (its return value is known).
 */
static void leave_ret(struct frt_thread *t, struct frt_shadow *s, uint64_t now,
		      const struct ftrace_rt_regs *rregs, uint64_t fpret)
{
	gf_pop(t, s);
	if (s->guser) {
		user_return(t, s, now, rregs);
	} else if (s->norecord || s->off) {
		/* hooked for the graph filters only */
	} else if (frt_tracer_kind == FRT_TRACER_PROFILE) {
		frt_profile_exit(t, s, now);
	} else if (s->recorded && !__atomic_load_n(&frt_gf.enabled, __ATOMIC_RELAXED)) {
		/* tracing was turned off inside it: its exit is not written, as in uftrace */
	} else if (s->recorded) {
		if (s->has_ret && rregs)
			put_exit_ret(t, s, now, arch_regs_retval(rregs), fpret);
		else
			frt_rec_put(t, FRT_REC_EXIT, s->depth, s->ip, now);
	} else if (s->held) {
		/* uftrace's rule: kept if strictly longer than the threshold */
		if (frt_tracer_kind == FRT_TRACER_GRAPH &&
		    frt_clock_delta_ns(now - s->start) >
			    __atomic_load_n(&frt_gf.thresh_ns, __ATOMIC_RELAXED)) {
			flush_held(t);
			if (!frt_rec_put(t, FRT_REC_ENTRY, s->depth, s->ip, s->start))
				;
			else if (s->has_ret && rregs)
				put_exit_ret(t, s, now, arch_regs_retval(rregs), fpret);
			else
				frt_rec_put(t, FRT_REC_EXIT, s->depth, s->ip, now);
		}
	} else if (frt_tracer_kind == FRT_TRACER_GRAPH) {
		/* its entry was dropped: the exit is lost with it */
		t->lost++;
		t->lost_pending++;
	}
	s->recorded = 0;
	s->held = 0;
}

static void leave(struct frt_thread *t, struct frt_shadow *s, uint64_t now)
{
	leave_ret(t, s, now, NULL, 0);
}

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

/* Where frame @s's live return address is, or 0 if not known. */
static inline uintptr_t ret_slot(const struct frt_shadow *s)
{
	if (!ARCH_GRAPH_RET_IN_RECORD)
		return s->loc;
	return s->rbelow ? s->loc - s->rbelow : 0;
}

/*
 * A word of memory that may be unmapped by now (a freed coroutine stack): the
 * kernel copies it or says EFAULT. Only on rare paths; errno is the program's.
 */
static bool mem_xfer(uintptr_t addr, uintptr_t *val, bool write)
{
	return remote_copy(val, addr, sizeof(*val), write) == sizeof(*val);
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
	if (ret_slot(g) && mem_xfer(ret_slot(g), &v, false) &&
	    (v = arch_ret_replace(v, frt_tramps.ret, g->ret, g->loc, g->ip)) &&
	    mem_xfer(ret_slot(g), &v, true))
		t->evicted++;
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

/*
 * The declared stack the frame keyed @key lies on, its alternate signal
 * stack's, or 0: the thread's own. A key is a stack pointer or the slot just
 * above one (arch_regs_sp: the return slot, or the entry's sp itself where
 * the return address is in a register); the frame's memory starts at the
 * byte below it. A function a made context starts on a stack's very top has
 * its entry sp one past the stack: that byte is what tells its stack.
 */
static uintptr_t stack_of(uintptr_t key, const stack_t *alt)
{
	unsigned int n = __atomic_load_n(&n_declared, __ATOMIC_ACQUIRE);
	uintptr_t a = key - 1;

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

/*
 * Before a new frame at @loc: end the frames the rules above find gone.
 * False if the shadow stack is full (the call is not hooked: counted).
 */
static bool push_prepare(struct frt_thread *t, uintptr_t loc, const uintptr_t *ra, uint64_t now)
{
	struct alt_stack alt;
	struct frt_shadow *s;

	alt.known = false;
	while (t->depth) {
		s = &t->shadow[t->depth - 1];
		if (s->loc > loc)
			break; /* the caller's frame, or one on another stack: kept */
		if (s->loc == loc) {
			/* a tail call from that frame (or another hook of this call): it will
			 * return through the hook */
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
	if (t->depth >= t->shadow_max) {
		t->overflow++;
		return false;
	}
	return true;
}

void frt_fgraph_entry(struct frt_thread *t, unsigned long ip, struct ftrace_rt_regs *regs,
		      bool record)
{
	uintptr_t loc = arch_regs_sp(regs);
	uintptr_t *ra = arch_regs_ret(regs);
	uint64_t now = frt_clock_raw();
	const struct frt_gf_trig *trig;
	struct frt_shadow *s;
	uint8_t gflags = 0;
	int fdepth;

	if (!push_prepare(t, loc, ra, now))
		return;

	/*
	 * The graph filters, by uftrace's rules (libmcount's filter check): a
	 * call inside a graph notrace subtree, outside every graph function's
	 * subtree (when some are set), or past the depth budget is not hooked
	 * at all. A graph function or graph notrace frame is hooked, to count
	 * it open; the depth budget starts again at each of them.
	 */
	if (unlikely(t->gf_gen != __atomic_load_n(&frt_gf.gen, __ATOMIC_ACQUIRE))) {
		int max = __atomic_load_n(&frt_gf.max_depth, __ATOMIC_RELAXED);

		t->gf_gen = frt_gf.gen;
		t->fdepth = max == INT_MAX	  ? INT_MAX
			    : max > (int)t->depth ? max - (int)t->depth
						  : 0;
	}
	if (t->out_count)
		return;
	fdepth = t->fdepth;
	trig = frt_gf_lookup(ip);
	if (trig && (trig->flags & (FRT_GF_FUNC | FRT_GF_NOTRACE))) {
		gflags = (uint8_t)(trig->flags & (FRT_GF_FUNC | FRT_GF_NOTRACE));
		t->fdepth = __atomic_load_n(&frt_gf.max_depth, __ATOMIC_RELAXED);
	} else if (__atomic_load_n(&frt_gf.mode_in, __ATOMIC_RELAXED) && !t->in_count) {
		return;
	}
	if (trig && (trig->flags & (FRT_GF_DEPTH | FRT_GF_TRACE_ON | FRT_GF_TRACE_OFF))) {
		if (trig->flags & FRT_GF_DEPTH)
			t->fdepth = trig->depth;
		if (trig->flags & (FRT_GF_TRACE_ON | FRT_GF_TRACE_OFF))
			__atomic_store_n(&frt_gf.enabled, !!(trig->flags & FRT_GF_TRACE_ON),
					 __ATOMIC_RELAXED);
	}
	if (t->fdepth <= 0) {
		t->fdepth = fdepth;
		return;
	}
	if (gflags & FRT_GF_FUNC)
		t->in_count++;
	else if (gflags & FRT_GF_NOTRACE)
		t->out_count++;
	t->fdepth--;
	s = &t->shadow[t->depth];
	s->fdepth = fdepth;
	s->gflags = gflags;
	s->norecord = t->out_count ||
		      (!t->in_count && __atomic_load_n(&frt_gf.mode_in, __ATOMIC_RELAXED));
	s->loc = loc;
	s->ret = *ra;
	s->ip = ip;
	s->start = now;
	s->child = 0;
	/* the format's depth has 10 bits: deeper calls are recorded at its maximum */
	s->depth = t->rdepth < FRT_MAX_DEPTH ? t->rdepth : FRT_MAX_DEPTH;
	s->unhooked = FRT_HOOKED;
	s->held = 0;
	s->recorded = 0;
	s->prof = 0;
	s->has_ret = 0;
	s->guser = 0;
	s->off = 0;
	s->rbelow = 0;
	if (!s->norecord && !__atomic_load_n(&frt_gf.enabled, __ATOMIC_RELAXED)) {
		s->off = 1; /* not recorded and, as in uftrace, not counted in the depth */
	} else if (!s->norecord) {
		const struct frt_argset *set =
			trig && (trig->flags & FRT_GF_ARGS) ? trig->set : NULL;

		t->rdepth++;
		if (set && set->has_ret) {
			s->has_ret = 1;
			s->rkind = set->ret.kind;
			s->rsize = set->ret.size;
		}
		if (!record)
			/* profile (the only tracer that does not record): is it a nested call? */
			s->prof = frt_profile_enter(t, ip);
		else if (__atomic_load_n(&frt_gf.thresh_ns, __ATOMIC_RELAXED))
			s->held = 1; /* written later, without its arguments */
		else if (set && set->nargs)
			s->recorded = put_entry_args(t, s, set, regs);
		else
			s->recorded = frt_rec_put(t, FRT_REC_ENTRY, s->depth, ip, now);
	}
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
	uint64_t fpret = arch_fp_retval_live(); /* before anything may change that register */
	struct frt_thread *t = frt_self;
	uintptr_t loc = arch_graph_ret_key(sp);
	uint64_t now = frt_clock_raw();
	int nested = frt_in_callback;

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
			leave_ret(t, &s, now, regs, fpret);
		else
			gf_pop(t, &s);
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
 */
static __attribute__((noinline)) void find_slots(struct frt_thread *t)
{
	struct alt_stack alt = {false};
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0), sp = fp, hi = 0;

	for (unsigned int i = 0; i < t->depth; i++) {
		const struct frt_shadow *s = &t->shadow[i];

		if (s->loc > sp && s->loc > hi && same_stack(sp, s->loc, &alt))
			hi = s->loc;
	}
	for (unsigned int n = 0; n < 65536 && fp >= sp && fp < hi && hi - fp >= 16 && !(fp & 7);
	     n++) {
		uintptr_t at = arch_record_ret(fp), next;

		if (arch_ret_strip(*(const uintptr_t *)at) == frt_tramps.ret) {
			for (unsigned int i = t->depth; i-- > 0;) {
				struct frt_shadow *s = &t->shadow[i];

				if (s->loc <= at || !same_stack(at, s->loc, &alt))
					continue;
				/* every hook of this call (stacked at one key) returns there */
				for (unsigned int j = i + 1; j-- > 0;)
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

#if ARCH_GRAPH_RET_IN_RECORD
	find_slots(t);
#endif
	for (unsigned int i = 0; i < t->depth; i++) {
		struct frt_shadow *s = &t->shadow[i];
		uintptr_t at = ret_slot(s);

		if (at && slot_get(&a, at, &v) &&
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
		leave(t, &t->shadow[t->depth], now);
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
