/* SPDX-License-Identifier: MIT */
/* lib/core/init.c: start-up (membarrier, trampolines, first sync) and grace periods. */
#ifndef FRT_INIT_H
#define FRT_INIT_H

#include <stdbool.h>

#include "arch.h"
#include "compiler.h"

void frt_init(void) FRT_HIDDEN;
/* the trampolines chosen at start-up, and the arch's vector-saving thunk */
extern struct arch_tramps frt_tramps FRT_HIDDEN;
/* the runtime came in by LD_PRELOAD (not linked in by the program) */
extern bool frt_preloaded FRT_HIDDEN;
/* a urcu-bp grace period */
void frt_synchronize(void) FRT_HIDDEN;

#endif
