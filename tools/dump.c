// SPDX-License-Identifier: MIT
/*
 * ftrace-rt dump --chrome | --flame-graph | --flame-svg [-d DIR] [DIR]
 *
 *   --chrome       the Chrome trace format (JSON "B"/"E" events, times in
 *                  microseconds), which Perfetto and chrome://tracing open;
 *                  the events `uftrace dump --chrome` writes
 *   --flame-graph  folded stacks, one line per distinct call chain of a
 *                  thread ("main;parse;lex 12"), counting calls as uftrace's
 *                  does, or self time in nanoseconds with --sample-time
 *   --flame-svg    a flame graph of self time as a self-contained SVG: the
 *                  width of a frame is the time spent in it and its callees
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "tool.h"
#include "uftrace_info.h"

static void dump_usage(FILE *f)
{
	fprintf(f,
		"usage: %s dump --chrome|--flame-graph|--flame-svg [OPTIONS] [DIR]\n"
		"Export a data directory's calls.\n"
		"\n"
		"      --chrome          Chrome trace format JSON (Perfetto, chrome://tracing)\n"
		"      --flame-graph     folded stacks (flamegraph.pl's input): one line per call\n"
		"                        chain of a thread and its number of calls, as uftrace's\n"
		"      --sample-time     with --flame-graph: self time in nanoseconds instead\n"
		"      --flame-svg       a flame graph of time as an SVG image (open it in a\n"
		"                        browser; hover a frame for its time)\n"
		"  -d, --data=DIR        the data directory (default ftrace_rt.data)\n"
		"      --tid=TID[,TID]   only these threads\n"
		"  -m, --no-demangle     show C++ names as mangled\n"
		"  -h, --help            this help\n"
		"\n"
		"  %s dump --chrome -d DIR > trace.json   # open in https://ui.perfetto.dev\n"
		"  %s dump --flame-svg -d DIR > flame.svg\n",
		tool_prog, tool_prog, tool_prog);
}

static bool tid_ok(const char *tids, int tid)
{
	for (const char *p = tids; p && *p;) {
		char *end;

		if (strtol(p, &end, 10) == tid)
			return true;
		if (end == p)
			return false;
		p = *end ? end + 1 : end;
	}
	return !tids;
}

static void json_str(const char *s)
{
	char out[8192];

	frt_json_escape(s, strlen(s), out, sizeof(out));
	printf("\"%s\"", out);
}

static char **dnames; /* demangled names, by function */

static const char *name_of(const struct func *fn)
{
	for (size_t i = 0; i < nfuncs; i++)
		if (funcs[i] == fn) {
			if (!dnames[i])
				dnames[i] = tool_demangle(fn->name);
			return dnames[i] ? dnames[i] : fn->name;
		}
	return fn->name;
}

static void chrome(struct task *t, size_t nt)
{
	struct trace_walk w;
	struct ev *e;
	size_t ti;
	bool first = true;

	printf("{\"traceEvents\":[\n");
	for (size_t i = 0; i < nt; i++) {
		if (t[i].tid == t[i].pid) {
			printf("%s{\"ts\":0,\"ph\":\"M\",\"pid\":%d,\"name\":\"process_name\","
			       "\"args\":{\"name\":\"[%d]\"}}",
			       first ? "" : ",\n", t[i].pid, t[i].pid);
			first = false;
		}
		printf("%s{\"ts\":0,\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":\"thread_name\","
		       "\"args\":{\"name\":\"[%d]\"}}",
		       first ? "" : ",\n", t[i].pid, t[i].tid, t[i].tid);
		first = false;
	}
	trace_walk_init(&w, t, nt);
	while ((e = trace_walk_next(&w, &ti))) {
		if (e->hide || e->type == REC_LOST)
			continue;
		if (e->type == REC_EVENT) {
			/* a user event (a stacktrace frame): an instant on its thread */
			const char *ev = event_name((uint32_t)e->arg);
			char num[32];

			snprintf(num, sizeof(num), "user_event:%u", (unsigned int)e->arg);
			printf(",\n{\"ts\":%llu.%03llu,\"ph\":\"i\",\"s\":\"t\",\"pid\":%d,"
			       "\"tid\":%d,\"name\":",
			       (unsigned long long)(e->ts / 1000),
			       (unsigned long long)(e->ts % 1000), t[ti].pid, t[ti].tid);
			json_str(ev ? ev : num);
			putchar('}');
			continue;
		}
		printf(",\n{\"ts\":%llu.%03llu,\"ph\":\"%c\",\"pid\":%d,\"tid\":%d,\"name\":",
		       (unsigned long long)(e->ts / 1000), (unsigned long long)(e->ts % 1000),
		       e->type == REC_ENTRY ? 'B' : 'E', t[ti].pid, t[ti].tid);
		json_str(name_of(e->fn));
		putchar('}');
	}
	printf("\n], \"displayTimeUnit\": \"ns\", \"metadata\": {\"source\":\"ftrace-rt\"} }\n");
	trace_walk_free(&w);
}

/* Distinct call chains: "a;b;c" -> calls, self time. */
struct chain {
	char *key;
	uint64_t calls, self;
};
static struct chain *chains;
static size_t nchains, chains_cap;
static size_t *order; /* first-seen order */

static uint64_t hash_key(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static struct chain *chain_get(const char *key)
{
	size_t i;

	if ((nchains + 1) * 2 > chains_cap) {
		size_t ncap = chains_cap ? chains_cap * 2 : 1024;
		struct chain *nc = xcalloc(ncap, sizeof(*nc));
		size_t *no = xcalloc(ncap, sizeof(*no));

		for (size_t k = 0; k < nchains; k++) {
			struct chain *c = &chains[order[k]];

			for (i = hash_key(c->key) & (ncap - 1); nc[i].key; i = (i + 1) & (ncap - 1))
				;
			nc[i] = *c;
			no[k] = i;
		}
		free(chains);
		free(order);
		chains = nc;
		order = no;
		chains_cap = ncap;
	}
	for (i = hash_key(key) & (chains_cap - 1); chains[i].key; i = (i + 1) & (chains_cap - 1))
		if (!strcmp(chains[i].key, key))
			return &chains[i];
	chains[i].key = strdup(key);
	order[nchains++] = i;
	return &chains[i];
}

/* Every thread's call chains, with calls and self time. */
static void fold(struct task *t, size_t nt)
{
	char *key = NULL;
	size_t cap = 0;

	for (size_t i = 0; i < nt; i++) {
		size_t *len = NULL, lcap = 0; /* key length at each depth */
		uint64_t *child = NULL;	      /* callees' time at each depth */
		size_t depth = 0, klen = 0;

		for (size_t k = 0; k < t[i].n; k++) {
			struct ev *e = &t[i].ev[k];

			if (e->hide || e->type == REC_EVENT)
				continue;
			if (e->type == REC_LOST) {
				depth = klen = 0;
				continue;
			}
			if (e->type == REC_ENTRY) {
				const char *n = name_of(e->fn);
				size_t nl = strlen(n);

				depth = e->depth;
				if (depth >= lcap) {
					lcap = depth + 64;
					len = realloc(len, lcap * sizeof(*len));
					child = realloc(child, lcap * sizeof(*child));
					if (!len || !child)
						exit(1);
				}
				klen = depth ? len[depth - 1] : 0;
				if (klen + nl + 2 > cap) {
					cap = (klen + nl + 2) * 2;
					key = realloc(key, cap);
					if (!key)
						exit(1);
				}
				if (klen)
					key[klen++] = ';';
				memcpy(key + klen, n, nl + 1);
				klen += nl;
				len[depth] = klen;
				child[depth] = 0;
				chain_get(key)->calls++;
			} else if (e->match >= 0 && e->depth < lcap) {
				uint64_t total = e->ts - t[i].ev[e->match].ts;
				size_t d = e->depth;

				key[len[d]] = 0;
				chain_get(key)->self += total > child[d] ? total - child[d] : 0;
				if (d)
					child[d - 1] += total;
			}
		}
		free(len);
		free(child);
	}
	free(key);
}

/* The flame graph's tree, built from the folded chains. */
struct node {
	const char *name;
	size_t nlen;
	uint64_t self, total;
	struct node *kids, *next;
};

static struct node *node_kid(struct node *p, const char *name, size_t nlen)
{
	struct node *k;

	for (k = p->kids; k; k = k->next)
		if (k->nlen == nlen && !memcmp(k->name, name, nlen))
			return k;
	k = xcalloc(1, sizeof(*k));
	k->name = name;
	k->nlen = nlen;
	k->next = p->kids;
	p->kids = k;
	return k;
}

static uint64_t node_sum(struct node *n, int depth, int *maxdepth)
{
	n->total = n->self;
	if (depth > *maxdepth)
		*maxdepth = depth;
	for (struct node *k = n->kids; k; k = k->next)
		n->total += node_sum(k, depth + 1, maxdepth);
	return n->total;
}

static void xml_text(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '<':
			fputs("&lt;", stdout);
			break;
		case '>':
			fputs("&gt;", stdout);
			break;
		case '&':
			fputs("&amp;", stdout);
			break;
		case '"':
			fputs("&quot;", stdout);
			break;
		default:
			putchar(s[i]);
		}
	}
}

#define SVG_W	  1200.0
#define SVG_PAD	  10.0
#define FRAME_H	  16
#define CHAR_W	  7.0
#define HEADER_H  34
#define MIN_WIDTH 0.1

static void svg_frame(const struct node *n, double x, int depth, int maxdepth, uint64_t all)
{
	double w = (SVG_W - 2 * SVG_PAD) * (double)n->total / (double)all;
	double y = HEADER_H + (double)(maxdepth - depth) * FRAME_H;
	uint64_t h = 5381;
	double cx = x;

	if (w < MIN_WIDTH)
		return;
	for (size_t i = 0; i < n->nlen; i++)
		h = h * 33 + (unsigned char)n->name[i];
	printf("<g><title>");
	xml_text(n->name, n->nlen);
	printf(" (%.3f us, %.2f%%)</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
	       "height=\"%d\" fill=\"rgb(%d,%d,%d)\" rx=\"2\" ry=\"2\"/>",
	       (double)n->total / 1e3, 100.0 * (double)n->total / (double)all, x, y, w, FRAME_H - 1,
	       205 + (int)(h % 50), (int)((h >> 8) % 230), (int)((h >> 16) % 55));
	/* a name, or its start and "..", when at least three characters fit */
	if (w > 6 + 3 * CHAR_W) {
		size_t fit = (size_t)((w - 6) / CHAR_W);

		printf("<text x=\"%.1f\" y=\"%.1f\">", x + 3, y + FRAME_H - 4.5);
		if (fit >= n->nlen) {
			xml_text(n->name, n->nlen);
		} else {
			xml_text(n->name, fit > 2 ? fit - 2 : 0);
			fputs("..", stdout);
		}
		printf("</text>");
	}
	printf("</g>\n");
	for (const struct node *k = n->kids; k; k = k->next) {
		svg_frame(k, cx, depth + 1, maxdepth, all);
		cx += (SVG_W - 2 * SVG_PAD) * (double)k->total / (double)all;
	}
}

static void node_free(struct node *n)
{
	while (n) {
		struct node *next = n->next;

		node_free(n->kids);
		free(n);
		n = next;
	}
}

static void flame_svg(const char *dir)
{
	struct node root = {"all", 3, 0, 0, NULL, NULL};
	int maxdepth = 0;
	double height;

	for (size_t i = 0; i < nchains; i++) {
		struct chain *c = &chains[order[i]];
		struct node *n = &root;

		for (const char *p = c->key; *p;) {
			size_t l = strcspn(p, ";");

			n = node_kid(n, p, l);
			p += l + (p[l] == ';');
		}
		n->self += c->self;
	}
	node_sum(&root, 0, &maxdepth);
	if (!root.total)
		root.total = 1;
	height = HEADER_H + (maxdepth + 1) * FRAME_H + 2 * SVG_PAD;
	printf("<?xml version=\"1.0\" standalone=\"no\"?>\n"
	       "<svg version=\"1.1\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
	       "xmlns=\"http://www.w3.org/2000/svg\">\n"
	       "<style>text { font-family: monospace; font-size: 12px; fill: #000; } "
	       "rect:hover { stroke: #000; stroke-width: 0.5; }</style>\n"
	       "<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" fill=\"#f8f4ec\"/>\n"
	       "<text x=\"%.0f\" y=\"22\" text-anchor=\"middle\" style=\"font-size:16px\">"
	       "Flame graph: ",
	       SVG_W, height, SVG_W, height, SVG_W / 2);
	xml_text(dir, strlen(dir));
	printf(" (%.3f ms)</text>\n", (double)root.total / 1e6);
	svg_frame(&root, SVG_PAD, 0, maxdepth, root.total);
	printf("</svg>\n");
	node_free(root.kids);
}

int cmd_dump(int argc, char **argv)
{
	enum { OPT_CHROME = 256, OPT_FOLDED, OPT_SVG, OPT_SAMPLE, OPT_TID };
	static const struct option longopts[] = {
		{"chrome", no_argument, NULL, OPT_CHROME},
		{"flame-graph", no_argument, NULL, OPT_FOLDED},
		{"flame-svg", no_argument, NULL, OPT_SVG},
		{"sample-time", no_argument, NULL, OPT_SAMPLE},
		{"tid", required_argument, NULL, OPT_TID},
		{"data", required_argument, NULL, 'd'},
		{"no-demangle", no_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *tids = NULL;
	int c, what = 0;
	bool sample_time = false;
	struct task *t;
	size_t nt;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:mh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CHROME:
		case OPT_FOLDED:
		case OPT_SVG:
			if (what && what != c) {
				fprintf(stderr,
					"%s dump: one of --chrome, --flame-graph, --flame-svg\n",
					tool_prog);
				return 2;
			}
			what = c;
			break;
		case OPT_SAMPLE:
			sample_time = true;
			break;
		case OPT_TID:
			tids = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'm':
			tool_demangle_on = 0;
			break;
		case 'h':
			dump_usage(stdout);
			return 0;
		default:
			return tool_bad_option("dump", argv, c);
		}
	}
	if (!what) {
		fprintf(stderr,
			"%s dump: --chrome, --flame-graph or --flame-svg? (see %s dump --help)\n",
			tool_prog, tool_prog);
		return 2;
	}
	if (tool_data_dir("dump", argc, argv, &dir))
		return 2;
	if (tool_check_data_dir("dump", dir))
		return 1;
	data_load(dir);
	if (trace_load(dir, &t, &nt)) {
		fprintf(stderr, "%s dump: %s: no function_graph or function data\n", tool_prog,
			dir);
		return 1;
	}
	dnames = xcalloc(nfuncs + 1, sizeof(*dnames));
	for (size_t i = 0; i < nt; i++)
		if (!tid_ok(tids, t[i].tid))
			for (size_t k = 0; k < t[i].n; k++)
				t[i].ev[k].hide = 1;
	if (what == OPT_CHROME) {
		chrome(t, nt);
		trace_free(t, nt);
		return 0;
	}
	fold(t, nt);
	trace_free(t, nt);
	if (what == OPT_SVG) {
		flame_svg(dir);
		return 0;
	}
	for (size_t i = 0; i < nchains; i++) {
		struct chain *ch = &chains[order[i]];

		printf("%s %llu\n", ch->key,
		       (unsigned long long)(sample_time ? ch->self : ch->calls));
	}
	return 0;
}
