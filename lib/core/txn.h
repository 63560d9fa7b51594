/* SPDX-License-Identifier: MIT */
/* lib/core/txn.c: a batch of site changes, applied step by step with one sync per step. */
#ifndef FRT_TXN_H
#define FRT_TXN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

struct frt_object;
struct frt_site;
struct ftrace_rt_ops;

struct frt_change {
	struct frt_object *obj;
	struct frt_site *site;
	struct ftrace_rt_ops *ops; /* new dispatch target (nop ops when turning off) */
	uint8_t state;		   /* ARCH_ST_OFF or ARCH_ST_ON */
	bool gpr;		   /* with a CALL: to a gpr trampoline */
};
int frt_txn_apply(struct frt_change *v, size_t n) FRT_HIDDEN;

#endif
