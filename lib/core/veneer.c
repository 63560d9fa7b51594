// SPDX-License-Identifier: MIT
/*
 * A site's direct call reaches ARCH_CALL_REACH either way.
 * When the trampolines (in this library) are out of that range of an object,
 * a page of veneers is mapped in a free gap near the object; each veneer
 * (arch_veneer) jumps to one trampoline.
 * Veneers are unmapped only after the object is gone and a grace period.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "objects.h"
#include "init.h"
#include "maps.h"
#include "veneer.h"
#include "arch.h"

#define REACH  ARCH_CALL_REACH
#define MARGIN ((uintptr_t)1 << 20)

static bool near(uintptr_t x, uintptr_t y)
{
	return (x > y ? x - y : y - x) < REACH - MARGIN;
}

/* a call counts from site + ARCH_CALL_BASE: check the nearest and farthest sites */
static bool reachable(const struct frt_object *o, uintptr_t target, size_t len)
{
	uintptr_t a = o->lo + ARCH_CALL_BASE, b = o->hi - ARCH_SITE_SIZE + ARCH_CALL_BASE;

	return near(target, a) && near(target, b) && near(target + len, a) && near(target + len, b);
}

struct gap_search {
	const struct frt_object *o;
	uintptr_t prev_end;
	uintptr_t best;
	uintptr_t best_dist;
	size_t psz;
};

static void consider(struct gap_search *g, uintptr_t start, uintptr_t end)
{
	uintptr_t mid = (g->o->lo + g->o->hi) / 2;
	uintptr_t cand[2], psz = g->psz;

	if (end <= start || end - start < psz)
		return;
	/* the page closest to the object within the gap: at its top or its bottom */
	cand[0] = (end - psz) & ~(psz - 1);
	cand[1] = (start + psz - 1) & ~(psz - 1);
	for (int i = 0; i < 2; i++) {
		uintptr_t c = cand[i], d;

		if (c < start || c + psz > end || c < 0x10000)
			continue;
		if (!reachable(g->o, c, psz))
			continue;
		d = c > mid ? c - mid : mid - c;
		if (!g->best || d < g->best_dist) {
			g->best = c;
			g->best_dist = d;
		}
	}
}

static int gap_cb(const struct frt_map *m, void *arg)
{
	struct gap_search *g = arg;

	consider(g, g->prev_end, m->start);
	g->prev_end = m->end;
	return 0;
}

int frt_veneer_setup(struct frt_object *o)
{
	struct gap_search g = {o, 0x10000, 0, 0, (size_t)sysconf(_SC_PAGESIZE)};
	uint8_t *p;

	const uintptr_t targets[FRT_CALL_KINDS] = {frt_tramps.slot, frt_tramps.lookup,
						   frt_tramps.slot_gpr, frt_tramps.lookup_gpr};
	bool all_near = true;

	for (int k = 0; k < FRT_CALL_KINDS; k++)
		all_near &= reachable(o, targets[k], 1);
	if (all_near) {
		memcpy(o->call, targets, sizeof(o->call));
		return 0;
	}
	for (int tries = 0; tries < 4; tries++) {
		g.prev_end = 0x10000;
		g.best = 0;
		if (frt_maps_foreach(gap_cb, &g) < 0)
			return -EIO;
		consider(&g, g.prev_end, ARCH_USER_VA_END);
		if (!g.best)
			return -ENOSPC;
		p = mmap((void *)g.best, g.psz, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p == MAP_FAILED) /* raced with another mapping: look again */
			continue;
		if ((uintptr_t)p != g.best) { /* kernels before 4.17 treat the flag as a hint */
			munmap(p, g.psz);
			continue;
		}
		for (int k = 0; k < FRT_CALL_KINDS; k++)
			arch_veneer(p + k * ARCH_VENEER_SIZE,
				    (uintptr_t)p + (uintptr_t)k * ARCH_VENEER_SIZE, targets[k]);
		arch_flush((uintptr_t)p, FRT_CALL_KINDS * ARCH_VENEER_SIZE);
		if (mprotect(p, g.psz, PROT_READ | PROT_EXEC)) {
			munmap(p, g.psz);
			return -errno;
		}
		o->veneer = p;
		for (int k = 0; k < FRT_CALL_KINDS; k++)
			o->call[k] = (uintptr_t)p + (uintptr_t)k * ARCH_VENEER_SIZE;
		frt_info(2, "%s: veneers at %p", o->path, (void *)p);
		return 0;
	}
	return -ENOSPC;
}

void frt_veneer_free(struct frt_object *o)
{
	if (o->veneer)
		munmap(o->veneer, (size_t)sysconf(_SC_PAGESIZE));
	o->veneer = NULL;
}
