// SPDX-License-Identifier: MIT
/*
 * The built-in tracers' callbacks (the ops lib/trace/tracers.c registers)
 * and the per-thread profile tables they fill:
 *   function        an entry event per call
 *   function_graph  entry and exit events, through the return hook
 *   profile         per-function calls and total/self time, a table at exit
 */
#include <string.h>
#include <sys/mman.h>

#include "alloc.h"
#include "callbacks.h"
#include "graph.h"
#include "rawclock.h"
#include "record.h"

volatile int frt_tracer_kind;
pthread_mutex_t frt_prof_lock = PTHREAD_MUTEX_INITIALIZER;
struct frt_prof_set frt_gprof;

/*
 * The uftrace format has no entry-only record: each call is an entry and
 * an exit with the same time, at depth 0, written together or not at all.
 */
void frt_function_cb(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		     struct ftrace_rt_regs *regs)
{
	struct frt_thread *t = frt_thread_self();
	unsigned int need;
	uint64_t now;
	(void)parent_ip, (void)op, (void)regs;

	if (!t) {
		frt_count_unrecorded();
		return;
	}
	now = frt_clock_raw();
	/* room for both, and for the LOST record that goes first if one is owed */
	need = 2 + (t->lost_pending != 0);
	if (t->pos + need > t->cap)
		frt_buffer_switch(t); /* the pair must not straddle chunks */
	if (t->pos + need > t->cap) {
		t->lost += 2;
		t->lost_pending += 2;
		return;
	}
	frt_rec_put(t, FRT_REC_ENTRY, 0, ip, now);
	frt_rec_put(t, FRT_REC_EXIT, 0, ip, now);
}

static __attribute__((noinline)) void graph_cb_any(unsigned long ip, struct ftrace_rt_regs *regs)
{
	struct frt_thread *t = frt_thread_self();

	if (t)
		frt_fgraph_entry(t, ip, regs, true);
	else
		frt_count_unrecorded();
}

void frt_graph_cb(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		  struct ftrace_rt_regs *regs)
{
	struct frt_thread *t = frt_self;
	(void)parent_ip, (void)op;

	/* frt_thread_self()'s common case here, the rest in graph_cb_any(): tail calls
	 * only, so no register is saved on the way */
	if (likely(t && !t->dead))
		frt_fgraph_entry(t, ip, regs, true);
	else
		graph_cb_any(ip, regs);
}

void frt_profile_cb(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		    struct ftrace_rt_regs *regs)
{
	struct frt_thread *t = frt_thread_self();
	(void)parent_ip, (void)op;

	if (t)
		frt_fgraph_entry(t, ip, regs, false);
	else
		frt_count_unrecorded();
}

static size_t hash_ip(uintptr_t ip, size_t cap)
{
	return (size_t)((ip * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1);
}

static struct frt_prof_ent *table_slot(struct frt_prof_ent *v, size_t cap, uintptr_t ip)
{
	for (size_t h = hash_ip(ip, cap);; h = (h + 1) & (cap - 1))
		if (v[h].ip == ip || !v[h].ip)
			return &v[h];
}

/* Grow a thread's table (mmap: this runs in the dispatch path). */
static bool prof_grow(struct frt_thread *t)
{
	size_t ncap = t->prof_cap ? t->prof_cap * 2 : 256;
	struct frt_prof_ent *nv = mmap(NULL, ncap * sizeof(*nv), PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (nv == MAP_FAILED)
		return false;
	for (size_t i = 0; i < t->prof_cap; i++)
		if (t->prof[i].ip)
			*table_slot(nv, ncap, t->prof[i].ip) = t->prof[i];
	/* the old table may be read by merge_live() meanwhile: retire it */
	if (t->prof && t->prof_nretired < FRT_PROF_RETIRED)
		t->prof_retired[t->prof_nretired++] =
			(typeof(t->prof_retired[0])){t->prof, t->prof_cap};
	else if (t->prof)
		munmap(t->prof, t->prof_cap * sizeof(*t->prof));
	__atomic_store_n(&t->prof, nv, __ATOMIC_RELEASE);
	__atomic_store_n(&t->prof_cap, ncap, __ATOMIC_RELEASE);
	return true;
}

void frt_prof_merge(struct frt_prof_set *to, const struct frt_prof_ent *v, size_t cap)
{
	for (size_t i = 0; i < cap; i++) {
		struct frt_prof_ent *g = NULL;

		if (!v[i].ip)
			continue;
		for (size_t k = 0; k < to->n; k++)
			if (to->v[k].ip == v[i].ip)
				g = &to->v[k];
		if (!g) {
			if (frt_grow((void **)&to->v, &to->cap, to->n + 1, sizeof(*to->v)))
				continue;
			g = &to->v[to->n++];
			*g = (struct frt_prof_ent){v[i].ip, 0, 0, 0, 0};
		}
		g->calls += v[i].calls;
		g->total += v[i].total;
		g->self += v[i].self;
	}
	to->threads++;
}

/* The thread's entry for @ip, created if needed; NULL without memory. */
static struct frt_prof_ent *prof_ent(struct frt_thread *t, uintptr_t ip)
{
	struct frt_prof_ent *e;

	if ((t->prof_n + 1) * 2 > t->prof_cap && !prof_grow(t))
		return NULL;
	e = table_slot(t->prof, t->prof_cap, ip);
	if (!e->ip) {
		e->ip = ip;
		t->prof_n++;
	}
	return e;
}

/*
 * A profiled call begins. A function's total time must count each
 * wall-clock interval once, as uftrace's report does: a call nested in an
 * open call of the same function on this thread (recursion, direct or
 * mutual) adds its calls and self time but not its total.
 */
uint32_t frt_profile_enter(struct frt_thread *t, uintptr_t ip)
{
	struct frt_prof_ent *e = prof_ent(t, ip);
	size_t idx;

	if (!e)
		return 0;
	idx = (size_t)(e - t->prof);
	return (idx < (UINT32_MAX >> FRT_PROF_IDX_SHIFT) ? (uint32_t)idx << FRT_PROF_IDX_SHIFT
							 : 0) |
	       (e->active++ ? FRT_PROF_NESTED : FRT_PROF_OUTER);
}

/* A profiled frame returns (@s), or with @s NULL the thread's table is merged. */
void frt_profile_exit(struct frt_thread *t, struct frt_shadow *s, uint64_t now)
{
	struct frt_prof_ent *e;
	uint64_t total, self;
	size_t idx;

	if (!s) {
		if (!t->prof)
			return;
		pthread_mutex_lock(&frt_prof_lock);
		frt_prof_merge(&frt_gprof, t->prof, t->prof_cap);
		pthread_mutex_unlock(&frt_prof_lock);
		memset(t->prof, 0, t->prof_cap * sizeof(*t->prof));
		t->prof_n = 0;
		return;
	}
	total = now > s->start ? now - s->start : 0;
	self = total > s->child ? total - s->child : 0;
	if (t->depth)
		t->shadow[t->depth - 1].child += total;
	idx = s->prof >> FRT_PROF_IDX_SHIFT;
	/* the entry found at the call's entry, unless the table grew since */
	e = idx < t->prof_cap && t->prof[idx].ip == s->ip ? &t->prof[idx] : prof_ent(t, s->ip);
	if (!e) {
		t->lost++;
		return;
	}
	/* entered before the table was merged (thread exit): nothing to undo */
	if ((s->prof & FRT_PROF_KIND) && e->active)
		e->active--;
	e->calls++;
	if ((s->prof & FRT_PROF_KIND) != FRT_PROF_NESTED)
		e->total += total;
	e->self += self;
	t->events++; /* a call profiled */
}
