/* SPDX-License-Identifier: MIT */
/*
 * The per-thread recursion guard (defined in lib/core/init.c): set by the
 * dispatcher around a callback, by the runtime's own threads and by hooks
 * that must not be traced; read by the API to refuse what would deadlock.
 */
#ifndef FRT_GUARD_H
#define FRT_GUARD_H

#include <stdbool.h>

#include "compiler.h"
#include "lock.h"

/*
 * Bit 0 set while a callback (or the runtime on its behalf) runs: traced
 * calls are missed and the API refuses with -EDEADLK. FRT_UNTRACED marks
 * runtime threads that are never traced but may use the API (the control
 * thread).
 */
extern __thread int frt_in_callback FRT_TLS FRT_HIDDEN;
#define FRT_UNTRACED 2

static inline bool frt_api_refused_here(void)
{
	return (frt_in_callback & 1) || frt_lock_held_here();
}

#endif
