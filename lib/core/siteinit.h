/* SPDX-License-Identifier: MIT */
/* lib/core/siteinit.c: init RAW sites once, when no thread can be inside them. */
#ifndef FRT_SITEINIT_H
#define FRT_SITEINIT_H

#include <stdbool.h>

#include "compiler.h"

struct frt_object;

int frt_convert_runs(struct frt_object *o) FRT_HIDDEN;
/* around the syncs that may convert runs: the runtime's start, after a dlopen */
void frt_convert_allow(bool on) FRT_HIDDEN;

/* a runtime thread (flusher, control server) starts or ends: it runs no
 * application code, so the conversion need not stop it */
void frt_own_thread(bool running) FRT_HIDDEN;
void frt_own_threads_forget(void) FRT_HIDDEN; /* fork child: they did not follow */

#endif
