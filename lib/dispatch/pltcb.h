/* SPDX-License-Identifier: MIT */
/*
 * Library calls (lib/trace/libcall.c): a GOT slot of the executable points at
 * a stub that enters the slot trampoline as a traced function's site does.
 * The stub's slot holds its own ops, whose callback (pltcb.c, on the gpr-only
 * path) calls the running tracer's ops with the PLT entry as the ip: the
 * address the data's symbol file names NAME@plt, as uftrace records it.
 */
#ifndef FRT_PLTCB_H
#define FRT_PLTCB_H

#include <stdint.h>

#include <ftrace_rt/ftrace_rt.h>

#include "compiler.h"

/* One stub's data, in the stubs' writable page; never freed (see libcall.c). */
struct frt_plt_stub {
	struct ftrace_rt_ops ops; /* the stub's slot points here: func = frt_plt_cb */
	uintptr_t plt_ip;	  /* the executable's PLT entry: the ip recorded */
	uintptr_t real;		  /* the bound target: the stub jumps through this word */
};

/* The tracer's ops while library calls are traced, else NULL (RCU). */
extern struct ftrace_rt_ops *frt_libcall_target FRT_HIDDEN;

/* vfork's stub keeps the caller's return address here (arch_plt_vfork_stub) */
extern __thread uintptr_t frt_vfork_ret FRT_TLS FRT_HIDDEN;

void frt_plt_cb(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		struct ftrace_rt_regs *regs) FRT_HIDDEN;

#endif
