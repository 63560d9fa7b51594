// SPDX-License-Identifier: MIT
/*
 * Enable and disable every gen_* site of a generated program: wall time of
 * ftrace_rt_register_ops / ftrace_rt_unregister_ops, and the mprotect and
 * sync counts of each transaction, and the code pages patching made private
 * (before: GCC NOP runs converted at start-up; after: enabled). Prints: sites
 * enable_ms disable_ms enable_syncs disable_syncs enable_mprotects
 * disable_mprotects dirty_kb_before dirty_kb_after metadata_bytes_per_site
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <ftrace_rt/ftrace_rt.h>

int gen_call_all(int x);
static unsigned long hits;

static void count(unsigned long ip, unsigned long parent_ip, struct ftrace_rt_ops *op,
		  struct ftrace_rt_regs *regs)
{
	(void)ip, (void)parent_ip, (void)op, (void)regs;
	hits++;
}

/* Private_Dirty kB of the executable's code mappings: pages copied by patching. */
static long dirty_text_kb(void)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512], exe[512] = "";
	long kb = 0, v;
	int in_text = 0;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = 0;
	while (f && fgets(line, sizeof(line), f)) {
		char perms[8], path[512] = "";

		if (sscanf(line, "%*x-%*x %7s %*x %*x:%*x %*d %511s", perms, path) >= 1 &&
		    strchr(line, '-') && strlen(perms) == 4) {
			in_text = perms[2] == 'x' && !strcmp(path, exe);
			continue;
		}
		if (in_text && sscanf(line, "Private_Dirty: %ld kB", &v) == 1)
			kb += v;
	}
	if (f)
		fclose(f);
	return kb;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

int main(void)
{
	struct ftrace_rt_ops ops = {.func = count};
	struct ftrace_rt_stats s0, s1, s2;
	double t0, t1, t2;
	long dirty0 = dirty_text_kb(), dirty1;

	if (ftrace_rt_set_filter(&ops, "gen_*", 1))
		return 1;
	ftrace_rt_get_stats(&s0);
	t0 = now_ms();
	if (ftrace_rt_register_ops(&ops))
		return 2;
	t1 = now_ms();
	ftrace_rt_get_stats(&s1);
	dirty1 = dirty_text_kb();
	gen_call_all(1);
	if (ftrace_rt_unregister_ops(&ops))
		return 3;
	t2 = now_ms();
	ftrace_rt_get_stats(&s2);
	if (hits != s1.sites_enabled) {
		fprintf(stderr, "patchtime: %lu callbacks for %lu sites\n", hits, s1.sites_enabled);
		return 4;
	}
	printf("%lu %.3f %.3f %lu %lu %lu %lu %ld %ld %.1f\n", s1.sites_enabled, t1 - t0, t2 - t1,
	       s1.syncs - s0.syncs, s2.syncs - s1.syncs, s1.mprotects - s0.mprotects,
	       s2.mprotects - s1.mprotects, dirty0, dirty1,
	       (double)s1.metadata_bytes / (double)s1.sites);
	return 0;
}
