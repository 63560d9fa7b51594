/* SPDX-License-Identifier: MIT */
/* lib/core/veneer.c: jumps within call range of an object, forwarding to the trampolines. */
#ifndef FRT_VENEER_H
#define FRT_VENEER_H

#include "compiler.h"

struct frt_object;

int frt_veneer_setup(struct frt_object *o) FRT_HIDDEN;
void frt_veneer_free(struct frt_object *o) FRT_HIDDEN;

#endif
