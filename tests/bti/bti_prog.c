// SPDX-License-Identifier: MIT
/*
 * A program built -mbranch-protection=standard and BTI-marked, traced under
 * BTI enforcement (qemu-aarch64 -cpu max guards its pages and the
 * runtime's): four threads call traced functions directly, through
 * function pointers (BLR: `bti c`, then the site) and through longjmp out of
 * hooked frames, while the main thread registers and unregisters a function
 * ops and a graph ops in turn. Signed return addresses (pac-ret) go through
 * the function_graph return hook.
 *
 *   bti_prog run          the above; exit 0
 *   bti_prog nopad        then call a function without a landing pad that lies
 *                         on a page the runtime patched: SIGILL if the page is
 *                         still guarded after the runtime's mprotect calls
 *   bti_prog tramp-nopad  with the ops registered, branch with BLR to the
 *                         trampoline a site of the plugin calls (through its
 *                         veneer), one instruction past its `bti c`: SIGILL if
 *                         the runtime's own text is guarded
 *
 * The BTI-marked plugin libbti_plugin.so is dlopen'ed (rtld-audit init)
 * after 1 GiB of address space was reserved, out of BL's reach of the
 * runtime: its sites call the trampolines through veneers (LDR X16; BR X16),
 * whose BR lands on the trampolines' `bti c`.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <ftrace_rt/ftrace_rt.h>

#define NTHREADS 4
#define ROUNDS	 12

static volatile int stop;
static unsigned long hits, entries, returns, calls[NTHREADS], jumps[NTHREADS];

__attribute__((noinline)) int leaf(int x)
{
	__asm__ volatile("" ::: "memory");
	return x * 3 + 1;
}

__attribute__((noinline)) int mid(int x)
{
	return leaf(x) + leaf(x + 1);
}

__attribute__((noinline)) void deeper(jmp_buf *jb, int x)
{
	if (leaf(x) >= 0)
		longjmp(*jb, 1);
}

__attribute__((noinline)) int jumper(jmp_buf *jb, int x)
{
	deeper(jb, x);
	return mid(x);
}

/* no landing pad, next to the traced functions (same pages) */
__attribute__((noinline, target("branch-protection=none"))) int nopad(int x)
{
	return x + 7;
}

int (*volatile fp_mid)(int) = mid;
int (*volatile fp_nopad)(int) = nopad;
static int (*volatile fp_plug)(int);

static void *worker(void *arg)
{
	unsigned int id = (unsigned int)(uintptr_t)arg;
	jmp_buf jb;

	for (volatile int i = 0; !__atomic_load_n(&stop, __ATOMIC_RELAXED); i++) {
		int v = mid(i) + fp_mid(i) + fp_plug(i);

		if (v != 3 * (6 * i + 5)) {
			fprintf(stderr, "thread %u: wrong value %d at %d\n", id, v, i);
			exit(3);
		}
		if (!setjmp(jb))
			jumper(&jb, i);
		else
			__atomic_fetch_add(&jumps[id], 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&calls[id], 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void hit(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		struct ftrace_rt_regs *regs)
{
	(void)ip, (void)parent_ip, (void)op, (void)regs;
	__atomic_fetch_add(&hits, 1, __ATOMIC_RELAXED);
}

static int on_entry(struct ftrace_rt_graph_ent *ent, struct ftrace_rt_fgraph_ops *g,
		    struct ftrace_rt_regs *regs)
{
	(void)ent, (void)g, (void)regs;
	__atomic_fetch_add(&entries, 1, __ATOMIC_RELAXED);
	return 1;
}

static void on_return(struct ftrace_rt_graph_ret *ret, struct ftrace_rt_fgraph_ops *g)
{
	(void)ret, (void)g;
	__atomic_fetch_add(&returns, 1, __ATOMIC_RELAXED);
}

static struct ftrace_rt_ops fops = {.func = hit};
static struct ftrace_rt_fgraph_ops gops = {.entryfunc = on_entry, .retfunc = on_return};

/* Wait until *@n has grown by @by (the threads ran through the hooks); bounded. */
static void wait_for(unsigned long *n, unsigned long by, const char *what)
{
	unsigned long start = __atomic_load_n(n, __ATOMIC_RELAXED);
	time_t t0 = time(NULL);

	while (__atomic_load_n(n, __ATOMIC_RELAXED) - start < by)
		if (time(NULL) - t0 > 120) {
			fprintf(stderr, "no progress of %s\n", what);
			exit(4);
		}
}

static void check(int ret, const char *what)
{
	if (ret) {
		fprintf(stderr, "%s: %s\n", what, ftrace_rt_strerror(ret));
		exit(5);
	}
}

/* Where the BL at the traced function's site goes, through a veneer (LDR X16, #8; BR X16) or not.
 */
/* The line of /proc/self/maps that holds @a (diagnostics). */
static void print_map(uintptr_t a)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo <= a && a < hi)
			printf("%#lx in %s", (unsigned long)a, line);
	}
	if (f)
		fclose(f);
}

static uintptr_t site_target(uintptr_t entry, int *veneer)
{
	for (int i = 0; i < 3; i++) {
		uint32_t insn = *(const uint32_t *)(entry + 4 * i);

		if ((insn & 0xfc000000u) == 0x94000000u) { /* BL */
			int64_t off = (int64_t)((uint64_t)(insn & 0x03ffffffu) << 38) >> 36;
			uintptr_t t = entry + 4 * i + (uintptr_t)off;

			*veneer = *(const uint32_t *)t == 0x58000050u; /* LDR X16, #8 */
			return *veneer ? *(const uintptr_t *)(t + 8) : t;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "run";
	pthread_t th[NTHREADS];
	unsigned long total = 0, tj = 0;
	long psz = 4096;
	void *plugin;

	if (((uintptr_t)nopad & ~(psz - 1)) != ((uintptr_t)mid & ~(psz - 1)) &&
	    ((uintptr_t)nopad & ~(psz - 1)) != ((uintptr_t)leaf & ~(psz - 1))) {
		fprintf(stderr, "nopad is not on a page with a traced function\n");
		return 6;
	}
	if (!strcmp(mode, "nopad-first")) {
		print_map((uintptr_t)nopad);
		fflush(stdout);
		printf("nopad returned %d\n", fp_nopad(1));
		return 11;
	}
	if (mmap(NULL, 1UL << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) ==
	    MAP_FAILED)
		return 12;
	plugin = dlopen("libbti_plugin.so", RTLD_NOW);
	if (!plugin || !(fp_plug = (int (*)(int))dlsym(plugin, "plug_mid"))) {
		fprintf(stderr, "libbti_plugin.so: %s\n", dlerror());
		return 12;
	}
	check(ftrace_rt_set_filter(&fops, "leaf mid jumper deeper plug_*", 1), "filter");
	check(ftrace_rt_set_filter(&gops.ops, "leaf mid jumper deeper plug_*", 1), "graph filter");
	for (unsigned int i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i))
			return 7;
	for (int r = 0; r < ROUNDS; r++) {
		check(ftrace_rt_register_ops(&fops), "register_ops");
		wait_for(&hits, 2000, "function ops");
		if (r == 0 && !strcmp(mode, "tramp-nopad")) {
			int veneer = 0;
			uintptr_t t = site_target((uintptr_t)fp_plug, &veneer);

			if (!t || *(const uint32_t *)t != 0xd503245fu) { /* BTI c */
				fprintf(stderr,
					"site of plug_mid calls %#lx: not a trampoline with bti "
					"c\n",
					(unsigned long)t);
				return 8;
			}
			printf("site calls %#lx%s; BLR to its second instruction\n",
			       (unsigned long)t, veneer ? " through a veneer" : "");
			print_map(t);
			fflush(stdout);
			((void (*)(void))(t + 4))();
			printf("returned from the trampoline body\n");
			return 9;
		}
		check(ftrace_rt_unregister_ops(&fops), "unregister_ops");
		check(ftrace_rt_register_graph(&gops), "register_graph");
		wait_for(&returns, 2000, "graph ops");
		check(ftrace_rt_unregister_graph(&gops), "unregister_graph");
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (unsigned int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		total += calls[i];
		tj += jumps[i];
	}
	printf("rounds %d hits %lu entries %lu returns %lu calls %lu longjmps %lu\n", ROUNDS, hits,
	       entries, returns, total, tj);
	if (tj != total) {
		fprintf(stderr, "longjmp count %lu, rounds %lu\n", tj, total);
		return 10;
	}
	if (!strcmp(mode, "nopad")) {
		fflush(stdout);
		printf("nopad returned %d\n", fp_nopad(1));
		return 11;
	}
	return 0;
}
