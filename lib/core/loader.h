/* SPDX-License-Identifier: MIT */
/* lib/core/loader.c: keeping dlopen/dlclose and the table's syncs in order across fork. */
#ifndef FRT_LOADER_H
#define FRT_LOADER_H

#include <stdbool.h>

#include "compiler.h"

void frt_dl_order_prepare(void) FRT_HIDDEN;
void frt_dl_order_after_fork(bool child) FRT_HIDDEN;

#endif
