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

#include "tool.h"

struct sym {
	uint64_t addr; /* absolute */
	char *name;
};

struct module {
	char sid[32];
	uint64_t start, end;
	char *path;
	struct sym *syms;
	size_t nsyms;
};

struct session { /* SESS or FORK: from @time on, @pid runs in @sid */
	int pid;
	uint64_t time;
	char sid[32];
};

struct func {
	char *name;
	uint64_t calls, total, self;
};

/* One address in one session: its function, and how many of its calls are open. */
struct site {
	const char *sid;
	uint64_t addr;
	struct func *fn;
	unsigned long active;
};

static struct module *mods;
static size_t nmods;
static struct session *sess;
static size_t nsess;
static int *task_pid; /* by tid, from TASK lines */
static unsigned long lost_total;

/*
 * Functions by name and sites by (session, address): open-addressing hash
 * tables, so a record costs O(1) however many functions the data has.
 */
static struct func **funcs; /* in insertion order, for sorting */
static size_t nfuncs, capfuncs;
static struct func **fhash;
static size_t fhash_cap;
static struct site *shash;
static size_t shash_n, shash_cap;

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static uint64_t hash_site(const char *sid, uint64_t addr)
{
	return (addr ^ ((uint64_t)(uintptr_t)sid << 17)) * 0x9e3779b97f4a7c15ULL;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		fprintf(stderr, "%s: report: out of memory\n", tool_prog);
		exit(1);
	}
	return p;
}

static struct func *func_get(const char *name)
{
	size_t i;

	if ((nfuncs + 1) * 2 > fhash_cap) {
		size_t ncap = fhash_cap ? fhash_cap * 2 : 1024;
		struct func **nh = xcalloc(ncap, sizeof(*nh));

		for (size_t k = 0; k < nfuncs; k++) {
			for (i = hash_str(funcs[k]->name) & (ncap - 1); nh[i];
			     i = (i + 1) & (ncap - 1))
				;
			nh[i] = funcs[k];
		}
		free(fhash);
		fhash = nh;
		fhash_cap = ncap;
	}
	for (i = hash_str(name) & (fhash_cap - 1); fhash[i]; i = (i + 1) & (fhash_cap - 1))
		if (!strcmp(fhash[i]->name, name))
			return fhash[i];
	if (nfuncs == capfuncs) {
		capfuncs = capfuncs ? capfuncs * 2 : 256;
		funcs = realloc(funcs, capfuncs * sizeof(*funcs));
		if (!funcs)
			exit(1);
	}
	fhash[i] = funcs[nfuncs++] = xcalloc(1, sizeof(struct func));
	fhash[i]->name = strdup(name);
	return fhash[i];
}

static uint64_t parse_ts(const char *s)
{
	unsigned long sec = 0, ns = 0;

	sscanf(s, "%lu.%lu", &sec, &ns);
	return (uint64_t)sec * 1000000000ULL + ns;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void load_syms(const char *dir, struct module *m)
{
	char path[PATH_MAX * 2], line[4096];
	const char *base = strrchr(m->path, '/') ? strrchr(m->path, '/') + 1 : m->path;
	FILE *f;
	size_t cap = 0;

	snprintf(path, sizeof(path), "%s/%s.sym", dir, base);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a;
		char type, name[2048];

		if (line[0] == '#' || sscanf(line, "%llx %c %2047s", &a, &type, name) != 3)
			continue;
		if (m->nsyms == cap) {
			cap = cap ? cap * 2 : 256;
			m->syms = realloc(m->syms, cap * sizeof(*m->syms));
		}
		m->syms[m->nsyms++] = (struct sym){m->start + a, strdup(name)};
	}
	fclose(f);
	qsort(m->syms, m->nsyms, sizeof(*m->syms), cmp_sym);
}

static void load_maps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char path[PATH_MAX * 2], line[PATH_MAX + 256], sid[32];
		FILE *f;

		if (sscanf(e->d_name, "sid-%31[0-9a-f].map", sid) != 1)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f)) {
			unsigned long long s, en;
			char prot[8], p[PATH_MAX];

			if (sscanf(line, "%llx-%llx %7s %*x %*x:%*x %*d %4095s", &s, &en, prot,
				   p) != 4 ||
			    p[0] == '[')
				continue;
			mods = realloc(mods, (nmods + 1) * sizeof(*mods));
			mods[nmods] = (struct module){{0}, s, en, strdup(p), NULL, 0};
			snprintf(mods[nmods].sid, sizeof(mods[nmods].sid), "%s", sid);
			load_syms(dir, &mods[nmods]);
			nmods++;
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
}

static void load_tasks(const char *dir)
{
	char path[PATH_MAX + 16], line[PATH_MAX + 256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/task.txt", dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char ts[64], sid[32];
		int pid, tid, ppid;
		unsigned long long base;
		char lib[PATH_MAX];

		if (sscanf(line, "SESS timestamp=%63s pid=%d sid=%31s", ts, &pid, sid) == 3) {
			sess = realloc(sess, (nsess + 1) * sizeof(*sess));
			sess[nsess] = (struct session){pid, parse_ts(ts), {0}};
			snprintf(sess[nsess++].sid, sizeof(sess->sid), "%s", sid);
		} else if (sscanf(line, "TASK timestamp=%63s tid=%d pid=%d", ts, &tid, &pid) == 3) {
			if (tid > 0 && tid < 1 << 22) {
				if (!task_pid)
					task_pid = xcalloc(1 << 22, sizeof(int));
				task_pid[tid] = pid;
			}
		} else if (sscanf(line, "FORK timestamp=%63s pid=%d ppid=%d", ts, &pid, &ppid) ==
			   3) {
			/* the child runs in its parent's current session */
			for (size_t i = nsess; i-- > 0;)
				if (sess[i].pid == ppid) {
					sess = realloc(sess, (nsess + 1) * sizeof(*sess));
					sess[nsess] = sess[i];
					sess[nsess].pid = pid;
					sess[nsess++].time = parse_ts(ts);
					break;
				}
		} else if (sscanf(line,
				  "DLOP timestamp=%63s tid=%d sid=%31s base=%llx "
				  "libname=\"%4095[^\"]\"",
				  ts, &tid, sid, &base, lib) == 5) {
			mods = realloc(mods, (nmods + 1) * sizeof(*mods));
			mods[nmods] = (struct module){{0}, base, UINT64_MAX, strdup(lib), NULL, 0};
			snprintf(mods[nmods].sid, sizeof(mods[nmods].sid), "%s", sid);
			load_syms(dir, &mods[nmods]);
			if (mods[nmods].nsyms) /* the end is the last symbol's terminator */
				mods[nmods].end = mods[nmods].syms[mods[nmods].nsyms - 1].addr + 1;
			nmods++;
		}
	}
	if (f)
		fclose(f);
}

static const char *session_of(int pid, uint64_t time)
{
	const char *best = NULL;
	uint64_t bt = 0;

	for (size_t i = 0; i < nsess; i++)
		if (sess[i].pid == pid && sess[i].time <= time && sess[i].time >= bt) {
			best = sess[i].sid;
			bt = sess[i].time;
		}
	return best;
}

static const char *resolve(const char *sid, uint64_t addr, char *buf, size_t len)
{
	for (size_t i = 0; i < nmods; i++) {
		struct module *m = &mods[i];
		size_t lo = 0, hi = m->nsyms;

		if ((sid && strcmp(m->sid, sid)) || addr < m->start || addr >= m->end)
			continue;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;

			if (m->syms[mid].addr <= addr)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo && strcmp(m->syms[lo - 1].name, "__sym_end"))
			return m->syms[lo - 1].name;
	}
	snprintf(buf, len, "<%llx>", (unsigned long long)addr);
	return buf;
}

/* The site of @addr in session @sid, its name resolved the first time. */
static struct site *site_get(const char *sid, uint64_t addr)
{
	size_t i;

	if ((shash_n + 1) * 2 > shash_cap) {
		size_t ncap = shash_cap ? shash_cap * 2 : 4096;
		struct site *nh = xcalloc(ncap, sizeof(*nh));

		for (size_t k = 0; k < shash_cap; k++) {
			if (!shash[k].fn)
				continue;
			for (i = hash_site(shash[k].sid, shash[k].addr) & (ncap - 1); nh[i].fn;
			     i = (i + 1) & (ncap - 1))
				;
			nh[i] = shash[k];
		}
		free(shash);
		shash = nh;
		shash_cap = ncap;
	}
	for (i = hash_site(sid, addr) & (shash_cap - 1); shash[i].fn; i = (i + 1) & (shash_cap - 1))
		if (shash[i].addr == addr && shash[i].sid == sid)
			return &shash[i];

	char buf[64];

	shash[i] = (struct site){sid, addr, func_get(resolve(sid, addr, buf, sizeof(buf))), 0};
	shash_n++;
	return &shash[i];
}

struct frame {
	uint64_t addr, start, child;
	const char *sid; /* the site is looked up again: the table may have grown */
};

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

static void read_dat(const char *path, int tid)
{
	FILE *f = fopen(path, "rb");
	int pid = task_pid && tid > 0 && tid < 1 << 22 && task_pid[tid] ? task_pid[tid] : tid;
	size_t depth = 0, n;
	static uint64_t rec[4096][2];

	while (f && (n = fread(rec, sizeof(rec[0]), 4096, f)) > 0) {
		for (size_t r = 0; r < n; r++) {
			unsigned int type = rec[r][1] & 3, magic = (rec[r][1] >> 3) & 7;
			uint64_t addr = rec[r][1] >> 16, ts = rec[r][0];

			if (magic != 5)
				continue;
			if (type == 2) { /* LOST: the open frames cannot be closed correctly */
				lost_total += addr;
				while (depth)
					drop(&stack[--depth]);
			} else if (type == 0) {
				push(depth++, (struct frame){addr, ts, 0, session_of(pid, ts)});
			} else if (type == 1) {
				size_t i = depth;

				while (i > 0 && stack[i - 1].addr != addr)
					i--;
				if (!i)
					continue; /* an exit whose entry was lost */
				while (depth > i) /* frames whose exits were lost */
					drop(&stack[--depth]);
				depth--;

				struct frame *fr = &stack[depth];
				struct site *st = site_get(fr->sid, fr->addr);
				uint64_t total = ts > fr->start ? ts - fr->start : 0;

				st->active--;
				st->fn->calls++;
				/* a call nested in a call of the same function: already counted */
				if (!st->active)
					st->fn->total += total;
				st->fn->self += total > fr->child ? total - fr->child : 0;
				if (depth)
					stack[depth - 1].child += total;
			}
		}
	}
	while (depth) /* still open at the end: not counted, as uftrace does */
		drop(&stack[--depth]);
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

/* uftrace's format: 3 digits after the point, truncated; blank for zero */
static void print_time(uint64_t ns)
{
	static const char *const units[] = {"us", "ms", " s", " m", " h"};
	static const uint64_t limit[] = {1000, 1000, 1000, 60, 24, UINT64_MAX};
	uint64_t v = ns, small = 0;
	size_t i;

	if (!ns) {
		printf("%7s %2s", "", "");
		return;
	}
	for (i = 0; i < 5; i++) {
		small = v % limit[i];
		v /= limit[i];
		if (v < limit[i + 1])
			break;
	}
	if (i == 5)
		i = 4;
	printf("%3llu.%03llu %s", (unsigned long long)v, (unsigned long long)small, units[i]);
}

static void print_table(void)
{
	qsort(funcs, nfuncs, sizeof(*funcs), cmp_func);
	printf("  Total time   Self time       Calls  Function\n");
	printf("  ==========  ==========  ==========  ====================\n");
	for (size_t i = 0; i < nfuncs; i++) {
		char *dn = tool_demangle(funcs[i]->name);

		printf("  ");
		print_time(funcs[i]->total);
		printf("  ");
		print_time(funcs[i]->self);
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
	struct stat sb;
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
			return tool_bad_option("report", argv, c, report_usage);
		}
	}
	if (optind < argc) {
		if (optind + 1 < argc || (dir && strcmp(dir, argv[optind]))) {
			fprintf(stderr, "%s: report: one data directory, please (-d %s and %s%s)\n",
				tool_prog, dir ? dir : argv[optind], argv[optind + (dir ? 0 : 1)],
				optind + 2 < argc ? " ..." : "");
			return 2;
		}
		dir = argv[optind];
	}
	if (!dir)
		dir = "ftrace_rt.data";
	if (stat(dir, &sb) || !S_ISDIR(sb.st_mode) || !(d = opendir(dir))) {
		fprintf(stderr, "%s: report: %s: %s\n", tool_prog, dir,
			errno == ENOENT	       ? "no such data directory (record one with "
						 "`ftrace-rt record -d DIR -- PROGRAM`)"
			: !S_ISDIR(sb.st_mode) ? "not a directory"
					       : strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/profile.txt", dir);
	prof = read_profile(path);
	if (prof) {
		printf("# profile tracer (%s)\n", path);
		print_table();
		reset_funcs();
	}
	load_maps(dir);
	load_tasks(dir);
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
		snprintf(path, sizeof(path), "%s/info", dir);
		if (access(path, F_OK)) {
			snprintf(path, sizeof(path), "%s/task.txt", dir);
			if (access(path, F_OK)) {
				fprintf(stderr, "%s: report: %s is not a data directory\n",
					tool_prog, dir);
				return 1;
			}
		}
		fprintf(stderr, "%s: report: %s: no trace data (nothing was traced)\n", tool_prog,
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
