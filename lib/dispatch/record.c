// SPDX-License-Identifier: MIT
/*
 * The writer side of a thread's buffer ring (record.h): a thread writes its
 * own records into chunk cur; when a chunk is full it hands it to the
 * flusher (lib/trace/thread.c) and goes on in the next. If the next one has
 * not been written out yet, it writes its own full chunks (the wait policy)
 * or drops records and counts them, and a LOST record tells the reader how
 * many once there is room. Built gpr-only: what needs libc or the clock's
 * conversion (writing chunks out) is lib/trace's, through frt_tramps.vsave_call.
 */
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "init.h"
#include "rawclock.h"
#include "record.h"

__thread struct frt_thread *frt_self FRT_TLS;
volatile int frt_recording_on;
int frt_rec_work;
pid_t frt_rec_owner;
bool frt_rec_inline_flush;
struct frt_thread frt_no_buffers = {.dead = true};
struct frt_thread frt_exited = {.dead = true};
unsigned long frt_calls_without_buffer, frt_calls_after_exit;
bool frt_buffer_wait = true;
__thread struct frt_thread *frt_rec_flush_entering FRT_TLS;

static long futex(int *a, int op, int v, const struct timespec *ts)
{
	return syscall(SYS_futex, a, op, v, ts, NULL, 0);
}

/*
 * Room for a record and @max bytes of data after it in the current chunk
 * (a LOST record owed goes first): where the data goes, or NULL (the
 * record is lost: counted). frt_rec_commit() writes and publishes both.
 */
char *frt_rec_begin(struct frt_thread *t, size_t max)
{
	size_t need = 2 + (max + 15) / 16;

	if (t->pos + need + (t->lost_pending != 0) > t->cap)
		frt_buffer_switch(t);
	if (t->pos + need + (t->lost_pending != 0) > t->cap) {
		t->lost++;
		t->lost_pending++;
		return NULL;
	}
	if (t->lost_pending) {
		struct frt_rec *r = &t->wchunk[t->pos];

		r->time = frt_clock_raw();
		r->word = frt_rec_word(FRT_REC_LOST, t->rdepth, t->lost_pending);
		t->lost_pending = 0;
		__atomic_store_n(&t->pos, t->pos + 1, __ATOMIC_RELEASE);
	}
	return (char *)&t->wchunk[t->pos + 2];
}

void frt_rec_commit(struct frt_thread *t, unsigned int type, unsigned int depth, uint64_t addr,
		    uint64_t time, size_t len)
{
	struct frt_rec *r = &t->wchunk[t->pos];

	len = (len + 7) & ~(size_t)7;
	r[0].time = time;
	r[0].word = frt_rec_word(type, depth, addr) | (len ? FRT_REC_MORE : 0);
	r[1].time = 0;
	r[1].word = len;
	t->events++;
	__atomic_store_n(&t->pos, t->pos + (len ? 2 + (len + 15) / 16 : 1), __ATOMIC_RELEASE);
}

static bool writer_flush(struct frt_thread *t, unsigned int next)
{
	if (!frt_buffer_wait || t->wait_gave_up || frt_rec_flush_entering == t ||
	    !__atomic_load_n(&frt_recording_on, __ATOMIC_ACQUIRE) || frt_rec_owner != getpid())
		return false;
	frt_tramps.vsave_call((void *)frt_rec_wait_own, (uintptr_t)t, 0, 0, 0);
	return !__atomic_load_n(&t->full[next], __ATOMIC_ACQUIRE);
}

/* The chunk is full: hand it over if the next one is free. Called by the writer. */
void frt_buffer_switch(struct frt_thread *t)
{
	unsigned int next = (t->cur + 1) % FRT_CHUNKS;

	if (__atomic_load_n(&t->full[next], __ATOMIC_ACQUIRE) && !writer_flush(t, next))
		return; /* flusher behind and no waiting: the caller drops the record */
	t->wait_gave_up = false;
	/* no lock: the flusher reset flushed[next] before it cleared full[next] */
	t->fill[t->cur] = t->pos;
	__atomic_store_n(&t->full[t->cur], 1, __ATOMIC_RELEASE);
	__atomic_store_n(&t->pos, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&t->cur, next, __ATOMIC_RELEASE);
	t->wchunk = frt_rec_chunk(t, next);
	if (frt_rec_inline_flush) {
		/* libc and the clock code may use vector registers: through the saving thunk */
		frt_tramps.vsave_call((void *)frt_rec_flush_own, (uintptr_t)t, 0, 0, 0);
		return;
	}
	__atomic_fetch_add(&frt_rec_work, 1, __ATOMIC_RELEASE);
	futex(&frt_rec_work, FUTEX_WAKE_PRIVATE, 1, NULL);
}

/* Records dropped at the very end still get their LOST record. */
void frt_rec_lost_marker(struct frt_thread *t)
{
	struct frt_rec *r;

	if (!t->lost_pending)
		return;
	if (t->pos >= t->cap)
		frt_buffer_switch(t);
	if (t->pos >= t->cap)
		return;
	r = &t->wchunk[t->pos];
	r->time = frt_clock_raw();
	r->word = frt_rec_word(FRT_REC_LOST, t->rdepth, t->lost_pending);
	t->lost_pending = 0;
	__atomic_store_n(&t->pos, t->pos + 1, __ATOMIC_RELEASE);
}

/* A traced call found no buffer to record into (frt_thread_self() gave NULL). */
void frt_count_unrecorded(void)
{
	if (frt_self == &frt_no_buffers)
		__atomic_fetch_add(&frt_calls_without_buffer, 1, __ATOMIC_RELAXED);
	else if (frt_self == &frt_exited)
		__atomic_fetch_add(&frt_calls_after_exit, 1, __ATOMIC_RELAXED);
}
