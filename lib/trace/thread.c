// SPDX-License-Identifier: MIT
/*
 * Per-thread recording state and the flusher (the writer side is
 * lib/dispatch/record.c).
 *
 * Each thread writes its own records into a ring of FRT_CHUNKS chunks; when
 * a chunk is full it hands it to the flusher thread and goes on in the next.
 * If the next one has not been written out yet, records are dropped and
 * counted, and a LOST record tells the reader how many once there is room:
 * the program is never blocked. Several chunks let the flusher fall behind
 * by most of the buffer, not by half of it, before anything is lost. Thread
 * state is mmap'ed (the dispatch path must not call any malloc: a signal may
 * have interrupted one). Data is written when chunks fill, when a thread
 * exits, on request, and at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "counters.h"
#include "guard.h"
#include "hooks.h"
#include "init.h"
#include "log.h"
#include "siteinit.h"
#include "record.h"
#include "trace.h"

static struct frt_thread *threads; /* all, newest first */
static pthread_mutex_t thread_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t exit_key;
static size_t chunk_cap;
static pthread_t flusher;
static bool flusher_running;
static int quit;    /* flusher should stop */
static int parked;  /* futex: it has, and will touch nothing any more */
static int ticking; /* atomic: one writer at a time recalibrates the clock */
static unsigned long threads_without_buffers;
/* totals of threads already gone */
static unsigned long gone_events, gone_lost, gone_overflow, gone_waits, nthreads;
/*
 * What recording costs besides the calls themselves, for ctl stats and the
 * verbose summary: the flusher's own CPU time (read by the flusher after
 * each round), and the time writers spent writing their own full chunks
 * (the wait policy). Atomic.
 */
static uint64_t flusher_cpu_ns, own_flush_ns;

/*
 * What this thread holds, for a flush from a fatal signal's handler that may
 * have interrupted it: waiting for a lock the interrupted code holds would
 * never end.
 */
static __thread bool list_held FRT_TLS;
static __thread struct frt_thread *flush_held FRT_TLS;

static void lock_list(void)
{
	pthread_mutex_lock(&thread_lock);
	list_held = true;
}

static void unlock_list(void)
{
	list_held = false;
	pthread_mutex_unlock(&thread_lock);
}

static long futex(int *a, int op, int v, const struct timespec *ts)
{
	return syscall(SYS_futex, a, op, v, ts, NULL, 0);
}

static void *map(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void on_thread_exit(void *arg)
{
	struct frt_thread *t = arg;

	if (t && !t->dead)
		frt_thread_exit(t);
}

struct frt_thread *frt_thread_create(void)
{
	struct frt_thread *t;
	size_t bytes = FRT_CHUNKS * chunk_cap * sizeof(struct frt_rec);

	if (frt_self)
		return NULL; /* dead: its key destructor has run */
	t = map(sizeof(*t));
	if (t) {
		t->shadow_max = __atomic_load_n(&frt_shadow_max, __ATOMIC_RELAXED);
		t->shadow = map(t->shadow_max * sizeof(*t->shadow));
		if (!t->shadow) {
			munmap(t, sizeof(*t));
			t = NULL;
		}
	}
	/* only graph ops need it while nothing records: no buffers then (a thread
	 * that starts before recording does records nothing, counted as lost) */
	if (t && frt_recording_on)
		t->buf = map(bytes);
	if (!t || (!t->buf && frt_recording_on)) {
		static int reported;

		if (t) {
			munmap(t->shadow, t->shadow_max * sizeof(*t->shadow));
			munmap(t, sizeof(*t));
		}
		/* this thread records nothing; mark it so that it does not ask again */
		frt_self = &frt_no_buffers;
		__atomic_fetch_add(&threads_without_buffers, 1, __ATOMIC_RELAXED);
		if (!__atomic_fetch_add(&reported, 1, __ATOMIC_RELAXED))
			frt_msg("cannot allocate %zu KiB of trace buffers for thread %ld: %s; "
				"its calls are not recorded",
				bytes >> 10, (long)syscall(SYS_gettid), strerror(errno));
		return NULL;
	}
	t->cap = t->buf ? chunk_cap : 0;
	t->wchunk = t->buf;
	t->tid = (pid_t)syscall(SYS_gettid);
	t->pid = getpid();
	t->fd = -1;
	t->last_ns = frt_output_floor();
	pthread_mutex_init(&t->flush_lock, NULL);
	frt_output_task(t, frt_clock_raw());
	lock_list();
	t->next = threads;
	threads = t;
	nthreads++;
	unlock_list();
	frt_self = t;
	pthread_setspecific(exit_key, t);
	return t;
}

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			static int reported;

			if (!reported++)
				frt_msg("writing trace data failed: %s; recording continues, data "
					"lost",
					n < 0 ? strerror(errno) : "short write");
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

/*
 * Convert raw times of @n records to ns in place and write them out, a
 * block at a time so that the write copies what the conversion just left
 * in the cache. In place is safe: the writer appends only above the
 * published pos and reuses a chunk only after the flusher cleared full[],
 * and every record is written (so converted) exactly once. Under
 * flush_lock.
 */
#define WRITE_BLOCK 4096 /* records: 64 KiB, well inside L2 */
#define WRITE_IOV   8	 /* on the writer's stack when it flushes itself: kept small */

static void write_iov(int fd, struct iovec *iov, int n)
{
	for (int i = 0; i < n; i++)
		write_all(fd, iov[i].iov_base, iov[i].iov_len);
}

/*
 * A record with the `more` bit carries data (arguments, a return value): in
 * the buffer a header record (its word: the data's length) and the data in
 * the records after it; in the file the data right after the record, as
 * uftrace writes it (8-byte aligned). A record and its data are published
 * together, so a partial flush never splits them.
 */
static void write_records(struct frt_thread *t, struct frt_rec *recs, size_t n)
{
	struct iovec iov[WRITE_IOV];
	size_t seg = 0;
	int niov = 0;

	if (t->fd < 0)
		t->fd = frt_output_thread_fd(t->tid);
	if (t->fd < 0)
		return;
	for (size_t i = 0; i < n;) {
		uint64_t ns = frt_clock_to_ns(recs[i].time);

		if (ns < t->last_ns) /* per-thread order must not go backwards */
			ns = t->last_ns;
		t->last_ns = ns;
		recs[i].time = ns;
		if ((recs[i].word & FRT_REC_MORE) && i + 1 < n) {
			size_t len = (size_t)recs[i + 1].word, slots = (len + 15) / 16;

			if (i + 2 + slots > n) /* cannot be: published together */
				slots = n - i - 2, len = slots * 16;
			iov[niov++] = (struct iovec){recs + seg, (i + 1 - seg) * sizeof(*recs)};
			iov[niov++] = (struct iovec){recs + i + 2, len};
			i += 2 + slots;
			seg = i;
		} else if (++i - seg >= WRITE_BLOCK) {
			iov[niov++] = (struct iovec){recs + seg, (i - seg) * sizeof(*recs)};
			seg = i;
		}
		if (niov >= WRITE_IOV - 2) {
			write_iov(t->fd, iov, niov);
			niov = 0;
		}
	}
	if (n > seg)
		iov[niov++] = (struct iovec){recs + seg, (n - seg) * sizeof(*recs)};
	write_iov(t->fd, iov, niov);
}

/* Write out full chunks in ring order, and with @partial what is in the current one. */
static void flush_locked(struct frt_thread *t, bool partial)
{
	/* the writer fills chunks in ring order: full ones follow next_flush */
	for (unsigned int k = 0; k < FRT_CHUNKS; k++) {
		unsigned int h = t->next_flush;

		if (!__atomic_load_n(&t->full[h], __ATOMIC_ACQUIRE))
			break;
		if (t->fill[h] > t->flushed[h])
			write_records(t, frt_rec_chunk(t, h) + t->flushed[h],
				      t->fill[h] - t->flushed[h]);
		t->flushed[h] = 0; /* before the writer may reuse it */
		__atomic_store_n(&t->full[h], 0, __ATOMIC_RELEASE);
		t->next_flush = (h + 1) % FRT_CHUNKS;
	}
	if (partial) {
		unsigned int h = t->next_flush;
		size_t pos;

		/*
		 * The writer switches chunks by marking its chunk full, then
		 * resetting pos, then moving cur (release stores). Reading them
		 * back in the opposite order: cur == h shows the reset of pos on
		 * entering h; a pos from a later chunk would show h full.
		 */
		if (__atomic_load_n(&t->cur, __ATOMIC_ACQUIRE) == h) {
			pos = __atomic_load_n(&t->pos, __ATOMIC_ACQUIRE);
			if (!__atomic_load_n(&t->full[h], __ATOMIC_ACQUIRE) &&
			    pos > t->flushed[h]) {
				write_records(t, frt_rec_chunk(t, h) + t->flushed[h],
					      pos - t->flushed[h]);
				t->flushed[h] = pos;
			}
		}
	}
}

static void flush_thread(struct frt_thread *t, bool partial)
{
	struct frt_thread *outer = frt_rec_flush_entering;

	frt_rec_flush_entering = t;
	pthread_mutex_lock(&t->flush_lock);
	flush_held = t;
	flush_locked(t, partial);
	flush_held = NULL;
	pthread_mutex_unlock(&t->flush_lock);
	frt_rec_flush_entering = outer;
}

static void tick_if_free(void)
{
	if (!__atomic_exchange_n(&ticking, 1, __ATOMIC_ACQUIRE)) {
		frt_clock_tick(); /* the clock has one appender at a time */
		__atomic_store_n(&ticking, 0, __ATOMIC_RELEASE);
	}
}

/* No flusher thread (a forked child): the writer writes its full chunks itself. */
static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uintptr_t frt_rec_flush_own(uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t d)
{
	uint64_t t0 = mono_ns();

	(void)b, (void)c, (void)d;
	tick_if_free();
	flush_thread((struct frt_thread *)a, false);
	__atomic_fetch_add(&own_flush_ns, mono_ns() - t0, __ATOMIC_RELAXED);
	return 0;
}

/*
 * The ring is full: the flusher fell behind (a slow disk, or the cores busy
 * with the program's own threads). Rather than drop records, the writer
 * writes its own full chunks, under flush_lock as the flusher does, and the
 * program runs at the speed of the output, as under a tracer that blocks.
 * The wait is bounded: a lock not had within a second (its holder blocked
 * on something this thread holds, say a signal handler that interrupted
 * the runtime here) drops instead, and this thread does not wait again
 * until the flusher has freed a chunk by itself. Through the vector-saving
 * thunk: write() and the clock code may use vector registers.
 */
uintptr_t frt_rec_wait_own(uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t d)
{
	struct frt_thread *t = (struct frt_thread *)a;
	struct timespec deadline;
	uint64_t t0 = mono_ns();

	(void)b, (void)c, (void)d;
	clock_gettime(CLOCK_REALTIME, &deadline); /* pthread_mutex_timedlock's clock */
	deadline.tv_sec += 1;
	frt_rec_flush_entering = t;
	if (pthread_mutex_timedlock(&t->flush_lock, &deadline)) {
		frt_rec_flush_entering = NULL;
		t->wait_gave_up = true;
		/* the program waited that long too */
		__atomic_fetch_add(&own_flush_ns, mono_ns() - t0, __ATOMIC_RELAXED);
		return 0;
	}
	flush_held = t;
	tick_if_free();
	flush_locked(t, false);
	flush_held = NULL;
	pthread_mutex_unlock(&t->flush_lock);
	frt_rec_flush_entering = NULL;
	__atomic_fetch_add(&t->waits, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&own_flush_ns, mono_ns() - t0, __ATOMIC_RELAXED);
	return 0;
}

void frt_threads_foreach(frt_thread_fn fn, void *arg)
{
	lock_list();
	for (struct frt_thread *t = threads; t; t = t->next)
		fn(t, arg);
	unlock_list();
}

unsigned int frt_shadow_max = FRT_SHADOW_MAX;

static void free_thread(struct frt_thread *t)
{
	munmap(t->buf, FRT_CHUNKS * t->cap * sizeof(struct frt_rec));
	munmap(t->shadow, t->shadow_max * sizeof(*t->shadow));
	if (t->hargs)
		munmap(t->hargs, FRT_HELD_ARGS);
	if (t->prof)
		munmap(t->prof, t->prof_cap * sizeof(*t->prof));
	for (unsigned int i = 0; i < t->prof_nretired; i++)
		munmap(t->prof_retired[i].v, t->prof_retired[i].cap * sizeof(*t->prof));
	munmap(t, sizeof(*t));
}

static void reap_dead(void)
{
	struct frt_thread **pp = &threads, *t;

	while ((t = *pp)) {
		if (!__atomic_load_n(&t->dead, __ATOMIC_ACQUIRE)) {
			pp = &t->next;
			continue;
		}
		*pp = t->next;
		gone_events += t->events;
		gone_lost += t->lost;
		gone_overflow += t->overflow;
		gone_waits += t->waits;
		if (t->fd >= 0)
			close(t->fd);
		free_thread(t);
	}
}

/* the flusher's CPU time so far (a vDSO-less system call: once a round) */
static void account_flusher_cpu(void)
{
	struct timespec c;

	if (!clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c))
		__atomic_store_n(&flusher_cpu_ns,
				 (uint64_t)c.tv_sec * 1000000000u + (uint64_t)c.tv_nsec,
				 __ATOMIC_RELAXED);
}

static void *flusher_main(void *arg)
{
	(void)arg;
	frt_in_callback = 1; /* never traced, whatever it calls */
	frt_own_thread(true);
	while (!__atomic_load_n(&quit, __ATOMIC_ACQUIRE)) {
		int w = __atomic_load_n(&frt_rec_work, __ATOMIC_ACQUIRE);
		struct timespec ts = {1, 0};
		struct frt_thread *head;

		frt_clock_tick(); /* at least once a second: the futex wait times out */

		/*
		 * Write without thread_lock, so that a thread starting meanwhile
		 * does not wait for the writes: new threads go in at the head,
		 * and only this thread unlinks and frees entries (reap_dead), so
		 * the list from the head read here stays valid.
		 */
		pthread_mutex_lock(&thread_lock);
		head = threads;
		pthread_mutex_unlock(&thread_lock);
		for (struct frt_thread *t = head; t; t = t->next)
			if (!__atomic_load_n(&t->dead, __ATOMIC_ACQUIRE))
				flush_thread(t, false);
		pthread_mutex_lock(&thread_lock);
		reap_dead();
		pthread_mutex_unlock(&thread_lock);
		account_flusher_cpu();
		if (w == __atomic_load_n(&frt_rec_work, __ATOMIC_ACQUIRE))
			futex(&frt_rec_work, FUTEX_WAIT_PRIVATE, w, &ts);
	}
	account_flusher_cpu();
	/*
	 * Done, but the thread stays, blocked: a thread that exits makes glibc
	 * call the program's free() (__libc_thread_freeres). The process is
	 * exiting or about to exec; either ends it.
	 */
	__atomic_store_n(&parked, 1, __ATOMIC_RELEASE);
	futex(&parked, FUTEX_WAKE_PRIVATE, 1, NULL);
	for (;;)
		futex(&quit, FUTEX_WAIT_PRIVATE, 1, NULL);
	return NULL;
}

/*
 * Its thread is exiting: write everything, stop using it. Frames still open
 * (pthread_exit, a cancellation) stay open in the data, as uftrace leaves
 * them: their functions never returned.
 */
void frt_thread_exit(struct frt_thread *t)
{
	int saved = frt_in_callback;

	frt_in_callback |= 1;
	flush_thread(t, true); /* makes room for the LOST record */
	frt_rec_lost_marker(t);
	flush_thread(t, true);
	frt_profile_exit(t, NULL, 0); /* merges the thread's table */
	/*
	 * The flusher may free @t from now on, while this thread still runs
	 * (later TSD destructors may call traced functions): it must not
	 * look at @t again, so it gets the dead placeholder.
	 */
	frt_self = &frt_exited;
	__atomic_store_n(&t->dead, true, __ATOMIC_RELEASE);
	if (frt_rec_inline_flush || !frt_recording_on) {
		/* no flusher to reap it */
		lock_list();
		reap_dead();
		unlock_list();
	}
	frt_in_callback = saved;
}

static int start_flusher(void)
{
	sigset_t all, old;
	int ret;

	/* the flusher must not take the program's signals */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	__atomic_store_n(&quit, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&parked, 0, __ATOMIC_RELEASE);
	ret = pthread_create(&flusher, NULL, flusher_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		return -ret;
	pthread_setname_np(flusher, "ftrace_rt-flush");
	pthread_detach(flusher); /* never joined: see the end of flusher_main() */
	flusher_running = true;
	return 0;
}

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int key_err;

static void make_key(void)
{
	key_err = pthread_key_create(&exit_key, on_thread_exit);
}

/* The key whose destructor ends a thread's state: before any thread state exists. */
int frt_thread_key_init(void)
{
	pthread_once(&key_once, make_key);
	return key_err ? -EAGAIN : 0;
}

int frt_recording_start(size_t bufsize)
{
	int ret;

	if (frt_thread_key_init())
		return -EAGAIN;
	chunk_cap = bufsize / FRT_CHUNKS / sizeof(struct frt_rec);
	if (chunk_cap < 16)
		chunk_cap = 16;
	frt_rec_owner = getpid();
	frt_clock_init();
	ret = start_flusher();
	if (ret)
		return ret;
	__atomic_store_n(&frt_recording_on, 1, __ATOMIC_RELEASE);
	frt_fatal_start();
	return 0;
}

void frt_threads_flush_all(bool final, bool close_frames)
{
	lock_list();
	for (struct frt_thread *t = threads; t; t = t->next) {
		if (__atomic_load_n(&t->dead, __ATOMIC_ACQUIRE))
			continue;
		flush_thread(t, true);
		/* only this thread's own frames: other threads may still be writing */
		if (final && t == frt_self) {
			if (close_frames)
				frt_fgraph_close_all(t, frt_clock_raw());
			else
				frt_fgraph_end_returned(t, frt_clock_raw());
			frt_rec_lost_marker(t);
			flush_thread(t, true);
		}
	}
	unlock_list();
}

/* Process exit: stop recording, write what every thread has. */
void frt_recording_stop(void)
{
	if (!frt_recording_on || frt_rec_owner != getpid())
		return;
	__atomic_store_n(&frt_recording_on, 0, __ATOMIC_RELEASE);
	if (flusher_running) {
		__atomic_store_n(&quit, 1, __ATOMIC_RELEASE);
		__atomic_fetch_add(&frt_rec_work, 1, __ATOMIC_RELEASE);
		futex(&frt_rec_work, FUTEX_WAKE_PRIVATE, 1, NULL);
		while (!__atomic_load_n(&parked, __ATOMIC_ACQUIRE))
			futex(&parked, FUTEX_WAIT_PRIVATE, 0, NULL);
		flusher_running = false;
	}
	/*
	 * exit() from inside traced frames: they stay open in the data, as
	 * uftrace leaves them (its readers list them as remaining functions).
	 */
	frt_threads_flush_all(true, false);
}

/* How often threads wrote their own chunks because the flusher was behind. */
void frt_recording_costs(uint64_t *flusher_cpu, uint64_t *own_flush)
{
	*flusher_cpu = __atomic_load_n(&flusher_cpu_ns, __ATOMIC_RELAXED);
	*own_flush = __atomic_load_n(&own_flush_ns, __ATOMIC_RELAXED);
}

unsigned long frt_recording_waits(void)
{
	unsigned long n;
	bool held = list_held;

	if (!held)
		lock_list();
	n = gone_waits;
	for (struct frt_thread *t = threads; t; t = t->next)
		n += __atomic_load_n(&t->waits, __ATOMIC_RELAXED);
	if (!held)
		unlock_list();
	return n;
}

bool frt_recording_owned_here(void)
{
	return frt_rec_owner == getpid();
}

static bool trylock_until(pthread_mutex_t *m, const struct timespec *deadline);

void frt_recording_unrecorded(struct frt_unrecorded *u)
{
	u->threads_without_buffers = __atomic_load_n(&threads_without_buffers, __ATOMIC_RELAXED);
	u->calls_without_buffer = __atomic_load_n(&frt_calls_without_buffer, __ATOMIC_RELAXED);
	u->calls_after_exit = __atomic_load_n(&frt_calls_after_exit, __ATOMIC_RELAXED);
	u->recursion = __atomic_load_n(&frt_counters.recursion_misses, __ATOMIC_RELAXED);
}

void frt_recording_totals(unsigned long *nthr, unsigned long *events, unsigned long *lost,
			  unsigned long *overflow, bool nowait)
{
	struct timespec deadline;
	bool locked = list_held;

	if (nowait && !list_held) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += 1;
		if (!trylock_until(&thread_lock, &deadline)) {
			/* threads still live are not in the totals */
			*nthr = nthreads;
			*events = gone_events;
			*lost = gone_lost;
			*overflow = gone_overflow;
			return;
		}
	} else if (!nowait) {
		lock_list();
	}
	*nthr = nthreads;
	*events = gone_events;
	*lost = gone_lost;
	*overflow = gone_overflow;
	for (struct frt_thread *t = threads; t; t = t->next) {
		*events += t->events;
		*lost += t->lost;
		*overflow += t->overflow;
	}
	if (!nowait)
		unlock_list();
	else if (!locked)
		pthread_mutex_unlock(&thread_lock);
}

/*
 * In a forked child only the forking thread exists. Its records so far are
 * the parent's to write; its open frames continue here, and their exits are
 * the first records of the child's own file, as in uftrace's data: the
 * child's trace starts at the fork (its entries are the parent's, so a reader
 * counts each of those calls once per process that returns from it). An
 * entry still held by the threshold is written with its exit, here as in the
 * parent. uftrace writes no TASK line for the child: the FORK line is its task.
 */
void frt_recording_fork_child(void)
{
	struct frt_thread *self = frt_self == &frt_no_buffers ? NULL : frt_self, *t, *next;

	pthread_mutex_init(&thread_lock, NULL);
	for (t = threads; t; t = next) {
		next = t->next;
		if (t == self)
			continue;
		free_thread(t);
	}
	threads = NULL;
	nthreads = 0;
	if (frt_self == &frt_no_buffers)
		frt_self = NULL; /* may get buffers in the child */
	gone_events = gone_lost = gone_overflow = gone_waits = 0;
	threads_without_buffers = frt_calls_without_buffer = frt_calls_after_exit = 0;
	frt_counters.recursion_misses = 0;
	flusher_running = false;
	frt_rec_owner = getpid();
	if (self) {
		self->next = NULL;
		threads = self;
		nthreads = 1;
		pthread_mutex_init(&self->flush_lock, NULL);
		self->tid = (pid_t)syscall(SYS_gettid);
		self->pid = getpid();
		self->fd = -1;
		self->cur = 0;
		self->pos = 0;
		self->wchunk = self->buf;
		self->next_flush = 0;
		memset(self->full, 0, sizeof(self->full));
		memset(self->flushed, 0, sizeof(self->flushed));
		self->events = self->lost = self->lost_pending = self->overflow = 0;
		self->waits = 0;
		self->wait_gave_up = false;
		self->last_ns = frt_output_floor();
		/* its open frames' entries are in the parent's file: their exits go in this
		 * one when they return (as uftrace), but exec does not close them */
		for (unsigned int i = 0; i < self->depth; i++)
			if (self->shadow[i].recorded)
				self->shadow[i].recorded = FRT_RECORDED_BEFORE_FORK;
		self->prof_n = 0;
		if (self->prof)
			memset(self->prof, 0, self->prof_cap * sizeof(*self->prof));
	}
	frt_rec_inline_flush = true;
	ticking = 0;
}

/*
 * Fatal signals, _exit: write what every thread has buffered, from a signal
 * handler that may have interrupted anything, including this file's own
 * code. So: no allocation, no stdio, and no lock waited for without bound.
 * A lock this thread holds (the interrupted code's) is never waited for:
 * the list is consistent anyway (only the flusher, which blocks every
 * signal, unlinks), and a thread whose flush this thread interrupted is
 * skipped. A lock another thread holds is waited for up to a deadline: that
 * thread is running and normally releases it within one write.
 */
static bool trylock_until(pthread_mutex_t *m, const struct timespec *deadline)
{
	for (;;) {
		struct timespec now, pause = {0, 1000 * 1000};

		if (!pthread_mutex_trylock(m))
			return true;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > deadline->tv_sec ||
		    (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec))
			return false;
		nanosleep(&pause, NULL);
	}
}

int frt_recording_emergency(bool interrupted_runtime)
{
	struct timespec deadline;
	bool locked = false;
	int skipped = 0;

	if (!frt_recording_on || frt_rec_owner != getpid())
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += 2;
	if (!list_held)
		locked = trylock_until(&thread_lock, &deadline);
	/*
	 * Not locked and not held here: another thread keeps the list (a
	 * thread starting, the flusher reaping), so it may change under the
	 * walk: only this thread's own state is safe to write.
	 */
	for (struct frt_thread *t = locked || list_held ? threads : frt_self; t;
	     t = locked || list_held ? t->next : NULL) {
		if (__atomic_load_n(&t->dead, __ATOMIC_ACQUIRE))
			continue;
		if (t == flush_held || !trylock_until(&t->flush_lock, &deadline)) {
			skipped++;
			continue;
		}
		/*
		 * This thread's LOST record, unless a record was being written, and
		 * only if the chunk has room (a chunk switch may want to flush).
		 */
		if (t == frt_self && !interrupted_runtime && t->pos + 1 < t->cap)
			frt_rec_lost_marker(t);
		flush_locked(t, true);
		pthread_mutex_unlock(&t->flush_lock);
	}
	if (locked)
		pthread_mutex_unlock(&thread_lock);
	return skipped;
}
