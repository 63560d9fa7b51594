// SPDX-License-Identifier: MIT
/* Start-up, the patch lock, and fork safety. */
#include <dlfcn.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "audit.h"
#include "log.h"
#include "tsan.h"
#include "compiler.h"
#include "objects.h"
#include "counters.h"
#include "init.h"
#include "lock.h"
#include "guard.h"
#include "sync.h"
#include "text.h"
#include "siteinit.h"
#include "loader.h"
#include "arch.h"

struct frt_counters frt_counters;
__thread int frt_in_callback FRT_TLS;
struct arch_tramps frt_tramps;
bool frt_preloaded;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t unloaded = PTHREAD_COND_INITIALIZER;
static unsigned int unloading; /* dlclose calls inside the loader; under lock */
static __thread int holding FRT_TLS;
static __thread int fork_locked FRT_TLS;
static __thread int in_loader FRT_TLS;	 /* inside the real dlopen/dlclose */
static __thread int own_unloads FRT_TLS; /* this thread's part of unloading */

/*
 * The patch lock. A thread that is not inside the loader may not patch or
 * change the object table while another thread's dlclose is in the loader:
 * that dlclose may unmap an object between any two of its reads or writes.
 * It waits, with the mutex released, so that the destructors the dlclose
 * runs can take the lock: they run in the loader, under the loader's lock,
 * which no unmap can happen without.
 */
void frt_lock(void)
{
	pthread_mutex_lock(&lock);
	while (unloading && !in_loader)
		pthread_cond_wait(&unloaded, &lock);
	holding = 1;
}

void frt_unlock(void)
{
	holding = 0;
	pthread_mutex_unlock(&lock);
}

bool frt_lock_held_here(void)
{
	return holding;
}

void frt_loader_enter(void)
{
	in_loader++;
}

bool frt_in_loader_here(void)
{
	return in_loader;
}

void frt_loader_leave(void)
{
	in_loader--;
}

void frt_unload_begin(void)
{
	unloading++;
	own_unloads++;
}

/*
 * Our dlclose has left the loader. Others may still be in it: wait for them
 * after leaving the count, so that two dlcloses never wait for each other.
 */
void frt_unload_end(void)
{
	pthread_mutex_lock(&lock);
	unloading--;
	own_unloads--;
	if (!unloading)
		pthread_cond_broadcast(&unloaded);
	while (unloading && !in_loader)
		pthread_cond_wait(&unloaded, &lock);
	holding = 1;
}

/*
 * fork() in another thread while a transaction runs must not leave the child
 * with writable text or a half-applied batch: the fork waits for the patch
 * lock. urcu-bp needs its own fork hooks.
 *
 * Except in a thread inside the dispatcher (a signal handler that forks,
 * having interrupted a callback): it is in a read-side section, and the lock
 * holder may be waiting for a grace period that waits for it. It takes the
 * lock if it is free; otherwise it forks without it once the holder is in
 * frt_synchronize, where the runtime's state is consistent and no text is
 * writable, and the holder does not leave frt_synchronize until the fork is
 * done (a Dekker handshake on fork_pending and in_grace). The child then
 * resets the locks of a holder that does not exist in it.
 */
enum { FORK_HELD = 1, FORK_LOCKED, FORK_UNLOCKED };
static int fork_pending, in_grace;

static void prepare(void)
{
	frt_dl_order_prepare(); /* taken before the patch lock, as the loader hooks do */
	if (holding) {		/* forking from under our own lock */
		fork_locked = FORK_HELD;
	} else if (!(frt_in_callback & 1)) {
		frt_lock();
		fork_locked = FORK_LOCKED;
	} else {
		for (;;) {
			if (!pthread_mutex_trylock(&lock)) {
				holding = 1;
				fork_locked = FORK_LOCKED;
				break;
			}
			__atomic_store_n(&fork_pending, 1, __ATOMIC_SEQ_CST);
			if (__atomic_load_n(&in_grace, __ATOMIC_SEQ_CST)) {
				fork_locked = FORK_UNLOCKED;
				frt_heap_fork_prepare();
				return; /* urcu's locks may be held by the waiting holder */
			}
			__atomic_store_n(&fork_pending, 0, __ATOMIC_SEQ_CST);
			sched_yield();
		}
	}
	/* every grace period is waited for under the patch lock: none is running */
	urcu_bp_before_fork();
	frt_heap_fork_prepare();
}

static void parent(void)
{
	frt_heap_fork_parent();
	frt_dl_order_after_fork(false);
	if (fork_locked == FORK_UNLOCKED) {
		__atomic_store_n(&fork_pending, 0, __ATOMIC_SEQ_CST);
		return;
	}
	urcu_bp_after_fork_parent();
	if (fork_locked == FORK_LOCKED)
		frt_unlock();
}

static void child(void)
{
	frt_heap_fork_child();
	frt_dl_order_after_fork(true);
	frt_text_fork_child();
	if (fork_locked == FORK_UNLOCKED) {
		sigset_t mask;

		/*
		 * The holder, waiting in a grace period, did not follow: its
		 * locks are free in the child. urcu's hook unlocks its own
		 * (the holder's) and restores a signal mask saved by some
		 * earlier fork: keep this handler's.
		 */
		pthread_sigmask(SIG_SETMASK, NULL, &mask);
		urcu_bp_after_fork_child();
		pthread_sigmask(SIG_SETMASK, &mask, NULL);
		pthread_mutex_init(&lock, NULL);
		pthread_cond_init(&unloaded, NULL);
		unloading = own_unloads;
		fork_pending = in_grace = 0;
		frt_own_threads_forget();
		return;
	}
	urcu_bp_after_fork_child();
	frt_own_threads_forget();
	/* dlcloses of other threads did not follow (a destructor may fork) */
	unloading = own_unloads;
	if (fork_locked == FORK_LOCKED)
		frt_unlock();
}

static void do_init(void)
{
	const char *v = secure_getenv("FTRACE_RT_VERBOSE");
	const char *list = secure_getenv("FTRACE_RT_LIST_FD");

	if (v && *v) {
		char *end;
		long n = strtol(v, &end, 10);

		if (*end || n < 0 || n > 9)
			frt_msg("FTRACE_RT_VERBOSE='%s' is not a level from 0 to 9; using 1", v);
		else
			frt_verbose = (int)n;
		if (*end || n < 0 || n > 9)
			frt_verbose = 1;
	}
	if (list && *list) {
		char *end;
		long fd = strtol(list, &end, 10);

		if (!*end && fd >= 0 && fd < 1 << 20)
			frt_list_fd = (int)fd;
	}
	/* the private allocator initializes here, outside any loader lock */
	frt_free(frt_malloc(1));
	arch_select_tramps(&frt_tramps);
	frt_sync_init();
	pthread_atfork(prepare, parent, child);
	frt_lock();
	frt_convert_allow(true);
	frt_objects_sync();
	frt_convert_allow(false);
	frt_unlock();
	/* from now on, objects the loader maps are converted by the audit module */
	__atomic_store_n(&ftrace_rt_audit_ready, 1, __ATOMIC_RELEASE);
	frt_info(1, "ready: %s trampolines, sync by %s", frt_tramps.vec, frt_sync_mode());
}

void frt_init(void)
{
	pthread_once(&once, do_init);
}

#ifdef FRT_TSAN
char frt_tsan_publish, frt_tsan_grace;
#endif

/* Under the patch lock, at a point where the runtime's state is consistent. */
void frt_synchronize(void)
{
	__atomic_store_n(&in_grace, 1, __ATOMIC_SEQ_CST);
	urcu_bp_synchronize_rcu();
	__atomic_store_n(&in_grace, 0, __ATOMIC_SEQ_CST);
	/* a fork from a read-side section is copying this state: leave it as it is */
	while (__atomic_load_n(&fork_pending, __ATOMIC_SEQ_CST))
		sched_yield();
	frt_tsan_acquire(&frt_tsan_grace);
}
