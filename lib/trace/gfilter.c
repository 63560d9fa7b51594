// SPDX-License-Identifier: MIT
/*
 * Graph filters: their settings and the table of the functions they name
 * (see gfilter.h; the per-call rules are in fgraph.c). The table is built
 * under frt_lock from every loaded object's sites, published for the
 * callbacks (which read it inside their read-side section), and built again
 * when an object is loaded while some function is named. A replaced table
 * is freed after a grace period: at once when the settings change, at the
 * next change when an object was loaded (the loader's hooks may run inside
 * a callback, where a grace period would wait for itself).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "gfilter.h"
#include "guard.h"
#include "init.h"
#include "lock.h"
#include "log.h"
#include "objects.h"
#include "ops.h"
#include "parse.h"
#include "pattern.h"

struct frt_gf_state frt_gf = {.max_depth = INT_MAX, .gen = 1, .enabled = 1};
static struct frt_triggers triggers;
/*
 * Dumps left per counted stacktrace trigger, by the trigger's index among the
 * counted ones: set when the triggers change, decremented by the hot path. A
 * reader still holding the previous table may take one from a new trigger's
 * count while they change.
 */
int frt_gf_counts[FRT_GF_COUNTS];
static char *triggers_s;

static struct frt_patterns funcs, notrace; /* under frt_lock */
static struct frt_argspecs argspecs, retspecs;
static char *args_s, *rets_s;
bool frt_gf_need_vector;
int frt_gf_args_written;
static char *funcs_s, *notrace_s;
static char depth_s[16] = "0", thresh_s[32] = "0";

#define RETIRED_MAX 64
static struct frt_gf_table *retired[RETIRED_MAX]; /* under frt_lock */
static unsigned int nretired;

static bool match_any(const struct frt_patterns *p, const struct frt_object *o,
		      const struct frt_site *s, unsigned char *hits)
{
	bool any = false;

	for (size_t i = 0; i < p->n; i++)
		if (frt_pattern_match(&p->v[i], frt_site_name(o, s), o->name, o->is_main)) {
			any = true;
			if (!hits)
				break;
			hits[i] = 1;
		}
	return any;
}

static bool spec_match(const struct frt_argspec *a, const struct frt_object *o,
		       const struct frt_site *s)
{
	struct frt_pattern p = {a->glob, a->module};

	return frt_pattern_match(&p, frt_site_name(o, s), o->name, o->is_main);
}

/* The arguments and return value @s records (false: none). */
static bool argset_of(const struct frt_object *o, const struct frt_site *s, struct frt_argset *set)
{
	memset(set, 0, sizeof(*set));
	for (size_t i = 0; i < argspecs.n; i++)
		if (spec_match(&argspecs.v[i], o, s))
			frt_argset_add(set, &argspecs.v[i]);
	for (size_t i = 0; i < retspecs.n; i++)
		if (spec_match(&retspecs.v[i], o, s))
			frt_argset_add(set, &retspecs.v[i]);
	return set->nargs || set->has_ret;
}

static uint32_t flags_of(const struct frt_object *o, const struct frt_site *s, unsigned char *fhits,
			 unsigned char *nhits)
{
	uint32_t f = 0;
	struct frt_argset set;

	if ((argspecs.n || retspecs.n) && argset_of(o, s, &set))
		f |= FRT_GF_ARGS;
	for (size_t i = 0; i < triggers.n; i++) {
		const struct frt_trigger *tr = &triggers.v[i];
		struct frt_pattern p = {tr->glob, NULL};

		if (!frt_pattern_match(&p, frt_site_name(o, s), o->name, o->is_main))
			continue;
		if (tr->flags & FRT_TRIG_DEPTH)
			f |= FRT_GF_DEPTH;
		if (tr->flags & FRT_TRIG_TRACE_ON)
			f = (f & ~(uint32_t)FRT_GF_TRACE_OFF) | FRT_GF_TRACE_ON;
		if (tr->flags & FRT_TRIG_TRACE_OFF)
			f = (f & ~(uint32_t)FRT_GF_TRACE_ON) | FRT_GF_TRACE_OFF;
		if (tr->flags & FRT_TRIG_FILTER)
			f = (f & ~(uint32_t)FRT_GF_NOTRACE) | FRT_GF_FUNC;
		if (tr->flags & FRT_TRIG_NOTRACE)
			f = (f & ~(uint32_t)FRT_GF_FUNC) | FRT_GF_NOTRACE;
		if (tr->flags & FRT_TRIG_STACK)
			f |= FRT_GF_STACK;
		if (tr->flags & FRT_TRIG_TRACE)
			f |= FRT_GF_TRACE;
	}

	if (funcs.n && match_any(&funcs, o, s, fhits))
		f |= FRT_GF_FUNC;
	if (notrace.n && match_any(&notrace, o, s, nhits))
		f = (f & ~FRT_GF_FUNC) | FRT_GF_NOTRACE; /* as uftrace: in both is left out */
	return f;
}

/* the count of the last stacktrace trigger naming @s: its frt_gf_counts index + 1, or 0 */
static int trigger_count(const struct frt_object *o, const struct frt_site *s)
{
	int c = 0, k = 0;

	for (size_t i = 0; i < triggers.n; i++) {
		struct frt_pattern p = {triggers.v[i].glob, NULL};
		bool counted = (triggers.v[i].flags & FRT_TRIG_STACK) && triggers.v[i].count;

		if ((triggers.v[i].flags & FRT_TRIG_STACK) &&
		    frt_pattern_match(&p, frt_site_name(o, s), o->name, o->is_main))
			c = counted && k < FRT_GF_COUNTS ? k + 1 : 0;
		k += counted;
	}
	return c;
}

/* the depth=N of the last trigger naming @s */
static int trigger_depth(const struct frt_object *o, const struct frt_site *s)
{
	int d = 0;

	for (size_t i = 0; i < triggers.n; i++) {
		struct frt_pattern p = {triggers.v[i].glob, NULL};

		if ((triggers.v[i].flags & FRT_TRIG_DEPTH) &&
		    frt_pattern_match(&p, frt_site_name(o, s), o->name, o->is_main))
			d = triggers.v[i].depth;
	}
	return d;
}

static struct frt_gf_trig *insert(struct frt_gf_table *t, uintptr_t ip, uint32_t flags)
{
	size_t h = frt_gf_hash(ip) & t->mask;

	while (t->v[h].ip && t->v[h].ip != ip)
		h = (h + 1) & t->mask;
	t->v[h].ip = ip;
	t->v[h].flags |= flags;
	t->v[h].depth = 0;
	return &t->v[h];
}

static void table_free(struct frt_gf_table *t)
{
	if (t)
		frt_free(t->sets);
	frt_free(t);
}

/* Under frt_lock: the table for the current patterns (NULL: none named), or -ENOMEM. */
static int build(struct frt_gf_table **out, unsigned char *fhits, unsigned char *nhits)
{
	struct frt_gf_table *t;
	struct frt_object *o;
	size_t n = 0, nsets = 0, cap = 16;

	*out = NULL;
	if (!funcs.n && !notrace.n && !argspecs.n && !retspecs.n && !triggers.n)
		return 0;
	cds_list_for_each_entry (o, &frt_objects, node)
		for (size_t i = 0; i < o->nsites; i++) {
			uint32_t f = flags_of(o, &o->sites[i], fhits, nhits);

			n += f != 0;
			nsets += (f & FRT_GF_ARGS) != 0;
		}
	if (!n)
		return 0;
	while (cap < 2 * n)
		cap *= 2;
	t = frt_calloc(1, sizeof(*t) + cap * sizeof(t->v[0]));
	if (!t)
		return -ENOMEM;
	t->mask = cap - 1;
	if (nsets && !(t->sets = frt_calloc(nsets, sizeof(*t->sets)))) {
		frt_free(t);
		return -ENOMEM;
	}
	nsets = 0;
	cds_list_for_each_entry (o, &frt_objects, node)
		for (size_t i = 0; i < o->nsites; i++) {
			uint32_t f = flags_of(o, &o->sites[i], NULL, NULL);
			struct frt_gf_trig *tr;

			if (!f)
				continue;
			tr = insert(t, frt_site_entry(&o->sites[i]), f);
			if (f & FRT_GF_DEPTH)
				tr->depth = trigger_depth(o, &o->sites[i]);
			tr->count = f & FRT_GF_STACK ? trigger_count(o, &o->sites[i]) : 0;
			if (f & FRT_GF_ARGS) {
				argset_of(o, &o->sites[i], &t->sets[nsets]);
				tr->set = &t->sets[nsets++];
			}
		}
	*out = t;
	return 0;
}

static bool trigger_filter(void)
{
	for (size_t i = 0; i < triggers.n; i++)
		if (triggers.v[i].flags & FRT_TRIG_FILTER)
			return true;
	return false;
}

static void retire(struct frt_gf_table *t)
{
	if (!t)
		return;
	if (nretired < RETIRED_MAX)
		retired[nretired++] = t;
	/* else kept: a reader may still hold it (bounded by RETIRED_MAX loads a change) */
}

/* An object was loaded (under frt_lock): its named functions join the table. */
static void object_added(struct frt_object *o)
{
	struct frt_gf_table *t;
	(void)o;

	if (nretired >= RETIRED_MAX)
		return; /* its functions are named after the next change of the filters */
	if (build(&t, NULL, NULL))
		return;
	retire(__atomic_exchange_n(&frt_gf.table, t, __ATOMIC_ACQ_REL));
}

static void list_unmatched(const struct frt_patterns *p, const unsigned char *hits,
			   const char *what, char *msg, size_t len)
{
	size_t w = strlen(msg);

	for (size_t i = 0; i < p->n; i++) {
		if (hits[i] || w + 8 >= len)
			continue;
		w += (size_t)snprintf(msg + w, len - w, "%s%s%s%s%s", w ? "; " : "",
				      w && strstr(msg, what) ? "" : what, p->v[i].glob,
				      p->v[i].module ? "@" : "",
				      p->v[i].module ? p->v[i].module : "");
		if (w >= len)
			w = len - 1;
	}
}

int frt_gf_set(const char *f, const char *n, const char *depth, const char *thresh, char *err,
	       size_t errlen)
{
	struct frt_patterns nf = {0}, nn = {0};
	unsigned long long tns = frt_gf.thresh_ns;
	int d = frt_gf.max_depth, ret;
	unsigned char *fhits = NULL, *nhits = NULL;
	struct frt_gf_table *t, *old[RETIRED_MAX + 1] = {NULL};
	unsigned int nold = 0;
	char perr[512];

	if (err && errlen)
		err[0] = 0;
	if (f && frt_patterns_parse(f, &nf, perr, sizeof(perr))) {
		snprintf(err, errlen, "graph function: %s", perr);
		return -EINVAL;
	}
	if (n && frt_patterns_parse(n, &nn, perr, sizeof(perr))) {
		frt_patterns_free(&nf);
		snprintf(err, errlen, "graph notrace: %s", perr);
		return -EINVAL;
	}
	if (depth) {
		if (!*depth || !strcmp(depth, "0"))
			d = INT_MAX;
		else if (frt_parse_depth(depth, &d)) {
			snprintf(err, errlen,
				 "max graph depth '%.40s' is not a number from 1 to %d (0: no "
				 "limit)",
				 depth, FRT_DEPTH_LIMIT);
			goto bad;
		}
	}
	if (thresh && frt_parse_time_ns(*thresh ? thresh : "0", &tns)) {
		snprintf(err, errlen,
			 "tracing threshold '%.40s' is not a duration such as 500ns, 10us, 1.5ms "
			 "or 1s (a bare number is in microseconds; 0: none)",
			 thresh);
		goto bad;
	}
	frt_init();
	if (frt_api_refused_here()) {
		snprintf(err, errlen, "not from inside a callback");
		ret = -EDEADLK;
		goto out;
	}
	frt_lock();
	/* every object loaded by now is named in the table */
	if (!frt_objects_sync() && frt_ops_need_update())
		frt_update_sites();
	if (f) {
		frt_patterns_free(&funcs);
		funcs = nf;
		nf = (struct frt_patterns){0};
		frt_free(funcs_s);
		funcs_s = frt_strdup(f);
	}
	if (n) {
		frt_patterns_free(&notrace);
		notrace = nn;
		nn = (struct frt_patterns){0};
		frt_free(notrace_s);
		notrace_s = frt_strdup(n);
	}
	fhits = frt_calloc(funcs.n + 1, 1);
	nhits = frt_calloc(notrace.n + 1, 1);
	ret = fhits && nhits ? build(&t, fhits, nhits) : -ENOMEM;
	if (!ret) {
		if (depth) {
			snprintf(depth_s, sizeof(depth_s), "%d", d == INT_MAX ? 0 : d);
			__atomic_store_n(&frt_gf.max_depth, d, __ATOMIC_RELAXED);
			__atomic_add_fetch(&frt_gf.gen, 1, __ATOMIC_RELEASE);
		}
		if (thresh) {
			snprintf(thresh_s, sizeof(thresh_s), "%lluns", tns);
			__atomic_store_n(&frt_gf.thresh_ns, tns, __ATOMIC_RELAXED);
		}
		__atomic_store_n(&frt_gf.mode_in, funcs.n != 0 || trigger_filter(),
				 __ATOMIC_RELAXED);
		old[nold++] = __atomic_exchange_n(&frt_gf.table, t, __ATOMIC_ACQ_REL);
		while (nretired)
			old[nold++] = retired[--nretired];
		if (frt_object_added_hook == NULL || frt_object_added_hook == object_added)
			frt_object_added_hook =
				funcs.n || notrace.n || argspecs.n || retspecs.n || triggers.n
					? object_added
					: NULL;
		if (err && errlen) {
			err[0] = 0;
			if (f)
				list_unmatched(&funcs, fhits,
					       "graph function patterns matching no "
					       "function yet: ",
					       err, errlen);
			if (n)
				list_unmatched(&notrace, nhits,
					       "graph notrace patterns matching no "
					       "function yet: ",
					       err, errlen);
		}
	} else {
		snprintf(err, errlen, "out of memory");
	}
	frt_unlock();
	if (nold > 1 || (nold && old[0])) {
		frt_synchronize();
		for (unsigned int i = 0; i < nold; i++)
			table_free(old[i]);
	}
out:
	frt_free(fhits);
	frt_free(nhits);
	frt_patterns_free(&nf);
	frt_patterns_free(&nn);
	return ret;
bad:
	frt_patterns_free(&nf);
	frt_patterns_free(&nn);
	return -EINVAL;
}

void frt_gf_describe(char *buf, size_t len)
{
	frt_lock();
	snprintf(buf, len,
		 "graph_function %s\ngraph_notrace %s\nmax_graph_depth %s\ntracing_thresh %s\n"
		 "trigger %s\ntracing_on %d\nfuncgraph_args %s\nfuncgraph_retval %s\n",
		 funcs_s ? funcs_s : "", notrace_s ? notrace_s : "", depth_s, thresh_s,
		 triggers_s ? triggers_s : "", __atomic_load_n(&frt_gf.enabled, __ATOMIC_RELAXED),
		 args_s ? args_s : "", rets_s ? rets_s : "");
	frt_unlock();
}

const char *frt_gf_argspec_text(void)
{
	return args_s && *args_s ? args_s : NULL;
}

const char *frt_gf_retspec_text(void)
{
	return rets_s && *rets_s ? rets_s : NULL;
}

int frt_gf_set_args(const char *a, const char *r, char *err, size_t errlen)
{
	struct frt_argspecs na = {0}, nr = {0};
	char perr[600];
	int ret;

	if (err && errlen)
		err[0] = 0;
	if (a && frt_argspecs_parse(a, false, &na, perr, sizeof(perr))) {
		snprintf(err, errlen, "argument spec %s", perr);
		return -EINVAL;
	}
	if (r && frt_argspecs_parse(r, true, &nr, perr, sizeof(perr))) {
		frt_argspecs_free(&na);
		snprintf(err, errlen, "return value spec %s", perr);
		return -EINVAL;
	}
	frt_init();
	if (frt_api_refused_here()) {
		ret = -EDEADLK;
		goto out;
	}
	frt_lock();
	if (__atomic_load_n(&frt_gf_args_written, __ATOMIC_ACQUIRE) &&
	    ((a && strcmp(a, args_s ? args_s : "")) || (r && strcmp(r, rets_s ? rets_s : "")))) {
		frt_unlock();
		snprintf(err, errlen,
			 "argument data was written with the current specs and the data "
			 "directory's info holds one set of specs: set them before the first "
			 "call is recorded (record -A/-R, FTRACE_RT_FUNCGRAPH_ARGS/_RETVAL)");
		ret = -EBUSY;
		goto out;
	}
	if (a) {
		frt_argspecs_free(&argspecs);
		argspecs = na;
		na = (struct frt_argspecs){0};
		frt_free(args_s);
		args_s = frt_strdup(a);
	}
	if (r) {
		frt_argspecs_free(&retspecs);
		retspecs = nr;
		nr = (struct frt_argspecs){0};
		frt_free(rets_s);
		rets_s = frt_strdup(r);
	}
	frt_gf_need_vector = false;
	for (size_t i = 0; i < argspecs.n; i++)
		for (unsigned int k = 0; k < argspecs.v[i].n; k++)
			frt_gf_need_vector |= argspecs.v[i].v[k].fp;
	frt_unlock();
	/* the table follows: rebuilt with the patterns as they are */
	ret = frt_gf_set(NULL, NULL, NULL, NULL, err, errlen);
out:
	frt_argspecs_free(&na);
	frt_argspecs_free(&nr);
	return ret;
}

int frt_gf_set_triggers(const char *spec, char *err, size_t errlen)
{
	struct frt_triggers nt = {0};
	char perr[600];

	if (err && errlen)
		err[0] = 0;
	if (!spec)
		return 0;
	if (frt_triggers_parse(spec, &nt, perr, sizeof(perr))) {
		snprintf(err, errlen, "trigger %s", perr);
		return -EINVAL;
	}
	for (size_t i = 0, k = 0; i < nt.n; i++)
		if ((nt.v[i].flags & FRT_TRIG_STACK) && nt.v[i].count && ++k > FRT_GF_COUNTS) {
			snprintf(err, errlen, "trigger: more than %d stacktrace:N triggers",
				 FRT_GF_COUNTS);
			frt_triggers_free(&nt);
			return -EINVAL;
		}
	frt_init();
	if (frt_api_refused_here()) {
		frt_triggers_free(&nt);
		return -EDEADLK;
	}
	frt_lock();
	frt_triggers_free(&triggers);
	triggers = nt;
	for (size_t i = 0, k = 0; i < triggers.n; i++)
		if ((triggers.v[i].flags & FRT_TRIG_STACK) && triggers.v[i].count &&
		    k < FRT_GF_COUNTS)
			__atomic_store_n(&frt_gf_counts[k++], triggers.v[i].count,
					 __ATOMIC_RELAXED);
	frt_free(triggers_s);
	triggers_s = frt_strdup(spec);
	frt_unlock();
	return frt_gf_set(NULL, NULL, NULL, NULL, err, errlen);
}
