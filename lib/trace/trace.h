/* SPDX-License-Identifier: MIT */
/*
 * lib/trace/: recording. Threads and buffers (thread.c), tracers (tracers.c,
 * tracer.h), function_graph (fgraph.c), the unwinder interplay (unwind.h),
 * output (output.c, uftrace_info.h), the clock (clock.h). It hears of new
 * objects from lib/core through frt_objects_notify().
 *
 * Recording: per-thread single-writer buffers of uftrace records, the
 * per-thread shadow stack of function_graph, and the data directory.
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

/* struct uftrace_record: the on-disk record is the in-memory one (time raw until flushed) */
struct frt_rec {
	uint64_t time;
	uint64_t word; /* type:2 more:1 magic:3 depth:10 addr:48 */
};

enum { FRT_REC_ENTRY = 0, FRT_REC_EXIT = 1, FRT_REC_LOST = 2 };
#define FRT_REC_MAGIC	 5
#define FRT_REC_MORE	 4ULL /* data follows the record (arguments, return value) */
#define FRT_MAX_DEPTH	 1023 /* 10-bit depth field */
#define FRT_SHADOW_MAX	 1024 /* the default depth of the shadow stack (FTRACE_RT_MAX_STACK) */
#define FRT_SHADOW_LIMIT 65535
#define FRT_GRAVEYARD	 1024
#define FRT_HELD_ARGS	 (256 * 1024) /* per thread, mapped at its first held entry with arguments */
#define FRT_CHUNKS	 8  /* of a thread's buffer: how far the flusher may fall behind */
#define FRT_PROF_RETIRED 24 /* profile tables double from 256 entries: more than enough */

static inline uint64_t frt_rec_word(unsigned int type, unsigned int depth, uint64_t addr)
{
	return (uint64_t)type | (uint64_t)FRT_REC_MAGIC << 3 | (uint64_t)(depth & 0x3ff) << 6 |
	       (addr & 0xffffffffffffULL) << 16;
}

/* A function whose return was hijacked. */
struct frt_shadow {
	uintptr_t loc;	      /* stack slot that held the return address */
	uintptr_t ret;	      /* the real return address */
	uintptr_t ip;	      /* the function */
	uint64_t start;	      /* raw entry time (profile) */
	uint64_t child;	      /* raw time spent in callees (profile) */
	uint16_t recorded;    /* its ENTRY record was written */
	uint16_t unhooked;    /* FRT_UNHOOKED_*: its slot was given its real return address */
	uint32_t depth;	      /* in the data: recorded frames open below it */
	uint8_t norecord;     /* hooked for the graph filters only: never recorded */
	uint8_t held;	      /* its ENTRY waits for its exit (tracing threshold) */
	uint8_t off;	      /* entered while tracing was off (trace_off trigger): not recorded */
	uint8_t gflags;	      /* FRT_GF_FUNC or FRT_GF_NOTRACE: counted in the thread's state */
	int32_t fdepth;	      /* the thread's depth budget before this call */
	uint8_t has_ret;      /* its return value is recorded, as rspec says */
	uint8_t rkind, rsize; /* struct frt_arg of the return value */
	uint16_t alen;	/* held (threshold): bytes of its arguments, at thread's hargs + aoff */
	uint32_t aoff;	/* the thread's hargs_top when it was pushed (restored at its pop) */
	uint16_t guser; /* a graph ops' frame: its slot + 1 (0: the built-in tracer's) */
	uint16_t ggen;	/* ... and the slot's generation when pushed */
	/*
	 * profile: FRT_PROF_OUTER or FRT_PROF_NESTED (0: not counted) in the low
	 * bits, the index of the function's table entry above them, so that the
	 * exit finds it without a second lookup (checked: the table may grow)
	 */
	uint32_t prof;
	/* where the live return address is, below loc (0: unknown); only where
	 * the arch keeps it in a frame record (ARCH_GRAPH_RET_IN_RECORD) */
	uint32_t rbelow;
};

/* why a shadow entry's slot holds its real return address again */
enum {
	FRT_HOOKED = 0,
	FRT_UNHOOKED_UNWIND = 1, /* an unwinder walked the stack, to its end or not ours to see */
	FRT_UNHOOKED_WALK = 2,	 /* a walk that gives the frames back (backtrace()) */
};

struct frt_prof_ent {
	uintptr_t ip;
	uint64_t calls, total, self; /* times raw */
	uint64_t active;	     /* calls open on this thread (not merged) */
};

/* A profiled frame is the outermost open call of its function, or nested in one. */
#define FRT_PROF_OUTER	   1
#define FRT_PROF_NESTED	   2
#define FRT_PROF_KIND	   3
#define FRT_PROF_IDX_SHIFT 2

struct frt_thread {
	struct frt_thread *next; /* all threads, under thread_lock */
	pid_t tid, pid;
	bool dead;		    /* its thread has exited: nothing writes here any more */
	pthread_mutex_t flush_lock; /* flusher, thread exit and process exit */
	int fd;			    /* <tid>.dat, opened on first flush */

	/*
	 * A ring of FRT_CHUNKS chunks: the thread fills chunk cur and moves to
	 * the next; the flusher writes full chunks out in ring order.
	 */
	struct frt_rec *buf;	    /* FRT_CHUNKS * cap records */
	struct frt_rec *wchunk;	    /* buf + cur * cap */
	size_t cap;		    /* records per chunk */
	unsigned int cur;	    /* written by the thread, read by the flusher */
	size_t pos;		    /* records in chunk cur */
	unsigned int next_flush;    /* flusher: oldest chunk not written out */
	size_t fill[FRT_CHUNKS];    /* records in a full chunk */
	int full[FRT_CHUNKS];	    /* 1: waiting for the flusher */
	size_t flushed[FRT_CHUNKS]; /* records of a chunk already written out */
	uint64_t last_ns;	    /* flusher: keeps times non-decreasing in the file */

	unsigned long events;	    /* records written */
	unsigned long lost;	    /* records dropped, total */
	unsigned long lost_pending; /* dropped since the last LOST record */
	unsigned long waits;	    /* times it wrote its own full chunks (flusher behind) */
	bool wait_gave_up;	    /* a wait timed out: drop until the flusher catches up */

	/* function_graph */
	unsigned int depth;
	/* graph filters (gfilter.h; uftrace's filter state) */
	unsigned int rdepth;	 /* recorded frames open */
	int in_count, out_count; /* open graph function / graph notrace frames */
	int fdepth;		 /* calls that may still be hooked below here */
	unsigned int gf_gen;	 /* frt_gf.gen fdepth was computed for */
	unsigned long overflow;	 /* calls not hooked: shadow stack full */
	char *hargs;		 /* arguments of held entries (FRT_HELD_ARGS bytes, a stack) */
	uint32_t hargs_top;
	struct frt_shadow *shadow; /* shadow_max frames, mapped with the thread */
	unsigned int shadow_max;
	struct frt_shadow
		graveyard[FRT_GRAVEYARD]; /* popped but maybe still live (longjmp, coroutines) */
	unsigned int grave_pos;
	bool all_unhooked;     /* every entry's slot holds its real return address */
	unsigned long evicted; /* graveyard entries given back their return address */

	/*
	 * profile: open addressing by ip. The exit path may merge the table of
	 * a thread still running: prof is published before prof_cap, and
	 * outgrown tables stay mapped (retired) until the thread is reaped.
	 */
	struct frt_prof_ent *prof;
	size_t prof_cap, prof_n;
	struct {
		struct frt_prof_ent *v;
		size_t cap;
	} prof_retired[FRT_PROF_RETIRED];
	unsigned int prof_nretired;
};

/* thread.c */
extern __thread struct frt_thread *frt_self FRT_TLS FRT_HIDDEN;
struct frt_thread *frt_thread_create(void) FRT_HIDDEN;
void frt_threads_flush_all(bool final, bool close_frames) FRT_HIDDEN;
void frt_thread_exit(struct frt_thread *t) FRT_HIDDEN;
int frt_recording_start(size_t bufsize) FRT_HIDDEN;
/*
 * What a thread does when its ring is full: true (the default), it writes its
 * own full chunks out and goes on, so nothing is lost; false, it drops
 * records and counts them (FTRACE_RT_BUFFER_FULL=drop).
 */
extern bool frt_buffer_wait FRT_HIDDEN;
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
void frt_count_unrecorded(void) FRT_HIDDEN;
void frt_recording_unrecorded(struct frt_unrecorded *u) FRT_HIDDEN;
/*
 * Write what is buffered, from a fatal signal's handler or _exit: bounded
 * waits, no allocation. @interrupted_runtime: the handler interrupted a
 * callback of this thread. Returns the number of threads it had to skip.
 */
int frt_recording_emergency(bool interrupted_runtime) FRT_HIDDEN;
bool frt_recording_owned_here(void) FRT_HIDDEN; /* false in a vfork child */
extern volatile int frt_recording_on FRT_HIDDEN;
typedef void (*frt_thread_fn)(struct frt_thread *t, void *arg);
void frt_threads_foreach(frt_thread_fn fn, void *arg) FRT_HIDDEN;
void frt_buffer_switch(struct frt_thread *t) FRT_HIDDEN;
void frt_rec_lost_marker(struct frt_thread *t) FRT_HIDDEN;
char *frt_rec_begin(struct frt_thread *t, size_t max) FRT_HIDDEN;
void frt_rec_commit(struct frt_thread *t, unsigned int type, unsigned int depth, uint64_t addr,
		    uint64_t time, size_t len) FRT_HIDDEN;

extern unsigned int frt_graph_users FRT_HIDDEN; /* graph ops registered (fgraph.c) */
extern unsigned int frt_shadow_max FRT_HIDDEN;	/* frames of threads made from now on */

static inline struct frt_thread *frt_thread_self(void)
{
	struct frt_thread *t = frt_self;

	if (__builtin_expect(t != NULL, 1))
		return t->dead ? NULL : t;
	/* a thread's first event: libc calls (buffers, its task line) may use vector
	 * registers, which a gpr trampoline has not saved */
	return frt_recording_on || frt_graph_users ? (struct frt_thread *)frt_tramps.vsave_call(
							     (void *)frt_thread_create, 0, 0, 0, 0)
						   : NULL;
}

/* Append one record; false if it was dropped (counted). Single writer: this thread. */
static inline bool frt_rec_put(struct frt_thread *t, unsigned int type, unsigned int depth,
			       uint64_t addr, uint64_t time)
{
	struct frt_rec *r;

	if (__builtin_expect(t->pos >= t->cap || t->lost_pending, 0)) {
		if (t->pos >= t->cap)
			frt_buffer_switch(t);
		if (t->pos >= t->cap) {
			t->lost++;
			t->lost_pending++;
			return false;
		}
		if (t->lost_pending) {
			/* tell the reader how many records are missing here */
			if (t->pos + 1 >= t->cap) {
				t->lost++;
				t->lost_pending++;
				return false;
			}
			/* depth: frames open here (an exit's own frame still is) */
			r = &t->wchunk[t->pos];
			r->time = time;
			r->word =
				frt_rec_word(FRT_REC_LOST, type == FRT_REC_EXIT ? depth + 1 : depth,
					     t->lost_pending);
			t->lost_pending = 0;
			__atomic_store_n(&t->pos, t->pos + 1, __ATOMIC_RELEASE);
		}
	}
	r = &t->wchunk[t->pos];
	r->time = time;
	r->word = frt_rec_word(type, depth, addr);
	t->events++;
	__atomic_store_n(&t->pos, t->pos + 1, __ATOMIC_RELEASE);
	return true;
}

/* output.c: the uftrace data directory */
int frt_output_open(const char *dir) FRT_HIDDEN;
void frt_output_task(struct frt_thread *t, uint64_t raw_time) FRT_HIDDEN;
int frt_output_thread_fd(pid_t tid) FRT_HIDDEN;
void frt_output_object(const struct frt_object *o) FRT_HIDDEN;
void frt_output_finish(void) FRT_HIDDEN;
void frt_output_fork_child(pid_t ppid) FRT_HIDDEN;
const char *frt_output_dir(void) FRT_HIDDEN;
uint64_t frt_output_floor(void) FRT_HIDDEN;
uint64_t frt_output_time(uint64_t raw) FRT_HIDDEN;
void frt_output_profile(struct frt_prof_ent *v, size_t n, unsigned long threads) FRT_HIDDEN;
extern bool frt_output_active FRT_HIDDEN;

/* fgraph.c */
void frt_fgraph_entry(struct frt_thread *t, unsigned long ip, struct ftrace_rt_regs *regs,
		      bool record) FRT_HIDDEN;
uintptr_t frt_graph_return(uintptr_t sp, struct ftrace_rt_regs *regs) FRT_HIDDEN;
void frt_fgraph_close_all(struct frt_thread *t, uint64_t now) FRT_HIDDEN;
void frt_fgraph_end_returned(struct frt_thread *t, uint64_t now) FRT_HIDDEN;
void frt_fgraph_unhook_all(struct frt_thread *t, unsigned int why) FRT_HIDDEN;
void frt_fgraph_rehook_live(struct frt_thread *t, uintptr_t sp) FRT_HIDDEN;
void frt_fgraph_rehook_walked(struct frt_thread *t) FRT_HIDDEN;
void frt_fgraph_declare_stack(uintptr_t lo, size_t size) FRT_HIDDEN;
void frt_fgraph_leave_stack(struct frt_thread *t) FRT_HIDDEN;

/* tracers.c */
enum frt_tracer_kind { FRT_TRACER_NONE, FRT_TRACER_FUNCTION, FRT_TRACER_GRAPH, FRT_TRACER_PROFILE };
extern volatile int frt_tracer_kind FRT_HIDDEN;
void frt_profile_exit(struct frt_thread *t, struct frt_shadow *s, uint64_t now) FRT_HIDDEN;
uint32_t frt_profile_enter(struct frt_thread *t, uintptr_t ip) FRT_HIDDEN;
void frt_profile_write(void) FRT_HIDDEN;

#endif
