// SPDX-License-Identifier: MIT
/*
 * ftrace-rt replay [-d DIR] [--tid TIDS] [-r START~END] [-D DEPTH] [DIR]
 *
 * The call graph of a data directory in uftrace replay's layout: every
 * thread's calls in time order, nested, a leaf on one line with its
 * duration, other calls opened with "{" and closed with their duration.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data.h"
#include "tool.h"

static void replay_usage(FILE *f)
{
	fprintf(f,
		"usage: %s replay [OPTIONS] [DIR]\n"
		"The calls of a data directory in time order, nested, in uftrace replay's layout:\n"
		"DURATION [TID] | FUNCTION; a call without callees on one line.\n"
		"\n"
		"  -d, --data=DIR          the data directory (default ftrace_rt.data)\n"
		"      --tid=TID[,TID...]  only these threads\n"
		"  -r, --time-range=START~END\n"
		"                          only calls that begin in this range: SEC.NSEC as\n"
		"                          recorded, or a time since the first record with a\n"
		"                          unit (ns, us, ms, s), e.g. 1ms~2.5ms; either may be\n"
		"                          left out\n"
		"  -D, --depth=N           only calls nested less than N deep\n"
		"  -m, --no-demangle       show C++ names as mangled\n"
		"  -h, --help              this help\n",
		tool_prog);
}

/* "SEC.NSEC" (absolute), or a number with a unit (relative to @first). */
static int parse_time(const char *s, size_t len, uint64_t first, uint64_t *out)
{
	char buf[64], *end;
	double v;

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = 0;
	v = strtod(buf, &end);
	if (end == buf || v < 0)
		return -1;
	if (!*end) {
		unsigned long sec = 0, ns = 0;
		char frac[16] = "";
		int n = 0;

		/* absolute: SEC.NSEC, the fraction read as digits (9 of them) */
		if (sscanf(buf, "%lu%n", &sec, &n) != 1)
			return -1;
		if (buf[n] == '.') {
			snprintf(frac, sizeof(frac), "%.9s", buf + n + 1);
			for (size_t i = strlen(frac); i < 9; i++)
				frac[i] = '0';
			frac[9] = 0;
			ns = strtoul(frac, NULL, 10);
		} else if (buf[n]) {
			return -1;
		}
		*out = (uint64_t)sec * 1000000000ULL + ns;
		return 0;
	}
	if (!strcmp(end, "ns"))
		v *= 1;
	else if (!strcmp(end, "us"))
		v *= 1e3;
	else if (!strcmp(end, "ms"))
		v *= 1e6;
	else if (!strcmp(end, "s"))
		v *= 1e9;
	else
		return -1;
	*out = first + (uint64_t)(v + 0.5);
	return 0;
}

/* an event replay prints, and its thread */
struct shown_ev {
	struct ev *e;
	size_t ti;
};

static bool tid_selected(const char *tids, int tid)
{
	const char *p = tids;

	if (!tids)
		return true;
	while (*p) {
		char *end;
		long v = strtol(p, &end, 10);

		if (v == tid)
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

static int check_tids(const char *tids)
{
	const char *p = tids;

	while (*p) {
		char *end;
		long v = strtol(p, &end, 10);

		if (end == p || v <= 0 || (*end && *end != ','))
			return -1;
		p = *end ? end + 1 : end;
	}
	return *tids ? 0 : -1;
}

/*
 * Frames still open at the end (exit() or pthread_exit() inside them, a
 * death), listed as uftrace lists them: innermost first, by stack index.
 */
static void print_remaining(struct task *t, size_t nt, const char *tids)
{
	bool any = false;

	for (size_t i = 0; i < nt; i++)
		if (t[i].nopen && tid_selected(tids, t[i].tid))
			any = true;
	if (!any)
		return;
	printf("\nuftrace stopped tracing with remaining functions\n"
	       "================================================\n");
	for (size_t i = 0; i < nt; i++) {
		if (!t[i].nopen || !tid_selected(tids, t[i].tid))
			continue;
		printf("task: %d\n", t[i].tid);
		for (size_t k = t[i].nopen; k-- > 0;) {
			char *name = tool_demangle(t[i].ev[t[i].open[k]].fn->name);

			printf("[%zu] %s\n", k, name);
			free(name);
		}
		printf("\n");
	}
}

int cmd_replay(int argc, char **argv)
{
	enum { OPT_TID = 256 };
	static const struct option longopts[] = {
		{"data", required_argument, NULL, 'd'},
		{"tid", required_argument, NULL, OPT_TID},
		{"time-range", required_argument, NULL, 'r'},
		{"depth", required_argument, NULL, 'D'},
		{"no-demangle", no_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *tids = NULL, *range = NULL;
	long maxdepth = LONG_MAX;
	uint64_t first = UINT64_MAX, lo = 0, hi = UINT64_MAX;
	struct task *t;
	struct trace_walk w;
	struct ev *e;
	struct shown_ev *shown = NULL;
	size_t nt, ti, nshown = 0, shown_cap = 0;
	char *end;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:r:D:mh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case OPT_TID:
			if (check_tids(optarg)) {
				fprintf(stderr, "%s replay: --tid '%s': not a list of thread ids\n",
					tool_prog, optarg);
				return 2;
			}
			tids = optarg;
			break;
		case 'r':
			if (!strchr(optarg, '~')) {
				fprintf(stderr, "%s replay: -r/--time-range '%s': not START~END\n",
					tool_prog, optarg);
				return 2;
			}
			range = optarg;
			break;
		case 'D':
			maxdepth = strtol(optarg, &end, 10);
			if (*end || end == optarg || maxdepth <= 0) {
				fprintf(stderr,
					"%s replay: -D/--depth '%s': not a positive number\n",
					tool_prog, optarg);
				return 2;
			}
			break;
		case 'm':
			tool_demangle_on = 0;
			break;
		case 'h':
			replay_usage(stdout);
			return 0;
		default:
			return tool_bad_option("replay", argv, c);
		}
	}
	if (tool_data_dir("replay", argc, argv, &dir))
		return 2;
	if (tool_check_data_dir("replay", dir))
		return 1;
	data_load(dir);
	if (trace_load(dir, &t, &nt)) {
		fprintf(stderr, "%s replay: %s: no function_graph or function data\n", tool_prog,
			dir);
		return 1;
	}
	for (size_t i = 0; i < nt; i++)
		if (t[i].n && t[i].ev[0].ts < first)
			first = t[i].ev[0].ts;
	if (range) {
		const char *tilde = strchr(range, '~');

		if ((tilde != range && parse_time(range, (size_t)(tilde - range), first, &lo)) ||
		    (tilde[1] && parse_time(tilde + 1, strlen(tilde + 1), first, &hi)) || lo > hi) {
			fprintf(stderr,
				"%s replay: -r/--time-range '%s': not START~END (SEC.NSEC, or a "
				"time with a unit: 100us~2ms)\n",
				tool_prog, range);
			return 2;
		}
	}
	/* what is shown, and which entries are leaves (their exit is the next shown) */
	for (size_t i = 0; i < nt; i++) {
		bool sel = tid_selected(tids, t[i].tid);

		for (size_t k = 0; k < t[i].n; k++) {
			struct ev *x = &t[i].ev[k];

			if (!sel || x->depth >= (unsigned long)maxdepth)
				x->hide = 1;
			else if (x->type == REC_ENTRY || x->type == REC_EVENT)
				x->hide = x->ts < lo || x->ts > hi;
			else if (x->type == REC_EXIT)
				x->hide = x->match >= 0 ? t[i].ev[x->match].hide
							: !sel || x->ts < lo || x->ts > hi;
		}
	}
	/*
	 * The shown events in the order they are printed, all threads merged.
	 * A call is a leaf (one line) only when the next event shown at all,
	 * on any thread, is its own exit: when another thread's event comes
	 * between, uftrace opens the call with "{" and closes it later, and so
	 * must we, or the lines of two threads would be reordered.
	 */
	trace_walk_init(&w, t, nt);
	while ((e = trace_walk_next(&w, &ti))) {
		if (e->hide)
			continue;
		if (nshown == shown_cap) {
			shown_cap = shown_cap ? 2 * shown_cap : 4096;
			shown = realloc(shown, shown_cap * sizeof(*shown));
			if (!shown) {
				fprintf(stderr, "%s replay: out of memory\n", tool_prog);
				return 1;
			}
		}
		shown[nshown++] = (struct shown_ev){e, ti};
	}
	trace_walk_free(&w);
	printf("# DURATION     TID     FUNCTION\n");
	for (size_t i = 0; i < nshown; i++) {
		struct task *k = &t[shown[i].ti];
		char *name;

		e = shown[i].e;
		if (e->type == REC_LOST) {
			printf(" %10s [%6d] | %*s/* LOST %llu records!! */\n", "", k->tid,
			       (int)(2 * e->depth), "", (unsigned long long)e->arg);
			continue;
		}
		if (e->type == REC_EVENT) {
			/* a user event (a stacktrace frame), as uftrace shows one */
			const char *ev = event_name((uint32_t)e->arg);

			if (ev)
				printf(" %10s [%6d] | %*s/* %s */\n", "", k->tid,
				       (int)(2 * e->depth), "", ev);
			else
				printf(" %10s [%6d] | %*s/* user_event:%u */\n", "", k->tid,
				       (int)(2 * e->depth), "", (unsigned int)e->arg);
			continue;
		}
		name = tool_demangle(e->fn->name);
		if (e->type == REC_ENTRY) {
			if (e->match >= 0 && i + 1 < nshown && shown[i + 1].ti == shown[i].ti &&
			    shown[i + 1].e == &k->ev[e->match]) {
				putchar(' ');
				data_print_time(stdout, shown[i + 1].e->ts - e->ts);
				printf(" [%6d] | %*s%s%s%s;\n", k->tid, (int)(2 * e->depth), "",
				       name, e->args ? e->args : "()",
				       shown[i + 1].e->args ? shown[i + 1].e->args : "");
				i++; /* its exit, printed with its entry */
			} else {
				printf(" %10s [%6d] | %*s%s%s {\n", "", k->tid, (int)(2 * e->depth),
				       "", name, e->args ? e->args : "()");
			}
		} else if (e->match < 0 && e->ts == k->ev[0].ts) {
			/* a frame opened before the file began, ended at its start */
			printf(" %10s [%6d] | %*s}%s%s /* %s */\n", "", k->tid, (int)(2 * e->depth),
			       "", e->args ? e->args : "", e->args ? ";" : "", name);
		} else {
			putchar(' ');
			/* a frame opened before the file began: timed from the file's start */
			data_print_time(stdout, e->ts - k->ev[e->match >= 0 ? e->match : 0].ts);
			printf(" [%6d] | %*s}%s%s /* %s */\n", k->tid, (int)(2 * e->depth), "",
			       e->args ? e->args : "", e->args ? ";" : "", name);
		}
		free(name);
	}
	free(shown);
	print_remaining(t, nt, tids);
	trace_free(t, nt);
	return 0;
}
