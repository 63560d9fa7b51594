// SPDX-License-Identifier: MIT
// C++ exceptions thrown through frames whose return addresses function_graph hooked,
// and the unwinders that glibc reaches without an interposable call: thread
// cancellation, backtrace(), _Unwind_Backtrace. usage: tr_cxx [N | MODE [N]]
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

#include <alloca.h>
#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>
#include <unwind.h>

#include <ftrace_rt/ftrace_rt.h> // the public header compiles as C++

#define NOINLINE __attribute__((noinline))

static volatile long sink;

struct Guard {
	~Guard()
	{
		sink++;
	}
};

NOINLINE void cx_leaf()
{
	sink++;
}

NOINLINE void cx_thrower(int n)
{
	Guard g; // a cleanup landing pad on the way
	cx_leaf();
	if (n == 0)
		throw std::runtime_error("boom");
	cx_thrower(n - 1);
	sink--;
}

NOINLINE int cx_catcher(int i)
{
	try {
		cx_thrower(i % 5);
	} catch (const std::exception &e) {
		cx_leaf();
		return 1;
	}
	return 0;
}

NOINLINE int cx_rethrow(int i)
{
	try {
		try {
			cx_thrower(2);
		} catch (...) {
			cx_leaf();
			throw;
		}
	} catch (const std::runtime_error &) {
		return i;
	}
	return -1;
}

/*
 * "cancel": a thread blocked in read() (a cancellation point) under several
 * traced frames that hold RAII objects and a std::lock_guard is cancelled:
 * every destructor runs and the mutex is free afterwards. "exit": the same
 * frames left with pthread_exit.
 */
static std::mutex cn_mutex;
static std::atomic<int> cn_dtors;
static int cn_ready[2], cn_block_fd[2];

struct Raii {
	~Raii()
	{
		cn_dtors++;
	}
};

/* no cleanup of its own: the unwinder must step through its hooked frame */
static bool cn_by_exit; // one-argument functions: simple names in the reports

NOINLINE void cn_block(int fd)
{
	static char c; // not on the stack: ASan's checks miss frames a forced unwind skips

	if (write(cn_ready[1], "r", 1) != 1)
		std::abort();
	if (cn_by_exit)
		pthread_exit(nullptr);
	if (read(fd, &c, 1) >= 0) // blocks until cancelled
		sink++;
}

NOINLINE void cn_mid(int n)
{
	Raii r;

	if (n)
		cn_mid(n - 1);
	else
		cn_block(cn_block_fd[0]);
	sink--;
}

NOINLINE void cn_locked(int depth)
{
	std::lock_guard<std::mutex> g(cn_mutex);

	cn_mid(depth);
	sink--;
}

NOINLINE void *cn_thread(void *arg)
{
	Raii r;

	cn_locked((int)(long)arg);
	return nullptr;
}

static int cancel_mode(bool by_exit)
{
	pthread_t t;
	void *ret;
	char c;

	if (pipe(cn_ready) || pipe(cn_block_fd))
		return 1;
	cn_dtors = 0;
	cn_by_exit = by_exit;
	pthread_create(&t, nullptr, cn_thread, (void *)3L);
	if (read(cn_ready[0], &c, 1) != 1)
		return 1;
	if (!by_exit)
		pthread_cancel(t);
	pthread_join(t, &ret);
	bool unlocked = cn_mutex.try_lock();
	if (unlocked)
		cn_mutex.unlock();
	std::printf("%s: destructors %d of 5, mutex %s, %s\n", by_exit ? "exit" : "cancel",
		    cn_dtors.load(), unlocked ? "free" : "LOCKED",
		    by_exit		      ? "exited"
		    : ret == PTHREAD_CANCELED ? "canceled"
					      : "not canceled");
	return cn_dtors == 5 && unlocked ? 0 : 1;
}

/*
 * "backtrace", "unwind-bt": the stack seen from inside nested traced frames,
 * by glibc's backtrace() and by _Unwind_Backtrace, as symbol names; the
 * traced run must print what the untraced one prints. The walk is done twice
 * to check that the frames still return normally (and are traced) after it.
 */
static void print_frame(void *pc)
{
	Dl_info di;

	if (dladdr(pc, &di) && di.dli_sname)
		std::printf(" %s", di.dli_sname);
	else
		std::printf(" ?");
}

static _Unwind_Reason_Code bt_one(struct _Unwind_Context *ctx, void *arg)
{
	(void)arg;
	print_frame((void *)(_Unwind_GetIP(ctx) - 1));
	return _URC_NO_REASON;
}

static bool bt_unwind; // one-argument functions: simple names in the reports

NOINLINE void bt_walk(int unused)
{
	(void)unused;
	std::printf("stack:");
	if (bt_unwind) {
		_Unwind_Backtrace(bt_one, nullptr);
	} else {
		void *pcs[128];
		int n = backtrace(pcs, 128);

		for (int i = 0; i < n; i++)
			print_frame((char *)pcs[i] - 1);
	}
	std::printf("\n");
	cx_leaf();
}

NOINLINE void bt_inner(int n)
{
	if (n)
		bt_inner(n - 1);
	else
		bt_walk(n);
	sink--;
}

NOINLINE void bt_outer(int n)
{
	bt_inner(n);
	sink--;
}

/*
 * "sigprof": a profiler's SIGPROF handler takes backtrace() wherever the
 * thread is, also inside the runtime's trampolines and return hook: every
 * walk must reach __libc_start_main, none may loop or crash. A sample taken
 * on a veneer (a jump the runtime maps outside any object, when an object is
 * out of call range of the trampolines) has no unwind information to start
 * from, traced or not by function_graph: those are counted apart.
 */
enum { PROF_SAMPLES = 256, PROF_DEPTH = 64 };
static void *prof_pcs[PROF_SAMPLES][PROF_DEPTH];
static int prof_n[PROF_SAMPLES];
static uintptr_t prof_at[PROF_SAMPLES];
static volatile int prof_taken;

static void prof_handler(int sig, siginfo_t *si, void *uc)
{
	int k = prof_taken;

	(void)sig;
	(void)si;
	if (k < PROF_SAMPLES) {
#if defined(__x86_64__)
		prof_at[k] = ((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
#else
		prof_at[k] = ((ucontext_t *)uc)->uc_mcontext.pc;
#endif
		prof_n[k] = backtrace(prof_pcs[k], PROF_DEPTH);
		prof_taken = k + 1;
	}
}

NOINLINE long pr_leaf(long x)
{
	return x * 3 + 1;
}

NOINLINE long pr_rec(int n)
{
	return n ? pr_rec(n - 1) + pr_leaf(n) : pr_leaf(0);
}

static bool reaches_start(int k)
{
	for (int i = 0; i < prof_n[k]; i++) {
		Dl_info di;

		if (dladdr((char *)prof_pcs[k][i] - 1, &di) && di.dli_sname &&
		    !std::strcmp(di.dli_sname, "__libc_start_main"))
			return true;
	}
	return false;
}

static int sigprof_mode(int want)
{
	struct sigaction sa = {};
	struct itimerval it = {{0, 500}, {0, 500}};
	int reached = 0, in_objects = 0;
	long sum = 0;

	sa.sa_sigaction = prof_handler;
	sa.sa_flags = SA_RESTART | SA_SIGINFO;
	sigaction(SIGPROF, &sa, nullptr);
	setitimer(ITIMER_PROF, &it, nullptr);
	while (prof_taken < want)
		sum += pr_rec(20);
	it = {};
	setitimer(ITIMER_PROF, &it, nullptr);
	for (int k = 0; k < prof_taken; k++) {
		Dl_info di;

		if (!dladdr((void *)prof_at[k], &di))
			continue; /* on a veneer */
		in_objects++;
		reached += reaches_start(k);
	}
	std::printf("sigprof: %d of %d samples reach __libc_start_main (%d on veneers) %ld\n",
		    reached, in_objects, prof_taken - in_objects, sum & 1);
	return reached == in_objects && in_objects > 0 ? 0 : 1;
}

static_assert(sizeof(ftrace_rt_ops) == 4 * sizeof(void *), "C and C++ agree on the ops layout");

/*
 * Round @i runs @f(@arg) with 16 to 1024 bytes more stack below this (untraced)
 * frame: the traced frames' keys, and so the PACs of their signed return
 * addresses, differ from round to round (a check that a signed word matches
 * meets many values in one run, whatever the stack's randomisation).
 */
__attribute__((noinline, patchable_function_entry(0, 0))) static int padded(int i, int (*f)(int),
									    int arg)
{
	volatile char *below = static_cast<volatile char *>(alloca(16 * (i % 64 + 1)));

	below[0] = 0;
	return f(arg) + below[0];
}

static int bt_round(int n)
{
	bt_outer(n);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "100";
	int n = argc > 1 ? atoi(argv[1]) : 100, caught = 0;

	if (!std::strcmp(mode, "cancel") || !std::strcmp(mode, "exit"))
		return cancel_mode(mode[0] == 'e');
	if (!std::strcmp(mode, "sigprof"))
		return sigprof_mode(argc > 2 ? atoi(argv[2]) : 100);
	if (!std::strcmp(mode, "backtrace") || !std::strcmp(mode, "unwind-bt")) {
		int rounds = argc > 2 ? atoi(argv[2]) : 2;

		bt_unwind = mode[0] == 'u';
		for (int i = 0; i < rounds; i++)
			padded(i, bt_round, 2);
		return 0;
	}

	for (int i = 0; i < n; i++) {
		caught += padded(i, cx_catcher, i);
		caught += padded(i, cx_rethrow, i) == i;
	}
	std::printf("caught %d of %d\n", caught, 2 * n);
	return caught == 2 * n ? 0 : 1;
}
