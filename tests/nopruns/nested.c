// SPDX-License-Identifier: MIT
/*
 * A thread stopped inside a GCC NOP run by a signal whose handler is still
 * running while the object is dlopen'ed (the runtime must not rewrite the run
 * under it), and the same with a thread merely preempted there.
 *
 * The plugin's constructor calls plugin_loading(): a thread starts calling the
 * plugin's function in a loop, and is sent SIGUSR1 until its handler finds the
 * interrupted PC inside the function's entry run; the handler then waits
 * there until dlopen has returned. If the runtime rewrote the run meanwhile,
 * the thread resumes in the middle of an instruction.
 *
 * usage: nested PLUGIN [TRIES]   prints "parked N" (N: 1 if a thread was
 * stopped inside the run, 0 if none could be: the run was already a NOP5),
 * then "calls C" and the runtime's counters, if it is loaded.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include <ftrace_rt/ftrace_rt.h>

static int (*fn)(int);
static volatile int parked, released, stop, tries = 200000;
static volatile long calls;
static pthread_t worker;

static void on_usr1(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP], f = (uintptr_t)fn;

	(void)sig, (void)si;
	if (parked || pc <= f || pc >= f + 5)
		return;
	parked = 1;
	while (!released)
		; /* the handler is still running when dlopen returns */
}

static void *work(void *arg)
{
	int x = 0;

	(void)arg;
	while (!stop) {
		x = fn(x);
		calls++;
	}
	return NULL;
}

/* called by the plugin's constructor, inside dlopen */
__attribute__((visibility("default"))) void plugin_loading(int (*f)(int))
{
	struct sigaction sa = {0};

	fn = f;
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	pthread_create(&worker, NULL, work, NULL);
	for (int i = 0; i < tries && !parked; i++) {
		pthread_kill(worker, SIGUSR1);
		for (volatile int j = 0; j < 2000; j++)
			;
	}
}

int main(int argc, char **argv)
{
	void *h;
	struct ftrace_rt_stats st;
	int (*stats)(struct ftrace_rt_stats *);

	if (argc > 2)
		tries = atoi(argv[2]);
	h = dlopen(argv[1], RTLD_NOW);
	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 2;
	}
	printf("parked %d\n", parked);
	released = 1;
	for (long c = calls; calls < c + 100000;)
		;
	stop = 1;
	pthread_join(worker, NULL);
	printf("calls ok\n");
	*(void **)&stats = dlsym(RTLD_DEFAULT, "ftrace_rt_get_stats");
	if (stats && !stats(&st))
		printf("converted %lu at_load %lu refused %lu\n", st.nop_runs_converted,
		       st.objects_converted_at_load, st.nop_runs_refused);
	dlclose(h);
	return 0;
}
