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
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/types.h>
#include <unistd.h>

#include <urcu-bp.h>

#include "log.h"
#include "gftable.h"
#include "regs.h"
#include "callbacks.h"
#include "graph.h"
#include "record.h"
#include "compiler.h"
#include "init.h"
#include "guard.h"
#include "stack.h"
#include "stacktrace.h"
#include "arch.h"

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

static size_t args_max(const struct frt_argset *set)
{
	size_t max = 0;

	for (unsigned int i = 0; i < set->nargs; i++)
		max += arg_max(&set->args[i]);
	return max;
}

/* The arguments @set names, as they follow the entry record: their length. */
static size_t encode_args(char *d, const struct frt_argset *set, const struct ftrace_rt_regs *regs)
{
	size_t len = 0;

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
	return len;
}

/* The entry of @s, with the arguments @set names. */
static bool put_entry_args(struct frt_thread *t, const struct frt_shadow *s,
			   const struct frt_argset *set, const struct ftrace_rt_regs *regs)
{
	char *d = frt_rec_begin(t, args_max(set));
	size_t len;

	if (!d)
		return false;
	len = encode_args(d, set, regs);
	frt_rec_commit(t, FRT_REC_ENTRY, s->depth, s->ip, s->start, len);
	__atomic_store_n(&frt_gf_args_written, 1, __ATOMIC_RELAXED);
	return true;
}

/*
 * An entry held by the threshold keeps its arguments, read at the entry (a
 * string may be gone by the exit), on the thread's own stack of them until
 * the entry is written or dropped. Past FRT_HELD_ARGS bytes of open held
 * frames (or without memory for it) the entry is written without them.
 */
static void hold_args(struct frt_thread *t, struct frt_shadow *s, const struct frt_argset *set,
		      const struct ftrace_rt_regs *regs)
{
	size_t max = args_max(set);

	if (!t->hargs) {
		void *p = mmap(NULL, FRT_HELD_ARGS, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED)
			return;
		t->hargs = p;
	}
	if (t->hargs_top + max > FRT_HELD_ARGS)
		return;
	s->alen = (uint16_t)encode_args(t->hargs + t->hargs_top, set, regs);
	t->hargs_top += s->alen;
}

/* A held entry, with the arguments it kept. */
static uint16_t put_held_entry(struct frt_thread *t, const struct frt_shadow *s)
{
	char *d;

	if (!s->alen)
		return frt_rec_put(t, FRT_REC_ENTRY, s->depth, s->ip, s->start);
	d = frt_rec_begin(t, s->alen);
	if (!d)
		return 0;
	memcpy(d, t->hargs + s->aoff, s->alen);
	frt_rec_commit(t, FRT_REC_ENTRY, s->depth, s->ip, s->start, s->alen);
	__atomic_store_n(&frt_gf_args_written, 1, __ATOMIC_RELAXED);
	return 1;
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
	if (!s->norecord && t->rdepth)
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
			o->recorded = put_held_entry(t, o);
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
struct frt_gslot frt_gslots[FTRACE_RT_GRAPH_OPS_MAX];
static bool push_prepare(struct frt_thread *t, uintptr_t loc, const uintptr_t *ra, uint64_t now);
unsigned int frt_graph_users;

static void user_return(struct frt_thread *t, struct frt_shadow *s, uint64_t now,
			const struct ftrace_rt_regs *rregs)
{
	struct ftrace_rt_fgraph_ops *g;
	unsigned int k = s->guser - 1u;
	(void)t;

	urcu_bp_read_lock(); /* unregistering waits for it */
	g = __atomic_load_n(&frt_gslots[k].g, __ATOMIC_ACQUIRE);
	if (g && __atomic_load_n(&frt_gslots[k].gen, __ATOMIC_RELAXED) == s->ggen && g->retfunc) {
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
void frt_graph_user_entry(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
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
	gen = __atomic_load_n(&frt_gslots[k].gen, __ATOMIC_RELAXED);
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
	s->aoff = t->hargs_top;
	s->alen = 0;
	s->guser = (uint16_t)(k + 1);
	s->ggen = gen;
	s->rbelow = 0;
	t->depth++;
	t->all_unhooked = false;
	*ra = frt_tramps.ret;
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
	} else if (s->norecord) {
		/* hooked for the graph filters only */
	} else if (s->off) {
		/* entered while recording was off: its exit is written if it is on now,
		 * as uftrace writes it (the entry is not) */
		if (frt_tracer_kind == FRT_TRACER_GRAPH &&
		    __atomic_load_n(&frt_gf.enabled, __ATOMIC_RELAXED))
			frt_rec_put(t, FRT_REC_EXIT, s->depth, s->ip, now);
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
		    (s->held == 2 ||
		     frt_clock_delta_ns(now - s->start) >
			     __atomic_load_n(&frt_gf.thresh_ns, __ATOMIC_RELAXED))) {
			flush_held(t);
			if (!put_held_entry(t, s))
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
	/* popped: the held arguments above its mark are free again */
	t->hargs_top = s->aoff;
	s->alen = 0;
}

static void leave(struct frt_thread *t, struct frt_shadow *s, uint64_t now)
{
	leave_ret(t, s, now, NULL, 0);
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
 * Could a frame other than buried g own the word at @at (ret_slot(g)), where
 * g's return address was? evict writes there only when nothing says so.
 *
 * Where the return address stays at the key (ARCH_GRAPH_RET_IN_RECORD == 0),
 * @at is g's key: a newer entry with that key (on the shadow stack, or
 * buried after g) owns it.
 *
 * Where it is in a frame record, @at is the record a walk (find_slots in
 * lib/trace/fgraph.c) found g's hook in, somewhere below g's key; once g's
 * frame is gone, a frame with another key can store its record there (a
 * coroutine stack reused from a pool, a frame left by longjmp). Why no
 * write lands in a record g does not own: the word holds a hook only if the
 * last frame F that stored a record there was hooked. If F is not g, F
 * stored it after g did, so F was entered after g's walk (the walk ran while
 * g's frame, which holds @at, was live; a frame entered between g's entry
 * and the walk that is still live is inner to g, its record below @at), or
 * F was interrupted before its prologue while g ran on its stack (a signal
 * handler), F's entry still on the shadow stack. F's key lies above @at on
 * @at's stack. F's entry, if kept, is
 *  - on the shadow stack: every entry there above @at on that stack claims
 *    @at, unless a walk found its record elsewhere (a frame stores one
 *    record; a walk gives an entry only a record on the live chain, and
 *    forgets what it found before for entries on the stack it walks);
 *  - in the graveyard: every entry there above @at on that stack that
 *    started after g claims @at (a walk ends after the clock has moved past
 *    its start, so a frame entered after g's walk started later than g).
 * If F's entry is not kept, F returned (its record is dead memory, which the
 * write cannot harm), or F was evicted: its return address given back (the
 * word no longer holds the hook), or refused because its slot was claimed
 * (F's frame was gone) or never found by a walk. That last case is the one
 * left: a frame buried while live whose stack was never walked (a program
 * that switches stacks without swapcontext/setcontext, a function without
 * a frame record) returns into the hook unknown; it is not written over.
 * A live frame buried with its stack (a coroutine switched away and its
 * resumer returned) is claimed by none of these: its callers on that stack
 * started before it (buried with it) or had their records found by the
 * walk, and no frame entered later ran above @at on that stack; it gets
 * its return address back.
 */
static bool same_stack(uintptr_t lower, uintptr_t upper, struct frt_alt_stack *alt);

static bool slot_claimed(struct frt_thread *t, const struct frt_shadow *g, uintptr_t at)
{
	struct frt_alt_stack alt = {false};

	for (unsigned int i = 0; i < t->depth; i++) {
		const struct frt_shadow *n = &t->shadow[i];

		if (n->loc == g->loc)
			return true; /* the slot belongs to a newer frame: g is gone */
		if (ARCH_GRAPH_RET_IN_RECORD && n->loc > at &&
		    (!ret_slot(n) || ret_slot(n) == at) && same_stack(at, n->loc, &alt))
			return true;
	}
	for (unsigned int k = 1; k < FRT_GRAVEYARD; k++) {
		const struct frt_shadow *n = &t->graveyard[(t->grave_pos - 1 - k) % FRT_GRAVEYARD];

		if (n == g) {
			if (!ARCH_GRAPH_RET_IN_RECORD)
				break; /* the others were buried before g */
			continue;
		}
		if (!n->loc)
			continue; /* returned */
		if (n->loc == g->loc)
			return true; /* ... to a newer buried frame */
		if (ARCH_GRAPH_RET_IN_RECORD && n->start > g->start && n->loc > at &&
		    same_stack(at, n->loc, &alt))
			return true;
	}
	return false;
}

/*
 * The graveyard's slot @g is needed for a newer entry. If g's frame may still
 * be live (its slot still holds the hook and no other frame claims that
 * slot), give it its real return address: it then returns without the hook.
 */
static void evict(struct frt_thread *t, struct frt_shadow *g)
{
	uintptr_t at = ret_slot(g), v;

	if (at && !slot_claimed(t, g, at) && mem_xfer(at, &v, false) &&
	    (v = arch_ret_replace(v, frt_tramps.ret, g->ret, g->loc, g->ip)) &&
	    mem_xfer(at, &v, true))
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

/* Do @lower and @upper (>= @lower) lie on the same stack? */
static bool same_stack(uintptr_t lower, uintptr_t upper, struct frt_alt_stack *alt)
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
static __attribute__((noinline)) bool push_prepare(struct frt_thread *t, uintptr_t loc,
						   const uintptr_t *ra, uint64_t now)
{
	struct frt_alt_stack alt;
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

/*
 * The next shadow entry of @t, every field set, in the order of the fields:
 * neighbouring stores merge into whole words (a struct assignment became a
 * `rep stos` of the whole entry). Not yet pushed: the caller moves t->depth.
 */
static __attribute__((always_inline)) inline struct frt_shadow *
shadow_push_fill(struct frt_thread *t, uintptr_t loc, uintptr_t ret, unsigned long ip, uint64_t now,
		 uint8_t recorded, uint8_t norecord, uint8_t gflags, int fdepth)
{
	struct frt_shadow *s = &t->shadow[t->depth];

	s->loc = loc;
	s->ret = ret;
	s->ip = ip;
	s->start = now;
	s->child = 0;
	s->recorded = recorded;
	s->unhooked = FRT_HOOKED;
	/* the format's depth has 10 bits: deeper calls are recorded at its maximum */
	s->depth = t->rdepth < FRT_MAX_DEPTH ? t->rdepth : FRT_MAX_DEPTH;
	s->norecord = norecord;
	s->held = 0;
	s->off = 0;
	s->gflags = gflags;
	s->fdepth = fdepth;
	s->has_ret = 0;
	s->alen = 0;
	s->aoff = t->hargs_top;
	s->guser = 0;
	s->prof = 0;
	s->rbelow = 0;
	return s;
}

/* A stacktrace trigger fires: while recording is on, and within its count (stacktrace:N). */
static inline bool stack_wanted(const struct frt_gf_trig *trig)
{
	int *c, v;

	if (!__atomic_load_n(&frt_gf.enabled, __ATOMIC_RELAXED))
		return false;
	if (!trig->count)
		return true;
	c = &frt_gf_counts[trig->count - 1];
	v = __atomic_load_n(c, __ATOMIC_RELAXED);
	do {
		if (v <= 0)
			return false;
	} while (!__atomic_compare_exchange_n(c, &v, v - 1, false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return true;
}

/* A traced call's entry at @now, in general (frt_fgraph_entry has the common case). */
static __attribute__((noinline)) void fgraph_entry_any(struct frt_thread *t, unsigned long ip,
						       struct ftrace_rt_regs *regs, bool record,
						       uint64_t now)
{
	uintptr_t loc = arch_regs_sp(regs);
	uintptr_t *ra = arch_regs_ret(regs);
	const struct frt_gf_trig *trig;
	struct frt_shadow *s;
	uint8_t gflags = 0;
	bool dump = false, on;
	int fdepth;

	/* push_prepare() has nothing to end when the top frame is the caller's
	 * (above this call's slot): its loop would stop at once */
	if (unlikely((t->depth && t->shadow[t->depth - 1].loc <= loc) ||
		     t->depth >= t->shadow_max) &&
	    !push_prepare(t, loc, ra, now))
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
	if (trig &&
	    (trig->flags & (FRT_GF_DEPTH | FRT_GF_TRACE_ON | FRT_GF_TRACE_OFF | FRT_GF_STACK))) {
		if (trig->flags & FRT_GF_DEPTH)
			t->fdepth = trig->depth;
		if (trig->flags & (FRT_GF_TRACE_ON | FRT_GF_TRACE_OFF))
			__atomic_store_n(&frt_gf.enabled, !!(trig->flags & FRT_GF_TRACE_ON),
					 __ATOMIC_RELAXED);
		if ((trig->flags & FRT_GF_STACK) && record && !(gflags & FRT_GF_NOTRACE) &&
		    stack_wanted(trig))
			dump = true;
	}
	/* as uftrace: while recording is off, calls are hooked and counted in the
	 * depth whatever the depth budget, and do not use it */
	on = __atomic_load_n(&frt_gf.enabled, __ATOMIC_RELAXED);
	if (t->fdepth <= 0 && on) {
		/* not hooked: the stack goes in at the recorded depth */
		if (unlikely(dump))
			frt_stack_dump(t, ip, *ra, arch_regs_fp(regs), loc, t->depth,
				       t->rdepth < FRT_MAX_DEPTH ? t->rdepth : FRT_MAX_DEPTH, now);
		t->fdepth = fdepth;
		return;
	}
	if (gflags & FRT_GF_FUNC)
		t->in_count++;
	else if (gflags & FRT_GF_NOTRACE)
		t->out_count++;
	if (on)
		t->fdepth--;
	s = shadow_push_fill(t, loc, *ra, ip, now, 0,
			     t->out_count || (!t->in_count &&
					      __atomic_load_n(&frt_gf.mode_in, __ATOMIC_RELAXED)),
			     gflags, fdepth);
	if (!s->norecord && !on) {
		/* not recorded; as in uftrace, counted in the depth, and its exit is
		 * written if recording is on by then */
		s->off = 1;
		t->rdepth++;
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
		else if (__atomic_load_n(&frt_gf.thresh_ns, __ATOMIC_RELAXED)) {
			/* written later, if long enough (or in any case: a trace trigger) */
			s->held = trig && (trig->flags & FRT_GF_TRACE) ? 2 : 1;
			if (set && set->nargs)
				hold_args(t, s, set, regs);
		} else if (set && set->nargs)
			s->recorded = put_entry_args(t, s, set, regs);
		else
			s->recorded = frt_rec_put(t, FRT_REC_ENTRY, s->depth, ip, now);
	}
	t->depth++;
	t->all_unhooked = false;
	if (unlikely(dump) && !s->norecord && !s->off) {
		/*
		 * Inside the call: after its entry, which a threshold would hold
		 * (the call is then kept whatever its duration, with its callers,
		 * as uftrace's trace trigger keeps one).
		 */
		if (s->held)
			flush_held(t);
		frt_stack_dump(t, ip, s->ret, arch_regs_fp(regs), loc, t->depth - 1,
			       s->depth + 1 < FRT_MAX_DEPTH ? s->depth + 1 : FRT_MAX_DEPTH, now);
	}
	*ra = frt_tramps.ret;
}

/* ... where the clock is not the cycle counter (a call: kept off the common path) */
static __attribute__((noinline)) void fgraph_entry_clock(struct frt_thread *t, unsigned long ip,
							 struct ftrace_rt_regs *regs, bool record)
{
	fgraph_entry_any(t, ip, regs, record, frt_clock_raw());
}

/*
 * A traced call's entry. The common case is handled here with no call (so
 * with no register saved): the cycle counter, nothing for push_prepare() to
 * end, room on the shadow stack, the built-in function_graph tracer with no
 * graph filter, depth limit, threshold or argument to record, tracing on,
 * room in the buffer. Each check only reads (the dispatcher's guard is set:
 * nothing else runs on this thread's state meanwhile), so when one fails,
 * fgraph_entry_any() does all of it as before; when none does, the steps
 * below are those fgraph_entry_any() would take, in its order.
 */
void frt_fgraph_entry(struct frt_thread *t, unsigned long ip, struct ftrace_rt_regs *regs,
		      bool record)
{
	uintptr_t loc = arch_regs_sp(regs);
	uintptr_t *ra = arch_regs_ret(regs);
	struct frt_shadow *s;
	uint64_t now;
	int fdepth;

	if (unlikely(!frt_clock_cycles))
		return fgraph_entry_clock(t, ip, regs, record);
	now = arch_cycles();
	fdepth = t->fdepth;
	if (unlikely(!record || (t->depth && t->shadow[t->depth - 1].loc <= loc) ||
		     t->depth >= t->shadow_max ||
		     t->gf_gen != __atomic_load_n(&frt_gf.gen, __ATOMIC_ACQUIRE) || t->out_count ||
		     __atomic_load_n(&frt_gf.table, __ATOMIC_ACQUIRE) ||
		     __atomic_load_n(&frt_gf.mode_in, __ATOMIC_RELAXED) || fdepth <= 0 ||
		     !__atomic_load_n(&frt_gf.enabled, __ATOMIC_RELAXED) ||
		     __atomic_load_n(&frt_gf.thresh_ns, __ATOMIC_RELAXED) || !frt_rec_room(t)))
		return fgraph_entry_any(t, ip, regs, record, now);
	t->fdepth = fdepth - 1;
	s = shadow_push_fill(t, loc, *ra, ip, now, 1, 0, 0, fdepth);
	t->rdepth++;
	frt_rec_write(t, FRT_REC_ENTRY, s->depth, ip, now);
	t->depth++;
	t->all_unhooked = false;
	*ra = frt_tramps.ret;
}

/*
 * The return through the hook once the guard is set (@nested: the guard's
 * value before), in general: the entry of the slot @loc, wherever it is on
 * the shadow stack or in the graveyard.
 */
static __attribute__((noinline)) uintptr_t graph_return_any(struct frt_thread *t, uintptr_t loc,
							    uint64_t now, int nested,
							    struct ftrace_rt_regs *regs,
							    uint64_t fpret)
{
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
		if (!(nested & 1)) {
			leave_ret(t, &s, now, regs, fpret);
		} else {
			gf_pop(t, &s);
			t->hargs_top = s.aoff;
		}
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

/* frt_graph_return() where the clock is not the cycle counter: each step as there */
static __attribute__((noinline)) uintptr_t
graph_return_clock(uintptr_t sp, struct ftrace_rt_regs *regs, uint64_t fpret)
{
	struct frt_thread *t = frt_self;
	uintptr_t loc = arch_graph_ret_key(sp);
	uint64_t now = frt_clock_raw();
	int nested = frt_in_callback;

	frt_stack_probe(loc);
	frt_in_callback |= 1;
	return graph_return_any(t, loc, now, nested, regs, fpret);
}

/*
 * Called by the return hook with the stack pointer just after the hooked
 * return. The real return address goes back into its slot before the entry is
 * popped: the hook's CFI reads it there, so an unwinder that interrupts the
 * hook (a signal handler calling backtrace()) sees the real caller at every
 * instruction.
 *
 * The common case is handled here with no call at all (so with no register
 * saved): the top entry's frame returns, not inside a callback, a frame of
 * the built-in function_graph tracer whose entry was written, whose return
 * value is not asked for, with room in the buffer. Same steps, same order as
 * graph_return_any() and leave_ret(): the clock, the stack probe, the guard,
 * the address back into its slot, the pop, the filters' state, the EXIT
 * record, the held arguments' mark, the guard back. The checks come after
 * the guard is set: a signal handler's traced calls cannot change the
 * shadow stack or the buffer under them. Nothing pushes onto the shadow
 * stack meanwhile, so the popped entry is read in place, not copied.
 */
uintptr_t frt_graph_return(uintptr_t sp, struct ftrace_rt_regs *regs)
{
	uint64_t fpret = arch_fp_retval_live(); /* before anything may change that register */
	struct frt_thread *t;
	struct frt_shadow *s;
	uintptr_t loc, ret;
	uint64_t now;
	int nested;

	if (unlikely(!frt_clock_cycles))
		return graph_return_clock(sp, regs, fpret);
	t = frt_self;
	loc = arch_graph_ret_key(sp);
	now = arch_cycles();
	nested = frt_in_callback;
	/* as in the dispatcher: an overflow faults here, before the shadow stack changes;
	 * the hooked function's entry passed the same probe at the same depth */
	frt_stack_probe(loc);
	frt_in_callback |= 1;
	if (unlikely(!t || !t->depth))
		return graph_return_any(t, loc, now, nested, regs, fpret);
	s = &t->shadow[t->depth - 1];
	if (unlikely(s->loc != loc || (nested & 1) || s->guser || s->norecord || s->off ||
		     !s->recorded || s->has_ret || frt_tracer_kind != FRT_TRACER_GRAPH ||
		     !__atomic_load_n(&frt_gf.enabled, __ATOMIC_RELAXED) || !frt_rec_room(t)))
		return graph_return_any(t, loc, now, nested, regs, fpret);
	ret = s->ret;
	arch_graph_ret_restore(loc, ret);
	t->depth--;
	gf_pop(t, s);
	frt_rec_write(t, FRT_REC_EXIT, s->depth, s->ip, now);
	t->hargs_top = s->aoff;
	frt_in_callback = nested;
	return ret;
}

/* for lib/trace/fgraph.c's unwinder and exit paths (graph.h) */
void frt_graph_leave(struct frt_thread *t, struct frt_shadow *s, uint64_t now)
{
	leave(t, s, now);
}

void frt_graph_bury(struct frt_thread *t, struct frt_shadow *s, uint64_t now)
{
	bury(t, s, now);
}

bool frt_mem_xfer(uintptr_t addr, uintptr_t *val, bool write)
{
	return mem_xfer(addr, val, write);
}

bool frt_mem_read(void *dst, uintptr_t addr, size_t len)
{
	return remote_copy(dst, addr, len, false) == (ssize_t)len;
}

bool frt_same_stack(uintptr_t lower, uintptr_t upper, struct frt_alt_stack *alt)
{
	return same_stack(lower, upper, alt);
}
