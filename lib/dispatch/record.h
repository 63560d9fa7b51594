/* SPDX-License-Identifier: MIT */
/*
 * Writing a thread's records (the writer side of its buffer ring; the
 * flusher, in lib/trace/thread.c, reads it). Single writer: the thread.
 */
#ifndef FRT_RECORD_H
#define FRT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "compiler.h"
#include "rawclock.h"
#include "thread.h"

/*
 * The writer's state, shared with lib/trace/thread.c (the flusher, thread
 * creation and exit, fork).
 */
extern int frt_rec_work FRT_HIDDEN;    /* futex: bumped when a chunk is full */
extern pid_t frt_rec_owner FRT_HIDDEN; /* the process recording started in */
/*
 * In a forked child there is no flusher thread: creating one would call the
 * program's allocator (glibc allocates a thread's DTV, and frees cached
 * stacks, with the program's malloc). A writer then writes its own chunk
 * out when it fills, and a thread reaps its own state at its exit.
 */
extern bool frt_rec_inline_flush FRT_HIDDEN;
/*
 * The state of threads that could not get buffers, and of threads whose
 * own state went to the flusher at their exit: dead, records nothing (in
 * .bss, untouched). Two of them, so that the calls they miss are counted
 * by cause (atomic counters).
 */
extern struct frt_thread frt_no_buffers FRT_HIDDEN, frt_exited FRT_HIDDEN;
extern unsigned long frt_calls_without_buffer FRT_HIDDEN, frt_calls_after_exit FRT_HIDDEN;
/*
 * What a thread does when its ring is full: true (the default), it writes its
 * own full chunks out and goes on, so nothing is lost; false, it drops
 * records and counts them (FTRACE_RT_BUFFER_FULL=drop).
 */
extern bool frt_buffer_wait FRT_HIDDEN;
/* set before taking flush_lock: a handler interrupting the wait must not wait too */
extern __thread struct frt_thread *frt_rec_flush_entering FRT_TLS FRT_HIDDEN;

/*
 * lib/trace/thread.c, called through frt_tramps.vsave_call only (write()
 * and the clock's code may use vector registers): @a is the thread. Write
 * its full chunks out; wait_own with a bounded wait for its flush_lock.
 */
uintptr_t frt_rec_flush_own(uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t d) FRT_HIDDEN;
uintptr_t frt_rec_wait_own(uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t d) FRT_HIDDEN;

static inline struct frt_rec *frt_rec_chunk(struct frt_thread *t, unsigned int h)
{
	return t->buf + (size_t)h * t->cap;
}

void frt_buffer_switch(struct frt_thread *t) FRT_HIDDEN;
void frt_rec_lost_marker(struct frt_thread *t) FRT_HIDDEN;
char *frt_rec_begin(struct frt_thread *t, size_t max) FRT_HIDDEN;
void frt_rec_commit(struct frt_thread *t, unsigned int type, unsigned int depth, uint64_t addr,
		    uint64_t time, size_t len) FRT_HIDDEN;
/* a call not recorded: counted by cause (struct frt_unrecorded) */
void frt_count_unrecorded(void) FRT_HIDDEN;

/* frt_rec_put() writes the record at once, with no call: room and no LOST record owed */
static inline bool frt_rec_room(const struct frt_thread *t)
{
	return t->pos < t->cap && !t->lost_pending;
}

/* Append one record where frt_rec_room() said there is room. */
static inline void frt_rec_write(struct frt_thread *t, unsigned int type, unsigned int depth,
				 uint64_t addr, uint64_t time)
{
	struct frt_rec *r = &t->wchunk[t->pos];

	r->time = time;
	r->word = frt_rec_word(type, depth, addr);
	t->events++;
	__atomic_store_n(&t->pos, t->pos + 1, __ATOMIC_RELEASE);
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
	frt_rec_write(t, type, depth, addr, time);
	return true;
}

#endif
