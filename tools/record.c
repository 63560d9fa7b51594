// SPDX-License-Identifier: MIT
/*
 * ftrace-rt record [-t TRACER] [-F PATTERNS] [-N PATTERNS] [-o DIR] [-b SIZE] -- PROGRAM [ARGS...]
 *
 * Runs PROGRAM with the runtime preloaded and the environment set, keeps its
 * exit status, and completes the data directory's info with it.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"
#include "uftrace_info.h"

int cmd_record(int argc, char **argv)
{
	const char *tracer = NULL, *filter = NULL, *notrace = NULL, *out = "ftrace_rt.data";
	const char *bufsize = NULL;
	char dir[PATH_MAX], exe[PATH_MAX], probe[PATH_MAX + 16], cmd[8192], json[16384];
	size_t w = 0;
	int c, status;

	optind = 1;
	while ((c = getopt(argc, argv, "+t:F:N:o:b:h")) != -1) {
		switch (c) {
		case 't':
			tracer = optarg;
			break;
		case 'F':
			filter = optarg;
			break;
		case 'N':
			notrace = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'b':
			bufsize = optarg;
			break;
		case 'h':
			tool_usage(stdout);
			return 0;
		default:
			tool_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		tool_usage(stderr);
		return 2;
	}
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
	if (bufsize)
		setenv("FTRACE_RT_BUFSIZE", bufsize, 1);
	status = tool_run(argv + optind);
	if (tool_run_signal) {
		const char *name = sigabbrev_np(tool_run_signal);

		fprintf(stderr, "%s: %s killed by SIG%s\n", tool_prog, argv[optind],
			name ? name : "?");
	}

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
	if (!realpath(argv[optind], exe))
		snprintf(exe, sizeof(exe), "%s", argv[optind]);
	/* uftrace keeps the raw wait status; exit code N is N << 8 */
	frt_uftrace_write_info(dir, exe, json, status < 128 ? status << 8 : status - 128, true);
	return status;
}
