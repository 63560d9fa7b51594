// SPDX-License-Identifier: MIT
/*
 * fork() from a signal handler while another thread patches: thread A
 * registers and unregisters an ops over and over (a transaction and a grace
 * period each time, under the patch lock), thread B calls the traced
 * function, whose callback is slow enough that B is mostly inside it, and
 * the main thread makes B fork from a SIGUSR1 handler, one fork at a time.
 * The child checks that the runtime works in it: it registers an ops and
 * sees a call.
 *
 *   lc_fork N
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ftrace_rt/ftrace_rt.h>

static int sink; /* atomic: several threads call in */
static int stop, forks_done, bad;
static pthread_t worker;

__attribute__((noinline)) int fork_work(int x)
{
	return __atomic_add_fetch(&sink, x, __ATOMIC_RELAXED);
}

static void slow_cb(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		    struct ftrace_rt_regs *regs)
{
	(void)ip, (void)parent_ip, (void)op, (void)regs;
	for (int i = 0; i < 2000; i++)
		__atomic_add_fetch(&sink, 1, __ATOMIC_RELAXED);
}

static unsigned long child_hits;

static void child_cb(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		     struct ftrace_rt_regs *regs)
{
	(void)ip, (void)parent_ip, (void)op, (void)regs;
	child_hits++;
}

static struct ftrace_rt_ops slow_ops = {.func = slow_cb}, churn_ops = {.func = slow_cb},
			    child_ops = {.func = child_cb};

/* In the child: the API from a plain context (not the handler: it returned). */
static int child_main(void)
{
	if (ftrace_rt_set_filter(&child_ops, "fork_work", 1) || ftrace_rt_register_ops(&child_ops))
		return 10;
	fork_work(1);
	if (ftrace_rt_unregister_ops(&child_ops))
		return 11;
	return child_hits == 1 ? 0 : 12;
}

static int in_child;

static void on_usr1(int sig)
{
	int saved = errno, status;
	pid_t pid;

	(void)sig;
	pid = fork();
	if (pid == 0) {
		in_child = 1; /* finish in the child's main flow, see worker_main */
		errno = saved;
		return;
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		__atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&forks_done, 1, __ATOMIC_RELEASE);
	errno = saved;
}

static void *worker_main(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		fork_work(1);
		if (in_child)
			_exit(child_main());
	}
	return NULL;
}

static void *churn_main(void *arg)
{
	(void)arg;
	if (ftrace_rt_set_filter(&churn_ops, "fork_work", 1))
		return (void *)1;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		if (ftrace_rt_register_ops(&churn_ops) || ftrace_rt_unregister_ops(&churn_ops))
			return (void *)1;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	struct sigaction sa = {.sa_handler = on_usr1};
	pthread_t churn;
	void *churn_ret;

	setvbuf(stdout, NULL, _IONBF, 0);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	if (ftrace_rt_set_filter(&slow_ops, "fork_work", 1) || ftrace_rt_register_ops(&slow_ops))
		return 1;
	pthread_create(&worker, NULL, worker_main, NULL);
	pthread_create(&churn, NULL, churn_main, NULL);
	for (int i = 0; i < n; i++) {
		pthread_kill(worker, SIGUSR1);
		while (__atomic_load_n(&forks_done, __ATOMIC_ACQUIRE) != i + 1)
			sched_yield();
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(worker, NULL);
	pthread_join(churn, &churn_ret);
	printf("forks %d bad %d churn %s\n", n, bad, churn_ret ? "failed" : "ok");
	return bad || churn_ret;
}
