// SPDX-License-Identifier: MIT
/*
 * ftrace-rt report [-d DIR] [-s total|self|calls] [-m]
 *
 * A per-function summary of a data directory without uftrace: calls, total
 * and self time, from the <tid>.dat records, names from the map and .sym
 * files (the session of each record is found through task.txt, so exec'd
 * images and forked children resolve to their own objects). For the
 * profile tracer it prints profile.txt. C++ names are shown demangled
 * unless -m.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static struct module *mods;
static size_t nmods;
static struct session *sess;
static size_t nsess;
static int *task_pid; /* by tid, from TASK lines */
static struct func *funcs;
static size_t nfuncs, capfuncs;
static unsigned long lost_total;

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
					task_pid = calloc(1 << 22, sizeof(int));
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

static const char *session_of(int tid, uint64_t time)
{
	int pid = task_pid && tid > 0 && tid < 1 << 22 && task_pid[tid] ? task_pid[tid] : tid;
	const char *best = NULL;
	uint64_t bt = 0;

	for (size_t i = 0; i < nsess; i++)
		if (sess[i].pid == pid && sess[i].time <= time && sess[i].time >= bt) {
			best = sess[i].sid;
			bt = sess[i].time;
		}
	return best;
}

static const char *resolve(int tid, uint64_t time, uint64_t addr, char *buf, size_t len)
{
	const char *sid = session_of(tid, time);

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

static struct func *func_get(const char *name)
{
	for (size_t i = 0; i < nfuncs; i++)
		if (!strcmp(funcs[i].name, name))
			return &funcs[i];
	if (nfuncs == capfuncs) {
		capfuncs = capfuncs ? capfuncs * 2 : 64;
		funcs = realloc(funcs, capfuncs * sizeof(*funcs));
	}
	funcs[nfuncs] = (struct func){strdup(name), 0, 0, 0};
	return &funcs[nfuncs++];
}

struct frame {
	uint64_t addr, start, child;
};

static void read_dat(const char *path, int tid)
{
	FILE *f = fopen(path, "rb");
	struct frame stack[1024];
	int depth = 0;
	uint64_t rec[2];
	char buf[64];

	while (f && fread(rec, sizeof(rec), 1, f) == 1) {
		unsigned int type = rec[1] & 3, magic = (rec[1] >> 3) & 7;
		uint64_t addr = rec[1] >> 16;

		if (magic != 5)
			continue;
		if (type == 2) { /* LOST: the open frames cannot be closed correctly */
			lost_total += addr;
			depth = 0;
		} else if (type == 0) {
			if (depth < 1024)
				stack[depth++] = (struct frame){addr, rec[0], 0};
		} else if (type == 1) {
			while (depth > 0 && stack[depth - 1].addr != addr)
				depth--; /* exits lost with the data */
			if (!depth)
				continue;
			depth--;
			uint64_t total = rec[0] - stack[depth].start;
			struct func *fn = func_get(resolve(tid, rec[0], addr, buf, sizeof(buf)));

			fn->calls++;
			fn->total += total;
			fn->self += total > stack[depth].child ? total - stack[depth].child : 0;
			if (depth)
				stack[depth - 1].child += total;
		}
	}
	if (f)
		fclose(f);
}

static int sort_key;

static int cmp_func(const void *a, const void *b)
{
	const struct func *x = a, *y = b;
	uint64_t kx = sort_key == 1 ? x->self : sort_key == 2 ? x->calls : x->total;
	uint64_t ky = sort_key == 1 ? y->self : sort_key == 2 ? y->calls : y->total;

	return kx < ky ? 1 : kx > ky ? -1 : strcmp(x->name, y->name);
}

/* A profile.txt row: four numbers, then NAME@MODULE; the name demangled. */
static void print_profile_line(const char *line)
{
	const char *at;
	char *name, *dn;
	int off = 0;

	if (line[0] == '#' || sscanf(line, "%*u %*u %*u %*u %n", &off) < 0 || !off ||
	    !(at = strrchr(line + off, '@'))) {
		fputs(line, stdout);
		return;
	}
	name = strndup(line + off, (size_t)(at - (line + off)));
	dn = name ? tool_demangle(name) : NULL;
	if (!dn) {
		fputs(line, stdout);
	} else {
		fwrite(line, 1, (size_t)off, stdout);
		printf("%s%s", dn, at);
	}
	free(name);
	free(dn);
}

static void print_time(uint64_t ns)
{
	if (ns >= 1000000000ULL)
		printf("%10.3f  s", (double)ns / 1e9);
	else if (ns >= 1000000ULL)
		printf("%10.3f ms", (double)ns / 1e6);
	else
		printf("%10.3f us", (double)ns / 1e3);
}

int cmd_report(int argc, char **argv)
{
	const char *dir = "ftrace_rt.data";
	char path[PATH_MAX + 32];
	DIR *d;
	struct dirent *e;
	int c, ndat = 0;
	FILE *prof;

	optind = 1;
	while ((c = getopt(argc, argv, "d:s:mh")) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 's':
			if (!strcmp(optarg, "total") || !strcmp(optarg, "self") ||
			    !strcmp(optarg, "calls")) {
				sort_key = !strcmp(optarg, "self")    ? 1
					   : !strcmp(optarg, "calls") ? 2
								      : 0;
				break;
			}
			fprintf(stderr, "%s: -s: '%s' is not total, self or calls\n", tool_prog,
				optarg);
			return 2;
		case 'm':
			tool_demangle_on = 0;
			break;
		case 'h':
			tool_usage(stdout);
			return 0;
		default:
			tool_usage(stderr);
			return 2;
		}
	}
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "%s: %s: %s\n", tool_prog, dir, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/profile.txt", dir);
	prof = fopen(path, "r");
	if (prof) {
		char line[8192];

		while (fgets(line, sizeof(line), prof))
			print_profile_line(line);
		fclose(prof);
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
		fprintf(stderr, "%s: %s: no trace data\n", tool_prog, dir);
		return 1;
	}
	if (!ndat)
		return 0;
	qsort(funcs, nfuncs, sizeof(*funcs), cmp_func);
	printf("   Total time      Self time       Calls  Function\n");
	printf("  =============  =============  ==========  ====================\n");
	for (size_t i = 0; i < nfuncs; i++) {
		char *dn = tool_demangle(funcs[i].name);

		printf("  ");
		print_time(funcs[i].total);
		printf("  ");
		print_time(funcs[i].self);
		printf("  %10llu  %s\n", (unsigned long long)funcs[i].calls,
		       dn ? dn : funcs[i].name);
		free(dn);
	}
	if (lost_total)
		printf("# %lu records were lost (buffers full): counts above are lower bounds\n",
		       lost_total);
	return 0;
}
