/* SPDX-License-Identifier: MIT */
/*
 * lib/dispatch/: the hot path the trampolines (arch/ARCH/trampoline.S) call:
 * recursion guard, read-side section, the ops from the slot or by looking the
 * site up, the callback. Built with the arch's general-registers-only flags
 * (arch_gpr_args), as is everything it calls on that path.
 */
#ifndef FRT_DISPATCH_H
#define FRT_DISPATCH_H

#include <stdint.h>

#include <ftrace_rt/ftrace_rt.h>

#include "compiler.h"
#include "regs.h"

/* the C half of the trampolines */
void frt_dispatch_slot(struct ftrace_rt_ops **slot, unsigned long parent_ip,
		       struct ftrace_rt_regs *regs) FRT_HIDDEN;
void frt_dispatch_lookup(uintptr_t site, unsigned long parent_ip,
			 struct ftrace_rt_regs *regs) FRT_HIDDEN;
void frt_dispatch_slot_gpr(struct ftrace_rt_ops **slot, unsigned long parent_ip,
			   struct ftrace_rt_regs *regs) FRT_HIDDEN;
void frt_dispatch_lookup_gpr(uintptr_t site, unsigned long parent_ip,
			     struct ftrace_rt_regs *regs) FRT_HIDDEN;

#endif
