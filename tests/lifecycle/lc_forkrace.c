// SPDX-License-Identifier: MIT
/*
 * Two fork()s at once: one from a constructor run by dlopen (inside the
 * loader hooks), one from another thread that waits for that dlopen to
 * finish. Each fork must give back exactly what it took of the loader
 * hooks' ordering lock; afterwards dlclose and dlopen still work.
 *
 * The constructor of lc_forkctor.so calls forkrace_in_ctor(): it lets the
 * other thread start its fork, waits until that thread is blocked (it waits
 * for the dlopen in progress), then forks itself.
 *
 * usage: lc_forkrace PLUGIN
 */
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int go, forking, forked, waited = -1;
static pid_t forker_tid;

static void fork_and_wait(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static void *forker(void *arg)
{
	(void)arg;
	__atomic_store_n(&forker_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&go, __ATOMIC_SEQ_CST))
		sched_yield();
	__atomic_store_n(&forking, 1, __ATOMIC_SEQ_CST);
	fork_and_wait();
	__atomic_store_n(&forked, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* 'S' once the thread sleeps (in fork's prepare handler, waiting for the dlopen) */
static char state(pid_t tid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] ? p[2] : '?';
}

__attribute__((visibility("default"))) void forkrace_in_ctor(void)
{
	__atomic_store_n(&go, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&forking, __ATOMIC_SEQ_CST))
		sched_yield();
	/*
	 * Until it sleeps, or has forked already: under AddressSanitizer its fork
	 * has been seen to complete without waiting (then it must not be waited
	 * for here, where nothing would end the wait).
	 */
	while (state(forker_tid) != 'S' && !__atomic_load_n(&forked, __ATOMIC_SEQ_CST))
		sched_yield();
	fork_and_wait();
	/* still in the dlopen: a forker that waited for it cannot have forked yet */
	waited = !__atomic_load_n(&forked, __ATOMIC_SEQ_CST);
}

int main(int argc, char **argv)
{
	pthread_t t;
	void *h;

	if (argc < 2)
		return 2;
	pthread_create(&t, NULL, forker, NULL);
	h = dlopen(argv[1], RTLD_NOW);
	if (!h) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	pthread_join(t, NULL);
	/* both forks are done: the hooks' lock must be free again */
	dlclose(h);
	h = dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD);
	if (h)
		dlclose(h);
	printf("forker waited for the dlopen: %s\n", waited ? "yes" : "no");
	printf("forkrace ok\n");
	return 0;
}
