// SPDX-License-Identifier: MIT
/*
 * Live-patching stress test, written against <ftrace_rt/ftrace_rt.h> only.
 *
 * Worker threads call 400 traced functions (executable, shared library,
 * dlopen'ed plugin) without pause and check every result, so a clobbered
 * argument register or a half-patched site shows up as a wrong value or a
 * crash. Meanwhile the controller registers, refilters and unregisters
 * overlapping ops thousands of times, poisoning and freeing each ops right
 * after unregistering it: a callback that runs after unregister returns finds
 * the poison and aborts. Optionally another thread dlopens and dlcloses a
 * second plugin in a loop. Then a quiet phase checks exact callback counts.
 *
 * After every API call the controller checks that no page is left writable
 * and executable. With -s, another thread starts processes with posix_spawn,
 * vfork+exec and fork (the child calls the traced functions) while
 * transactions run.
 *
 * usage: stress PLUGIN [CHURN_PLUGIN] [-i ITERATIONS] [-w WORKERS] [-c DLCLOSE_CYCLES] [-s SPAWNS]
 */
#include <dlfcn.h>
#include <spawn.h>
#include <sys/wait.h>
#include <stdbool.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ftrace_rt/ftrace_rt.h>

extern char **environ;

#include "stress.h"
#include "stress_tracer.h"

#define MAX_TRACERS 4
#define MAX_WORKERS 16

#define DEF(num)                                       \
	NOINLINE long st_m##num(long x, double d)      \
	{                                              \
		return ST_EXPECT(1##num - 1000, x, d); \
	}
ST_D100(DEF, 0)
ST_D100(DEF, 1)
#undef DEF
#define REF(num) st_m##num,
static st_fn_t main_fns[200] = {ST_D100(REF, 0) ST_D100(REF, 1)};

static st_fn_t *plugin_fns;
static unsigned int nplugin;

/* entries of the st_ functions whose first argument is a worker counter */
static unsigned long known[400];
static unsigned int nknown;

static int cmp_ul(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static bool is_known(unsigned long ip)
{
	return bsearch(&ip, known, nknown, sizeof(*known), cmp_ul) != NULL;
}

/* entries the runtime can trace (a site whose 2-byte head would straddle a cache line cannot) */
static unsigned long traceable[1024];
static unsigned int ntraceable;

static int collect_site(const struct ftrace_rt_site_info *site, void *arg)
{
	(void)arg;
	if (ntraceable < sizeof(traceable) / sizeof(*traceable))
		traceable[ntraceable++] = site->ip;
	return 0;
}

static bool is_traceable(unsigned long ip)
{
	return bsearch(&ip, traceable, ntraceable, sizeof(*traceable), cmp_ul) != NULL;
}

/* how many of @fns[0..n) are traceable */
static unsigned long count_traceable(st_fn_t *fns, unsigned int n)
{
	unsigned long c = 0;

	for (unsigned int i = 0; i < n; i++)
		c += is_traceable((unsigned long)fns[i]);
	return c;
}

static volatile int stop_workers;
static volatile int quiet; /* no recursive calls from the callback */
static unsigned long bad_results;

static void die(const char *what)
{
	fprintf(stderr, "stress: FAIL: %s\n", what);
	fflush(stderr);
	abort();
}

static void callback(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		     struct ftrace_rt_regs *regs)
{
	struct tracer *t = (struct tracer *)op;
	unsigned long h;
	(void)parent_ip;

	if (t->magic != MAGIC)
		die("callback ran for an unregistered (poisoned) ops");
	if (!ip)
		die("callback got ip 0");
	h = __atomic_add_fetch(&t->hits, 1, __ATOMIC_RELAXED);
	/* the first argument of the st_ functions is a small counter */
	if (is_known(ip) && ftrace_rt_regs_get_arg(regs, 0) > 1000000UL)
		die("argument register 0 is not what the caller passed");
	/* a traced call from inside a callback must not recurse */
	if (!__atomic_load_n(&quiet, __ATOMIC_RELAXED) && (h & 1023) == 0)
		main_fns[h % 200](1, 0.5);
}

static void call_all(long x)
{
	double d = (double)x + 0.25;

	for (unsigned int i = 0; i < 200; i++)
		if (main_fns[i](x, d) != ST_EXPECT((long)i, x, d))
			__atomic_add_fetch(&bad_results, 1, __ATOMIC_RELAXED);
	for (unsigned int i = 0; i < 100; i++)
		if (st_shared_fns[i](x, d) != ST_EXPECT((long)i, x, d))
			__atomic_add_fetch(&bad_results, 1, __ATOMIC_RELAXED);
	for (unsigned int i = 0; i < nplugin; i++)
		if (plugin_fns[i](x, d) != ST_EXPECT((long)i, x, d))
			__atomic_add_fetch(&bad_results, 1, __ATOMIC_RELAXED);
}

static void *worker(void *arg)
{
	long rounds = (long)arg, x = 0;

	if (rounds > 0) {
		for (long r = 0; r < rounds; r++)
			call_all(r % 1000);
		return NULL;
	}
	while (!__atomic_load_n(&stop_workers, __ATOMIC_RELAXED))
		call_all(x++ % 1000);
	return NULL;
}

static const char *const filters[] = {
	"",	      "*",	 "st_m0*", "st_s*@libstress*", "st_p0?[05]", "st_m1*,st_s0*",
	"st_[mp]00?", "st_m19?", "st_p*",  "*@main",	       "st_s05*",
};
static const char *const notraces[] = {"st_m01*", "st_s*", "st_p09?", "st_m1[0-4]*"};

static unsigned int rnd(unsigned int *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 8) & 0xffffff;
}

/*
 * No page may stay writable and executable after a transaction. The churn
 * plugin's pages are left out while its thread runs: its own dlopen
 * transactions may be in flight at the moment this looks.
 */
static volatile int churning;

static void check_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	while (f && fgets(line, sizeof(line), f)) {
		char perms[8];

		if (__atomic_load_n(&churning, __ATOMIC_RELAXED) && strstr(line, "stressplugin-q"))
			continue;
		if (sscanf(line, "%*x-%*x %7s", perms) == 1 && perms[1] == 'w' && perms[2] == 'x') {
			fprintf(stderr, "stress: writable code after a transaction: %s", line);
			die("W^X");
		}
	}
	if (f)
		fclose(f);
}

static void check(int ret, const char *what)
{
	if (ret) {
		fprintf(stderr, "stress: %s: %s\n", what, ftrace_rt_strerror(ret));
		exit(1);
	}
	check_maps();
}

/* @light: the callback that promises not to touch vector registers */
static struct tracer *tracer_new(int id, bool light)
{
	struct tracer *t = calloc(1, sizeof(*t));

	if (!t)
		die("calloc");
	t->ops.func = light ? light_callback : callback;
	t->ops.flags = light ? FTRACE_RT_OPS_F_NO_VECTOR : 0;
	t->magic = MAGIC;
	t->id = id;
	return t;
}

static void tracer_kill(struct tracer *t)
{
	check(ftrace_rt_unregister_ops(&t->ops), "unregister");
	memset(t, 0xdb, sizeof(*t)); /* a late callback finds this */
	free(t);
}

static void churn(unsigned int iterations, unsigned int seed)
{
	struct tracer *live[MAX_TRACERS] = {0};
	unsigned long regs = 0, unregs = 0, refilters = 0, ipfilters = 0;

	for (unsigned int it = 0; it < iterations; it++) {
		unsigned int k = rnd(&seed) % MAX_TRACERS, action = rnd(&seed) % 8;
		struct tracer *t = live[k];

		if (!t) {
			t = tracer_new((int)it, rnd(&seed) % 2);
			if (rnd(&seed) % 3) {
				const char *f =
					filters[rnd(&seed) % (sizeof(filters) / sizeof(*filters))];

				check(ftrace_rt_set_filter(&t->ops, f, 1),
				      "set_filter before register");
			}
			if (rnd(&seed) % 4 == 0)
				check(ftrace_rt_set_notrace(
					      &t->ops,
					      notraces[rnd(&seed) %
						       (sizeof(notraces) / sizeof(*notraces))],
					      1),
				      "set_notrace");
			check(ftrace_rt_register_ops(&t->ops), "register");
			live[k] = t;
			regs++;
		} else if (action < 3) {
			const char *f = filters[rnd(&seed) % (sizeof(filters) / sizeof(*filters))];

			check(ftrace_rt_set_filter(&t->ops, f, rnd(&seed) % 2), "refilter");
			refilters++;
		} else if (action < 4) {
			st_fn_t fn = rnd(&seed) % 2 ? main_fns[rnd(&seed) % 200]
						    : st_shared_fns[rnd(&seed) % 100];

			int r = ftrace_rt_set_filter_ip(&t->ops, (unsigned long)fn, 0,
							rnd(&seed) % 2);

			if (is_traceable((unsigned long)fn) || r != -ENOENT)
				check(r, "set_filter_ip");
			ipfilters++;
		} else {
			tracer_kill(t);
			live[k] = NULL;
			unregs++;
		}
	}
	for (int k = 0; k < MAX_TRACERS; k++)
		if (live[k]) {
			tracer_kill(live[k]);
			unregs++;
		}
	printf("churn: %u iterations: %lu registers, %lu unregisters, %lu refilters, %lu ip "
	       "filters\n",
	       iterations, regs, unregs, refilters, ipfilters);
}

/* processes started while transactions run: posix_spawn and vfork+exec */
static void *spawner(void *arg)
{
	unsigned int n = (unsigned int)(unsigned long)arg;
	char *argv[] = {"true", NULL};

	for (unsigned int i = 0; i < n; i++) {
		pid_t pid;
		int st;

		if (i % 3 == 0) {
			if (posix_spawnp(&pid, "true", NULL, NULL, argv, environ))
				die("posix_spawn");
		} else if (i % 3 == 1) {
			pid = vfork();
			if (!pid) {
				execvp("true", argv);
				_exit(127);
			}
		} else {
			/* a forked child runs the traced functions with the sites as they are */
			pid = fork();
			if (!pid) {
				call_all(7);
				_exit(bad_results ? 1 : 0);
			}
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			die("spawned process failed");
	}
	return NULL;
}

struct churn_arg {
	const char *path;
	unsigned int cycles;
};

/* dlopen, call, dlclose a second plugin while everything else runs */
static void *dl_churn(void *arg_)
{
	struct churn_arg *a = arg_;

	for (unsigned int c = 0; c < a->cycles; c++) {
		void *h = dlopen(a->path, RTLD_NOW | RTLD_LOCAL);
		st_table_fn_t get;
		st_fn_t *fns;
		unsigned int n;

		if (!h) {
			fprintf(stderr, "stress: dlopen %s: %s\n", a->path, dlerror());
			exit(1);
		}
		get = (st_table_fn_t)dlsym(h, "st_plugin_table");
		fns = get(&n);
		for (unsigned int i = 0; i < n; i++)
			if (fns[i]((long)c, 1.5) != ST_EXPECT((long)i, (long)c, 1.5))
				__atomic_add_fetch(&bad_results, 1, __ATOMIC_RELAXED);
		unsigned long (*bad)(void) = (unsigned long (*)(void))dlsym(h, "st_plugin_bad");

		if (bad && bad())
			die("the churn plugin's own thread saw wrong results");
		if (dlclose(h))
			die("dlclose");
	}
	return NULL;
}

static void quiet_phase(unsigned int workers)
{
	struct tracer *a = tracer_new(-1, true), *b = tracer_new(-2, false);
	pthread_t th[MAX_WORKERS];
	const long rounds = 50;
	struct ftrace_rt_stats st;
	unsigned long ea, eb;

	__atomic_store_n(&quiet, 1, __ATOMIC_RELAXED);
	/* a: st_m000..st_m099; b: st_m050..st_m059 and all 100 shared ones (overlap: list ops) */
	check(ftrace_rt_set_filter(&a->ops, "st_m0*", 1), "quiet filter a");
	check(ftrace_rt_set_filter(&b->ops, "st_m05*", 1), "quiet filter b");
	check(ftrace_rt_set_filter(&b->ops, "st_s*", 0), "quiet filter b add");
	check(ftrace_rt_set_notrace(&b->ops, "st_s09*", 1), "quiet notrace b");
	check(ftrace_rt_register_ops(&a->ops), "quiet register a");
	check(ftrace_rt_register_ops(&b->ops), "quiet register b");
	for (unsigned int i = 0; i < workers; i++)
		pthread_create(&th[i], NULL, worker, (void *)rounds);
	for (unsigned int i = 0; i < workers; i++)
		pthread_join(th[i], NULL);
	/* a: st_m000-099; b: st_m050-059 and st_s000-089 */
	ea = (unsigned long)workers * rounds * count_traceable(main_fns, 100);
	eb = (unsigned long)workers * rounds *
	     (count_traceable(main_fns + 50, 10) + count_traceable(st_shared_fns, 90));
	printf("quiet: a=%lu (expect %lu) b=%lu (expect %lu)\n", a->hits, ea, b->hits, eb);
	if (a->hits != ea || b->hits != eb)
		die("exact counts in the quiet phase");
	check(ftrace_rt_get_stats(&st), "stats");
	printf("quiet: %lu sites enabled, %lu transactions, %lu syncs\n", st.sites_enabled,
	       st.transactions, st.syncs);
	printf("stress: %lu NOP runs converted, %lu objects as they were mapped, %lu runs left\n",
	       st.nop_runs_converted, st.objects_converted_at_load, st.nop_runs_refused);
	if (st.sites_enabled != count_traceable(main_fns, 100) + count_traceable(st_shared_fns, 90))
		die("enabled site count in the quiet phase");
	tracer_kill(a);
	tracer_kill(b);
	check(ftrace_rt_get_stats(&st), "stats");
	if (st.sites_enabled != 0)
		die("sites still enabled after unregistering everything");
	call_all(1);
}

int main(int argc, char **argv)
{
	unsigned int iterations = 2000, workers = 4, cycles = 0, spawns = 0;
	const char *plugin = NULL, *churn_plugin = NULL;
	pthread_t th[MAX_WORKERS], dl, sp;
	struct churn_arg ca;
	void *h;
	int c;

	while ((c = getopt(argc, argv, "i:w:c:s:")) != -1) {
		switch (c) {
		case 's':
			spawns = (unsigned int)atoi(optarg);
			break;
		case 'i':
			iterations = (unsigned int)atoi(optarg);
			break;
		case 'w':
			workers = (unsigned int)atoi(optarg);
			break;
		case 'c':
			cycles = (unsigned int)atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (optind < argc)
		plugin = argv[optind++];
	if (optind < argc)
		churn_plugin = argv[optind++];
	if (!plugin || workers < 1 || workers > MAX_WORKERS)
		return 2;
	h = dlopen(plugin, RTLD_NOW);
	if (!h) {
		fprintf(stderr, "stress: dlopen %s: %s\n", plugin, dlerror());
		return 1;
	}
	plugin_fns = ((st_table_fn_t)dlsym(h, "st_plugin_table"))(&nplugin);
	for (unsigned int i = 0; i < 200; i++)
		known[nknown++] = (unsigned long)main_fns[i];
	for (unsigned int i = 0; i < 100; i++)
		known[nknown++] = (unsigned long)st_shared_fns[i];
	for (unsigned int i = 0; i < nplugin && i < 100; i++)
		known[nknown++] = (unsigned long)plugin_fns[i];
	qsort(known, nknown, sizeof(*known), cmp_ul);
	check(ftrace_rt_for_each_site(NULL, collect_site, NULL), "for_each_site");
	qsort(traceable, ntraceable, sizeof(*traceable), cmp_ul);
	printf("stress: %u traceable functions, %u of the %u checked ones\n", ntraceable,
	       (unsigned int)(count_traceable(main_fns, 200) + count_traceable(st_shared_fns, 100) +
			      count_traceable(plugin_fns, nplugin)),
	       200 + 100 + nplugin);

	for (unsigned int i = 0; i < workers; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	if (churn_plugin && cycles) {
		__atomic_store_n(&churning, 1, __ATOMIC_RELAXED);
		ca = (struct churn_arg){churn_plugin, cycles};
		pthread_create(&dl, NULL, dl_churn, &ca);
	}
	if (spawns)
		pthread_create(&sp, NULL, spawner, (void *)(unsigned long)spawns);
	churn(iterations, 12345);
	if (churn_plugin && cycles) {
		pthread_join(dl, NULL);
		__atomic_store_n(&churning, 0, __ATOMIC_RELAXED);
		check_maps();
	}
	if (spawns)
		pthread_join(sp, NULL);
	__atomic_store_n(&stop_workers, 1, __ATOMIC_RELAXED);
	for (unsigned int i = 0; i < workers; i++)
		pthread_join(th[i], NULL);
	if (bad_results)
		die("traced functions returned wrong results");
	quiet_phase(workers);
	if (bad_results)
		die("traced functions returned wrong results");
	printf("stress: ok\n");
	return 0;
}
