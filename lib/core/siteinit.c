// SPDX-License-Identifier: MIT
/*
 * Init once: a site the compiler left RAW becomes the canonical OFF state
 * (arch_init_site, arch/arch.h). The arch says which PC range of the site no
 * thread may be stopped in while that happens (its quiet range), and whether
 * its stores are safe for a thread running through the site at all; its
 * examples are a thread stopped inside a run of 1-byte NOPs, which would
 * resume in the middle of the one instruction they become, and a thread
 * that passed the first of two NOPs before it became the instruction the
 * call needs. A thread can be stopped there by
 * preemption, by a signal whose handler is still running (or a signal frame
 * further out), in a saved context (a swapcontext coroutine stopped by a
 * signal), or be a CLONE_VM child the runtime does not know of. No
 * inspection of running threads sees every saved context, so the runtime
 * never stops threads to look: a site whose init has a quiet range is
 * initialised only when none of its object's code can have been interrupted
 * anywhere:
 *
 *  1. Before any code of the object can run. The rtld-audit module
 *     libftrace_rt_audit.so (LD_AUDIT; `ftrace-rt record` sets it) calls
 *     ftrace_rt_audit_objopen() from la_objopen: the loader has mapped the
 *     object and not yet relocated it, run its constructors or made it
 *     reachable, so no thread can be inside it.
 *
 *  2. When the object is new to the runtime at the runtime's start or right
 *     after a dlopen returned (never on other paths, such as an API call that
 *     may come from a signal handler), and the process has a single
 *     application thread: the one doing this. The object's code can then only
 *     have run in this thread, and every activation of it has returned or is
 *     stopped at a call: constructors run and return inside dlopen, and
 *     signal handlers that interrupted them returned before dlopen did (a
 *     dlopen from inside a signal handler is not async-signal-safe in the
 *     first place). The runtime's own threads never run application code,
 *     nor do threads the audit module found before the dynamic loader had
 *     loaded anything (ftrace_rt_audit_foreign): a process starts with one
 *     thread, so any other one then is the emulator's (qemu-user runs an RCU
 *     thread of its own next to the program's, which only the audit module's
 *     early look can tell apart; without it such a process never counts as
 *     single-threaded, and only case 1 applies).
 *
 * Otherwise the sites stay RAW, their functions are not traceable, and we
 * say so and how to fix it. We never guess.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "audit.h"
#include "elf_scan.h"
#include "log.h"
#include "compiler.h"
#include "objects.h"
#include "counters.h"
#include "sync.h"
#include "text.h"
#include "siteinit.h"
#include "arch.h"

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/*
 * The runtime's own threads block every signal and never run application
 * code: they do not count as application threads.
 */
#define MAX_OWN 4
static pid_t own[MAX_OWN];

void frt_own_thread(bool running)
{
	pid_t self = gettid_();

	for (int i = 0; i < MAX_OWN; i++) {
		pid_t want = running ? 0 : self;

		if (__atomic_compare_exchange_n(&own[i], &want, running ? self : 0, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return;
	}
	/* more than MAX_OWN: such a thread counts as an application thread */
}

void frt_own_threads_forget(void)
{
	for (int i = 0; i < MAX_OWN; i++)
		__atomic_store_n(&own[i], 0, __ATOMIC_SEQ_CST);
}

/* Written by the audit module before the runtime was relocated (lib/audit.h). */
FRT_EXPORT int ftrace_rt_audit_foreign[FRT_AUDIT_FOREIGN];

static bool is_own(pid_t tid)
{
	for (int i = 0; i < MAX_OWN; i++)
		if (__atomic_load_n(&own[i], __ATOMIC_SEQ_CST) == tid)
			return true;
	for (int i = 0; i < FRT_AUDIT_FOREIGN && ftrace_rt_audit_foreign[i]; i++)
		if (ftrace_rt_audit_foreign[i] == tid)
			return true;
	return false;
}

/*
 * Is the calling thread the process's only application thread? Read from
 * /proc/self/task without allocating. A thread being created is already
 * listed there once clone() returned in its creator.
 */
static bool only_app_thread(void)
{
	char buf[4096];
	pid_t self = gettid_();
	int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC), others = 0;

	if (fd < 0)
		return false;
	for (;;) {
		long len = syscall(SYS_getdents64, fd, buf, sizeof(buf));

		if (len <= 0) {
			if (len < 0)
				others++; /* cannot tell: assume the worst */
			break;
		}
		for (long off = 0; off < len;) {
			struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *d = (void *)(buf + off);

			if (d->name[0] != '.') {
				pid_t tid = (pid_t)atoi(d->name);

				others += tid != self && !is_own(tid);
			}
			off += d->reclen;
		}
	}
	close(fd);
	return !others;
}

/* Set around the syncs of case 2 (see above) by the thread doing them. */
static __thread bool may_convert FRT_TLS;

void frt_convert_allow(bool on)
{
	may_convert = on;
}

/*
 * Initialise the RAW sites at @sites (each checked to still be RAW: the
 * bytes are read before anything is written) with the arch's init
 * (arch_init_site). Only pages holding a site become writable, and get their
 * exact protection back. The caller made sure no thread can be in a site's
 * quiet range (see above); the I-cache is flushed for each site, and every
 * core synced when the arch asks for it (ARCH_INIT_SYNC).
 */
static int rewrite(const uintptr_t *sites, size_t n, int text_prot, size_t *done)
{
	struct frt_text t = {0};
	uintptr_t *pages = frt_malloc(2 * n * sizeof(*pages));
	size_t psz = (size_t)sysconf(_SC_PAGESIZE);
	bool sync = false;
	int ret;

	*done = 0;
	if (!pages)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		pages[2 * i] = (sites[i] & ~(psz - 1)) | (uintptr_t)text_prot;
		pages[2 * i + 1] =
			((sites[i] + ARCH_SITE_SIZE - 1) & ~(psz - 1)) | (uintptr_t)text_prot;
	}
	ret = frt_text_unprotect(pages, 2 * n, &t);
	frt_free(pages);
	if (!ret) {
		for (size_t i = 0; i < n; i++) {
			struct arch_init in;

			if (arch_init_site(sites[i], (const uint8_t *)sites[i], &in))
				continue;
			arch_apply_step(sites[i], &in.step);
			arch_flush(sites[i], ARCH_SITE_SIZE);
			sync |= in.flags & ARCH_INIT_SYNC;
			(*done)++;
		}
		if (sync)
			frt_sync_core();
		frt_text_restore(&t);
	}
	frt_free(t.v);
	__atomic_fetch_add(&frt_counters.runs_converted, *done, __ATOMIC_RELAXED);
	return ret;
}

/* Does initialising this RAW site need other threads out of it (arch/arch.h)? */
static bool needs_quiet(uintptr_t site)
{
	struct arch_init in;

	return arch_init_site(site, (const uint8_t *)site, &in) || in.quiet_lo < in.quiet_hi ||
	       (in.flags & ARCH_INIT_STOPPED);
}

int frt_convert_runs(struct frt_object *o)
{
	static unsigned int reported;
	uintptr_t *runs;
	size_t n = 0, done;
	bool quiet = false;
	int ret;

	for (size_t i = 0; i < o->nsites; i++)
		n += o->sites[i].state == ARCH_ST_RAW;
	if (!n)
		return 0;
	for (size_t i = 0; i < o->nsites && !quiet; i++)
		quiet = o->sites[i].state == ARCH_ST_RAW && needs_quiet(o->sites[i].addr);
	if (quiet && (!may_convert || !only_app_thread())) {
		o->nunconverted = (unsigned int)n;
		__atomic_fetch_add(&frt_counters.runs_refused, n, __ATOMIC_RELAXED);
		if (reported++ < 3)
			frt_msg("%s: %zu functions " ARCH_RAW_WHO " are not traceable: the object "
				"was loaded while other threads ran, and their " ARCH_RAW_WHAT
				" are only rewritten before any thread can be inside one. Run the "
				"program under `ftrace-rt record` (or with "
				"LD_AUDIT=libftrace_rt_audit.so), " ARCH_RAW_FIX "%s",
				o->path, n,
				reported == 3 ? "; further such messages suppressed" : "");
		return -EBUSY;
	}
	runs = frt_malloc(n * sizeof(*runs));
	if (!runs)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < o->nsites; i++)
		if (o->sites[i].state == ARCH_ST_RAW)
			runs[n++] = o->sites[i].addr;
	ret = rewrite(runs, n, o->text_prot, &done);
	frt_free(runs);
	for (size_t i = 0; i < o->nsites; i++) {
		struct frt_site *s = &o->sites[i];

		if (s->state == ARCH_ST_RAW &&
		    arch_site_state((const uint8_t *)s->addr, ARCH_SITE_SIZE, s->addr, NULL) ==
			    ARCH_ST_OFF)
			s->state = ARCH_ST_OFF;
		else if (s->state == ARCH_ST_RAW)
			o->nunconverted++;
	}
	if (ret)
		frt_msg("%s: %u functions " ARCH_RAW_WHO " are not traceable: their " ARCH_RAW_WHAT
			" could not be rewritten (%s)",
			o->path, o->nunconverted,
			ret == -EPERM ? "page protection change refused" : strerror(-ret));
	return ret;
}

/*
 * The rtld-audit module's entry (case 1 above): @path was just mapped at
 * @bias by the dynamic loader, which holds its own lock and has run none of
 * the object's code. Its runs are read from the file, checked in memory and
 * rewritten. This takes no runtime lock: a thread holding the patch lock may
 * be waiting for the loader (dlclose), and nothing here touches shared
 * runtime state but counters. Returns the number of runs rewritten, or a
 * negative errno. An interface between the two libraries of one build, not
 * part of the API.
 */
FRT_EXPORT int ftrace_rt_audit_objopen(unsigned int abi, const char *path, uintptr_t bias)
{
	char err[256];
	struct frt_scan sc;
	uintptr_t *runs = NULL;
	size_t n = 0, done = 0;
	int fd, ret;

	if (abi != FRT_AUDIT_ABI || !ftrace_rt_audit_ready || !path || !*path)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = frt_scan_elf(fd, NULL, &sc, err, sizeof(err));
	close(fd);
	if (ret)
		return -ENOEXEC;
	for (size_t i = 0; i < sc.nsites; i++)
		n += sc.sites[i].state == ARCH_ST_RAW;
	if (n)
		runs = frt_malloc(n * sizeof(*runs));
	if (n && runs) {
		n = 0;
		for (size_t i = 0; i < sc.nsites; i++)
			if (sc.sites[i].state == ARCH_ST_RAW)
				runs[n++] = bias + sc.sites[i].entry + sc.sites[i].site_off;
		ret = rewrite(runs, n, arch_text_prot(sc.gnu_property, sc.gnu_property_len), &done);
		__atomic_fetch_add(&frt_counters.objects_converted_at_load, 1, __ATOMIC_RELAXED);
	} else if (n) {
		ret = -ENOMEM;
	}
	frt_free(runs);
	frt_scan_free(&sc);
	frt_info(2, "%s: %zu NOP runs rewritten as it was loaded", path, done);
	return ret ? ret : (int)done;
}

/* Set once the runtime can serve ftrace_rt_audit_objopen(); read by the audit module. */
FRT_EXPORT int ftrace_rt_audit_ready;
