// SPDX-License-Identifier: MIT
/* Start-up, the patch lock, and fork safety. */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "audit.h"
#include "log.h"
#include "runtime.h"
#include "tsan.h"

struct frt_counters frt_counters;
struct arch_tramps frt_tramps;
bool frt_preloaded;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int holding FRT_TLS;
static __thread int fork_locked FRT_TLS;

void frt_lock(void)
{
	pthread_mutex_lock(&lock);
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

/*
 * fork() in another thread while a transaction runs must not leave the child
 * with writable text or a half-applied batch: the fork waits for the patch
 * lock. urcu-bp needs its own fork hooks.
 */
static void prepare(void)
{
	frt_dl_order_prepare();
	fork_locked = !holding; /* forking from under our own lock (a dlclose destructor) */
	if (fork_locked)
		frt_lock();
	urcu_bp_before_fork();
}

static void parent(void)
{
	urcu_bp_after_fork_parent();
	if (fork_locked)
		frt_unlock();
	frt_dl_order_after_fork(false);
}

static void child(void)
{
	urcu_bp_after_fork_child();
	frt_own_threads_forget();
	frt_text_fork_child();
	if (fork_locked)
		frt_unlock();
	frt_dl_order_after_fork(true);
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

void frt_synchronize(void)
{
	urcu_bp_synchronize_rcu();
	frt_tsan_acquire(&frt_tsan_grace);
}
