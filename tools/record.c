// SPDX-License-Identifier: MIT
/*
 * ftrace-rt record [OPTIONS] [--] PROGRAM [ARGS...]
 *
 * Checks every option first (exit 2 naming the option, nothing run), runs
 * PROGRAM with the runtime preloaded and the environment set, keeps its
 * exit status, completes the data directory's info with it, and says so
 * when nothing could be traced.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "argspec.h"
#include "parse.h"
#include "pattern.h"
#include "tool.h"
#include "uftrace_info.h"

static const char *const tracers[] = {"function_graph", "function", "profile", "none"};

static void record_usage(FILE *f)
{
	fprintf(f,
		"usage: %s record [OPTIONS] [--] PROGRAM [ARGS...]\n"
		"Run PROGRAM with the runtime preloaded; its exit status is record's. Every\n"
		"option is checked first: a bad one exits 2 and runs nothing; a PROGRAM not\n"
		"found exits 127, a static one 1 (it cannot be traced).\n"
		"\n"
		"      --tracer=NAME      function_graph (default), function, profile, none\n"
		"  -P, --patch=PATTERNS   patch (trace) only these functions (default: all)\n"
		"  -U, --unpatch=PATTERNS never patch these (wins over -P)\n"
		"  -F, --filter=PATTERNS  record only these functions and what they call\n"
		"                         (graph function; again: more patterns)\n"
		"  -N, --notrace=PATTERNS leave out these functions and what they call\n"
		"                         (graph notrace; wins over -F)\n"
		"  -D, --depth=DEPTH      record calls only DEPTH deep (1..65535), counted from\n"
		"                         the outermost call, or from each -F function\n"
		"  -t, --time-filter=TIME record only calls longer than TIME (500ns, 1us, 2ms,\n"
		"                         1s; a bare number is in microseconds)\n"
		"  -d, --data=DIR         the data directory (default ftrace_rt.data); an older\n"
		"                         one is moved to DIR.old. -o/--output is the same\n"
		"  -b, --buffer=SIZE      per-thread buffer, 4K..4G (default 2M), e.g. 64M\n"
		"      --max-stack=N      shadow stack frames per thread, 8..65535 (default\n"
		"                         1024): deeper calls are not hooked (counted)\n"
		"      --control          serve the control socket (ftrace-rt ctl PID ...)\n"
		"  -v, --verbose          say what was skipped and why (again: more detail)\n"
		"  -h, --help             this help\n"
		"\n"
		"-F, -N, -D and -t apply to function_graph and profile (-t to function_graph\n"
		"only) and mean what they mean to uftrace record. Before, -F and -N chose which\n"
		"functions are patched: that is -P and -U now, as in uftrace.\n"
		"  -A, --argument=SPEC    record arguments: FUNC@arg1[/FMT],fparg1,... (again:\n"
		"                         more specs), e.g. fib@arg1, 'open@arg1/s,arg2/x32'\n"
		"  -R, --retval=SPEC      record return values: FUNC@retval[/FMT], e.g.\n"
		"                         fib@retval, greet@retval/s, half@retval/f\n"
		"                         FMT: d i u x p c s f, with a size in bits (i32, u8,\n"
		"                         f32); FUNC: a glob. uftrace replay shows fib(20) = 6765\n"
		"  -T, --trigger=SPEC     FUNC@ACTION[,ACTION]: trace_on, trace_off, depth=N,\n"
		"                         filter, notrace, trace (kept whatever -t says),\n"
		"                         stacktrace[:N] (also backtrace, bt:\n"
		"                         the stack at the call, into the data; N: dumps)\n"
		"                         (again: more), e.g. main@trace_on, 'parse@bt:3'\n"
		"      --disable          start with tracing off (a trace_on trigger turns it on)\n"
		"      --no-libcall       leave out the executable's library calls "
		"(malloc@plt...),\n"
		"                         which are recorded by default, as by uftrace record\n"
		"\n"
		"PATTERNS: globs (* ? [...]) separated by commas or spaces, each optionally\n"
		"GLOB@MODULE (MODULE: a glob over the object's file name, 'main' for the\n"
		"executable): -F 'parse_* eval@libcalc.so'.\n"
		"Traceable code is compiled with $(pkg-config --cflags ftrace_rt):\n"
		"  %s\n"
		"Static binaries cannot be traced. Each option sets a variable of the runtime\n"
		"(FTRACE_RT_TRACER, _FILTER (-P), _NOTRACE (-U), _GRAPH_FUNCTION (-F),\n"
		"_GRAPH_NOTRACE (-N), _MAX_GRAPH_DEPTH (-D), _TRACING_THRESH (-t),\n"
		"_FUNCGRAPH_ARGS (-A), _FUNCGRAPH_RETVAL (-R), _TRIGGER (-T), _TRACING_ON\n"
		"(--disable: 0), _LIBCALL (--no-libcall: 0), _MAX_STACK, _OUTPUT,\n"
		"_BUFSIZE, _CONTROL, _VERBOSE);\n"
		"FTRACE_RT_LIB names the library to preload. See `%s --help`.\n",
		tool_prog, FRT_TRACE_CFLAGS, tool_prog);
}

static int bad(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "%s record: %s '%s': %s\n", tool_prog, opt, val, why);
	return 2;
}

static int check_patterns(const char *opt, const char *v)
{
	struct frt_patterns p = {0};
	char err[512];

	if (frt_patterns_parse(v, &p, err, sizeof(err)))
		return bad(opt, v, err);
	frt_patterns_free(&p);
	return 0;
}

/* Append each pattern of @v (commas or white space between) to *@out as "PATTERN@ACTION;". */
static int add_ordered(char **out, const char *v, const char *action)
{
	while (*v) {
		size_t n = strcspn(v, ", \t\n");
		char *j;

		if (n && asprintf(&j, "%s%s%.*s@%s", *out ? *out : "", *out ? ";" : "", (int)n, v,
				  action) < 0)
			return -1;
		if (n) {
			free(*out);
			*out = j;
		}
		v += n;
		v += strspn(v, ", \t\n");
	}
	return 0;
}

/* A directory the runtime will accept: as lib/trace/output.c's fresh_dir() decides. */
static bool data_dir_replaceable(const char *d)
{
	DIR *dd = opendir(d);
	struct dirent *e;
	bool ours = false, empty = true;

	if (!dd)
		return false;
	while ((e = readdir(dd))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		empty = false;
		if (!strcmp(e->d_name, "task.txt") || !strcmp(e->d_name, "info"))
			ours = true;
	}
	closedir(dd);
	return ours || empty;
}

static int check_data_dir(const char *opt, const char *dir)
{
	char parent[PATH_MAX], old[PATH_MAX + 8];
	struct stat sb;

	if (!*dir)
		return bad(opt, dir, "not a directory name");
	if (strlen(dir) >= sizeof(parent) - 64)
		return bad(opt, dir, "too long");
	if (!stat(dir, &sb)) {
		if (!S_ISDIR(sb.st_mode))
			return bad(opt, dir, "exists and is not a directory");
		if (!data_dir_replaceable(dir))
			return bad(
				opt, dir,
				"exists and is not a data directory (nor empty): it would not be "
				"moved aside; choose another name");
		snprintf(old, sizeof(old), "%s.old", dir);
		if (!stat(old, &sb) && (!S_ISDIR(sb.st_mode) || !data_dir_replaceable(old)))
			return bad(opt, dir, "its DIR.old exists and is not a data directory");
	} else if (errno != ENOENT) {
		return bad(opt, dir, strerror(errno));
	}
	snprintf(parent, sizeof(parent), "%s", dir);
	/* the directory that will hold DIR (and DIR.old) */
	const char *p = dirname(parent);

	if (stat(p, &sb) || !S_ISDIR(sb.st_mode))
		return bad(opt, dir, "its parent directory does not exist");
	if (access(p, W_OK | X_OK))
		return bad(opt, dir, "cannot create it: its parent directory is not writable");
	return 0;
}

/* After the run: was anything traced at all? Say why not. */
static void check_traced(const char *dir, const char *prog, int checked, time_t started)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned long syms = 0, data = 0;
	char path[PATH_MAX + 300];
	struct stat sb;

	/* a directory left by an earlier run does not count */
	snprintf(path, sizeof(path), "%s/task.txt", dir);
	if (d && (stat(path, &sb) || sb.st_mtime < started)) {
		closedir(d);
		d = NULL;
	}
	if (!d) {
		/* the runtime never started: the program is static, setuid, or exec'd one */
		if (checked != TOOL_PROG_STATIC)
			fprintf(stderr,
				"%s record: nothing was traced: the runtime did not start in %s (a "
				"static, setuid or setgid program is never traced; with "
				"FTRACE_RT_VERBOSE=1 the runtime says more)\n",
				tool_prog, prog);
		return;
	}
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);

		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (n > 4 && !strcmp(e->d_name + n - 4, ".sym"))
			syms++;
		else if ((n > 4 && !strcmp(e->d_name + n - 4, ".dat")) ||
			 !strcmp(e->d_name, "profile.txt"))
			data += !stat(path, &sb) && sb.st_size > 0;
	}
	closedir(d);
	if (!syms && checked != TOOL_PROG_NOSITES && checked != TOOL_PROG_PG)
		fprintf(stderr,
			"%s record: nothing was traced: no traceable function in %s or the "
			"libraries "
			"it loaded; rebuild with $(pkg-config --cflags ftrace_rt) (%s)\n",
			tool_prog, prog, FRT_TRACE_CFLAGS);
	else if (!syms)
		fprintf(stderr,
			"%s record: nothing was traced: neither %s nor the libraries it loaded had "
			"traceable functions; rebuild with $(pkg-config --cflags ftrace_rt)\n",
			tool_prog, prog);
	else if (!data)
		fprintf(stderr,
			"%s record: no traced function was called (check the -P/-U and -F/-N "
			"patterns "
			"against `%s list -- %s`)\n",
			tool_prog, tool_prog, prog);
}

int cmd_record(int argc, char **argv)
{
	enum { OPT_TRACER = 256, OPT_CONTROL, OPT_MAX_STACK, OPT_DISABLE, OPT_NO_LIBCALL };
	static const struct option longopts[] = {
		{"tracer", required_argument, NULL, OPT_TRACER},
		{"filter", required_argument, NULL, 'F'},
		{"notrace", required_argument, NULL, 'N'},
		{"patch", required_argument, NULL, 'P'},
		{"unpatch", required_argument, NULL, 'U'},
		{"data", required_argument, NULL, 'd'},
		{"output", required_argument, NULL, 'o'},
		{"buffer", required_argument, NULL, 'b'},
		{"control", no_argument, NULL, OPT_CONTROL},
		{"max-stack", required_argument, NULL, OPT_MAX_STACK},
		{"disable", no_argument, NULL, OPT_DISABLE},
		{"no-libcall", no_argument, NULL, OPT_NO_LIBCALL},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"time-filter", required_argument, NULL, 't'},
		{"depth", required_argument, NULL, 'D'},
		{"trigger", required_argument, NULL, 'T'},
		{"argument", required_argument, NULL, 'A'},
		{"retval", required_argument, NULL, 'R'},
		{NULL, 0, NULL, 0},
	};
	const char *tracer = NULL, *filter = NULL, *notrace = NULL, *out = "ftrace_rt.data";
	const char *depth = NULL, *thresh = NULL, *max_stack = NULL;
	/* static: joined option lists, still referenced (not leaked) when a bad option returns */
	static char *gfunc, *gnotrace, *args, *rets, *trig, *fn_order;
	bool disable = false, fn_reordered = false, fn_module = false, libcall = true;
	const char *outopt = "-d/--data", *bufsize = NULL, *prog;
	const char *tracer_opt = "--tracer", *buf_opt = "-b/--buffer";
	char dir[PATH_MAX], exe[PATH_MAX], probe[PATH_MAX + 16], cmd[8192], json[16384];
	char which[PATH_MAX], verbose[2] = "0";
	bool control = false;
	time_t started;
	size_t w = 0, nsites;
	int c, status, checked;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:F:N:P:U:d:o:b:vht:D:T:A:R:", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case OPT_TRACER:
			tracer = optarg;
			break;
		case 'P':
		case 'U': {
			const char *name = c == 'P' ? "-P/--patch" : "-U/--unpatch";
			const char **v = c == 'P' ? &filter : &notrace;

			if (*v)
				return bad(name, optarg,
					   "given twice: put every pattern in one list");
			*v = optarg;
			if (check_patterns(name, optarg))
				return 2;
			break;
		}
		case 'F':
		case 'N': {
			char **v = c == 'F' ? &gfunc : &gnotrace;
			char *j;

			if (check_patterns(c == 'F' ? "-F/--filter" : "-N/--notrace", optarg))
				return 2;
			/* as uftrace: each -F adds to the list */
			if (asprintf(&j, "%s%s%s", *v ? *v : "", *v ? "," : "", optarg) < 0)
				return 2;
			free(*v);
			*v = j;
			/* the same patterns in order, as filter/notrace triggers */
			if (add_ordered(&fn_order, optarg, c == 'F' ? "filter" : "notrace"))
				return 2;
			fn_reordered |= c == 'F' && gnotrace;
			fn_module |= strchr(optarg, '@') != NULL;
			break;
		}
		case 'D': {
			int dv;

			if (frt_parse_depth(optarg, &dv))
				return bad("-D/--depth", optarg, "not a depth from 1 to 65535");
			depth = optarg;
			break;
		}
		case 'd':
		case 'o':
			out = optarg;
			outopt = c == 'd' ? "-d/--data" : "-o/--output";
			break;
		case 'b':
			bufsize = optarg;
			break;
		case OPT_CONTROL:
			control = true;
			break;
		case OPT_MAX_STACK: {
			int dv;

			if (frt_parse_depth(optarg, &dv) || dv < 8)
				return bad("--max-stack", optarg,
					   "not a number of frames from 8 to 65535");
			max_stack = optarg;
			break;
		}
		case 'v':
			if (verbose[0] < '9')
				verbose[0]++;
			break;
		case 'h':
			record_usage(stdout);
			return 0;
		case 't': {
			unsigned long long ns;

			for (size_t i = 0; i < sizeof(tracers) / sizeof(tracers[0]); i++)
				if (!strcmp(optarg, tracers[i]))
					return bad("-t", optarg,
						   "-t is uftrace's time threshold; the tracer is "
						   "chosen with --tracer");
			if (frt_parse_time_ns(optarg, &ns))
				return bad("-t/--time-filter", optarg,
					   "not a duration such as 500ns, 10us, 1.5ms or 1s (a "
					   "bare number is in microseconds)");
			thresh = optarg;
			break;
		}
		case 'T': {
			struct frt_triggers tr = {0};
			char err[700], *j;

			if (frt_triggers_parse(optarg, &tr, err, sizeof(err)))
				return bad("-T/--trigger", optarg, err);
			frt_triggers_free(&tr);
			if (asprintf(&j, "%s%s%s", trig ? trig : "", trig ? ";" : "", optarg) < 0)
				return 2;
			free(trig);
			trig = j;
			break;
		}
		case OPT_DISABLE:
			disable = true;
			break;
		case OPT_NO_LIBCALL:
			libcall = false;
			break;
		case 'A':
		case 'R': {
			char **v = c == 'A' ? &args : &rets;
			struct frt_argspecs sp = {0};
			char err[700], *j;

			if (frt_argspecs_parse(optarg, c == 'R', &sp, err, sizeof(err)))
				return bad(c == 'A' ? "-A/--argument" : "-R/--retval", optarg, err);
			frt_argspecs_free(&sp);
			/* as uftrace: each adds a spec */
			if (asprintf(&j, "%s%s%s", *v ? *v : "", *v ? ";" : "", optarg) < 0)
				return 2;
			free(*v);
			*v = j;
			break;
		}
		default:
			return tool_bad_option("record", argv, c);
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s record: no PROGRAM to run (see %s record --help)\n", tool_prog,
			tool_prog);
		return 2;
	}
	/* what the caller's environment passes on is checked as well */
	if (!tracer && getenv("FTRACE_RT_TRACER")) {
		tracer = getenv("FTRACE_RT_TRACER");
		tracer_opt = "FTRACE_RT_TRACER";
	}
	if (!filter && getenv("FTRACE_RT_FILTER") &&
	    check_patterns("FTRACE_RT_FILTER", getenv("FTRACE_RT_FILTER")))
		return 2;
	if (!notrace && getenv("FTRACE_RT_NOTRACE") &&
	    check_patterns("FTRACE_RT_NOTRACE", getenv("FTRACE_RT_NOTRACE")))
		return 2;
	if (!gfunc && getenv("FTRACE_RT_GRAPH_FUNCTION") &&
	    check_patterns("FTRACE_RT_GRAPH_FUNCTION", getenv("FTRACE_RT_GRAPH_FUNCTION")))
		return 2;
	if (!gnotrace && getenv("FTRACE_RT_GRAPH_NOTRACE") &&
	    check_patterns("FTRACE_RT_GRAPH_NOTRACE", getenv("FTRACE_RT_GRAPH_NOTRACE")))
		return 2;
	if (!depth && getenv("FTRACE_RT_MAX_GRAPH_DEPTH")) {
		const char *v = getenv("FTRACE_RT_MAX_GRAPH_DEPTH");
		int dv;

		if (*v && strcmp(v, "0") && frt_parse_depth(v, &dv))
			return bad("FTRACE_RT_MAX_GRAPH_DEPTH", v,
				   "not a depth from 1 to 65535 (0: no limit)");
	}
	if (!max_stack && getenv("FTRACE_RT_MAX_STACK")) {
		int dv;

		if (frt_parse_depth(getenv("FTRACE_RT_MAX_STACK"), &dv) || dv < 8)
			return bad("FTRACE_RT_MAX_STACK", getenv("FTRACE_RT_MAX_STACK"),
				   "not a number of frames from 8 to 65535");
	}
	if (!thresh && getenv("FTRACE_RT_TRACING_THRESH")) {
		const char *v = getenv("FTRACE_RT_TRACING_THRESH");
		unsigned long long ns;

		if (*v && frt_parse_time_ns(v, &ns))
			return bad("FTRACE_RT_TRACING_THRESH", v,
				   "not a duration such as 500ns, 10us, 1.5ms or 1s");
	}
	for (int k = 0; k < 2; k++) {
		const char *var = k ? "FTRACE_RT_FUNCGRAPH_RETVAL" : "FTRACE_RT_FUNCGRAPH_ARGS";
		struct frt_argspecs sp = {0};
		char err[700];

		if ((k ? rets : args) || !getenv(var))
			continue;
		if (frt_argspecs_parse(getenv(var), k, &sp, err, sizeof(err)))
			return bad(var, getenv(var), err);
		frt_argspecs_free(&sp);
	}
	if (!bufsize && getenv("FTRACE_RT_BUFSIZE")) {
		bufsize = getenv("FTRACE_RT_BUFSIZE");
		buf_opt = "FTRACE_RT_BUFSIZE";
	}
	if (tracer) {
		size_t i = 0;

		while (i < sizeof(tracers) / sizeof(tracers[0]) && strcmp(tracer, tracers[i]))
			i++;
		if (i == sizeof(tracers) / sizeof(tracers[0]))
			return bad(tracer_opt, tracer,
				   "not a tracer (function_graph, function, profile, none)");
	}
	if (bufsize) {
		size_t v;

		if (frt_parse_size(bufsize, &v))
			return bad(buf_opt, bufsize, "not a size (e.g. 4K, 512K, 64M, 1G)");
		if (v < FRT_BUFSIZE_MIN || v > FRT_BUFSIZE_MAX)
			return bad(buf_opt, bufsize, "not from 4K to 4G");
	}
	if (check_data_dir(outopt, out))
		return 2;
	prog = tool_which(argv[optind], which, sizeof(which));
	if (!prog) {
		fprintf(stderr, "%s record: cannot run %s: no such program\n", tool_prog,
			argv[optind]);
		return 127;
	}
	checked = tool_check_program("record", prog, &nsites);
	if (checked == TOOL_PROG_STATIC)
		return 1;
	if (checked == TOOL_PROG_NOSITES || checked == TOOL_PROG_PG)
		fprintf(stderr,
			"%s record: running it anyway: only the libraries it loads can be "
			"traced\n",
			tool_prog);

	if (out[0] == '/')
		snprintf(dir, sizeof(dir), "%s", out);
	else if (getcwd(exe, sizeof(exe)))
		snprintf(dir, sizeof(dir), "%.2048s/%.2000s", exe, out);
	else
		snprintf(dir, sizeof(dir), "%s", out);
	if (tool_setenv_preload())
		return 127;
	/* the program is the root of a new session */
	unsetenv("FTRACE_RT_SESSION_DIR");
	setenv("FTRACE_RT_OUTPUT", dir, 1);
	if (tracer)
		setenv("FTRACE_RT_TRACER", tracer, 1);
	else if (!getenv("FTRACE_RT_TRACER"))
		setenv("FTRACE_RT_TRACER", "function_graph", 1);
	if (filter)
		setenv("FTRACE_RT_FILTER", filter, 1);
	if (notrace)
		setenv("FTRACE_RT_NOTRACE", notrace, 1);
	/*
	 * uftrace keeps -F and -N in one list, in order: for a function both
	 * name, the later one wins (a -F after a -N takes the function back),
	 * where FTRACE_RT_GRAPH_NOTRACE always wins over _GRAPH_FUNCTION. When a
	 * -F follows a -N, the patterns go as filter/notrace triggers, which
	 * apply in order, before the -T ones (as uftrace sets its filters before
	 * its triggers). Not with @MODULE patterns: a trigger's '@' is its action.
	 */
	if (fn_reordered && !fn_module) {
		char *j;

		if (asprintf(&j, "%s%s%s", fn_order, trig ? ";" : "", trig ? trig : "") < 0)
			return 2;
		free(trig);
		trig = j;
		free(gfunc);
		free(gnotrace);
		gfunc = gnotrace = NULL;
	}
	if (gfunc)
		setenv("FTRACE_RT_GRAPH_FUNCTION", gfunc, 1);
	if (gnotrace)
		setenv("FTRACE_RT_GRAPH_NOTRACE", gnotrace, 1);
	if (depth)
		setenv("FTRACE_RT_MAX_GRAPH_DEPTH", depth, 1);
	if (thresh)
		setenv("FTRACE_RT_TRACING_THRESH", thresh, 1);
	if (max_stack)
		setenv("FTRACE_RT_MAX_STACK", max_stack, 1);
	if (trig)
		setenv("FTRACE_RT_TRIGGER", trig, 1);
	if (disable)
		setenv("FTRACE_RT_TRACING_ON", "0", 1);
	/* as uftrace: the executable's library calls too, unless --no-libcall */
	if (!libcall)
		setenv("FTRACE_RT_LIBCALL", "0", 1);
	else if (!getenv("FTRACE_RT_LIBCALL"))
		setenv("FTRACE_RT_LIBCALL", "1", 1);
	/* every PLT slot bound before the runtime starts: libcall.c traces bound ones */
	if (libcall && !getenv("LD_BIND_NOW"))
		setenv("LD_BIND_NOW", "1", 1);
	if (args)
		setenv("FTRACE_RT_FUNCGRAPH_ARGS", args, 1);
	if (rets)
		setenv("FTRACE_RT_FUNCGRAPH_RETVAL", rets, 1);
	if (bufsize)
		setenv("FTRACE_RT_BUFSIZE", bufsize, 1);
	if (control)
		setenv("FTRACE_RT_CONTROL", "1", 1);
	if (verbose[0] > '0')
		setenv("FTRACE_RT_VERBOSE", verbose, 1);
	started = time(NULL);
	status = tool_run(argv + optind);
	if (tool_run_signal) {
		const char *name = sigabbrev_np(tool_run_signal);

		fprintf(stderr, "%s: %s killed by SIG%s\n", tool_prog, argv[optind],
			name ? name : "?");
	}
	if (strcmp(getenv("FTRACE_RT_TRACER"), "none"))
		check_traced(dir, argv[optind], checked, started);

	/* the info file again, now with the exit status */
	snprintf(probe, sizeof(probe), "%s/task.txt", dir);
	if (access(probe, F_OK))
		return status;
	for (int i = optind; i < argc && w < sizeof(cmd) - 1; i++) {
		int n = snprintf(cmd + w, sizeof(cmd) - w, "%s%s", i > optind ? " " : "", argv[i]);

		if (n < 0)
			break;
		w += (size_t)n;
	}
	if (w >= sizeof(cmd))
		w = sizeof(cmd) - 1;
	frt_json_escape(cmd, w, json, sizeof(json));
	if (!realpath(prog, exe))
		snprintf(exe, sizeof(exe), "%s", prog);
	/* uftrace keeps the raw wait status; exit code N is N << 8 */
	frt_uftrace_write_info(dir, exe, json, status < 128 ? status << 8 : status - 128, true,
			       NULL, NULL, true);
	return status;
}
