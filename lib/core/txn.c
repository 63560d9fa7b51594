// SPDX-License-Identifier: MIT
/*
 * Transactions: all site changes of one API call applied as one batch.
 *
 *   1. make the touched pages writable (only them; execute stays on)
 *   2. store every new ops pointer (slot, or the site record for lookup sites)
 *   3. for each step k of the sites' plans (arch_plan_site: one or more):
 *      apply step k to every changing site, flush each (arch_flush), then
 *      sync_core once
 *   4. restore the page protections exactly
 *
 * So a transaction costs as many syncs as a plan has steps, whatever the
 * number of sites,
 * and one mprotect pair per contiguous page range. A refused mprotect fails
 * it before any byte is written. Ops pointers are stored before the code that
 * reads them becomes reachable; the sync after each step orders them for
 * every thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"
#include "tsan.h"
#include "objects.h"
#include "counters.h"
#include "sync.h"
#include "text.h"
#include "txn.h"
#include "elf_scan.h"
#include "arch.h"

struct code {
	struct arch_plan plan;
	bool on;
};

/* The slot is in a text page (see ARCH_TEXT_ACCESS). */
ARCH_TEXT_ACCESS static void slot_store(struct frt_site *s, struct ftrace_rt_ops *ops)
{
	__atomic_store_n(frt_site_slot(s), ops, __ATOMIC_RELEASE);
}

static uintptr_t call_target(const struct frt_object *o, const struct frt_site *s, bool gpr)
{
	return o->call[frt_site_call_kind(s, gpr)];
}

static bool site_gpr(const struct frt_site *s)
{
	return s->flags & FRT_SITE_F_GPR;
}

/* Must the site's code change (not only its ops)? */
static bool code_changes(const struct frt_change *c)
{
	return c->state != c->site->state ||
	       (c->state == ARCH_ST_ON && c->gpr != site_gpr(c->site));
}

/*
 * Does the slot hold what we last stored there, or, before our first store,
 * the NOPs the compiler left? A slot that holds anything else is not ours
 * (the object under it is not the one we scanned): nothing is written there.
 */
ARCH_TEXT_ACCESS static bool slot_as_expected(const struct frt_site *s)
{
	if (s->ops)
		return __atomic_load_n(frt_site_slot(s), __ATOMIC_RELAXED) == s->ops;
	return frt_slot_pristine(s);
}

/* Are the site's bytes what we last put there? */
ARCH_TEXT_ACCESS static bool site_as_expected(const struct frt_object *o, const struct frt_site *s)
{
	uint64_t target = 0;
	int now = arch_site_state((const uint8_t *)s->addr, ARCH_SITE_SIZE, s->addr, &target);

	if (now != s->state)
		return false;
	return now != ARCH_ST_ON || target == call_target(o, s, site_gpr(s));
}

int frt_txn_apply(struct frt_change *v, size_t n)
{
	size_t psz = (size_t)sysconf(_SC_PAGESIZE), np = 0;
	uintptr_t *pages;
	struct code *code;
	struct frt_text t = {0};
	bool any_code = false;
	unsigned int nsteps = 0;
	int ret;

	if (!n)
		return 0;
	pages = frt_malloc(3 * n * sizeof(*pages));
	code = frt_calloc(n, sizeof(*code));
	if (!pages || !code) {
		ret = -ENOMEM;
		goto out;
	}
	/* changes come in address order: drop repeats here, the sort then has little to do */
#define ADD_PAGE(a)                                                                 \
	do {                                                                        \
		uintptr_t p_ = ((a) & ~(psz - 1)) | (uintptr_t)v[i].obj->text_prot; \
		if (!np || pages[np - 1] != p_)                                     \
			pages[np++] = p_;                                           \
	} while (0)
	for (size_t i = 0; i < n; i++) {
		struct frt_site *s = v[i].site;

		if (frt_site_has_slot(s) && v[i].ops != s->ops)
			ADD_PAGE((uintptr_t)frt_site_slot(s));
		if (code_changes(&v[i])) {
			ADD_PAGE(s->addr);
			ADD_PAGE(s->addr + ARCH_SITE_SIZE - 1);
		}
	}
#undef ADD_PAGE
	ret = frt_text_unprotect(pages, np, &t);
	if (ret) {
		frt_msg("cannot make code writable: %s; nothing was changed", strerror(-ret));
		goto out;
	}

	/* what the new ops pointers point to was written before this (see tsan.h) */
	frt_tsan_release(&frt_tsan_publish);
	for (size_t i = 0; i < n; i++) {
		struct frt_site *s = v[i].site;
		struct frt_change *c = &v[i];

		/* every byte is checked before anything is written at this site */
		if (frt_site_has_slot(s) && c->ops != s->ops && !slot_as_expected(s)) {
			frt_counters.anomalies++;
			if (!(s->flags & FRT_SITE_F_FOREIGN))
				frt_msg("%s: %s: the 8 bytes ahead of the function are not what "
					"the "
					"runtime left there; the function is left alone",
					c->obj->path, frt_site_name(c->obj, s));
			s->flags |= FRT_SITE_F_FOREIGN;
			continue;
		}
		if (code_changes(c)) {
			bool ok = site_as_expected(c->obj, s);

			if (ok)
				ok = !arch_plan_site(
					&code[i].plan, s->addr, s->state,
					s->state == ARCH_ST_ON ? call_target(c->obj, s, site_gpr(s))
							       : 0,
					c->state,
					c->state == ARCH_ST_ON ? call_target(c->obj, s, c->gpr)
							       : 0);
			if (ok && code[i].plan.n > nsteps)
				nsteps = code[i].plan.n;
			code[i].on = ok;
			any_code |= ok;
			if (!ok) {
				frt_counters.anomalies++;
				frt_info(1, "%s: %s: bytes changed behind the runtime; left alone",
					 c->obj->path, frt_site_name(c->obj, s));
			}
		}
		/*
		 * The ops pointer is stored even when the code could not be changed
		 * (a debugger's breakpoint there): whoever puts the call back must
		 * find the ops the site should have now, never one that is being
		 * unregistered and freed. Turning off, that is the nop ops. But a
		 * slot never written (NOPs) is left alone then: no call of ours can
		 * read it, and its bytes are the only sign that the code is ours.
		 */
		if (code_changes(c) && !code[i].on && !s->ops)
			continue;
		if (c->ops != s->ops) {
			if (frt_site_has_slot(s))
				slot_store(s, c->ops);
			__atomic_store_n(&s->ops, c->ops, __ATOMIC_RELEASE);
		}
	}
	if (any_code) {
		for (unsigned int step = 0; step < nsteps; step++) {
			for (size_t i = 0; i < n; i++) {
				if (!code[i].on || step >= code[i].plan.n)
					continue;
				arch_apply_step(v[i].site->addr, &code[i].plan.step[step]);
				arch_flush(v[i].site->addr, ARCH_SITE_SIZE);
			}
			frt_sync_core();
		}
		for (size_t i = 0; i < n; i++) {
			if (!code[i].on)
				continue;
			v[i].site->state = v[i].state;
			if (v[i].state == ARCH_ST_ON && v[i].gpr)
				v[i].site->flags |= FRT_SITE_F_GPR;
			else
				v[i].site->flags &= (uint8_t)~FRT_SITE_F_GPR;
		}
	}
	frt_text_restore(&t);
	frt_counters.transactions++;
out:
	frt_free(t.v);
	frt_free(pages);
	frt_free(code);
	return ret;
}
