// SPDX-License-Identifier: MIT
/*
 * The built-in tracers. Each is an ordinary ops registered through the
 * public API:
 *   function        an entry event per call
 *   function_graph  entry and exit events, through the return hook
 *   profile         per-function calls and total/self time, a table at exit
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "alloc.h"
#include "gfilter.h"
#include "log.h"
#include "objects.h"
#include "ops.h"
#include "trace.h"
#include "tracer.h"

volatile int frt_tracer_kind;
static struct ftrace_rt_ops tracer_ops;
static bool registered;
static char *cur_filter, *cur_notrace; /* kept: unregistering forgets an ops' filters */
static pthread_mutex_t prof_lock = PTHREAD_MUTEX_INITIALIZER;
struct prof_set {
	struct frt_prof_ent *v;
	size_t n, cap;
	unsigned long threads;
};
static struct prof_set gprof;	  /* merged tables of exited threads */
static unsigned long sites_armed; /* enabled sites when last armed: for the fatal-signal summary */

static const char *const names[] = {
	[FRT_TRACER_NONE] = "none",
	[FRT_TRACER_FUNCTION] = "function",
	[FRT_TRACER_GRAPH] = "function_graph",
	[FRT_TRACER_PROFILE] = "profile",
};

const char *frt_tracer_name(int kind)
{
	return kind >= 0 && kind <= FRT_TRACER_PROFILE ? names[kind] : "?";
}

int frt_tracer_parse(const char *s)
{
	for (int k = 0; k <= FRT_TRACER_PROFILE; k++)
		if (!strcmp(s, names[k]))
			return k;
	return -1;
}

/*
 * The uftrace format has no entry-only record: each call is an entry and
 * an exit with the same time, at depth 0, written together or not at all.
 */
static void function_cb(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
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

static void graph_cb(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		     struct ftrace_rt_regs *regs)
{
	struct frt_thread *t = frt_thread_self();
	(void)parent_ip, (void)op;

	if (t)
		frt_fgraph_entry(t, ip, regs, true);
	else
		frt_count_unrecorded();
}

static void profile_cb(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
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

static void merge(struct prof_set *to, const struct frt_prof_ent *v, size_t cap)
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
		pthread_mutex_lock(&prof_lock);
		merge(&gprof, t->prof, t->prof_cap);
		pthread_mutex_unlock(&prof_lock);
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

/* At exit, a thread maybe still running: its table as it stands (see prof_grow) */
static void merge_live(struct frt_thread *t, void *arg)
{
	size_t cap = __atomic_load_n(&t->prof_cap, __ATOMIC_ACQUIRE);
	struct frt_prof_ent *v = __atomic_load_n(&t->prof, __ATOMIC_ACQUIRE);

	if (!__atomic_load_n(&t->dead, __ATOMIC_ACQUIRE) && v)
		merge(arg, v, cap);
}

/*
 * The profile so far to DIR/profile.txt: the exited threads' tables and a
 * copy of the live ones, which keep theirs. Written when the tracer
 * switches away from profile and on a flush, so nothing collected is lost;
 * a later profile phase adds to the same tables, and the file written at
 * exit holds both.
 */
void frt_profile_write(void)
{
	struct prof_set snap = {0};

	pthread_mutex_lock(&prof_lock);
	if (!frt_grow((void **)&snap.v, &snap.cap, gprof.n + 1, sizeof(*snap.v))) {
		if (gprof.n) /* none before the first thread exits */
			memcpy(snap.v, gprof.v, gprof.n * sizeof(*snap.v));
		snap.n = gprof.n;
		snap.threads = gprof.threads;
		frt_threads_foreach(merge_live, &snap);
		frt_output_profile(snap.v, snap.n, snap.threads);
	}
	pthread_mutex_unlock(&prof_lock);
	frt_free(snap.v);
}

static const ftrace_rt_func_t funcs[] = {
	[FRT_TRACER_FUNCTION] = function_cb,
	[FRT_TRACER_GRAPH] = graph_cb,
	[FRT_TRACER_PROFILE] = profile_cb,
};

/* Register the tracer's ops with the current filters. */
static int arm(char *msg, size_t msglen)
{
	char unmatched[1024];
	int ret;

	/* built with -mgeneral-regs-only: its sites need not save vector registers,
	 * unless floating-point arguments are recorded (read from the saved ones) */
	tracer_ops = (struct ftrace_rt_ops){.func = funcs[frt_tracer_kind],
					    .flags = frt_gf_need_vector && frt_tracer_kind ==
										   FRT_TRACER_GRAPH
							     ? 0
							     : FTRACE_RT_OPS_F_NO_VECTOR};
	ret = frt_set_patterns_lenient(&tracer_ops, cur_filter ? cur_filter : "", false, unmatched,
				       sizeof(unmatched));
	if (!ret && unmatched[0] && msg)
		snprintf(msg, msglen, "filter patterns matching no function yet: %s", unmatched);
	if (!ret)
		ret = frt_set_patterns_lenient(&tracer_ops, cur_notrace ? cur_notrace : "", true,
					       NULL, 0);
	if (!ret)
		ret = ftrace_rt_register_ops(&tracer_ops);
	if (ret) {
		ftrace_rt_unregister_ops(&tracer_ops); /* drops the filter state */
	} else {
		struct ftrace_rt_stats st;

		ftrace_rt_get_stats(&st);
		sites_armed = st.sites_enabled;
	}
	registered = !ret;
	return ret;
}

/*
 * Make @kind the running tracer (NONE stops tracing) with these filters
 * (NULL keeps the current ones). @msg gets a note for the user, if any.
 */
int frt_tracer_set(int kind, const char *filter, const char *notrace, char *msg, size_t msglen)
{
	int ret;

	if (msg && msglen)
		msg[0] = 0;
	if (registered) {
		ret = ftrace_rt_unregister_ops(&tracer_ops);
		if (ret)
			return ret;
		registered = false;
	}
	/* what profile collected is written before another tracer takes over */
	if (frt_tracer_kind == FRT_TRACER_PROFILE && kind != FRT_TRACER_PROFILE)
		frt_profile_write();
	if (filter) {
		frt_free(cur_filter);
		cur_filter = frt_strdup(filter);
	}
	if (notrace) {
		frt_free(cur_notrace);
		cur_notrace = frt_strdup(notrace);
	}
	/* the kind is set before any site calls in */
	frt_tracer_kind = kind;
	if (kind == FRT_TRACER_NONE)
		return 0;
	ret = arm(msg, msglen);
	if (ret)
		frt_tracer_kind = FRT_TRACER_NONE;
	return ret;
}

int frt_tracer_enable(bool on)
{
	if (on == registered || frt_tracer_kind == FRT_TRACER_NONE)
		return 0;
	if (on)
		return arm(NULL, 0);
	if (ftrace_rt_unregister_ops(&tracer_ops) == 0)
		registered = false;
	return registered ? -EBUSY : 0;
}

bool frt_tracer_enabled(void)
{
	return registered;
}

/*
 * The one line that says what was traced, and every call that was not
 * recorded, by cause. @fatal: from a fatal signal's handler or _exit (no
 * lock waited for without bound: the totals may then miss live threads).
 */
static void summary(int kind, unsigned long sites, bool fatal, const char *end)
{
	unsigned long nthr, events, lost, overflow;
	struct frt_unrecorded u;
	char extra[512];
	size_t n = 0;

	frt_recording_totals(&nthr, &events, &lost, &overflow, fatal);
	frt_recording_unrecorded(&u);
	extra[0] = 0;
	if (overflow)
		n += (size_t)snprintf(
			extra + n, sizeof(extra) - n,
			" (%lu calls nested deeper than the shadow stack's %u frames were "
			"not hooked: raise FTRACE_RT_MAX_STACK, record --max-stack)",
			overflow, frt_shadow_max);
	if (u.threads_without_buffers && n < sizeof(extra))
		n += (size_t)snprintf(extra + n, sizeof(extra) - n,
				      "; %lu threads got no buffer: %lu calls not recorded",
				      u.threads_without_buffers, u.calls_without_buffer);
	if (u.calls_after_exit && n < sizeof(extra))
		n += (size_t)snprintf(extra + n, sizeof(extra) - n,
				      "; %lu calls after their thread's exit not recorded",
				      u.calls_after_exit);
	if (u.recursion && n < sizeof(extra))
		snprintf(extra + n, sizeof(extra) - n,
			 "; %lu calls made inside the runtime not recorded", u.recursion);
	nthr += u.threads_without_buffers;
	if (!fatal && frt_verbose >= 1) {
		unsigned long w = frt_recording_waits();

		if (w)
			frt_info(1,
				 "threads wrote their own full buffers %lu times: the flusher "
				 "fell behind and the program waited for the output",
				 w);
	}
	frt_msg("%s: %lu function%s traced, %lu thread%s, %lu event%s, %lu lost%s; data in %s%s",
		names[kind], sites, sites == 1 ? "" : "s", nthr, nthr == 1 ? "" : "s", events,
		events == 1 ? "" : "s", lost + overflow, extra, frt_output_dir(), end);
}

/* Process exit: write everything and say where it is, in one line. */
void frt_tracer_finish(void)
{
	struct ftrace_rt_stats st;
	int kind = frt_tracer_kind;

	if (kind == FRT_TRACER_NONE || !frt_recording_on)
		return;
	ftrace_rt_get_stats(&st);
	frt_recording_stop();
	if (kind == FRT_TRACER_PROFILE) {
		pthread_mutex_lock(&prof_lock);
		frt_threads_foreach(merge_live, &gprof);
		frt_output_profile(gprof.v, gprof.n, gprof.threads);
		pthread_mutex_unlock(&prof_lock);
	}
	frt_output_finish();
	/* functions of objects unloaded meanwhile were traced too */
	summary(kind, st.sites_enabled + frt_sites_enabled_unloaded, false, "");
}

/*
 * The process dies now (a fatal signal, _exit): write what is buffered and
 * say so. Async-signal-safe as far as that goes: no allocation, no stdio,
 * bounded waits (see frt_recording_emergency). The profile tracer's table
 * is not written: merging it would allocate.
 */
void frt_tracer_emergency(const char *why, bool interrupted_runtime)
{
	int kind = frt_tracer_kind, skipped;
	char end[128];

	if (kind == FRT_TRACER_NONE || !frt_recording_on || !frt_recording_owned_here())
		return;
	skipped = frt_recording_emergency(interrupted_runtime);
	__atomic_store_n(&frt_recording_on, 0, __ATOMIC_RELEASE);
	frt_output_finish();
	snprintf(end, sizeof(end), " (%s%s%s)", why,
		 skipped ? ": some threads' last records could not be written" : "",
		 kind == FRT_TRACER_PROFILE ? ": no profile table" : "");
	summary(kind, sites_armed, true, end);
}
