// SPDX-License-Identifier: MIT
/*
 * GCC emits -fpatchable-function-entry NOPs as 1-byte 0x90s: five
 * instructions, and a thread may be stopped between any two of them. Writing
 * a 5-byte instruction over the run under such a thread makes it execute the
 * tail of that instruction. So a run becomes one NOP5 only when no thread can
 * be inside it:
 *
 *  - the process has one thread (the usual case: the constructor of a
 *    preloaded or linked runtime, before main);
 *  - otherwise every other thread is stopped in a signal handler that moves
 *    its interrupted PC to the end of any run it is inside (exact: the bytes
 *    skipped are NOPs) and waits until the runs are rewritten. Threads that
 *    block the signal, or do not answer in time, make the conversion give up:
 *    those sites stay untraceable and we say so. We never guess.
 *
 * Side effect of the second path: the signal interrupts blocking system
 * calls that the program did not ask SA_RESTART for; well-written programs
 * retry on EINTR. It only runs when an object with GCC NOP runs is loaded
 * while the process has several threads.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"
#include "runtime.h"

#define MAX_THREADS    8192
#define ACK_TIMEOUT_NS (1000LL * 1000 * 1000)

static struct {
	const uintptr_t *runs; /* sorted run addresses */
	size_t nruns;
	int sig;
	int release; /* futex: 1 once the runs are rewritten */
	int acked;   /* futex: handlers parked */
	int left;    /* handlers returned */
	pid_t *tids; /* tids that parked */
} q;

/*
 * Arrays a late signal handler may still read (see quiesced_rewrite): kept
 * for the life of the process, and reachable from here. At most one pair per
 * real-time signal, since each such signal is then retired.
 */
static void *kept[2 * 64];
static unsigned int nkept;

static void keep(void *p)
{
	if (nkept < sizeof(kept) / sizeof(*kept))
		kept[nkept++] = p;
}

static long futex(int *addr, int op, int val, const struct timespec *ts)
{
	return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* Threads of this process, read from /proc/self/task without allocating. */
static int list_tasks(pid_t *out, int max)
{
	char buf[4096];
	int fd = open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC), n = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		long len = syscall(SYS_getdents64, fd, buf, sizeof(buf));

		if (len <= 0)
			break;
		for (long off = 0; off < len;) {
			struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *d = (void *)(buf + off);

			if (d->name[0] != '.') {
				if (n >= max) {
					close(fd);
					return -E2BIG;
				}
				out[n++] = (pid_t)atoi(d->name);
			}
			off += d->reclen;
		}
	}
	close(fd);
	return n;
}

static int count_threads(void)
{
	pid_t tids[4];
	int n = list_tasks(tids, 4);

	return n == -E2BIG ? 4 : n;
}

/*
 * The runtime's own threads block every signal and never run application
 * code: they cannot be inside a NOP run, and are left running.
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
	/* more than MAX_OWN: such a thread is waited for like any that blocks the signal */
}

void frt_own_threads_forget(void)
{
	for (int i = 0; i < MAX_OWN; i++)
		__atomic_store_n(&own[i], 0, __ATOMIC_SEQ_CST);
}

static bool is_own(pid_t tid)
{
	for (int i = 0; i < MAX_OWN; i++)
		if (__atomic_load_n(&own[i], __ATOMIC_SEQ_CST) == tid)
			return true;
	return false;
}

/* Does thread @tid block signal @sig? -1 if it is gone. */
static int blocks_signal(pid_t tid, int sig)
{
	char path[64], buf[2048], *p;
	int fd;
	ssize_t n;
	unsigned long long mask;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strstr(buf, "SigBlk:");
	if (!p)
		return 1;
	mask = strtoull(p + 7, NULL, 16);
	return (mask >> (sig - 1)) & 1;
}

static bool task_alive(pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d", tid);
	return access(path, F_OK) == 0;
}

static void handler(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	size_t lo = 0, hi = q.nruns;
	int saved = errno;

	if (sig != q.sig || si->si_code != SI_TKILL || si->si_pid != getpid() || !q.tids) {
		errno = saved;
		return; /* not ours */
	}
	/* last run starting at or before pc */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (q.runs[mid] <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && pc > q.runs[lo - 1] && pc < q.runs[lo - 1] + ARCH_SITE_SIZE) {
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(q.runs[lo - 1] + ARCH_SITE_SIZE);
		__atomic_fetch_add(&frt_counters.threads_moved, 1, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&q.tids[__atomic_fetch_add(&q.acked, 1, __ATOMIC_SEQ_CST)], gettid_(),
			 __ATOMIC_RELEASE);
	futex(&q.acked, FUTEX_WAKE_PRIVATE, 1, NULL);
	while (!__atomic_load_n(&q.release, __ATOMIC_ACQUIRE))
		futex(&q.release, FUTEX_WAIT_PRIVATE, 0, NULL);
	__atomic_fetch_add(&q.left, 1, __ATOMIC_SEQ_CST);
	futex(&q.left, FUTEX_WAKE_PRIVATE, 1, NULL);
	errno = saved;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool parked(pid_t tid)
{
	int n = __atomic_load_n(&q.acked, __ATOMIC_ACQUIRE);

	for (int i = 0; i < n; i++)
		if (__atomic_load_n(&q.tids[i], __ATOMIC_RELAXED) == tid)
			return true;
	return false;
}

/*
 * Park every other thread in the handler. A thread that blocks the signal is
 * not sent it (a sigwait() loop would take it as its own); it is asked again
 * until the deadline, as such blocking is usually brief (urcu grace periods,
 * thread start-up). Returns 0 with all parked, or a negative error with those
 * that did park still waiting for release.
 */
static int park_all(pid_t *sent, int *nsent, pid_t *tasks)
{
	pid_t self = gettid_();
	int64_t deadline = now_ns() + ACK_TIMEOUT_NS;

	for (;;) {
		int n = list_tasks(tasks, MAX_THREADS), fresh = 0, blocked = 0;

		if (n < 0)
			return n;
		for (int i = 0; i < n; i++) {
			bool known = tasks[i] == self || is_own(tasks[i]);

			for (int j = 0; j < *nsent && !known; j++)
				known = sent[j] == tasks[i];
			if (known)
				continue;
			switch (blocks_signal(tasks[i], q.sig)) {
			case -1:
				continue; /* exited */
			case 1:
				blocked++;
				continue;
			}
			if (syscall(SYS_tgkill, getpid(), tasks[i], q.sig) && errno == ESRCH)
				continue;
			sent[(*nsent)++] = tasks[i];
			fresh++;
		}
		/* wait until each signalled thread parked or exited */
		for (;;) {
			int waiting = 0, seen = __atomic_load_n(&q.acked, __ATOMIC_ACQUIRE);
			struct timespec ts = {0, 5 * 1000 * 1000};

			for (int j = 0; j < *nsent; j++)
				if (!parked(sent[j]) && task_alive(sent[j]))
					waiting++;
			if (!waiting)
				break;
			if (now_ns() > deadline) {
				frt_info(1, "%d threads did not stop in time", waiting);
				return -ETIMEDOUT;
			}
			futex(&q.acked, FUTEX_WAIT_PRIVATE, seen, &ts);
		}
		if (!fresh && !blocked)
			return 0; /* nobody new since the last pass and all parked */
		if (blocked) {
			struct timespec ts = {0, 1000 * 1000};

			if (now_ns() > deadline) {
				frt_info(1, "%d threads keep signal %d blocked", blocked, q.sig);
				return -EAGAIN;
			}
			nanosleep(&ts, NULL);
		}
	}
}

static int cmp_uptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

static int rewrite(struct frt_object *o, uintptr_t *runs, size_t n)
{
	struct frt_text t = {0};
	uintptr_t *pages = frt_malloc(2 * n * sizeof(*pages));
	size_t psz = (size_t)sysconf(_SC_PAGESIZE);
	int ret;

	if (!pages)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		pages[2 * i] = runs[i] & ~(psz - 1);
		pages[2 * i + 1] = (runs[i] + ARCH_SITE_SIZE - 1) & ~(psz - 1);
	}
	ret = frt_text_unprotect(pages, 2 * n, &t);
	frt_free(pages);
	if (ret) {
		frt_free(t.v);
		return ret;
	}
	for (size_t i = 0; i < o->nsites; i++) {
		struct frt_site *s = &o->sites[i];

		if (s->insn != ARCH_INSN_NOP1RUN)
			continue;
		arch_convert_nop_run((uint8_t *)s->addr);
		s->insn = ARCH_INSN_NOP5;
		frt_counters.runs_converted++;
	}
	frt_text_restore(&t);
	frt_free(t.v);
	frt_sync_core();
	return 0;
}

static int pick_signal(struct sigaction *old)
{
	for (int sig = SIGRTMAX; sig > SIGRTMIN + 2; sig--) {
		if (sigaction(sig, NULL, old))
			continue;
		if (!(old->sa_flags & SA_SIGINFO) && old->sa_handler == SIG_DFL)
			return sig;
	}
	return -1;
}

static int quiesced_rewrite(struct frt_object *o, uintptr_t *runs, size_t n, bool *keep_runs)
{
	struct sigaction sa = {0}, old;
	pid_t *sent = frt_calloc(MAX_THREADS, sizeof(pid_t));
	pid_t *tasks = frt_calloc(MAX_THREADS, sizeof(pid_t));
	pid_t *tids = frt_calloc(MAX_THREADS, sizeof(pid_t));
	int nsent = 0, ret;
	bool pending = false;

	if (!sent || !tasks || !tids) {
		ret = -ENOMEM;
		goto out;
	}
	q.sig = pick_signal(&old);
	if (q.sig < 0) {
		ret = -EBUSY;
		goto out;
	}
	q.runs = runs;
	q.nruns = n;
	q.tids = tids;
	__atomic_store_n(&q.acked, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&q.left, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&q.release, 0, __ATOMIC_SEQ_CST);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	sigfillset(&sa.sa_mask);
	if (sigaction(q.sig, &sa, NULL)) {
		ret = -errno;
		goto out;
	}
	ret = park_all(sent, &nsent, tasks);
	if (!ret) {
		ret = rewrite(o, runs, n);
		frt_counters.quiesces++;
	}
	/* let everyone go, and wait until every parked handler is out before reusing q */
	__atomic_store_n(&q.release, 1, __ATOMIC_RELEASE);
	futex(&q.release, FUTEX_WAKE_PRIVATE, MAX_THREADS, NULL);
	for (;;) {
		int left = __atomic_load_n(&q.left, __ATOMIC_ACQUIRE);
		struct timespec ts = {0, 1000 * 1000};

		if (left == __atomic_load_n(&q.acked, __ATOMIC_ACQUIRE))
			break;
		futex(&q.left, FUTEX_WAIT_PRIVATE, left, &ts);
	}
	for (int j = 0; j < nsent; j++)
		if (!parked(sent[j]) && task_alive(sent[j]))
			pending = true;
	if (pending) {
		/*
		 * A signal is still pending in a thread that blocked it meanwhile or
		 * was slow. SIG_DFL would kill the process when it arrives, so the
		 * handler stays (it returns at once: release is set) and this signal
		 * is never used again; q.tids stays allocated for that late handler.
		 */
		frt_info(1, "signal %d stays handled by the runtime", q.sig);
		keep(tids);
		keep(runs);
		tids = NULL;
		*keep_runs = true;
	} else {
		sigaction(q.sig, &old, NULL);
		q.tids = NULL;
	}
out:
	frt_free(sent);
	frt_free(tasks);
	frt_free(tids);
	return ret;
}

int frt_convert_runs(struct frt_object *o)
{
	uintptr_t *runs;
	size_t n = 0;
	bool keep_runs = false, quiesced;
	int ret;

	for (size_t i = 0; i < o->nsites; i++)
		n += o->sites[i].insn == ARCH_INSN_NOP1RUN;
	if (!n)
		return 0;
	runs = frt_malloc(n * sizeof(*runs));
	if (!runs)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < o->nsites; i++)
		if (o->sites[i].insn == ARCH_INSN_NOP1RUN)
			runs[n++] = o->sites[i].addr;
	frt_sort(runs, n, sizeof(*runs), cmp_uptr);
	quiesced = count_threads() != 1;
	if (!quiesced)
		ret = rewrite(o, runs, n);
	else
		ret = quiesced_rewrite(o, runs, n, &keep_runs);
	if (ret) {
		static unsigned int reported;

		o->nunconverted = (unsigned int)n;
		if (reported++ < 3)
			frt_msg("%s: %zu functions with GCC NOP runs are not traceable: %s (%s)%s",
				o->path, n,
				ret == -EPERM || !quiesced ? "their NOP runs could not be rewritten"
							   : "other threads could not be stopped "
							     "to rewrite their NOP runs",
				ret == -EPERM ? "page protection change refused" : strerror(-ret),
				reported == 3 ? "; further such messages suppressed" : "");
	}
	if (!keep_runs) /* else a late signal handler may still read it */
		frt_free(runs);
	return ret;
}
