// SPDX-License-Identifier: MIT
/*
 * Reading a data directory: see data.h. Names come from the map and .sym
 * files of the session each record belongs to (found through task.txt), so
 * exec'd images and forked children resolve to their own objects.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "pattern.h"
#include "tool.h"

#include <getopt.h>

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

static struct module *mods;
static size_t nmods;
static struct session *sess;
static size_t nsess;
static int *task_pid; /* by tid, from TASK lines */

/*
 * Functions by name and sites by (session, address): open-addressing hash
 * tables, so a record costs O(1) however many functions the data has.
 */
struct func **funcs; /* in insertion order, for sorting */
size_t nfuncs;
static size_t capfuncs;
struct func **fhash;
size_t fhash_cap;
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

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p) {
		fprintf(stderr, "%s: report: out of memory\n", tool_prog);
		exit(1);
	}
	return p;
}

struct func *func_get(const char *name)
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

const char *session_of(int pid, uint64_t time)
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
struct site *site_get(const char *sid, uint64_t addr)
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

static void load_specs(const char *dir);

/* events.txt: the names of user events (the stacktrace trigger's frames), by id */
static struct event_name {
	uint32_t id;
	char *name;
} * events;
static size_t nevents;

static int cmp_event(const void *a, const void *b)
{
	const struct event_name *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void load_events(const char *dir)
{
	char path[PATH_MAX + 32], line[1200], prov[520], name[520];
	size_t cap = 0;
	unsigned int id;
	FILE *f;

	snprintf(path, sizeof(path), "%s/events.txt", dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		/* uftrace's reader: "EVENT: ID PROVIDER:EVENT" */
		if (strncmp(line, "EVENT: ", 7) ||
		    sscanf(line + 7, "%u %519[^:]:%519s", &id, prov, name) != 3)
			continue;
		if (nevents == cap) {
			cap = cap ? 2 * cap : 256;
			events = realloc(events, cap * sizeof(*events));
			if (!events)
				exit(1);
		}
		events[nevents].id = id;
		events[nevents].name = malloc(strlen(prov) + strlen(name) + 2);
		if (!events[nevents].name)
			exit(1);
		sprintf(events[nevents].name, "%s:%s", prov, name);
		nevents++;
	}
	if (f)
		fclose(f);
	if (nevents)
		qsort(events, nevents, sizeof(*events), cmp_event);
}

const char *event_name(uint32_t id)
{
	struct event_name k = {id, NULL}, *e;

	e = nevents ? bsearch(&k, events, nevents, sizeof(*events), cmp_event) : NULL;
	return e ? e->name : NULL;
}

void data_load(const char *dir)
{
	load_events(dir);
	load_specs(dir);
	load_maps(dir);
	load_tasks(dir);
}

int data_pid(int tid)
{
	return task_pid && tid > 0 && tid < 1 << 22 && task_pid[tid] ? task_pid[tid] : tid;
}

/* uftrace's format: 3 digits after the point, truncated; blank for zero */
void data_print_time(FILE *f, uint64_t ns)
{
	static const char *const units[] = {"us", "ms", " s", " m", " h"};
	static const uint64_t limit[] = {1000, 1000, 1000, 60, 24, UINT64_MAX};
	uint64_t v = ns, small = 0;
	size_t i;

	if (!ns) {
		fprintf(f, "%7s %2s", "", "");
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
	fprintf(f, "%3llu.%03llu %s", (unsigned long long)v, (unsigned long long)small, units[i]);
}

static int cmp_task(const void *a, const void *b)
{
	const struct task *x = a, *y = b;

	/* the process's main thread first, then by thread id */
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if ((x->tid == x->pid) != (y->tid == y->pid))
		return x->tid == x->pid ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* uftrace's -A and -R specs the data was recorded with (from info) */
static struct frt_argspecs specs_args, specs_rets;
static bool specs_bad;

static void load_specs(const char *dir)
{
	char path[PATH_MAX + 16], *buf = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/info", dir);
	f = fopen(path, "rb");
	if (!f)
		return;
	if (fseek(f, 40, SEEK_SET) == 0) /* the header */
		while (getline(&buf, &cap, f) > 0) {
			char err[700];
			size_t n = strlen(buf);
			bool r = !strncmp(buf, "retspec:", 8);

			if (n && buf[n - 1] == '\n')
				buf[--n] = 0;
			if ((strncmp(buf, "argspec:", 8) || !strncmp(buf, "argspec:lines=", 14)) &&
			    !r)
				continue;
			if (frt_argspecs_parse(buf + 8, r, r ? &specs_rets : &specs_args, err,
					       sizeof(err))) {
				fprintf(stderr, "%s: %s/info: %s\n", tool_prog, dir, err);
				specs_bad = true;
			}
		}
	free(buf);
	fclose(f);
}

static const struct frt_argset *args_of(struct func *fn)
{
	if (!fn->args_known) {
		struct frt_argset set;
		bool any = false;

		memset(&set, 0, sizeof(set));
		for (int k = 0; k < 2; k++) {
			struct frt_argspecs *sp = k ? &specs_rets : &specs_args;

			for (size_t i = 0; i < sp->n; i++) {
				struct frt_pattern p = {sp->v[i].glob, NULL};

				/* @plt: library calls' arguments are not recorded (other modules:
				 * by name only) */
				if (sp->v[i].module && !strcmp(sp->v[i].module, "plt"))
					continue;
				if (frt_pattern_match(&p, fn->name, "", false)) {
					frt_argset_add(&set, &sp->v[i]);
					any = true;
				}
			}
		}
		if (any) {
			fn->args = xcalloc(1, sizeof(set));
			*fn->args = set;
		}
		fn->args_known = 1;
	}
	return fn->args;
}

/* One value as uftrace's replay prints it; the bytes it takes (0: cannot tell). */
static size_t fmt_arg(char *out, size_t len, const struct frt_arg *a, const unsigned char *d,
		      size_t avail)
{
	static const char *const lm[] = {"hh", "h", "", "ll"};
	char fmt = a->fmt, f[16];
	union {
		int64_t i;
		uint64_t u;
		float fl;
		double db;
		unsigned char v[8];
	} val = {0};
	int idx;

	if (a->kind == FRT_ARG_STR) {
		unsigned int sl;

		if (avail < 2)
			return 0;
		sl = d[0] | d[1] << 8;
		if (2 + (size_t)sl > avail)
			return 0;
		snprintf(out, len, "\"%.*s\"", (int)sl, (const char *)d + 2);
		return frt_arg_slot(sl + 2);
	}
	if (frt_arg_slot(a->size) > avail)
		return 0;
	memcpy(val.v, d, a->size);
	if (a->fp) {
		snprintf(out, len, "%f", a->size == 4 ? (double)val.fl : val.db);
		return frt_arg_slot(a->size);
	}
	if (fmt == 'c') {
		unsigned char c = val.v[0];

		if (c >= 0x20 && c < 0x7f)
			snprintf(out, len, "'%c'", c);
		else
			snprintf(out, len, "'\\x%02hhx'", c);
		return 4;
	}
	idx = __builtin_ffs(a->size) - 1;
	if (fmt == 'd' && (val.i > 100000L || val.i < -100000L)) {
		fmt = 'x';
		if (val.u > 0xffff0000 && val.u <= 0xffffffff)
			fmt = 'd', idx = 2; /* a small negative int */
	} else if (fmt == 'u' && val.u > 100000UL) {
		fmt = 'x';
	} else if (fmt == 'p') {
		fmt = 'x';
	}
	snprintf(f, sizeof(f), "%%#%s%c", lm[idx], fmt);
	switch (idx) {
	case 0:
		snprintf(out, len, f, (unsigned char)val.u);
		break;
	case 1:
		snprintf(out, len, f, (unsigned short)val.u);
		break;
	case 2:
		snprintf(out, len, f, (unsigned int)val.u);
		break;
	default:
		snprintf(out, len, f, (unsigned long long)val.u);
	}
	return frt_arg_slot(a->size);
}

/*
 * The data after a record with the `more` bit, @avail bytes there: its
 * length (0: not readable), and its text into @text.
 */
static size_t read_more(struct func *fn, bool exit, const unsigned char *d, size_t avail,
			char *text, size_t len)
{
	const struct frt_argset *set = fn ? args_of(fn) : NULL;
	size_t off = 0, w = 0;

	if (!set || (exit ? !set->has_ret : !set->nargs))
		return 0;
	w += (size_t)snprintf(text, len, exit ? " = " : "(");
	for (unsigned int i = 0; i < (exit ? 1u : set->nargs); i++) {
		size_t n;

		if (i && w < len)
			w += (size_t)snprintf(text + w, len - w, ", ");
		n = fmt_arg(text + (w < len ? w : len - 1), w < len ? len - w : 1,
			    exit ? &set->ret : &set->args[i], d + off, avail - off);
		if (!n)
			return 0;
		off += n;
		w += strlen(text + (w < len ? w : len - 1));
	}
	if (!exit && w < len)
		snprintf(text + w, len - w, ")");
	return (off + 7) & ~(size_t)7;
}

static void read_task(const char *path, struct task *t)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, depth = 0, scap = 0, len = 0, fcap = 0;
	size_t *stack = NULL; /* indexes of open entries */
	bool lost = false;
	unsigned char *buf = NULL;
	char text[2048];
	size_t n;

	/* the whole file: records carrying data are followed by it */
	while (f) {
		if (len + 65536 > fcap) {
			fcap = fcap ? fcap * 2 : 1 << 20;
			buf = realloc(buf, fcap);
			if (!buf)
				exit(1);
		}
		n = fread(buf + len, 1, fcap - len, f);
		if (!n)
			break;
		len += n;
	}
	for (size_t off = 0; off + 16 <= len;) {
		uint64_t rec[2], addr, ts;
		unsigned int type;
		struct func *fn = NULL;
		char *args = NULL;
		bool inherited = false;
		struct ev *e;

		memcpy(rec, buf + off, 16);
		off += 16;
		ts = rec[0];
		if (!rec_parse(rec, &type, &addr))
			continue;
		if (type == REC_EVENT) {
			/* a user event (the stacktrace trigger's frames): no data follows ours */
			if (rec[1] & 4)
				break;
			if (t->n == cap) {
				cap = cap ? cap * 2 : 4096;
				t->ev = realloc(t->ev, cap * sizeof(*t->ev));
				if (!t->ev)
					exit(1);
			}
			t->ev[t->n++] = (struct ev){ts,	       NULL, addr, -1, (uint32_t)depth,
						    REC_EVENT, 0,    NULL};
			continue;
		}
		if (type != REC_LOST)
			fn = site_get(session_of(t->pid, ts), addr)->fn;
		if (rec[1] & 4) { /* more: arguments or a return value follow */
			size_t m = read_more(fn, type == REC_EXIT, buf + off, len - off, text,
					     sizeof(text));

			if (!m) {
				fprintf(stderr,
					"%s: %s: a record carries data the info file's argument "
					"specs do not describe; the rest of this file is not "
					"read\n",
					tool_prog, path);
				break;
			}
			off += m;
			args = strdup(text);
		}
		if (type == REC_EXIT) {
			size_t i = depth;

			while (i > 0 && t->ev[stack[i - 1]].arg != addr)
				i--; /* entries above: frames whose exits were lost */
			/*
			 * No entry, nothing open and nothing lost: a frame opened
			 * before this file began (a forked child returning from
			 * its parent's calls). Shown at depth 0, as uftrace does.
			 */
			if (!i && (depth || lost)) {
				free(args);
				continue; /* its entry was lost */
			}
			inherited = !i;
			depth = i ? i - 1 : 0;
		}
		if (t->n == cap) {
			cap = cap ? cap * 2 : 4096;
			t->ev = realloc(t->ev, cap * sizeof(*t->ev));
			if (!t->ev)
				exit(1);
		}
		e = &t->ev[t->n];
		*e = (struct ev){ts, NULL, 0, -1, (uint32_t)depth, (uint8_t)type, 0, args};
		if (type == REC_LOST) {
			e->arg = addr;
			lost = true;
			depth = 0; /* the open frames cannot be closed correctly */
		} else if (type == REC_ENTRY) {
			e->fn = fn;
			e->arg = addr; /* until its exit pairs it */
			if (depth == scap) {
				scap = scap ? scap * 2 : 256;
				stack = realloc(stack, scap * sizeof(*stack));
				if (!stack)
					exit(1);
			}
			stack[depth++] = t->n;
		} else if (!inherited) {
			struct ev *en = &t->ev[stack[depth]];

			e->fn = en->fn;
			e->match = (int64_t)stack[depth];
			en->match = (int64_t)t->n;
		} else {
			e->fn = fn; /* opened before the file began */
		}
		t->n++;
	}
	/* what uftrace lists as the remaining functions */
	t->nopen = depth;
	t->open = depth ? xcalloc(depth, sizeof(*t->open)) : NULL;
	for (size_t i = 0; i < depth; i++)
		t->open[i] = stack[i];
	for (size_t i = 0; i < t->n; i++)
		if (t->ev[i].type != REC_LOST && t->ev[i].type != REC_EVENT)
			t->ev[i].arg = 0;
	free(stack);
	free(buf);
	if (f)
		fclose(f);
}

int trace_load(const char *dir, struct task **tasks, size_t *ntasks)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t cap = 0;

	*tasks = NULL;
	*ntasks = 0;
	while (d && (e = readdir(d))) {
		char path[PATH_MAX + 300], rest[16];
		int tid;

		if (sscanf(e->d_name, "%d%15s", &tid, rest) != 2 || strcmp(rest, ".dat"))
			continue;
		if (*ntasks == cap) {
			cap = cap ? cap * 2 : 16;
			*tasks = realloc(*tasks, cap * sizeof(**tasks));
			if (!*tasks)
				exit(1);
		}
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		(*tasks)[*ntasks] = (struct task){tid, data_pid(tid), NULL, 0, NULL, 0};
		read_task(path, &(*tasks)[*ntasks]);
		(*ntasks)++;
	}
	if (d)
		closedir(d);
	if (*ntasks)
		qsort(*tasks, *ntasks, sizeof(**tasks), cmp_task);
	return *ntasks ? 0 : -1;
}

static bool walk_less(struct trace_walk *w, size_t a, size_t b)
{
	uint64_t ta = w->t[a].ev[w->pos[a]].ts, tb = w->t[b].ev[w->pos[b]].ts;

	return ta < tb || (ta == tb && a < b);
}

static void walk_down(struct trace_walk *w, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < w->n && walk_less(w, w->heap[l], w->heap[m]))
			m = l;
		if (l + 1 < w->n && walk_less(w, w->heap[l + 1], w->heap[m]))
			m = l + 1;
		if (m == i)
			return;
		size_t tmp = w->heap[i];

		w->heap[i] = w->heap[m];
		w->heap[m] = tmp;
		i = m;
	}
}

void trace_walk_init(struct trace_walk *w, struct task *t, size_t n)
{
	w->t = t;
	w->heap = xcalloc(n + 1, sizeof(*w->heap));
	w->pos = xcalloc(n + 1, sizeof(*w->pos));
	w->n = 0;
	for (size_t i = 0; i < n; i++)
		if (t[i].n)
			w->heap[w->n++] = i;
	for (size_t i = w->n / 2 + 1; i-- > 0;)
		walk_down(w, i);
}

/* After task @ti's position moved: its place in the heap (it is at the top). */
static void walk_fix_top(struct trace_walk *w, size_t ti)
{
	if (w->pos[ti] >= w->t[ti].n)
		w->heap[0] = w->heap[--w->n];
	if (w->n)
		walk_down(w, 0);
}

struct ev *trace_walk_next(struct trace_walk *w, size_t *ti)
{
	struct ev *e;

	if (!w->n)
		return NULL;
	*ti = w->heap[0];
	e = &w->t[*ti].ev[w->pos[*ti]++];
	walk_fix_top(w, *ti);
	return e;
}

int tool_data_dir(const char *cmd, int argc, char **argv, const char **dir)
{
	if (optind < argc) {
		if (optind + 1 < argc || (*dir && strcmp(*dir, argv[optind]))) {
			fprintf(stderr, "%s %s: one data directory, please (%s and %s)\n",
				tool_prog, cmd, *dir ? *dir : argv[optind],
				argv[optind + (*dir ? 0 : 1)]);
			return -1;
		}
		*dir = argv[optind];
	}
	if (!*dir)
		*dir = "ftrace_rt.data";
	return 0;
}

int tool_check_data_dir(const char *cmd, const char *dir)
{
	char path[PATH_MAX + 16];
	struct stat sb;

	if (stat(dir, &sb) || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "%s %s: %s: %s\n", tool_prog, cmd, dir,
			errno == ENOENT ? "no such data directory (record one with `ftrace-rt "
					  "record -d DIR -- PROGRAM`)"
			: !S_ISDIR(sb.st_mode) ? "not a directory"
					       : strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/info", dir);
	if (access(path, F_OK)) {
		snprintf(path, sizeof(path), "%s/task.txt", dir);
		if (access(path, F_OK)) {
			fprintf(stderr, "%s %s: %s is not a data directory\n", tool_prog, cmd, dir);
			return -1;
		}
	}
	return 0;
}

void trace_walk_free(struct trace_walk *w)
{
	free(w->heap);
	free(w->pos);
}

void trace_free(struct task *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < t[i].n; k++)
			free(t[i].ev[k].args);
		free(t[i].ev);
		free(t[i].open);
	}
	free(t);
}
