// SPDX-License-Identifier: MIT
/*
 * Page protections around patching: only the touched pages become writable,
 * each range keeps its execute permission (threads run through it meanwhile),
 * and afterwards every range gets back exactly the protection /proc/self/maps
 * showed for it, plus the bits the caller passes in the low bits of each
 * page address: those /proc/self/maps does not show (arch_text_prot: a
 * landing-pad guard), which an mprotect without them would take away. If any mprotect is refused
 * (W^X policies), the ranges already changed are restored and the caller writes nothing.
 *
 * A program may change the protection of its own text meanwhile (a JIT, a
 * self-modifying program): restoring what /proc/self/maps showed would then
 * take back the permission it just gave itself, and its next write faults.
 * So the program's mprotect() calls (interposed, see preload.c) wait while a
 * range is unprotected: a change of theirs lands either before we read the
 * protections or after we restored them. Our own calls, and the program's
 * from a signal handler interrupting a thread in either section, do not wait.
 * Direct system calls and pkey_mprotect() are not seen.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "hooks.h"
#include "log.h"
#include "compiler.h"
#include "counters.h"
#include "maps.h"
#include "text.h"

static pthread_rwlock_t prot_lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
static __thread int prot_held FRT_TLS; /* in a section of ours, or in the program's mprotect */

static int raw_mprotect(void *addr, size_t len, int prot)
{
	return (int)syscall(SYS_mprotect, addr, len, prot);
}

int frt_hook_mprotect(void *addr, size_t len, int prot)
{
	int ret;

	if (prot_held)
		return raw_mprotect(addr, len, prot);
	prot_held = 1;
	pthread_rwlock_rdlock(&prot_lock);
	ret = raw_mprotect(addr, len, prot);
	pthread_rwlock_unlock(&prot_lock);
	prot_held = 0;
	return ret;
}

static void prot_enter(void)
{
	prot_held = 1;
	pthread_rwlock_wrlock(&prot_lock);
}

static void prot_leave(void)
{
	pthread_rwlock_unlock(&prot_lock);
	prot_held = 0;
}

/* fork child: a lock held by a thread that did not follow is free again */
void frt_text_fork_child(void)
{
	if (!prot_held)
		pthread_rwlock_init(&prot_lock, NULL);
}

static int cmp_uptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

struct collect {
	uintptr_t *pages; /* sorted, unique; low bits: protection bits maps does not show */
	size_t npages, i;
	struct frt_text *t;
	int err;
};

/* For each mapping, record the runs of requested pages it holds with its protection. */
static int collect_cb(const struct frt_map *m, void *arg)
{
	struct collect *c = arg;
	uintptr_t psz = (uintptr_t)sysconf(_SC_PAGESIZE), *pg = c->pages;

	while (c->i < c->npages && (pg[c->i] & ~(psz - 1)) < m->start)
		c->i++; /* not mapped: mprotect will fail on it below */
	while (c->i < c->npages && (pg[c->i] & ~(psz - 1)) < m->end) {
		uintptr_t s = pg[c->i] & ~(psz - 1), extra = pg[c->i] & (psz - 1);
		size_t j = c->i + 1;

		while (j < c->npages && pg[j] == pg[j - 1] + psz && (pg[j] & ~(psz - 1)) < m->end)
			j++;
		if (frt_grow((void **)&c->t->v, &c->t->cap, c->t->n + 1, sizeof(*c->t->v))) {
			c->err = -ENOMEM;
			return 1;
		}
		c->t->v[c->t->n++] =
			(struct frt_prot){s, (pg[j - 1] & ~(psz - 1)) + psz,
					  m->prot | ((m->prot & PROT_EXEC) ? (int)extra : 0)};
		c->i = j;
	}
	return c->i >= c->npages;
}

int frt_text_unprotect(uintptr_t *pages, size_t npages, struct frt_text *t)
{
	struct collect c = {pages, 0, 0, t, 0};
	size_t covered = 0;
	int ret;

	t->n = 0;
	if (!npages)
		return 0;
	frt_sort(pages, npages, sizeof(*pages), cmp_uptr);
	for (size_t i = 0; i < npages; i++) {
		uintptr_t pmask = ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);

		if (c.npages && (pages[c.npages - 1] & pmask) == (pages[i] & pmask))
			pages[c.npages - 1] |= pages[i];
		else
			pages[c.npages++] = pages[i];
	}
	prot_enter();
	t->held = true;
	ret = frt_maps_foreach(collect_cb, &c);
	if (!ret && !c.err)
		for (size_t i = 0; i < t->n; i++)
			covered += (t->v[i].end - t->v[i].start) / (uintptr_t)sysconf(_SC_PAGESIZE);
	if (c.err || ret < 0 || covered != c.npages) {
		t->held = false;
		prot_leave();
		/* -EFAULT: some page is no longer mapped */
		return c.err ? c.err : ret < 0 ? ret : -EFAULT;
	}
	for (size_t i = 0; i < t->n; i++) {
		int prot = t->v[i].prot | PROT_READ | PROT_WRITE;

		__atomic_fetch_add(&frt_counters.mprotects, 1, __ATOMIC_RELAXED);
		if (raw_mprotect((void *)t->v[i].start, t->v[i].end - t->v[i].start, prot)) {
			int e = errno;

			frt_info(1, "mprotect(%#lx, %#lx, rw%s) refused: %s", t->v[i].start,
				 t->v[i].end - t->v[i].start, (prot & PROT_EXEC) ? "x" : "",
				 strerror(e));
			t->n = i;
			frt_text_restore(t);
			return e == EACCES ? -EPERM : -e;
		}
	}
	return 0;
}

void frt_text_restore(struct frt_text *t)
{
	for (size_t i = 0; i < t->n; i++) {
		__atomic_fetch_add(&frt_counters.mprotects, 1, __ATOMIC_RELAXED);
		if (raw_mprotect((void *)t->v[i].start, t->v[i].end - t->v[i].start, t->v[i].prot))
			frt_msg("cannot restore protection of %#lx-%#lx: %s", t->v[i].start,
				t->v[i].end, strerror(errno));
	}
	t->n = 0;
	if (t->held) {
		t->held = false;
		prot_leave();
	}
}
