// SPDX-License-Identifier: MIT
/*
 * Page protections around patching: only the touched pages become writable,
 * each range keeps its execute permission (threads run through it meanwhile),
 * and afterwards every range gets back exactly the protection /proc/self/maps
 * showed for it. If any mprotect is refused (W^X policies), the ranges already
 * changed are restored and the caller writes nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"
#include "runtime.h"

static int cmp_uptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

struct collect {
	uintptr_t *pages; /* sorted, unique */
	size_t npages, i;
	struct frt_text *t;
	int err;
};

/* For each mapping, record the runs of requested pages it holds with its protection. */
static int collect_cb(const struct frt_map *m, void *arg)
{
	struct collect *c = arg;
	long psz = sysconf(_SC_PAGESIZE);

	while (c->i < c->npages && c->pages[c->i] < m->start)
		c->i++; /* not mapped: mprotect will fail on it below */
	while (c->i < c->npages && c->pages[c->i] < m->end) {
		uintptr_t s = c->pages[c->i];
		size_t j = c->i + 1;

		while (j < c->npages && c->pages[j] == c->pages[j - 1] + (uintptr_t)psz &&
		       c->pages[j] < m->end)
			j++;
		if (frt_grow((void **)&c->t->v, &c->t->cap, c->t->n + 1, sizeof(*c->t->v))) {
			c->err = -ENOMEM;
			return 1;
		}
		c->t->v[c->t->n++] =
			(struct frt_prot){s, c->pages[j - 1] + (uintptr_t)psz, m->prot};
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
	for (size_t i = 0; i < npages; i++)
		if (!c.npages || pages[c.npages - 1] != pages[i])
			pages[c.npages++] = pages[i];
	ret = frt_maps_foreach(collect_cb, &c);
	if (c.err)
		return c.err;
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < t->n; i++)
		covered += (t->v[i].end - t->v[i].start) / (uintptr_t)sysconf(_SC_PAGESIZE);
	if (covered != c.npages)
		return -EFAULT; /* some page is no longer mapped */
	for (size_t i = 0; i < t->n; i++) {
		int prot = t->v[i].prot | PROT_READ | PROT_WRITE;

		__atomic_fetch_add(&frt_counters.mprotects, 1, __ATOMIC_RELAXED);
		if (mprotect((void *)t->v[i].start, t->v[i].end - t->v[i].start, prot)) {
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
		if (mprotect((void *)t->v[i].start, t->v[i].end - t->v[i].start, t->v[i].prot))
			frt_msg("cannot restore protection of %#lx-%#lx: %s", t->v[i].start,
				t->v[i].end, strerror(errno));
	}
	t->n = 0;
}
