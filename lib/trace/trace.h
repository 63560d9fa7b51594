/* SPDX-License-Identifier: MIT */
/*
 * lib/trace/: recording's cold halves. Threads and the flusher (thread.c),
 * the tracers (tracers.c, tracer.h), function_graph's registration and
 * unwinder paths (fgraph.c), the unwinder interplay (unwind.h), output
 * (output.c, uftrace_info.h), the clock's calibration (clock.h). It hears
 * of new objects from lib/core through frt_objects_notify().
 *
 * Recording: per-thread single-writer buffers of uftrace records, the
 * per-thread shadow stack of function_graph, and the data directory. What
 * the hot path writes of them is declared in lib/dispatch (thread.h,
 * record.h, graph.h, callbacks.h), included here.
 */
#ifndef FRT_TRACE_H
#define FRT_TRACE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "clock.h"
#include "compiler.h"
#include "objects.h"
#include "init.h"
#include "callbacks.h"
#include "graph.h"
#include "record.h"
#include "thread.h"

/* thread.c */
void frt_threads_flush_all(bool final, bool close_frames) FRT_HIDDEN;
void frt_thread_exit(struct frt_thread *t) FRT_HIDDEN;
int frt_recording_start(size_t bufsize) FRT_HIDDEN;
unsigned long frt_recording_waits(void) FRT_HIDDEN;
/* ns of the flusher's CPU time, and ns writers spent writing their own chunks */
void frt_recording_costs(uint64_t *flusher_cpu, uint64_t *own_flush) FRT_HIDDEN;
void frt_recording_stop(void) FRT_HIDDEN;
void frt_recording_totals(unsigned long *threads, unsigned long *events, unsigned long *lost,
			  unsigned long *overflow, bool nowait) FRT_HIDDEN;
void frt_recording_fork_child(void) FRT_HIDDEN;
int frt_thread_key_init(void) FRT_HIDDEN;
/* Calls that were not recorded, by cause (the summary and `ctl stats` report them). */
struct frt_unrecorded {
	unsigned long threads_without_buffers;
	unsigned long calls_without_buffer; /* by those threads */
	unsigned long calls_after_exit;	    /* by threads after their state was written out */
	unsigned long recursion;	    /* made inside a callback or the runtime */
};
void frt_recording_unrecorded(struct frt_unrecorded *u) FRT_HIDDEN;
/*
 * Write what is buffered, from a fatal signal's handler or _exit: bounded
 * waits, no allocation. @interrupted_runtime: the handler interrupted a
 * callback of this thread. Returns the number of threads it had to skip.
 */
int frt_recording_emergency(bool interrupted_runtime) FRT_HIDDEN;
bool frt_recording_owned_here(void) FRT_HIDDEN; /* false in a vfork child */
typedef void (*frt_thread_fn)(struct frt_thread *t, void *arg);
void frt_threads_foreach(frt_thread_fn fn, void *arg) FRT_HIDDEN;

/* output.c: the uftrace data directory */
int frt_output_open(const char *dir) FRT_HIDDEN;
void frt_output_task(struct frt_thread *t, uint64_t raw_time) FRT_HIDDEN;
int frt_output_thread_fd(pid_t tid) FRT_HIDDEN;
void frt_output_object(const struct frt_object *o) FRT_HIDDEN;
void frt_output_finish(void) FRT_HIDDEN;
void frt_output_stack_names(void) FRT_HIDDEN; /* events.txt: stacktrace frames named */
void frt_output_fork_child(pid_t ppid) FRT_HIDDEN;
const char *frt_output_dir(void) FRT_HIDDEN;
uint64_t frt_output_floor(void) FRT_HIDDEN;
uint64_t frt_output_time(uint64_t raw) FRT_HIDDEN;
void frt_output_profile(struct frt_prof_ent *v, size_t n, unsigned long threads) FRT_HIDDEN;
extern bool frt_output_active FRT_HIDDEN;

/* fgraph.c */
void frt_fgraph_close_all(struct frt_thread *t, uint64_t now) FRT_HIDDEN;
void frt_fgraph_end_returned(struct frt_thread *t, uint64_t now) FRT_HIDDEN;
void frt_fgraph_unhook_all(struct frt_thread *t, unsigned int why) FRT_HIDDEN;
void frt_fgraph_rehook_live(struct frt_thread *t, uintptr_t sp) FRT_HIDDEN;
void frt_fgraph_rehook_walked(struct frt_thread *t) FRT_HIDDEN;
void frt_fgraph_leave_stack(struct frt_thread *t) FRT_HIDDEN;

/* tracers.c */
void frt_profile_write(void) FRT_HIDDEN;

#endif
