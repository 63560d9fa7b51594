// SPDX-License-Identifier: MIT
/*
 * Configuration from the environment (names fixed by the design):
 * FTRACE_RT_TRACER, FTRACE_RT_FILTER, FTRACE_RT_NOTRACE, FTRACE_RT_OUTPUT,
 * FTRACE_RT_BUFSIZE, FTRACE_RT_BUFFER_FULL, FTRACE_RT_LIBCALL (FTRACE_RT_VERBOSE is read at init).
 * A bad value gives one line naming the variable and the value, and the program runs on untraced.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "gfilter.h"
#include "init.h"
#include "libcall.h"
#include "log.h"
#include "parse.h"
#include "pattern.h"
#include "trace.h"
#include "tracer.h"

#define DEFAULT_BUFSIZE FRT_BUFSIZE_DEFAULT
#define MIN_BUFSIZE	FRT_BUFSIZE_MIN
#define MAX_BUFSIZE	FRT_BUFSIZE_MAX

static bool check_patterns(const char *var)
{
	const char *v = secure_getenv(var);
	struct frt_patterns p = {0};
	char err[512];

	if (!v)
		return true;
	if (frt_patterns_parse(v, &p, err, sizeof(err))) {
		frt_msg("%s='%s': %s; not tracing", var, v, err);
		return false;
	}
	frt_patterns_free(&p);
	return true;
}

/* "graph function: ..." -> "GRAPH_FUNCTION='value': ..." for the message */
static const char *gf_var_of(const char *msg)
{
	static char line[1400];
	static const struct {
		const char *prefix, *var;
	} m[] = {
		{"graph function: ", "GRAPH_FUNCTION"},
		{"graph notrace: ", "GRAPH_NOTRACE"},
		{"max graph depth ", "MAX_GRAPH_DEPTH"},
		{"tracing threshold ", "TRACING_THRESH"},
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (!strncmp(msg, m[i].prefix, strlen(m[i].prefix))) {
			char var[40];

			snprintf(var, sizeof(var), "FTRACE_RT_%s", m[i].var);
			snprintf(line, sizeof(line), "%s='%s': %s", m[i].var,
				 secure_getenv(var) ? secure_getenv(var) : "", msg);
			return line;
		}
	snprintf(line, sizeof(line), "GRAPH_*: %s", msg);
	return line;
}

int frt_config_start(void)
{
	const char *tr = secure_getenv("FTRACE_RT_TRACER");
	const char *bs = secure_getenv("FTRACE_RT_BUFSIZE");
	const char *out = secure_getenv("FTRACE_RT_OUTPUT");
	const char *full = secure_getenv("FTRACE_RT_BUFFER_FULL");
	size_t bufsize = DEFAULT_BUFSIZE;
	char msg[1200];
	int kind, ret;

	const char *ms = secure_getenv("FTRACE_RT_MAX_STACK");

	if (ms) {
		int v;

		if (frt_parse_depth(ms, &v) || v < 8) {
			frt_msg("FTRACE_RT_MAX_STACK='%s' is not a number of frames from 8 to %d; "
				"not "
				"tracing",
				ms, FRT_SHADOW_LIMIT);
			return -EINVAL;
		}
		frt_shadow_max = (unsigned int)v;
	}
	kind = tr ? frt_tracer_parse(tr) : frt_preloaded ? FRT_TRACER_GRAPH : FRT_TRACER_NONE;
	if (kind < 0) {
		frt_msg("FTRACE_RT_TRACER='%s' is not a tracer (function, function_graph, profile, "
			"none); not tracing",
			tr);
		return -EINVAL;
	}
	if (kind == FRT_TRACER_NONE)
		return 0;
	if (bs &&
	    (frt_parse_size(bs, &bufsize) || bufsize < MIN_BUFSIZE || bufsize > MAX_BUFSIZE)) {
		frt_msg("FTRACE_RT_BUFSIZE='%s' is not a size from 4K to 4G; not tracing", bs);
		return -EINVAL;
	}
	if (full && strcmp(full, "wait") && strcmp(full, "drop")) {
		frt_msg("FTRACE_RT_BUFFER_FULL='%s' is not 'wait' (a thread whose buffer is full "
			"writes it out itself: nothing lost) or 'drop' (records dropped and "
			"counted: the program never waits); not tracing",
			full);
		return -EINVAL;
	}
	frt_buffer_wait = !full || !strcmp(full, "wait");
	if (!check_patterns("FTRACE_RT_FILTER") || !check_patterns("FTRACE_RT_NOTRACE"))
		return -EINVAL;
	if (out && !*out) {
		frt_msg("FTRACE_RT_OUTPUT='' is not a directory name; not tracing");
		return -EINVAL;
	}
	ret = frt_output_open(out ? out : "ftrace_rt.data");
	if (ret) {
		frt_msg("FTRACE_RT_OUTPUT='%s': cannot make a data directory there: %s; not "
			"tracing",
			out ? out : "ftrace_rt.data",
			ret == -EEXIST ? "it exists and is not a data directory" : strerror(-ret));
		return ret;
	}
	ret = frt_recording_start(bufsize);
	if (ret) {
		frt_msg("cannot start recording: %s; not tracing", strerror(-ret));
		return ret;
	}
	/* the graph filters, in force from the first call */
	ret = frt_gf_set(secure_getenv("FTRACE_RT_GRAPH_FUNCTION"),
			 secure_getenv("FTRACE_RT_GRAPH_NOTRACE"),
			 secure_getenv("FTRACE_RT_MAX_GRAPH_DEPTH"),
			 secure_getenv("FTRACE_RT_TRACING_THRESH"), msg, sizeof(msg));
	if (ret) {
		frt_msg("FTRACE_RT_%s; not tracing", gf_var_of(msg));
		return ret;
	}
	if (msg[0])
		frt_msg("%s", msg);
	if (secure_getenv("FTRACE_RT_TRACING_ON")) {
		const char *v = secure_getenv("FTRACE_RT_TRACING_ON");

		if (strcmp(v, "0") && strcmp(v, "1")) {
			frt_msg("FTRACE_RT_TRACING_ON='%s' is not 0 or 1; not tracing", v);
			return -EINVAL;
		}
		frt_gf.enabled = v[0] == '1';
	}
	if (secure_getenv("FTRACE_RT_LIBCALL")) {
		const char *v = secure_getenv("FTRACE_RT_LIBCALL");

		if (strcmp(v, "0") && strcmp(v, "1")) {
			frt_msg("FTRACE_RT_LIBCALL='%s' is not 0 or 1 (1: trace the executable's "
				"library calls, malloc@plt...); not tracing",
				v);
			return -EINVAL;
		}
		frt_libcall_wanted = v[0] == '1';
	}
	if (secure_getenv("FTRACE_RT_TRIGGER")) {
		ret = frt_gf_set_triggers(secure_getenv("FTRACE_RT_TRIGGER"), msg, sizeof(msg));
		if (ret) {
			frt_msg("FTRACE_RT_TRIGGER='%s': %s; not tracing",
				secure_getenv("FTRACE_RT_TRIGGER"), msg);
			return ret;
		}
	}
	if (secure_getenv("FTRACE_RT_FUNCGRAPH_ARGS") ||
	    secure_getenv("FTRACE_RT_FUNCGRAPH_RETVAL")) {
		ret = frt_gf_set_args(secure_getenv("FTRACE_RT_FUNCGRAPH_ARGS"),
				      secure_getenv("FTRACE_RT_FUNCGRAPH_RETVAL"), msg,
				      sizeof(msg));
		if (ret) {
			const char *var = strncmp(msg, "argument", 8) ? "FTRACE_RT_FUNCGRAPH_RETVAL"
								      : "FTRACE_RT_FUNCGRAPH_ARGS";

			frt_msg("%s='%s': %s; not tracing", var, secure_getenv(var), msg);
			return ret;
		}
	}
	ret = frt_tracer_set(kind, secure_getenv("FTRACE_RT_FILTER"),
			     secure_getenv("FTRACE_RT_NOTRACE"), msg, sizeof(msg));
	if (ret) {
		frt_msg("cannot start the %s tracer: %s; not tracing", frt_tracer_name(kind),
			ftrace_rt_strerror(ret));
		return ret;
	}
	if (msg[0])
		frt_msg("FTRACE_RT_FILTER: %s", msg);
	return 0;
}
