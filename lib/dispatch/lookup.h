/* SPDX-License-Identifier: MIT */
/* lib/dispatch/lookup.c: the site of a lookup trampoline's call, by address. */
#ifndef FRT_LOOKUP_H
#define FRT_LOOKUP_H

#include <stdint.h>

#include "compiler.h"
#include "objects.h"

/* inside a read-side section */
struct frt_object *frt_object_by_addr(uintptr_t a) FRT_HIDDEN;
struct frt_site *frt_object_site(struct frt_object *o, uintptr_t a) FRT_HIDDEN;

#endif
