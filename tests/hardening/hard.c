// SPDX-License-Identifier: MIT
/*
 * Hard corners and fault injection. Linked with the runtime.
 *
 *   hard deny-mprotect -- CMD...   run CMD where mprotect(PROT_WRITE|PROT_EXEC) fails (W^X)
 *   hard deny-membarrier -- CMD... run CMD where membarrier fails (ENOSYS)
 *   hard api                       register an ops, call, unregister; print counts and stats
 *   hard ucontext N                swapcontext between coroutines running traced functions
 *   hard altstack                  overflow the stack in a traced function; the SIGSEGV
 *                                  handler runs on an alternate stack, calls traced
 *                                  functions and siglongjmps back
 *   hard cbsignal N                a signal raised inside a callback: its handler calls a
 *                                  traced function (not traced: a counted miss)
 *   hard textprot N                a thread makes this program's text writable and writes
 *                                  into it (as a self-modifying program does) while another
 *                                  enables and disables every site N times: its protection
 *                                  must never be replaced by what the runtime saw before
 */
#include <errno.h>
#include <linux/filter.h>
#include <pthread.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <ftrace_rt/ftrace_rt.h>

#define NOINLINE __attribute__((noinline))

static volatile long sink;

NOINLINE long h_leaf(long x)
{
	sink++;
	return x + 1;
}

NOINLINE long h_mid(long x)
{
	return h_leaf(x) * 2;
}

/* seccomp: make syscall @nr fail with @err (for mprotect: only with PROT_WRITE and PROT_EXEC) */
static int deny(int nr, int err, int wx_only)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)nr, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, wx_only ? (PROT_WRITE | PROT_EXEC) : 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, wx_only ? (PROT_WRITE | PROT_EXEC) : 0, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned int)err),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof(f) / sizeof(f[0]), f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

struct counter {
	struct ftrace_rt_ops ops;
	unsigned long hits;
	int raise;
};

static void count(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		  struct ftrace_rt_regs *regs)
{
	struct counter *c = (struct counter *)op;
	(void)ip, (void)parent_ip, (void)regs;

	c->hits++;
	if (c->raise)
		raise(SIGUSR1);
}

static void usr1(int sig)
{
	(void)sig;
	h_leaf(7); /* traced function from a handler that interrupted a callback */
}

static int api(void)
{
	struct counter c = {.ops = {.func = count}};
	struct ftrace_rt_stats st;
	int ret = ftrace_rt_set_filter(&c.ops, "h_*", 1);

	if (!ret)
		ret = ftrace_rt_register_ops(&c.ops);
	for (int i = 0; i < 100; i++)
		if (h_mid(i) != 2 * (i + 1))
			return 3;
	ftrace_rt_get_stats(&st);
	printf("register %d (%s) hits %lu enabled %lu syncs %lu\n", ret, ftrace_rt_strerror(ret),
	       c.hits, st.sites_enabled, st.syncs);
	if (!ret)
		ret = ftrace_rt_unregister_ops(&c.ops);
	ftrace_rt_get_stats(&st);
	printf("after: enabled %lu\n", st.sites_enabled);
	return 0;
}

static ucontext_t uc_main, uc_co;
static char co_stack[256 * 1024];

NOINLINE void co_work(int n)
{
	for (int i = 0; i < n; i++) {
		h_mid(i);
		swapcontext(&uc_co, &uc_main); /* suspended inside traced frames */
	}
}

static void co_entry(void)
{
	co_work(1000000000);
}

NOINLINE void main_work(int i)
{
	h_leaf(i);
	swapcontext(&uc_main, &uc_co);
	h_leaf(i);
}

static int coroutines(int n)
{
	getcontext(&uc_co);
	uc_co.uc_stack.ss_sp = co_stack;
	uc_co.uc_stack.ss_size = sizeof(co_stack);
	uc_co.uc_link = &uc_main;
	makecontext(&uc_co, co_entry, 0);
	for (int i = 0; i < n; i++)
		main_work(i);
	printf("ucontext %d done\n", n);
	return 0;
}

static sigjmp_buf overflow_jb;
static volatile unsigned long overflows;

NOINLINE long blow(long n);
static long (*volatile blow_p)(long) = blow;

NOINLINE long blow(long n)
{
	volatile char pad[512];

	pad[0] = (char)n;
	return blow_p(n + 1) + pad[0];
}

static void on_segv(int sig)
{
	(void)sig;
	h_leaf(1); /* traced, on the alternate stack */
	overflows++;
	siglongjmp(overflow_jb, 1);
}

static int altstack(void)
{
	static char altstack_mem[1 << 16];
	stack_t ss = {.ss_sp = altstack_mem, .ss_size = sizeof(altstack_mem)};
	struct sigaction sa = {.sa_handler = on_segv, .sa_flags = SA_ONSTACK};

	sigaltstack(&ss, NULL);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	for (volatile int i = 0; i < 3; i++)
		if (!sigsetjmp(overflow_jb, 1))
			blow(0);
	for (int i = 0; i < 10; i++)
		h_mid(i);
	printf("altstack: %lu overflows caught\n", overflows);
	return overflows == 3 ? 0 : 1;
}

static int cbsignal(int n)
{
	struct counter c = {.ops = {.func = count}, .raise = 1};
	struct ftrace_rt_stats s0, s1;

	signal(SIGUSR1, usr1);
	if (ftrace_rt_set_filter(&c.ops, "h_mid", 1) || ftrace_rt_register_ops(&c.ops))
		return 2;
	ftrace_rt_get_stats(&s0);
	for (int i = 0; i < n; i++)
		h_mid(i);
	ftrace_rt_get_stats(&s1);
	ftrace_rt_unregister_ops(&c.ops);
	printf("cbsignal: hits %lu misses %lu\n", c.hits,
	       s1.recursion_misses - s0.recursion_misses);
	/* h_leaf is not in the filter; the handler's h_leaf comes through no callback at all */
	return c.hits == (unsigned long)n ? 0 : 1;
}

NOINLINE long tp_scratch(long x)
{
	return x ^ 0x5a;
}
static long (*volatile tp_scratch_p)(long) = tp_scratch;
static volatile int tp_stop;
static unsigned long tp_writes;

static void *tp_writer(void *arg)
{
	/* every page of this program's text that holds a site */
	uintptr_t lo = ((uintptr_t)h_leaf < (uintptr_t)tp_scratch ? (uintptr_t)h_leaf
								  : (uintptr_t)tp_scratch) &
		       ~(uintptr_t)4095;
	size_t len = 3 * 4096;
	volatile uint8_t *b = (uint8_t *)tp_scratch_p + 12;

	(void)arg;
	while (!tp_stop) {
		if (mprotect((void *)lo, len, PROT_READ | PROT_WRITE | PROT_EXEC))
			return (void *)1;
		for (int i = 0; i < 100; i++)
			*b = *b; /* faults if the runtime took the write permission back */
		tp_writes++;
		if (mprotect((void *)lo, len, PROT_READ | PROT_EXEC))
			return (void *)1;
	}
	return NULL;
}

static int textprot(int n)
{
	struct counter c = {.ops = {.func = count}};
	pthread_t t;
	void *ret;

	if (pthread_create(&t, NULL, tp_writer, NULL))
		return 2;
	for (int i = 0; i < n; i++) {
		if (ftrace_rt_register_ops(&c.ops))
			return 3;
		h_mid(i);
		ftrace_rt_unregister_ops(&c.ops);
	}
	tp_stop = 1;
	pthread_join(t, &ret);
	printf("textprot: %d register-unregister pairs, %lu writes, %ld\n", n, tp_writes,
	       tp_scratch_p(1));
	return ret != NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "api";

	if ((!strcmp(mode, "deny-mprotect") || !strcmp(mode, "deny-membarrier")) && argc > 3) {
		int r = mode[5] == 'm' && mode[6] == 'p' ? deny(__NR_mprotect, EACCES, 1)
							 : deny(__NR_membarrier, ENOSYS, 0);

		if (r) {
			perror("seccomp");
			return 2;
		}
		execvp(argv[3], argv + 3);
		perror("exec");
		return 127;
	}
	if (!strcmp(mode, "api"))
		return api();
	if (!strcmp(mode, "ucontext"))
		return coroutines(argc > 2 ? atoi(argv[2]) : 1000);
	if (!strcmp(mode, "altstack"))
		return altstack();
	if (!strcmp(mode, "textprot"))
		return textprot(argc > 2 ? atoi(argv[2]) : 2000);
	if (!strcmp(mode, "cbsignal"))
		return cbsignal(argc > 2 ? atoi(argv[2]) : 100);
	return 2;
}
