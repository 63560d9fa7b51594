/* SPDX-License-Identifier: MIT */
/*
 * lib/core/init.c and loader.c: the one lock serializing patchers and
 * changes of the object table, and how it waits for the dynamic loader.
 */
#ifndef FRT_LOCK_H
#define FRT_LOCK_H

#include <stdbool.h>

#include "compiler.h"

void frt_lock(void) FRT_HIDDEN;
void frt_unlock(void) FRT_HIDDEN;
bool frt_lock_held_here(void) FRT_HIDDEN;
/*
 * The dynamic loader runs without the patch lock held, so that constructors
 * and destructors may use the API. While a dlclose is inside the loader
 * (between frt_unload_begin and frt_unload_end), an object may be unmapped at
 * any moment: frt_lock then waits, except in a thread that is itself inside
 * the loader (frt_loader_enter/leave), which holds the loader's own lock, so
 * nothing can be unmapped under it. frt_unload_end returns with the lock
 * held, once no other dlclose is in the loader.
 */
void frt_loader_enter(void) FRT_HIDDEN;
bool frt_in_loader_here(void) FRT_HIDDEN;
extern unsigned int frt_loads_in_flight FRT_HIDDEN; /* loader.c */
void frt_loader_leave(void) FRT_HIDDEN;
void frt_unload_begin(void) FRT_HIDDEN; /* under frt_lock */
void frt_unload_end(void) FRT_HIDDEN;

#endif
