/* SPDX-License-Identifier: MIT */
/* lib/core/sync.c: serializing every core after a code change (membarrier or a fallback). */
#ifndef FRT_SYNC_H
#define FRT_SYNC_H

#include "compiler.h"

int frt_sync_init(void) FRT_HIDDEN;
void frt_sync_core(void) FRT_HIDDEN;
const char *frt_sync_mode(void) FRT_HIDDEN;

#endif
