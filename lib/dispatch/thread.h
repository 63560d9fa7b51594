/* SPDX-License-Identifier: MIT */
/*
 * A thread's recording state, as the hot path writes it: its buffer ring,
 * the shadow stack of function_graph, the graph filters' counters and its
 * profile table. Declared here, below lib/trace, so that lib/dispatch's
 * writers (record.h) and lib/trace's cold code (thread creation, the
 * flusher, exit) share it.
 */
#ifndef FRT_THREAD_H
#define FRT_THREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "compiler.h"
#include "init.h"

/* struct uftrace_record: the on-disk record is the in-memory one (time raw until flushed) */
struct frt_rec {
	uint64_t time;
	uint64_t word; /* type:2 more:1 magic:3 depth:10 addr:48 */
};

enum { FRT_REC_ENTRY = 0, FRT_REC_EXIT = 1, FRT_REC_LOST = 2, FRT_REC_EVENT = 3 };
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
	uint16_t recorded;    /* its ENTRY record was written (FRT_RECORDED_BEFORE_FORK: by the
				 parent of this forked child) */
	uint16_t unhooked;    /* FRT_UNHOOKED_*: its slot was given its real return address */
	uint32_t depth;	      /* in the data: recorded frames open below it */
	uint8_t norecord;     /* hooked for the graph filters only: never recorded */
	uint8_t held;	      /* its ENTRY waits for its exit (tracing threshold); 2: written
				 then whatever its duration (a trace trigger) */
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

#define FRT_RECORDED_BEFORE_FORK 2

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

/* the calling thread's state (lib/trace/thread.c makes it), NULL before its first event */
extern __thread struct frt_thread *frt_self FRT_TLS FRT_HIDDEN;
/* lib/trace/thread.c, reached through frt_tramps.vsave_call only (it may use vector registers) */
struct frt_thread *frt_thread_create(void) FRT_HIDDEN;
extern volatile int frt_recording_on FRT_HIDDEN;
extern unsigned int frt_graph_users FRT_HIDDEN; /* graph ops registered */
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

#endif
