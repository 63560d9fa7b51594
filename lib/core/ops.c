// SPDX-License-Identifier: MIT
/*
 * Ops registration, filters, and the per-site state computed from all
 * registered ops (the kernel's dyn_ftrace records): a site calls the
 * trampoline only while some ops wants it; its slot then points at that ops,
 * or, when several want it, at a list ops that calls each of them. A list ops
 * exists per distinct set of ops and is shared by the sites with that set,
 * so dispatch never searches. While a site is turned off its slot points at
 * the nop ops.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu/rculist.h>

#include "alloc.h"
#include "log.h"
#include "objects.h"
#include "init.h"
#include "lock.h"
#include "guard.h"
#include "txn.h"
#include "ops.h"
#include "listops.h"
#include "pattern.h"
#include "elf_scan.h"
#include "arch.h"

struct frt_ops_state {
	struct ftrace_rt_ops *ops;
	struct cds_list_head reg; /* registered ops, in order of registration */
	struct cds_list_head all; /* every ops with state */
	struct frt_patterns filter, notrace;
	uintptr_t *ips; /* sites selected by address */
	size_t nips, ipcap;
	bool registered;
	unsigned long suspended; /* the dlclose that took it off its sites, or 0 */
	uintptr_t func;		 /* ops->func as registered: read when ops may be unmapped */
	uint64_t **masks;	 /* wanted sites per object idx; NULL until computed */
	size_t nmasks;
};

static CDS_LIST_HEAD(registered);
static CDS_LIST_HEAD(all_states);
static unsigned long nregistered;
static bool ops_dropped; /* sites may still point at a dropped ops: update them */
static struct frt_multi *multis;

static bool is_multi(const struct ftrace_rt_ops *op)
{
	return op && op->func == frt_list_func;
}

static void masks_drop(struct frt_ops_state *st)
{
	for (size_t i = 0; i < st->nmasks; i++)
		frt_free(st->masks[i]);
	frt_free(st->masks);
	st->masks = NULL;
	st->nmasks = 0;
}

static void state_free(struct frt_ops_state *st)
{
	masks_drop(st);
	frt_patterns_free(&st->filter);
	frt_patterns_free(&st->notrace);
	frt_free(st->ips);
	frt_free(st);
}

static struct frt_ops_state *state_of(struct ftrace_rt_ops *ops, bool create)
{
	struct frt_ops_state *st = ops->internal;

	if (st || !create)
		return st;
	st = frt_calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->ops = ops;
	CDS_INIT_LIST_HEAD(&st->reg);
	cds_list_add_tail(&st->all, &all_states);
	ops->internal = st;
	return st;
}

static bool ip_selected(const struct frt_ops_state *st, uintptr_t addr)
{
	size_t lo = 0, hi = st->nips;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (st->ips[mid] == addr)
			return true;
		if (st->ips[mid] < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool patterns_match(const struct frt_patterns *p, const struct frt_object *o,
			   const struct frt_site *s)
{
	for (size_t i = 0; i < p->n; i++)
		if (frt_pattern_match(&p->v[i], frt_site_name(o, s), o->name, o->is_main))
			return true;
	return false;
}

/* Bitmap of the sites of @o that @st wants. */
static const uint64_t *mask_of(struct frt_ops_state *st, struct frt_object *o)
{
	uint64_t *m;
	bool all = !st->filter.n && !st->nips;

	if (o->idx < st->nmasks && st->masks[o->idx])
		return st->masks[o->idx];
	if (o->idx >= st->nmasks) {
		size_t n = o->idx + 8;
		uint64_t **nm = frt_realloc(st->masks, n * sizeof(*nm));

		if (!nm)
			return NULL;
		memset(nm + st->nmasks, 0, (n - st->nmasks) * sizeof(*nm));
		st->masks = nm;
		st->nmasks = n;
	}
	m = frt_calloc((o->nsites + 63) / 64 + 1, sizeof(*m));
	if (!m)
		return NULL;
	for (size_t i = 0; i < o->nsites; i++) {
		const struct frt_site *s = &o->sites[i];
		bool want = all || ip_selected(st, s->addr) || patterns_match(&st->filter, o, s);

		if (want && st->notrace.n && patterns_match(&st->notrace, o, s))
			want = false;
		if (want)
			m[i / 64] |= 1ULL << (i % 64);
	}
	st->masks[o->idx] = m;
	return m;
}

void (*frt_object_added_hook)(struct frt_object *o);

void frt_ops_object_added(struct frt_object *o)
{
	/* masks are computed on first use; an upper layer may want to know */
	if (frt_object_added_hook)
		frt_object_added_hook(o);
}

static bool in_range(uintptr_t a, uintptr_t lo, uintptr_t hi)
{
	return a >= lo && a < hi;
}

/* Does [lo, hi) hold the ops or its callback (as registered)? */
static bool ops_in(const struct frt_ops_state *st, uintptr_t lo, uintptr_t hi)
{
	return in_range((uintptr_t)st->ops, lo, hi) || in_range(st->func, lo, hi);
}

/* Is @a in an object that is gone (unmapped)? */
static bool gone_holds(struct cds_list_head *gone, uintptr_t a)
{
	struct frt_object *g;

	cds_list_for_each_entry (g, gone, node)
		if (in_range(a, g->load_lo, g->load_hi))
			return true;
	return false;
}

/* Forget an ops that lies in unloaded memory, and say so. */
static void state_forget(struct frt_ops_state *st, bool ops_mapped, const char *path)
{
	frt_msg("ops %p (callback %#lx) in %s unloaded while registered: unregistered", st->ops,
		(unsigned long)st->func, path);
	if (ops_mapped) { /* only its callback went: a later unregister finds nothing */
		st->ops->internal = NULL;
		__atomic_and_fetch(&st->ops->flags, ~FTRACE_RT_OPS_F_ENABLED, __ATOMIC_RELAXED);
	}
	cds_list_del(&st->all);
	state_free(st);
}

void frt_ops_object_removed(struct frt_object *o, struct cds_list_head *gone)
{
	struct frt_ops_state *st, *tmp;

	/*
	 * An ops left registered in an object unloaded without a dlclose that
	 * could suspend it first (a dependency of the closed library, a
	 * dlclose from a callback) is seen only now: sites may already have
	 * called into unmapped memory. Take it off every site at once.
	 */
	cds_list_for_each_entry_safe (st, tmp, &registered, reg) {
		if (!ops_in(st, o->load_lo, o->load_hi))
			continue;
		cds_list_del_init(&st->reg);
		nregistered--;
		ops_dropped = true;
		state_forget(st, !gone_holds(gone, (uintptr_t)st->ops), o->path);
	}
	cds_list_for_each_entry (st, &all_states, all) {
		size_t w = 0;

		if (o->idx < st->nmasks) {
			frt_free(st->masks[o->idx]);
			st->masks[o->idx] = NULL;
		}
		/* addresses in the object may belong to another one later */
		for (size_t i = 0; i < st->nips; i++)
			if (st->ips[i] < o->lo || st->ips[i] >= o->hi)
				st->ips[w++] = st->ips[i];
		st->nips = w;
	}
}

static struct frt_multi *multi_get(struct ftrace_rt_ops **want, unsigned int n)
{
	struct frt_multi *m;

	for (m = multis; m; m = m->next)
		if (m->n == n && !memcmp(m->v, want, n * sizeof(*want)))
			return m;
	m = frt_calloc(1, sizeof(*m) + n * sizeof(*want));
	if (!m)
		return NULL;
	m->ops.func = frt_list_func;
	m->ops.priv = m;
	m->ops.flags = FTRACE_RT_OPS_F_NO_VECTOR;
	m->n = n;
	memcpy(m->v, want, n * sizeof(*want));
	for (unsigned int i = 0; i < n; i++)
		if (!(want[i]->flags & FTRACE_RT_OPS_F_NO_VECTOR))
			m->ops.flags &= ~FTRACE_RT_OPS_F_NO_VECTOR;
	m->next = multis;
	multis = m;
	return m;
}

/* Free list ops no site points at any more, after a grace period. */
static void multis_collect(void)
{
	struct frt_multi **pp = &multis, *dead = NULL, *m;
	struct frt_object *o;

	for (m = multis; m; m = m->next)
		m->refs = 0;
	cds_list_for_each_entry (o, &frt_objects, node)
		for (size_t i = 0; i < o->nsites; i++)
			if (is_multi(o->sites[i].ops))
				((struct frt_multi *)o->sites[i].ops->priv)->refs++;
	while ((m = *pp)) {
		if (m->refs) {
			pp = &m->next;
			continue;
		}
		*pp = m->next;
		m->next = dead;
		dead = m;
	}
	if (!dead)
		return;
	frt_synchronize();
	while ((m = dead)) {
		dead = m->next;
		frt_free(m);
	}
}

/*
 * Sites whose ops promise not to touch vector registers call a trampoline
 * that saves none. In sanitizer builds the runtime's own code calls into the
 * sanitizer runtime, which may: never there.
 */
static bool use_gpr(const struct ftrace_rt_ops *op)
{
#ifdef FRT_SANITIZED
	(void)op;
	return false;
#else
	return op->flags & FTRACE_RT_OPS_F_NO_VECTOR;
#endif
}

int frt_update_sites(void)
{
	struct frt_change *ch = NULL;
	size_t nch = 0, chcap = 0;
	struct ftrace_rt_ops **want = NULL;
	const uint64_t **masks = NULL;
	struct frt_ops_state *st;
	struct frt_object *o;
	int ret = 0;

	if (nregistered) {
		want = frt_malloc(nregistered * sizeof(*want));
		masks = frt_malloc(nregistered * sizeof(*masks));
		if (!want || !masks) {
			ret = -ENOMEM;
			goto out;
		}
	}
	cds_list_for_each_entry (o, &frt_objects, node) {
		unsigned int k = 0;

		if (!o->nsites)
			continue;
		cds_list_for_each_entry (st, &registered, reg) {
			masks[k] = mask_of(st, o);
			if (!masks[k++]) {
				ret = -ENOMEM;
				goto out;
			}
		}
		for (size_t i = 0; i < o->nsites; i++) {
			struct frt_site *s = &o->sites[i];
			struct ftrace_rt_ops *target = NULL;
			unsigned int n = 0, j = 0;
			uint8_t insn;
			bool gpr;

			if (s->state == ARCH_ST_RAW)
				continue; /* never converted: cannot be patched */
			cds_list_for_each_entry (st, &registered, reg) {
				if (masks[j++][i / 64] & (1ULL << (i % 64)))
					want[n++] = st->ops;
			}
			if (n == 1) {
				target = want[0];
			} else if (n > 1) {
				struct frt_multi *m = multi_get(want, n);

				if (!m) {
					ret = -ENOMEM;
					goto out;
				}
				target = &m->ops;
			}
			insn = target ? ARCH_ST_ON : ARCH_ST_OFF;
			gpr = target && use_gpr(target);
			if (insn == s->state &&
			    (!target || (target == s->ops && gpr == !!(s->flags & FRT_SITE_F_GPR))))
				continue;
			if (frt_grow((void **)&ch, &chcap, nch + 1, sizeof(*ch))) {
				ret = -ENOMEM;
				goto out;
			}
			ch[nch++] = (struct frt_change){o, s, target ? target : &frt_nop_ops, insn,
							gpr};
		}
	}
	ret = frt_txn_apply(ch, nch);
	if (!ret)
		ops_dropped = false;
out:
	multis_collect();
	frt_free(ch);
	frt_free(want);
	frt_free(masks);
	return ret;
}

/* Refresh the object table; enable sites of new objects for the registered ops. */
static int refresh(void)
{
	int ret = frt_objects_sync();

	if (ret)
		return ret;
	return frt_ops_need_update() ? frt_update_sites() : 0;
}

static int api_enter(void)
{
	frt_init();
	if (frt_api_refused_here())
		return -EDEADLK; /* a grace period would wait for ourselves */
	frt_lock();
	refresh();
	return 0;
}

int ftrace_rt_register_ops(struct ftrace_rt_ops *ops)
{
	struct frt_ops_state *st;
	int ret;

	if (!ops || !ops->func)
		return -EINVAL;
	ret = api_enter();
	if (ret)
		return ret;
	st = state_of(ops, true);
	if (!st) {
		ret = -ENOMEM;
	} else if (st->registered) {
		ret = -EBUSY;
	} else {
		st->registered = true;
		st->func = (uintptr_t)ops->func;
		cds_list_add_tail(&st->reg, &registered);
		nregistered++;
		ret = frt_update_sites();
		if (ret) {
			cds_list_del_init(&st->reg);
			st->registered = false;
			nregistered--;
			frt_update_sites();
		} else {
			__atomic_or_fetch(&ops->flags, FTRACE_RT_OPS_F_ENABLED, __ATOMIC_RELAXED);
		}
	}
	frt_unlock();
	return ret;
}

int ftrace_rt_unregister_ops(struct ftrace_rt_ops *ops)
{
	struct frt_ops_state *st;
	int ret;

	if (!ops)
		return -EINVAL;
	ret = api_enter();
	if (ret)
		return ret;
	st = state_of(ops, false);
	if (!st) {
		frt_unlock();
		return -ENOENT;
	}
	if (st->suspended) {
		/* a destructor run by dlclose: already off every site, past a grace period */
		st->suspended = 0;
		st->registered = false;
	} else if (st->registered) {
		cds_list_del_init(&st->reg);
		st->registered = false;
		nregistered--;
		ret = frt_update_sites();
		if (ret) {
			/* sites still point at it: it must stay registered */
			cds_list_add_tail(&st->reg, &registered);
			st->registered = true;
			nregistered++;
			frt_unlock();
			return ret;
		}
		/* no thread can start a call of ops->func any more; wait for the running ones */
		frt_synchronize();
	}
	cds_list_del(&st->all);
	ops->internal = NULL;
	__atomic_and_fetch(&ops->flags, ~FTRACE_RT_OPS_F_ENABLED, __ATOMIC_RELAXED);
	frt_unlock();
	state_free(st);
	return 0;
}

/* Does any site match @p? */
static bool pattern_hits(const struct frt_pattern *p)
{
	struct frt_object *o;

	cds_list_for_each_entry (o, &frt_objects, node)
		for (size_t i = 0; i < o->nsites; i++)
			if (o->sites[i].state != ARCH_ST_RAW &&
			    frt_pattern_match(p, frt_site_name(o, &o->sites[i]), o->name,
					      o->is_main))
				return true;
	return false;
}

/*
 * @strict: a pattern that matches no function fails the call (the API).
 * Otherwise such patterns are kept for objects loaded later, and @unmatched
 * (if given) receives them, separated by spaces.
 */
static int set_patterns(struct ftrace_rt_ops *ops, const char *patterns, int reset, bool notrace,
			bool strict, char *unmatched, size_t unmatched_len)
{
	struct frt_patterns add = {0}, saved;
	struct frt_ops_state *st;
	struct frt_patterns *dst;
	size_t saved_nips;
	char err[512];
	int ret;

	if (!ops)
		return -EINVAL;
	ret = api_enter();
	if (ret)
		return ret;
	ret = frt_patterns_parse(patterns, &add, err, sizeof(err));
	if (ret) {
		frt_info(1, "%s", err);
		goto out;
	}
	if (unmatched && unmatched_len)
		unmatched[0] = 0;
	for (size_t i = 0; i < add.n; i++) {
		if (pattern_hits(&add.v[i]))
			continue;
		frt_info(1, "pattern '%s%s%s' matches no function", add.v[i].glob,
			 add.v[i].module ? "@" : "", add.v[i].module ? add.v[i].module : "");
		if (strict) {
			ret = -ENOENT;
			goto out;
		}
		if (unmatched && unmatched_len) {
			size_t l = strlen(unmatched);

			snprintf(unmatched + l, unmatched_len - l, "%s%s%s%s", l ? " " : "",
				 add.v[i].glob, add.v[i].module ? "@" : "",
				 add.v[i].module ? add.v[i].module : "");
		}
	}
	st = state_of(ops, true);
	if (!st) {
		ret = -ENOMEM;
		goto out;
	}
	dst = notrace ? &st->notrace : &st->filter;
	saved = *dst;
	saved_nips = st->nips;
	if (reset) {
		*dst = add;
		add = (struct frt_patterns){0};
		if (!notrace)
			st->nips = 0;
	} else {
		if (frt_grow((void **)&dst->v, &dst->cap, dst->n + add.n, sizeof(*dst->v))) {
			ret = -ENOMEM;
			goto out;
		}
		saved = *dst; /* same entries, the old count */
		if (add.n)
			memcpy(dst->v + dst->n, add.v, add.n * sizeof(*add.v));
		dst->n += add.n;
		add.n = 0; /* entries now owned by dst */
	}
	masks_drop(st);
	if (st->registered && (ret = frt_update_sites())) {
		/* put the old filter back: nothing changed */
		if (reset) {
			add = *dst;
			*dst = saved;
			st->nips = saved_nips;
		} else {
			for (size_t i = saved.n; i < dst->n; i++) {
				frt_free(dst->v[i].glob);
				frt_free(dst->v[i].module);
			}
			dst->n = saved.n;
		}
		masks_drop(st);
		frt_update_sites();
	} else if (reset) {
		frt_patterns_free(&saved);
	}
out:
	frt_patterns_free(&add);
	frt_unlock();
	return ret;
}

int ftrace_rt_set_filter(struct ftrace_rt_ops *ops, const char *patterns, int reset)
{
	return set_patterns(ops, patterns, reset, false, true, NULL, 0);
}

int ftrace_rt_set_notrace(struct ftrace_rt_ops *ops, const char *patterns, int reset)
{
	return set_patterns(ops, patterns, reset, true, true, NULL, 0);
}

int frt_set_patterns_lenient(struct ftrace_rt_ops *ops, const char *patterns, bool notrace,
			     char *unmatched, size_t len)
{
	return set_patterns(ops, patterns, 1, notrace, false, unmatched, len);
}

static int cmp_uptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

int ftrace_rt_set_filter_ip(struct ftrace_rt_ops *ops, unsigned long ip, int remove, int reset)
{
	struct frt_ops_state *st;
	struct frt_site *s;
	int ret;

	if (!ops)
		return -EINVAL;
	ret = api_enter();
	if (ret)
		return ret;
	s = frt_site_by_ip(ip, NULL);
	st = state_of(ops, true);
	if (!st) {
		ret = -ENOMEM;
		goto out;
	}
	if (!s || s->state == ARCH_ST_RAW) {
		ret = -ENOENT;
		goto out;
	}
	if (reset) {
		st->nips = 0;
		frt_patterns_free(&st->filter);
	}
	if (remove) {
		size_t w = 0;

		for (size_t i = 0; i < st->nips; i++)
			if (st->ips[i] != s->addr)
				st->ips[w++] = st->ips[i];
		if (w == st->nips && !reset) {
			ret = -ENOENT;
			goto out;
		}
		st->nips = w;
	} else if (!ip_selected(st, s->addr)) {
		if (frt_grow((void **)&st->ips, &st->ipcap, st->nips + 1, sizeof(*st->ips))) {
			ret = -ENOMEM;
			goto out;
		}
		st->ips[st->nips++] = s->addr;
		frt_sort(st->ips, st->nips, sizeof(*st->ips), cmp_uptr);
	}
	masks_drop(st);
	if (st->registered)
		ret = frt_update_sites();
out:
	frt_unlock();
	return ret;
}

unsigned long frt_ops_registered(void)
{
	return nregistered;
}

bool frt_ops_need_update(void)
{
	return nregistered || ops_dropped;
}

unsigned int frt_ops_suspend(uintptr_t lo, uintptr_t hi, unsigned long token)
{
	struct frt_ops_state *st, *tmp;
	unsigned int n = 0;

	cds_list_for_each_entry_safe (st, tmp, &registered, reg) {
		if (!ops_in(st, lo, hi))
			continue;
		cds_list_del_init(&st->reg);
		nregistered--;
		st->suspended = token;
		n++;
	}
	return n;
}

int frt_ops_suspend_apply(void)
{
	int ret = frt_update_sites();

	if (!ret)
		frt_synchronize(); /* no call of their callbacks is running */
	return ret;
}

void frt_ops_resume(unsigned long token, bool loaded, uintptr_t lo, uintptr_t hi, const char *path)
{
	struct frt_ops_state *st, *tmp;

	cds_list_for_each_entry_safe (st, tmp, &all_states, all) {
		if (st->suspended != token)
			continue;
		st->suspended = 0;
		if (loaded) {
			cds_list_add_tail(&st->reg, &registered);
			nregistered++;
		} else {
			state_forget(st, !in_range((uintptr_t)st->ops, lo, hi), path);
		}
	}
}

int ftrace_rt_for_each_site(const char *patterns,
			    int (*cb)(const struct ftrace_rt_site_info *site, void *arg), void *arg)
{
	struct frt_patterns pats = {0};
	struct frt_object *o;
	char err[512];
	int ret;

	if (!cb)
		return -EINVAL;
	ret = api_enter();
	if (ret)
		return ret;
	ret = frt_patterns_parse(patterns, &pats, err, sizeof(err));
	if (ret) {
		frt_info(1, "%s", err);
		goto out;
	}
	cds_list_for_each_entry (o, &frt_objects, node) {
		for (size_t i = 0; i < o->nsites && !ret; i++) {
			const struct frt_site *s = &o->sites[i];
			struct ftrace_rt_site_info info;

			if (s->state == ARCH_ST_RAW || (pats.n && !patterns_match(&pats, o, s)))
				continue;
			info.module = o->name;
			info.function = frt_site_name(o, s);
			info.ip = frt_site_entry(s);
			info.flags = (s->state == ARCH_ST_ON ? FTRACE_RT_SITE_ENABLED : 0) |
				     (frt_site_has_slot(s) ? FTRACE_RT_SITE_SLOT : 0);
			ret = cb(&info, arg);
		}
		if (ret)
			break;
	}
out:
	frt_patterns_free(&pats);
	frt_unlock();
	return ret;
}
