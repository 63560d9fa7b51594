// SPDX-License-Identifier: MIT
/*
 * The site a lookup trampoline was called from (a site without a slot), in
 * the object table (lib/core/objects.h): its object, then a binary search
 * of its sites (sorted by address). Built gpr-only for the dispatcher.
 */
#include "lookup.h"
#include "objects.h"

struct frt_object *frt_object_by_addr(uintptr_t a)
{
	return frt_objects_find(a);
}

struct frt_site *frt_object_site(struct frt_object *o, uintptr_t a)
{
	size_t lo = 0, hi = o->nsites;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (o->sites[mid].addr == a)
			return &o->sites[mid];
		if (o->sites[mid].addr < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
