/* SPDX-License-Identifier: MIT */
/*
 * The built-in tracers' callbacks and the profile tables (callbacks.c);
 * lib/trace/tracers.c chooses, registers and reports them.
 */
#ifndef FRT_CALLBACKS_H
#define FRT_CALLBACKS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <ftrace_rt/ftrace_rt.h>

#include "compiler.h"
#include "thread.h"

enum frt_tracer_kind { FRT_TRACER_NONE, FRT_TRACER_FUNCTION, FRT_TRACER_GRAPH, FRT_TRACER_PROFILE };
extern volatile int frt_tracer_kind FRT_HIDDEN;

void frt_function_cb(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		     struct ftrace_rt_regs *regs) FRT_HIDDEN;
void frt_graph_cb(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		  struct ftrace_rt_regs *regs) FRT_HIDDEN;
void frt_profile_cb(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		    struct ftrace_rt_regs *regs) FRT_HIDDEN;

uint32_t frt_profile_enter(struct frt_thread *t, uintptr_t ip) FRT_HIDDEN;
/* A profiled frame returns (@s), or with @s NULL the thread's table is merged. */
void frt_profile_exit(struct frt_thread *t, struct frt_shadow *s, uint64_t now) FRT_HIDDEN;

/* merged profile tables */
struct frt_prof_set {
	struct frt_prof_ent *v;
	size_t n, cap;
	unsigned long threads;
};
extern struct frt_prof_set frt_gprof FRT_HIDDEN; /* of exited threads, under frt_prof_lock */
extern pthread_mutex_t frt_prof_lock FRT_HIDDEN;
void frt_prof_merge(struct frt_prof_set *to, const struct frt_prof_ent *v, size_t cap) FRT_HIDDEN;

#endif
