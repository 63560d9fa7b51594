// SPDX-License-Identifier: MIT
/*
 * Scenarios for the tracer tests; every traced function is called a known
 * number of times. Calls go through volatile pointers so the compiler keeps
 * every call.  usage: tr_prog MODE [N] [ARG]
 */
#include <alloca.h>
#include <execinfo.h>
#include <link.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
/* not traced: no patchable entry */
#define UNTRACED __attribute__((noinline, patchable_function_entry(0, 0)))

/* per thread: the threads mode runs leaf() in many threads at once */
static __thread volatile long sink;

NOINLINE void leaf(void)
{
	sink++;
}

NOINLINE long rec(int n);
static long (*volatile rec_p)(int) = rec;

NOINLINE long rec(int n)
{
	return n < 2 ? 1 : rec_p(n - 1) + rec_p(n - 2);
}

static jmp_buf jb;

NOINLINE void jump_deep(int n);
static void (*volatile jump_deep_p)(int) = jump_deep;

NOINLINE void jump_deep(int n)
{
	leaf();
	if (n)
		jump_deep_p(n - 1);
	else
		longjmp(jb, 1);
	sink--; /* keeps the call from being a tail call */
}

NOINLINE void jump_top(void)
{
	jump_deep(3);
	sink--;
}

NOINLINE void *thread_body(void *arg)
{
	for (long i = 0; i < (long)arg; i++)
		leaf();
	return NULL;
}

NOINLINE void in_handler(void)
{
	leaf();
}

static void handler(int sig)
{
	(void)sig;
	in_handler();
}

NOINLINE void raiser(int i)
{
	leaf();
	if (i % 2)
		raise(SIGUSR1);
	leaf();
}

NOINLINE long deep(int n);
static long (*volatile deep_p)(int) = deep;

NOINLINE long deep(int n)
{
	return n ? deep_p(n - 1) + 1 : 0;
}

NOINLINE void exit_inside(int code)
{
	leaf();
	exit(code);
}

NOINLINE void abort_inside(void)
{
	leaf();
	abort(); /* never returns: the buffered data is lost, nothing hangs */
}

NOINLINE void *exit_thread(void *arg)
{
	leaf();
	exit_inside((int)(long)arg);
	return NULL;
}

/*
 * "tsd": threads whose own TSD destructor (a key created after the
 * runtime's, so it runs after the runtime has handed the thread's state to
 * the flusher) keeps calling traced functions while another thread keeps
 * the flusher busy reaping.
 */
static pthread_key_t late_key;
static volatile int tsd_busy;

static void late_destructor(void *arg)
{
	(void)arg;
	for (int k = 0; k < 20000; k++)
		leaf();
}

NOINLINE void *tsd_thread(void *arg)
{
	pthread_setspecific(late_key, (void *)1);
	leaf();
	return arg;
}

NOINLINE void *tsd_noise(void *arg)
{
	while (__atomic_load_n(&tsd_busy, __ATOMIC_RELAXED))
		leaf();
	return arg;
}

/*
 * "altstack": a handler on an alternate stack that lies in main's frame,
 * above the frames it interrupts, calls traced functions; the interrupted
 * frames (nest, raiser) are live throughout and must nest around it.
 */
NOINLINE void raiser_alt(void)
{
	raise(SIGUSR2);
	sink--;
}

NOINLINE void nest(int d, int n)
{
	if (d) {
		nest(d - 1, n);
	} else {
		for (int i = 0; i < n; i++) {
			raiser_alt();
			leaf();
		}
	}
	sink--;
}

static void alt_handler(int sig)
{
	(void)sig;
	in_handler();
}

/*
 * "ucontext-local": a coroutine whose stack is a local array in main's frame,
 * above the frame that switches to it: co_body runs inside switcher's
 * swapcontext and must be shown there.
 */
static ucontext_t uc_main, uc_co;

NOINLINE void co_inner(void)
{
	leaf();
}

NOINLINE void co_body(void)
{
	co_inner();
	leaf();
}

static void co_start(void)
{
	co_body();
}

NOINLINE void switcher(void)
{
	swapcontext(&uc_main, &uc_co);
	sink--;
}

/*
 * "phdr": what an unwinder the runtime does not know does first (libunwind,
 * a crash handler): look up unwind information with dl_iterate_phdr, from
 * inside traced frames, which then return normally.
 */
static int count_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)info;
	(void)size;
	++*(int *)arg;
	return 0;
}

NOINLINE void p_inner(void)
{
	int n = 0;

	dl_iterate_phdr(count_object, &n);
	sink += n > 0;
}

NOINLINE void p_mid(void)
{
	p_inner();
	leaf();
}

NOINLINE void p_outer(void)
{
	p_mid();
	sink--;
}

/*
 * "co-evict": a coroutine suspended inside traced frames while the main
 * context abandons more frames (longjmp) than the graveyard holds; then it
 * resumes and its frames return.
 */
static ucontext_t ev_main, ev_co;
static char ev_stack[65536];

NOINLINE void ev_b(void)
{
	swapcontext(&ev_co, &ev_main);
	leaf();
}

NOINLINE void ev_a(void)
{
	ev_b();
	sink--;
}

static void ev_start(void)
{
	ev_a();
}

NOINLINE void ev_resume(void)
{
	swapcontext(&ev_main, &ev_co);
	sink--;
}

/*
 * "co-pool": coroutines on a pool of two stacks, each suspended inside
 * traced frames (where their return addresses are is found as the program
 * leaves the stack; the frames are buried when the resuming frame returns).
 * A cycle: a coroutine is abandoned on one stack (the bait), the next one
 * (the victim) is suspended on the same stack with the bait's offset minus
 * the distance between cp_a's and cp_b's frame records (measured): the
 * victim's cp_b keeps its return address where the bait's cp_a kept its
 * own, under another key. 400 coroutines are then abandoned on the other
 * stack (more frames buried than the graveyard holds), and the victim is
 * resumed: its frames must return to their callers (the bait's slot was
 * the victim's by then, and nothing may write the bait's return address
 * there). Some take backtrace() in flight.
 */
#define CP_POOL 2
static ucontext_t cp_main, cp_co[CP_POOL], *cp_cur;
static char cp_stack[CP_POOL][65536];
static char *volatile cp_fp_a, *volatile cp_fp_b;
static void *cp_ref[4];
static int cp_bt, cp_bt_same, cp_started, cp_resumed;

static void cp_backtrace(void)
{
	void *pcs[8];
	int n = backtrace(pcs, 8);

	/* the same four return addresses every time, whatever the stack */
	if (n < 4)
		return;
	if (!cp_bt++)
		memcpy(cp_ref, pcs, sizeof(cp_ref));
	cp_bt_same += !memcmp(cp_ref, pcs, sizeof(cp_ref));
}

NOINLINE void cp_b(int bt)
{
	volatile char buf[64];

	cp_fp_b = __builtin_frame_address(0);
	buf[0] = (char)bt;
	if (bt)
		cp_backtrace();
	swapcontext(cp_cur, &cp_main);
	leaf();
	sink += buf[0];
}

NOINLINE void cp_a(int bt)
{
	cp_fp_a = __builtin_frame_address(0);
	cp_b(bt);
	sink--;
}

static void cp_start(int bt, int pad)
{
	volatile char *below = alloca((size_t)pad);

	below[0] = 0;
	cp_a(bt);
	sink += below[0];
}

NOINLINE void cp_resume(void)
{
	swapcontext(&cp_main, cp_cur);
	sink--;
}

/* a coroutine on stack @k with @pad bytes below its frames, suspended in cp_b */
static void cp_run(int k, int pad, int bt)
{
	cp_cur = &cp_co[k];
	getcontext(cp_cur);
	cp_cur->uc_stack.ss_sp = cp_stack[k];
	cp_cur->uc_stack.ss_size = sizeof(cp_stack[k]);
	cp_cur->uc_link = &cp_main;
	makecontext(cp_cur, (void (*)(void))cp_start, 2, bt, pad);
	cp_started++;
	cp_resume();
}

/* ... resumed: it returns through cp_b, cp_a and cp_start */
static void cp_finish(int k)
{
	cp_cur = &cp_co[k];
	cp_resumed++;
	cp_resume();
}

/*
 * "lj-stale": a traced frame (ls_e) takes backtrace(), so the runtime learns
 * where its return address is, and is left by longjmp through an untraced
 * frame; its caller then calls, through an untraced frame with more stack,
 * a traced function (ls_h) whose return address lies where ls_e's was,
 * while ls_e's entry is still on the shadow stack (nothing traced returned
 * or was called at its level). ls_h's backtrace() must see its own caller,
 * as the same call did before the longjmp.
 */
static jmp_buf ls_jb;
static void *ls_seen;
static int ls_same, ls_taken;

NOINLINE void ls_h(void)
{
	void *pcs[8];

	if (backtrace(pcs, 8) >= 2)
		ls_seen = pcs[1];
	else
		ls_seen = NULL;
	sink--;
}

UNTRACED void ls_u2(int pad)
{
	volatile char *below = alloca((size_t)pad);

	below[0] = 0;
	ls_h();
	sink += below[0];
}

NOINLINE void ls_e(void)
{
	volatile char big[96];
	void *pcs[8];

	big[0] = 1;
	backtrace(pcs, 8);
	longjmp(ls_jb, 1);
	sink += big[0];
}

UNTRACED void ls_u1(void)
{
	ls_e();
	sink--;
}

NOINLINE void ls_top(int pad)
{
	void *clean;

	ls_u2(pad);
	clean = ls_seen;
	if (!setjmp(ls_jb))
		ls_u1();
	ls_u2(pad);
	ls_taken++;
	ls_same += clean && ls_seen == clean;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "rec";
	int n = argc > 2 ? atoi(argv[2]) : 10;

	if (!strcmp(mode, "rec")) {
		printf("rec(%d) = %ld\n", n, rec(n));
	} else if (!strcmp(mode, "longjmp")) {
		volatile int i = 0;

		setjmp(jb);
		if (i++ < n)
			jump_top();
		for (int k = 0; k < 10; k++)
			leaf();
		printf("longjmp %d done\n", n);
	} else if (!strcmp(mode, "altstack")) {
		char alt[65536];
		stack_t ss = {.ss_sp = alt, .ss_size = sizeof(alt)};
		struct sigaction sa = {.sa_handler = alt_handler, .sa_flags = SA_ONSTACK};

		sigaltstack(&ss, NULL);
		sigaction(SIGUSR2, &sa, NULL);
		nest(5, n);
		printf("altstack %d done\n", n);
	} else if (!strcmp(mode, "ucontext-local")) {
		char co_stack[65536];

		for (int i = 0; i < n; i++) {
			getcontext(&uc_co);
			uc_co.uc_stack.ss_sp = co_stack;
			uc_co.uc_stack.ss_size = sizeof(co_stack);
			uc_co.uc_link = &uc_main;
			makecontext(&uc_co, co_start, 0);
			switcher();
		}
		printf("ucontext-local %d done\n", n);
	} else if (!strcmp(mode, "phdr")) {
		for (int i = 0; i < n; i++) {
			p_outer();
			leaf();
		}
		printf("phdr %d done\n", n);
	} else if (!strcmp(mode, "co-evict")) {
		volatile int i = 0;

		getcontext(&ev_co);
		ev_co.uc_stack.ss_sp = ev_stack;
		ev_co.uc_stack.ss_size = sizeof(ev_stack);
		ev_co.uc_link = &ev_main;
		makecontext(&ev_co, ev_start, 0);
		ev_resume(); /* the coroutine stops inside ev_b */
		setjmp(jb);
		if (i++ < n)
			jump_top();
		ev_resume(); /* ... and returns through ev_b and ev_a */
		printf("co-evict %d done\n", n);
	} else if (!strcmp(mode, "co-pool")) {
		long delta;

		cp_run(0, 16, 1);
		cp_finish(0);
		delta = cp_fp_a - cp_fp_b; /* cp_a's frame record is this far above cp_b's */
		for (int c = 0; c < n; c++) {
			int k = c % CP_POOL;

			cp_run(k, 16 + (int)delta, 0); /* the bait, abandoned */
			cp_run(k, 16, c % 2);	       /* the victim */
			for (int f = 0; f < 400; f++)
				cp_run(1 - k, 16 * (f % 16 + 1), f % 64 == 1);
			cp_finish(k);
		}
		printf("co-pool %d done, %d coroutines, %d resumed, backtrace %d of %d the same\n",
		       n, cp_started, cp_resumed, cp_bt_same, cp_bt);
	} else if (!strcmp(mode, "lj-stale")) {
		for (int r = 0; r < n; r++)
			ls_top(16 * (r % 48 + 1));
		printf("lj-stale %d done, backtrace %d of %d the same\n", n, ls_same, ls_taken);
	} else if (!strcmp(mode, "threads")) {
		for (int r = 0; r < n; r++) {
			pthread_t t[4];

			for (int k = 0; k < 4; k++)
				pthread_create(&t[k], NULL, thread_body, (void *)10L);
			for (int k = 0; k < 4; k++)
				pthread_join(t[k], NULL);
		}
		printf("threads %d done\n", n);
	} else if (!strcmp(mode, "tsd")) {
		pthread_t noise;

		pthread_key_create(&late_key, late_destructor);
		__atomic_store_n(&tsd_busy, 1, __ATOMIC_RELAXED);
		pthread_create(&noise, NULL, tsd_noise, NULL);
		for (int r = 0; r < n; r++) {
			pthread_t t[4];

			for (int k = 0; k < 4; k++)
				pthread_create(&t[k], NULL, tsd_thread, NULL);
			for (int k = 0; k < 4; k++)
				pthread_join(t[k], NULL);
		}
		__atomic_store_n(&tsd_busy, 0, __ATOMIC_RELAXED);
		pthread_join(noise, NULL);
		printf("tsd %d done\n", n);
	} else if (!strcmp(mode, "fork")) {
		pid_t pid = fork();
		int st;

		for (int k = 0; k < (pid ? 50 : 100); k++)
			leaf();
		if (!pid)
			exit(0);
		waitpid(pid, &st, 0);
		printf("fork done, child status %d\n", st);
	} else if (!strcmp(mode, "exec")) {
		for (int k = 0; k < 10; k++)
			leaf();
		fflush(stdout);
		execl(argv[0], argv[0], "rec", "5", (char *)NULL);
		perror("execl");
		return 1;
	} else if (!strcmp(mode, "vfork")) {
		/* vfork+exec from inside traced frames; the parent's trace must stay whole */
		for (volatile int k = 0; k < 3; k++) {
			pid_t pid;
			int st;

			leaf();
			pid = vfork();
			if (!pid) {
				execl(argv[0], argv[0], "rec", "4", (char *)NULL);
				_exit(127);
			}
			waitpid(pid, &st, 0);
			leaf();
		}
		printf("vfork done\n");
	} else if (!strcmp(mode, "signal")) {
		signal(SIGUSR1, handler);
		for (int i = 0; i < n; i++)
			raiser(i);
		printf("signal %d done\n", n);
	} else if (!strcmp(mode, "deep")) {
		printf("deep(%d) = %ld\n", n, deep(n));
	} else if (!strcmp(mode, "exit")) {
		exit_inside(3);
	} else if (!strcmp(mode, "abort")) {
		leaf();
		abort_inside();
	} else if (!strcmp(mode, "exit-thread")) {
		pthread_t t;

		pthread_create(&t, NULL, exit_thread, (void *)4L);
		for (;;)
			leaf();
	} else if (!strcmp(mode, "calls")) {
		for (int i = 0; i < n; i++)
			leaf();
		printf("calls %d done\n", n);
	} else {
		return 2;
	}
	return 0;
}
