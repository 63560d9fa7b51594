// SPDX-License-Identifier: MIT
/*
 * Configuration from the environment (names fixed by the design):
 * FTRACE_RT_TRACER, FTRACE_RT_FILTER, FTRACE_RT_NOTRACE, FTRACE_RT_OUTPUT,
 * FTRACE_RT_BUFSIZE, FTRACE_RT_BUFFER_FULL (FTRACE_RT_VERBOSE is read at init). A bad value gives
 * one line naming the variable and the value, and the program runs on
 * untraced.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int frt_config_start(void)
{
	const char *tr = secure_getenv("FTRACE_RT_TRACER");
	const char *bs = secure_getenv("FTRACE_RT_BUFSIZE");
	const char *out = secure_getenv("FTRACE_RT_OUTPUT");
	const char *full = secure_getenv("FTRACE_RT_BUFFER_FULL");
	size_t bufsize = DEFAULT_BUFSIZE;
	char msg[1200];
	int kind, ret;

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
