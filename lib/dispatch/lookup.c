// SPDX-License-Identifier: MIT
/*
 * The site a lookup trampoline was called from (a site without a slot): the
 * object table's queries (lib/core/objects.h), compiled here, gpr-only, for
 * the dispatcher. Core's own callers use the inline versions under its lock.
 */
#include "lookup.h"
#include "objects.h"

struct frt_object *frt_object_by_addr(uintptr_t a)
{
	return frt_objects_find(a);
}

struct frt_site *frt_object_site(struct frt_object *o, uintptr_t a)
{
	return frt_object_find_site(o, a);
}
