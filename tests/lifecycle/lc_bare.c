// SPDX-License-Identifier: MIT
/*
 * A program that does not link the runtime: it dlopens a probe provider
 * that does (lc_probe.so), which traces bare_work() here and probe_fn() in
 * itself.
 */
#include <dlfcn.h>
#include <stdio.h>

static volatile int sink;

__attribute__((noinline)) void bare_work(int x)
{
	sink += x;
}

int main(int argc, char **argv)
{
	int (*start)(const char *);
	unsigned long (*hits)(void);
	void (*fn)(int);
	unsigned long n;
	void *h;
	int ret;

	if (argc != 2)
		return 2;
	h = dlopen(argv[1], RTLD_NOW);
	if (!h) {
		printf("dlopen: %s\n", dlerror());
		return 1;
	}
	*(void **)&start = dlsym(h, "probe_start");
	*(void **)&hits = dlsym(h, "probe_hits");
	*(void **)&fn = dlsym(h, "probe_fn");
	if (!start || !hits || !fn)
		return 1;
	ret = start("bare_work,probe_fn");
	if (ret) {
		printf("probe_start: %d\n", ret);
		return 1;
	}
	for (int i = 0; i < 100; i++) {
		bare_work(i);
		fn(i);
	}
	n = hits();
	printf("hits %lu\n", n);
	/* the probe unregisters in its destructor; the runtime itself stays */
	ret = dlclose(h) != 0;
	for (int i = 0; i < 100; i++)
		bare_work(i);
	return ret || n != 200;
}
