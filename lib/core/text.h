/* SPDX-License-Identifier: MIT */
/* lib/core/text.c: page protections around patching. */
#ifndef FRT_TEXT_H
#define FRT_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

struct frt_prot {
	uintptr_t start, end;
	int prot;
};
struct frt_text {
	struct frt_prot *v;
	size_t n, cap;
	bool held; /* the program's mprotect() calls wait until frt_text_restore() */
};
/*
 * Make @pages writable (keeping exec), each a page address whose low bits may
 * hold protection bits the page has that /proc/self/maps does not show
 * (struct frt_object's text_prot); frt_text_restore() keeps them too.
 */
int frt_text_unprotect(uintptr_t *pages, size_t npages, struct frt_text *t) FRT_HIDDEN;
void frt_text_restore(struct frt_text *t) FRT_HIDDEN;
void frt_text_fork_child(void) FRT_HIDDEN;

#endif
