// SPDX-License-Identifier: MIT
/*
 * Cross-thread instruction synchronization. After a patch step every thread
 * of the process must execute a serializing instruction before it can run the
 * changed bytes: membarrier(PRIVATE_EXPEDITED_SYNC_CORE) guarantees exactly
 * that. Without it (old kernels, seccomp), the arch's fallback
 * (arch_sync_fallback, arch/arch.h) if it has one.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "counters.h"
#include "sync.h"
#include "arch.h"

static int mode; /* 0 unset, 1 membarrier, 2 the arch's fallback */
static bool fallback;

static int membarrier(int cmd)
{
	return (int)syscall(__NR_membarrier, cmd, 0, 0);
}

int frt_sync_init(void)
{
	const char *force = secure_getenv("FTRACE_RT_TEST_NO_MEMBARRIER");
	int q = membarrier(MEMBARRIER_CMD_QUERY);

	if (mode)
		return 0;
	/* kept even with membarrier, should it ever fail */
	fallback = !arch_sync_fallback_init();
	if (!(force && *force == '1') && q >= 0 &&
	    (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE) &&
	    !membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE)) {
		mode = 1;
		return 0;
	}
	if (!fallback) {
		frt_msg("no way to synchronize instruction caches across threads; patching "
			"disabled");
		return -ENOSYS;
	}
	mode = 2;
	frt_info(1, "membarrier SYNC_CORE unavailable; using %s to serialize cores",
		 arch_sync_fallback_what);
	return 0;
}

void frt_sync_core(void)
{
	frt_counters.syncs++;
	if (mode == 1) {
		if (!membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE))
			return;
		/* registration lost (cannot happen short of seccomp): fall through */
	}
	if (fallback)
		arch_sync_fallback();
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

const char *frt_sync_mode(void)
{
	return mode == 1 ? "membarrier" : mode == 2 ? arch_sync_fallback_name : "none";
}
