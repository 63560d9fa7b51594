// SPDX-License-Identifier: MIT
/*
 * Cross-thread instruction synchronization. After a patch step every thread
 * of the process must execute a serializing instruction before it can run the
 * changed bytes: membarrier(PRIVATE_EXPEDITED_SYNC_CORE) guarantees exactly
 * that. Without it (old kernels, seccomp), an mprotect that removes a
 * permission from a page this process has touched makes the kernel shoot down
 * the TLB on every CPU running this mm with an IPI; returning from that
 * interrupt (IRET) is serializing. Threads not running at that moment will
 * enter user mode again through the kernel.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "runtime.h"

static int mode; /* 0 unset, 1 membarrier, 2 mprotect fallback */
static volatile char *ipi_page;

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
	ipi_page = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ipi_page == MAP_FAILED)
		ipi_page = NULL;
	if (!(force && *force == '1') && q >= 0 &&
	    (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE) &&
	    !membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE)) {
		mode = 1;
		return 0;
	}
	if (!ipi_page) {
		frt_msg("no way to synchronize instruction caches across threads; patching "
			"disabled");
		return -ENOSYS;
	}
	mode = 2;
	frt_info(1, "membarrier SYNC_CORE unavailable; using TLB shootdowns to serialize cores");
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
	if (ipi_page) {
		size_t psz = (size_t)sysconf(_SC_PAGESIZE);

		ipi_page[0]++; /* make the page present so there is a TLB entry to shoot */
		mprotect((void *)ipi_page, psz, PROT_READ);
		mprotect((void *)ipi_page, psz, PROT_READ | PROT_WRITE);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

const char *frt_sync_mode(void)
{
	return mode == 1 ? "membarrier" : mode == 2 ? "tlb-shootdown" : "none";
}
