// SPDX-License-Identifier: MIT
/*
 * A program linked with the runtime whose plugins use the API from their
 * constructors and destructors (run by dlopen and dlclose), and which uses it
 * itself from atexit handlers and ELF destructors at exit.
 *
 *   lc_host cycles N PLUGIN   load and unload PLUGIN N times while threads call host_work
 *   lc_host exit              register ops in main, unregister them at exit
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ftrace_rt/ftrace_rt.h>

static int sink; /* atomic: several threads call in */
static int stop;
static int errors;

__attribute__((noinline)) int host_work(int x)
{
	return __atomic_add_fetch(&sink, x, __ATOMIC_RELAXED);
}

/* what a plugin's constructor or destructor got from the API */
void host_report(const char *what, int ret)
{
	if (ret) {
		fprintf(stderr, "lc_host: %s: %s\n", what, ftrace_rt_strerror(ret));
		__atomic_add_fetch(&errors, 1, __ATOMIC_RELAXED);
	}
}

static void *caller(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED))
		host_work(1);
	return NULL;
}

static int cycles(int n, const char *plugin)
{
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, caller, NULL);
	for (int i = 0; i < n; i++) {
		void *h = dlopen(plugin, RTLD_NOW);
		unsigned long *hits;

		if (!h) {
			fprintf(stderr, "lc_host: %s\n", dlerror());
			return 1;
		}
		hits = dlsym(h, "plug_hits");
		host_work(2);
		if (!hits || !__atomic_load_n(hits, __ATOMIC_RELAXED)) {
			fprintf(stderr, "lc_host: cycle %d: the plugin's ops saw no call\n", i);
			errors++;
		}
		dlclose(h);
		host_work(3);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("cycles %d errors %d\n", n, errors);
	return errors != 0;
}

static unsigned long exit_hits;

static void count(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		  struct ftrace_rt_regs *regs)
{
	(void)ip, (void)parent_ip, (void)op, (void)regs;
	exit_hits++;
}

static struct ftrace_rt_ops at_exit_ops = {.func = count}, dtor_ops = {.func = count},
			    late_ops = {.func = count};

static void say(const char *what, int ret)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "%s %d\n", what, ret);

	if (write(1, line, (size_t)n) < 0)
		_exit(3);
}

static void at_exit(void)
{
	say("atexit-unregister", ftrace_rt_unregister_ops(&at_exit_ops));
	say("atexit-filter", ftrace_rt_set_filter(&late_ops, "host_work", 1));
	say("atexit-register", ftrace_rt_register_ops(&late_ops));
	host_work(1);
	say("atexit-unregister-late", ftrace_rt_unregister_ops(&late_ops));
}

__attribute__((destructor)) static void host_dtor(void)
{
	if (!dtor_ops.internal)
		return; /* not the exit mode */
	say("dtor-unregister", ftrace_rt_unregister_ops(&dtor_ops));
}

static int exit_mode(void)
{
	if (ftrace_rt_set_filter(&at_exit_ops, "host_work", 1) ||
	    ftrace_rt_register_ops(&at_exit_ops) ||
	    ftrace_rt_set_filter(&dtor_ops, "host_work", 1) || ftrace_rt_register_ops(&dtor_ops))
		return 1;
	host_work(1);
	say("main-hits", exit_hits == 2 ? 0 : -1);
	atexit(at_exit);
	return 0; /* through exit(): atexit handlers, then ELF destructors */
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc == 4 && !strcmp(argv[1], "cycles"))
		return cycles(atoi(argv[2]), argv[3]);
	if (argc == 2 && !strcmp(argv[1], "exit"))
		return exit_mode();
	fprintf(stderr, "usage: lc_host cycles N PLUGIN | exit\n");
	return 2;
}
