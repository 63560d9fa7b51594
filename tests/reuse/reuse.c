// SPDX-License-Identifier: MIT
/*
 * dlclose(A) in one thread while another dlopen()s B, which the loader puts
 * where A was, as a third thread keeps changing which sites are enabled.
 * The runtime must never take B for A: B's code must stay intact (its
 * checksum equals an untraced reading) and B's functions must be traced.
 *
 * With "unhooked", one thread does it in turn, and closes A through libc's
 * own dlclose, which the runtime does not see: the runtime must still find
 * that B is not A when B comes to the same place.
 *
 * usage: reuse LIBA LIBB CYCLES [unhooked]   prints "reused N of M" and "ok"
 */
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ftrace_rt/ftrace_rt.h>

static const char *liba, *libb;
static void *ha, *hb;
static pthread_barrier_t go, done;
static volatile int stop;
static int closing; /* the closer is about to dlclose: the opener goes then */
static unsigned long hits_b;

static void count(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		  struct ftrace_rt_regs *regs)
{
	(void)ip, (void)parent_ip, (void)regs;
	__atomic_fetch_add((unsigned long *)op->priv, 1, __ATOMIC_RELAXED);
}

static unsigned long toggles;
static struct ftrace_rt_ops bops = {.func = count, .priv = &hits_b};

static void *closer(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_barrier_wait(&go);
		if (stop)
			return NULL;
		__atomic_store_n(&closing, 1, __ATOMIC_RELEASE);
		dlclose(ha);
		pthread_barrier_wait(&done);
	}
}

static void *opener(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_barrier_wait(&go);
		if (stop)
			return NULL;
		/* right behind the closer, so that B is mapped as (or just after) A goes */
		while (!__atomic_load_n(&closing, __ATOMIC_ACQUIRE))
			;
		hb = dlopen(libb, RTLD_NOW);
		pthread_barrier_wait(&done);
	}
}

/* transactions over every object, all the time */
static void *toggler(void *arg)
{
	static unsigned long hits;
	struct ftrace_rt_ops ops = {.func = count, .priv = &hits};

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		if (ftrace_rt_register_ops(&ops) == 0)
			ftrace_rt_unregister_ops(&ops);
		toggles++;
		sched_yield(); /* the patch lock is not fair: let the loader hooks have it too */
	}
	return NULL;
}

static void *base_of(void *h, const char *sym)
{
	Dl_info info;
	void *f = dlsym(h, sym);

	return f && dladdr(f, &info) ? info.dli_fbase : NULL;
}

/* B where A was, behind the runtime's back */
static int unhooked(int cycles)
{
	void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	int (*real_dlclose)(void *) = libc ? (int (*)(void *))dlsym(libc, "dlclose") : NULL;
	struct ftrace_rt_ops aops = {.func = count, .priv = &toggles};
	int reused = 0;

	if (!real_dlclose)
		return 9;
	for (int i = 0; i < cycles; i++) {
		void *abase;
		int (*sum)(void), got, want;
		unsigned long before;

		ha = dlopen(liba, RTLD_NOW);
		abase = base_of(ha, "a_sum");
		/* A traced and untraced again: its slots hold ops pointers */
		if (ftrace_rt_set_filter(&aops, "a_*", 1) || ftrace_rt_register_ops(&aops)) {
			fprintf(stderr, "cycle %d: a's functions cannot be traced\n", i);
			return 10;
		}
		*(void **)&sum = dlsym(ha, "a_sum");
		want = sum();
		if (ftrace_rt_unregister_ops(&aops) || sum() != want)
			return 11;
		real_dlclose(ha);
		hb = dlopen(libb, RTLD_NOW);
		reused += base_of(hb, "b_sum") == abase;
		*(void **)&sum = dlsym(hb, "b_sum");
		if (ftrace_rt_set_filter(&bops, "b_*", 1) || ftrace_rt_register_ops(&bops)) {
			fprintf(stderr, "cycle %d: b's functions cannot be traced\n", i);
			return 6;
		}
		before = hits_b;
		got = sum();
		if (hits_b - before < 25) {
			fprintf(stderr, "cycle %d: b traced %lu times, want >= 25\n", i,
				hits_b - before);
			return 8;
		}
		ftrace_rt_unregister_ops(&bops);
		if (sum() != got)
			return 7;
		dlclose(hb);

		/* A closed behind the runtime while traced, and mapped again in its place */
		ha = dlopen(liba, RTLD_NOW);
		abase = base_of(ha, "a_sum");
		if (ftrace_rt_set_filter(&aops, "a_*", 1) || ftrace_rt_register_ops(&aops)) {
			fprintf(stderr, "cycle %d: a (again) cannot be traced\n", i);
			return 10;
		}
		real_dlclose(ha);
		ha = dlopen(liba, RTLD_NOW);
		if (base_of(ha, "a_sum") != abase) {
			/* mapped elsewhere (the loader chose another place): nothing to check,
			 * but aops stays registered until taken down like below */
			ftrace_rt_unregister_ops(&aops);
			dlclose(ha);
			continue;
		}
		reused++;
		*(void **)&sum = dlsym(ha, "a_sum");
		before = toggles;
		got = sum();
		if (toggles - before < 96) {
			fprintf(stderr, "cycle %d: a mapped again traced %lu times, want >= 96\n",
				i, toggles - before);
			return 12;
		}
		ftrace_rt_unregister_ops(&aops);
		dlclose(ha);
	}
	printf("reused %d of %d\nok\n", reused, 2 * cycles);
	return 0;
}

int main(int argc, char **argv)
{
	pthread_t c, o, t;
	int cycles, reused = 0, want_b;
	int (*sum)(void);
	void *h;

	if (argc < 4)
		return 2;
	liba = argv[1], libb = argv[2], cycles = atoi(argv[3]);
	if (argc > 4 && !strcmp(argv[4], "unhooked"))
		return unhooked(cycles);
	/* what b's checksum is, read before anything traced b */
	h = dlopen(libb, RTLD_NOW);
	if (!h) {
		fprintf(stderr, "dlopen %s: %s\n", libb, dlerror());
		return 2;
	}
	*(void **)&sum = dlsym(h, "b_sum");
	want_b = sum();
	dlclose(h);
	pthread_barrier_init(&go, NULL, 3);
	pthread_barrier_init(&done, NULL, 3);
	pthread_create(&c, NULL, closer, NULL);
	pthread_create(&o, NULL, opener, NULL);
	pthread_create(&t, NULL, toggler, NULL);
	for (int i = 0; i < cycles; i++) {
		void *abase;
		unsigned long before;
		int got;

		ha = dlopen(liba, RTLD_NOW);
		if (!ha)
			return 4;
		abase = base_of(ha, "a_sum");
		__atomic_store_n(&closing, 0, __ATOMIC_RELAXED);
		pthread_barrier_wait(&go);
		pthread_barrier_wait(&done);
		if (!hb) {
			fprintf(stderr, "dlopen %s: %s\n", libb, dlerror());
			return 5;
		}
		reused += base_of(hb, "b_sum") == abase;
		*(void **)&sum = dlsym(hb, "b_sum");
		if (ftrace_rt_set_filter(&bops, "b_*", 1) || ftrace_rt_register_ops(&bops)) {
			fprintf(stderr, "cycle %d: b's functions cannot be traced\n", i);
			return 6;
		}
		before = hits_b;
		got = sum();
		if (got != want_b) {
			fprintf(stderr,
				"cycle %d: b's checksum %d, want %d: its code was changed\n", i,
				got, want_b);
			return 7;
		}
		if (hits_b - before < 25) {
			fprintf(stderr, "cycle %d: b traced %lu times, want >= 25\n", i,
				hits_b - before);
			return 8;
		}
		ftrace_rt_unregister_ops(&bops);
		dlclose(hb);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_barrier_wait(&go);
	pthread_join(c, NULL);
	pthread_join(o, NULL);
	pthread_join(t, NULL);
	printf("reused %d of %d, %lu toggles\nok\n", reused, cycles, toggles);
	return 0;
}
