// SPDX-License-Identifier: MIT
/*
 * ftrace-rt report [-d DIR] [-s total|self|call] [--no-demangle] [DIR]
 *
 * A per-function summary of a data directory without uftrace: calls, total
 * and self time, from the <tid>.dat records, names from the map and .sym
 * files (the session of each record is found through task.txt, so exec'd
 * images and forked children resolve to their own objects). The profile
 * tracer's profile.txt is shown in the same table.
 *
 * Times are computed as uftrace's report computes them, so both agree to
 * the nanosecond on the same data: a call's total is its exit time minus
 * its entry time, its self time that minus its callees' totals, and a
 * function's total counts only the calls that are not nested in another
 * call of the same function (same address) on the same thread — a
 * recursive function's time is counted once per wall-clock interval.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data.h"
#include "tool.h"

struct frame {
	uint64_t addr, start, child;
	const char *sid; /* the site is looked up again: the table may have grown */
};

static unsigned long lost_total;
static struct frame *stack;
static size_t stack_cap;

static void push(size_t depth, struct frame fr)
{
	if (depth == stack_cap) {
		stack_cap = stack_cap ? stack_cap * 2 : 1024;
		stack = realloc(stack, stack_cap * sizeof(*stack));
		if (!stack)
			exit(1);
	}
	stack[depth] = fr;
	site_get(fr.sid, fr.addr)->active++;
}

/* A frame closes without an exit record (lost data, end of the file). */
static void drop(const struct frame *fr)
{
	site_get(fr->sid, fr->addr)->active--;
}

/* A frame's exit: count the call, its total (once per recursion) and self time. */
static void close_frame(struct frame *fr, uint64_t ts, struct frame *parent)
{
	struct site *st = site_get(fr->sid, fr->addr);
	uint64_t total = ts > fr->start ? ts - fr->start : 0;

	st->active--;
	st->fn->calls++;
	/* a call nested in a call of the same function: already counted */
	if (!st->active)
		st->fn->total += total;
	st->fn->self += total > fr->child ? total - fr->child : 0;
	if (parent)
		parent->child += total;
}

/*
 * As uftrace's report counts: a frame still open at the end of the file
 * (exit() or pthread_exit() inside it) ends at the file's last record; an
 * exit whose frame was opened before the file began (a forked child's return
 * from its parent's calls) is a call that began with the file.
 */
static void read_dat(const char *path, int tid)
{
	FILE *f = fopen(path, "rb");
	int pid = data_pid(tid);
	size_t depth = 0, n;
	uint64_t first = 0, last = 0, inherited_child = 0;
	bool lost = false, started = false;
	static uint64_t rec[4096][2];

	while (f && (n = fread(rec, sizeof(rec[0]), 4096, f)) > 0) {
		for (size_t r = 0; r < n; r++) {
			unsigned int type = rec[r][1] & 3, magic = (rec[r][1] >> 3) & 7;
			uint64_t addr = rec[r][1] >> 16, ts = rec[r][0];

			if (magic != 5)
				continue;
			if (!started)
				first = ts;
			started = true;
			if (type != 2)
				last = ts;
			if (type == 2) { /* LOST: the open frames cannot be closed correctly */
				lost_total += addr;
				lost = true;
				while (depth)
					drop(&stack[--depth]);
			} else if (type == 0) {
				push(depth++, (struct frame){addr, ts, 0, session_of(pid, ts)});
			} else if (type == 1) {
				size_t i = depth;

				while (i > 0 && stack[i - 1].addr != addr)
					i--;
				if (!i && !depth && !lost) { /* opened before the file began */
					struct frame fr = {addr, first, inherited_child,
							   session_of(pid, ts)};

					site_get(fr.sid, fr.addr)->active++;
					close_frame(&fr, ts, NULL);
					inherited_child = ts > first ? ts - first : 0;
					continue;
				}
				if (!i)
					continue; /* an exit whose entry was lost */
				while (depth > i) /* frames whose exits were lost */
					drop(&stack[--depth]);
				depth--;
				if (depth) {
					close_frame(&stack[depth], ts, &stack[depth - 1]);
				} else {
					struct frame outer = {0};

					close_frame(&stack[depth], ts, &outer);
					inherited_child += outer.child;
				}
			}
		}
	}
	while (depth) { /* still open at the end: they end at the last record */
		depth--;
		close_frame(&stack[depth], last, depth ? &stack[depth - 1] : NULL);
	}
	if (f)
		fclose(f);
}

/* profile.txt rows: calls total_ns self_ns avg_ns NAME@MODULE */
static bool read_profile(const char *path)
{
	char line[8192];
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long calls, total, self;
		int off = 0;
		char *name, *at;
		struct func *fn;

		if (line[0] == '#' ||
		    sscanf(line, "%llu %llu %llu %*u %n", &calls, &total, &self, &off) < 3 || !off)
			continue;
		name = line + off;
		name[strcspn(name, "\n")] = 0;
		at = strrchr(name, '@');
		if (at && at != name)
			*at = 0;
		fn = func_get(name);
		fn->calls += calls;
		fn->total += total;
		fn->self += self;
	}
	fclose(f);
	return true;
}

static int sort_key;

static int cmp_func(const void *a, const void *b)
{
	const struct func *x = *(struct func *const *)a, *y = *(struct func *const *)b;
	uint64_t kx = sort_key == 1 ? x->self : sort_key == 2 ? x->calls : x->total;
	uint64_t ky = sort_key == 1 ? y->self : sort_key == 2 ? y->calls : y->total;

	return kx < ky ? 1 : kx > ky ? -1 : strcmp(x->name, y->name);
}

static void print_table(void)
{
	qsort(funcs, nfuncs, sizeof(*funcs), cmp_func);
	printf("  Total time   Self time       Calls  Function\n");
	printf("  ==========  ==========  ==========  ====================\n");
	for (size_t i = 0; i < nfuncs; i++) {
		char *dn;

		if (!funcs[i]->calls) /* entered, never returned: uftrace shows none either */
			continue;
		dn = tool_demangle(funcs[i]->name);

		printf("  ");
		data_print_time(stdout, funcs[i]->total);
		printf("  ");
		data_print_time(stdout, funcs[i]->self);
		printf("  %10llu  %s\n", (unsigned long long)funcs[i]->calls,
		       dn ? dn : funcs[i]->name);
		free(dn);
	}
}

static void reset_funcs(void)
{
	for (size_t i = 0; i < nfuncs; i++) {
		free(funcs[i]->name);
		free(funcs[i]);
	}
	nfuncs = 0;
	memset(fhash, 0, fhash_cap * sizeof(*fhash));
}

static void report_usage(FILE *f)
{
	fprintf(f,
		"usage: %s report [OPTIONS] [DIR]\n"
		"Per-function calls, total and self time of a data directory, computed as\n"
		"`uftrace report` does: a recursive function's total counts each interval once.\n"
		"For the profile tracer, its profile.txt in the same table.\n"
		"\n"
		"  -d, --data=DIR        the data directory (default ftrace_rt.data); DIR may\n"
		"                        also be given as the only argument\n"
		"  -s, --sort=KEY        total (default), self or call(s)\n"
		"  -m, --no-demangle     show C++ names as mangled (as patterns match them)\n"
		"  -h, --help            this help\n",
		tool_prog);
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"data", required_argument, NULL, 'd'},
		{"sort", required_argument, NULL, 's'},
		{"no-demangle", no_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL;
	char path[PATH_MAX + 32];
	DIR *d;
	struct dirent *e;
	int c, ndat = 0;
	bool prof;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:s:mh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 's':
			if (!strcmp(optarg, "total") || !strcmp(optarg, "self") ||
			    !strcmp(optarg, "call") || !strcmp(optarg, "calls")) {
				sort_key = !strcmp(optarg, "self")	 ? 1
					   : !strncmp(optarg, "call", 4) ? 2
									 : 0;
				break;
			}
			fprintf(stderr, "%s: report: -s/--sort: '%s' is not total, self or call\n",
				tool_prog, optarg);
			return 2;
		case 'm':
			tool_demangle_on = 0;
			break;
		case 'h':
			report_usage(stdout);
			return 0;
		default:
			return tool_bad_option("report", argv, c);
		}
	}
	if (tool_data_dir("report", argc, argv, &dir))
		return 2;
	if (tool_check_data_dir("report", dir))
		return 1;
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "%s report: %s: %s\n", tool_prog, dir, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/profile.txt", dir);
	prof = read_profile(path);
	if (prof) {
		printf("# profile tracer (%s)\n", path);
		print_table();
		reset_funcs();
	}
	data_load(dir);
	while ((e = readdir(d))) {
		int tid;
		char rest[16];

		if (sscanf(e->d_name, "%d%15s", &tid, rest) != 2 || strcmp(rest, ".dat"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		read_dat(path, tid);
		ndat++;
	}
	closedir(d);
	if (!ndat && !prof) {
		fprintf(stderr, "%s report: %s: no trace data (nothing was traced)\n", tool_prog,
			dir);
		return 1;
	}
	if (!ndat)
		return 0;
	if (prof)
		printf("\n# function_graph/function events (%s/*.dat)\n", dir);
	print_table();
	if (lost_total)
		printf("# %lu %s lost (buffers full): counts above are lower bounds\n", lost_total,
		       lost_total == 1 ? "record was" : "records were");
	return 0;
}
