/* SPDX-License-Identifier: MIT */
/*
 * lib/core/ops.c: registered ops, their filters, and each site's ops
 * computed from them; the nop ops and the list ops their slots hold.
 */
#ifndef FRT_OPS_H
#define FRT_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <urcu/list.h>

#include <ftrace_rt/ftrace_rt.h>

#include "compiler.h"

struct frt_object;

int frt_update_sites(void) FRT_HIDDEN; /* recompute every site from the registered ops */
unsigned long frt_ops_registered(void) FRT_HIDDEN;
bool frt_ops_need_update(void) FRT_HIDDEN; /* some ops registered, or one just dropped */
/* called for each object added or removed, under frt_lock */
void frt_ops_object_added(struct frt_object *o) FRT_HIDDEN;
/* the notifier an upper layer sets (under frt_lock): called for each object added */
extern void (*frt_object_added_hook)(struct frt_object *o) FRT_HIDDEN;
/* @gone: every object removed in this sync, already unmapped */
void frt_ops_object_removed(struct frt_object *o, struct cds_list_head *gone) FRT_HIDDEN;
/*
 * Around a dlclose (under frt_lock): ops whose struct or callback lie in
 * [lo, hi) are marked (@token), then frt_ops_suspend_apply takes them off
 * every site, past a grace period, before the loader may unmap them (on
 * failure, resume them as loaded: they stay registered). Afterwards
 * frt_ops_resume puts them back if their object is still loaded (@loaded),
 * or forgets them with a message.
 */
unsigned int frt_ops_suspend(uintptr_t lo, uintptr_t hi, unsigned long token) FRT_HIDDEN;
int frt_ops_suspend_apply(void) FRT_HIDDEN;
void frt_ops_resume(unsigned long token, bool loaded, uintptr_t lo, uintptr_t hi,
		    const char *path) FRT_HIDDEN;
/* set (reset) patterns, keeping those that match nothing yet; they are listed in @unmatched */
int frt_set_patterns_lenient(struct ftrace_rt_ops *ops, const char *patterns, bool notrace,
			     char *unmatched, size_t len) FRT_HIDDEN;

#endif
