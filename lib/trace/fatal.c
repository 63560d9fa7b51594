// SPDX-License-Identifier: MIT
/*
 * Deaths that skip exit(): fatal signals and _exit. Whatever is still in the
 * trace buffers is written first, then the process dies exactly as it would
 * have: same signal (so the same wait status, and a core where the signal
 * makes one), same exit code.
 *
 * Signals: for every signal whose default action ends the process, if the
 * program left it at SIG_DFL, the runtime installs its own handler. The
 * program must not be able to tell: sigaction(), signal() and their
 * relatives are interposed, so that
 *   - a query reports SIG_DFL (with the flags and mask last asked for), not
 *     the runtime's handler;
 *   - a handler or SIG_IGN the program installs replaces the runtime's for
 *     real (the kernel then calls the program's handler, the runtime is out
 *     of the way);
 *   - SIG_DFL the program installs (typically a crash handler's "restore the
 *     default, then raise again") puts the runtime's handler back, so that
 *     death flushes too.
 * The handler writes the buffers (lib/trace/thread.c: bounded waits, no
 * allocation), restores SIG_DFL for real, unblocks the signal and raises it
 * again in the same thread; a fault of the interrupted instruction instead
 * returns to it, which faults again under SIG_DFL. Signals that ignore, stop or continue by
 * default, SIGKILL and SIGSTOP, and the real-time signals (lib/core/siteinit.c
 * borrows one of those left at SIG_DFL) are not touched. A program that
 * changes dispositions with a raw rt_sigaction system call is not seen: a
 * query that way shows the runtime's handler, and a handler installed that
 * way simply replaces it.
 *
 * _exit and _Exit are interposed: they write the buffers too (with the same
 * code, since _exit is allowed in signal handlers and vfork children; a
 * vfork child does nothing, the buffers are its parent's). exit_group
 * through syscall() cannot be seen, nor can a death by SIGKILL.
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "log.h"
#include "trace.h"
#include "tracer.h"
#include "guard.h"

typedef int (*sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef __sighandler_t (*sigset_fn)(int, __sighandler_t);

static sigaction_fn real_sigaction;
static sigset_fn real_sigset;
static bool armed_ever; /* handlers were installed: the interposers have work to do */

static struct {
	int armed;		/* atomic: the runtime's handler is installed */
	struct sigaction shown; /* what a query gets meanwhile: SIG_DFL, mask and flags */
} state[NSIG];

/* Default action: terminate (or core). Not the real-time signals: see above. */
static const int fatal_sigs[] = {SIGHUP,  SIGINT,  SIGQUIT,   SIGILL,  SIGTRAP, SIGABRT,
				 SIGBUS,  SIGFPE,  SIGUSR1,   SIGSEGV, SIGUSR2, SIGPIPE,
				 SIGALRM, SIGTERM, SIGSTKFLT, SIGXCPU, SIGXFSZ, SIGVTALRM,
				 SIGPROF, SIGIO,   SIGPWR,    SIGSYS};

FRT_NO_TSAN static bool managed(int sig)
{
	for (size_t i = 0; i < sizeof(fatal_sigs) / sizeof(fatal_sigs[0]); i++)
		if (fatal_sigs[i] == sig)
			return true;
	return false;
}

FRT_NO_TSAN static void resolve(void)
{
	if (!real_sigaction)
		*(void **)&real_sigaction = dlsym(RTLD_NEXT, "sigaction");
	if (!real_sigset)
		*(void **)&real_sigset = dlsym(RTLD_NEXT, "sigset");
}

FRT_NO_TSAN static int sys_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	resolve();
	if (!real_sigaction) {
		errno = ENOSYS;
		return -1;
	}
	return real_sigaction(sig, act, old);
}

static pid_t tid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* Die of @sig in this thread, as with its default action. */
static void die(int sig)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t set;

	sigemptyset(&dfl.sa_mask);
	sys_sigaction(sig, &dfl, NULL);
	__atomic_store_n(&state[sig].armed, 0, __ATOMIC_RELEASE);
	sigemptyset(&set);
	sigaddset(&set, sig);
	syscall(SYS_tgkill, getpid(), tid_(), sig);
	/* delivered when unblocked: now (a synchronous fault would simply repeat) */
	syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &set, NULL, _NSIG / 8);
}

static pid_t flushing; /* atomic: the thread writing out the buffers */
static int flushed;    /* atomic: it has finished */

/* Write the buffers once per process; a second thread dying meanwhile waits for it. */
static void flush_once(const char *why, bool interrupted_runtime)
{
	pid_t me = tid_(), none = 0;

	if (__atomic_compare_exchange_n(&flushing, &none, me, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		frt_tracer_emergency(why, interrupted_runtime);
		__atomic_store_n(&flushed, 1, __ATOMIC_RELEASE);
		return;
	}
	if (none == me)
		return; /* a fault while writing them: die of it at once */
	/* the other thread dies (and takes this one along) when it is done; bounded anyway */
	for (int i = 0; i < 10000 && !__atomic_load_n(&flushed, __ATOMIC_ACQUIRE); i++) {
		struct timespec ts = {0, 1000 * 1000};

		nanosleep(&ts, NULL);
	}
}

static void handler(int sig, siginfo_t *si, void *uc)
{
	int saved_errno = errno, in_cb = frt_in_callback;
	const char *name = sigabbrev_np(sig);
	char why[32] = "SIG";

	(void)uc;
	/* nothing the flush calls may be traced */
	frt_in_callback |= 1;
	strncat(why, name ? name : "?", sizeof(why) - 4);
	flush_once(why, in_cb & 1);
	frt_in_callback = in_cb;
	errno = saved_errno;
	if (si && si->si_code > 0 &&
	    (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL)) {
		/*
		 * A fault of the interrupted instruction: with SIG_DFL back, returning
		 * runs it again, and it dies there, so a core shows the real fault
		 * rather than this handler.
		 */
		struct sigaction dfl = {.sa_handler = SIG_DFL};

		sigemptyset(&dfl.sa_mask);
		sys_sigaction(sig, &dfl, NULL);
		__atomic_store_n(&state[sig].armed, 0, __ATOMIC_RELEASE);
		return;
	}
	die(sig);
}

/* Recording has started: take over the fatal signals the program leaves at SIG_DFL. */
void frt_fatal_start(void)
{
	struct sigaction sa = {.sa_sigaction = handler};

	resolve();
	if (!real_sigaction)
		return;
	/* every signal blocked while it runs: a second one waits until the first kills */
	sigfillset(&sa.sa_mask);
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	for (size_t i = 0; i < sizeof(fatal_sigs) / sizeof(fatal_sigs[0]); i++) {
		int sig = fatal_sigs[i];
		struct sigaction cur;

		if (sys_sigaction(sig, NULL, &cur) || cur.sa_handler != SIG_DFL)
			continue;
		state[sig].shown = cur;
		if (!sys_sigaction(sig, &sa, NULL))
			__atomic_store_n(&state[sig].armed, 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&armed_ever, true, __ATOMIC_RELEASE);
}

FRT_NO_TSAN static int rearm(int sig)
{
	struct sigaction sa = {.sa_sigaction = handler};

	sigfillset(&sa.sa_mask);
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	return sys_sigaction(sig, &sa, NULL);
}

/* sigaction() as the program sees it. */
FRT_NO_TSAN int frt_hook_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct sigaction prev;
	bool was;
	int ret;

	if (sig <= 0 || sig >= NSIG || !managed(sig) ||
	    !__atomic_load_n(&armed_ever, __ATOMIC_ACQUIRE))
		return sys_sigaction(sig, act, old);
	was = __atomic_load_n(&state[sig].armed, __ATOMIC_ACQUIRE);
	if (!act) {
		if (!was)
			return sys_sigaction(sig, NULL, old);
		if (old)
			*old = state[sig].shown;
		return 0;
	}
	if (act->sa_handler == SIG_DFL) {
		/* the default, as far as the program can tell; dying still flushes */
		ret = was ? 0 : sys_sigaction(sig, NULL, &prev);
		if (!ret)
			ret = rearm(sig);
		if (ret)
			return ret;
		if (old)
			*old = was ? state[sig].shown : prev;
		state[sig].shown = *act;
		__atomic_store_n(&state[sig].armed, 1, __ATOMIC_RELEASE);
		return 0;
	}
	ret = sys_sigaction(sig, act, &prev);
	if (ret)
		return ret;
	__atomic_store_n(&state[sig].armed, 0, __ATOMIC_RELEASE);
	if (old)
		*old = was ? state[sig].shown : prev;
	return 0;
}

/* signal(), bsd_signal(), sysv_signal(): glibc's semantics on top of the above. */
FRT_NO_TSAN __sighandler_t frt_hook_signal(int sig, __sighandler_t h, bool sysv)
{
	struct sigaction act = {.sa_handler = h}, old;

	if (h == SIG_ERR || sig <= 0 || sig >= NSIG) {
		errno = EINVAL;
		return SIG_ERR;
	}
	sigemptyset(&act.sa_mask);
	if (sysv) {
		act.sa_flags = SA_RESETHAND | SA_NODEFER;
	} else {
		sigaddset(&act.sa_mask, sig);
		act.sa_flags = SA_RESTART;
	}
	if (frt_hook_sigaction(sig, &act, &old) < 0)
		return SIG_ERR;
	return old.sa_handler;
}

/* sigset(): SIG_HOLD and the unblocking are libc's; the disposition is as above. */
FRT_NO_TSAN __sighandler_t frt_hook_sigset(int sig, __sighandler_t h)
{
	bool was;
	__sighandler_t r;

	resolve();
	if (!real_sigset) {
		errno = ENOSYS;
		return SIG_ERR;
	}
	if (sig <= 0 || sig >= NSIG || !managed(sig) || h == SIG_HOLD ||
	    !__atomic_load_n(&armed_ever, __ATOMIC_ACQUIRE))
		return real_sigset(sig, h);
	was = __atomic_load_n(&state[sig].armed, __ATOMIC_ACQUIRE);
	r = real_sigset(sig, h);
	if (r == SIG_ERR)
		return r;
	if (h == SIG_DFL && !rearm(sig)) {
		memset(&state[sig].shown, 0, sizeof(state[sig].shown));
		__atomic_store_n(&state[sig].armed, 1, __ATOMIC_RELEASE);
	} else {
		__atomic_store_n(&state[sig].armed, 0, __ATOMIC_RELEASE);
	}
	return was && r != SIG_HOLD ? SIG_DFL : r;
}

/* _exit(): write the buffers, then leave. */
void frt_hook_exit(int status)
{
	int in_cb = frt_in_callback;

	frt_in_callback |= 1;
	(void)status;
	flush_once("_exit", in_cb & 1);
	frt_in_callback = in_cb;
}
