// SPDX-License-Identifier: MIT
/*
 * ftrace-rt: the command line front end.
 *
 *   ftrace-rt record [-t TRACER] [-F PATTERNS] [-N PATTERNS] [-o DIR] [-b SIZE] -- PROGRAM...
 *   ftrace-rt report [-d DIR] [-s total|self|calls] [-m]
 *   ftrace-rt ctl PID COMMAND [ARGS...]
 *   ftrace-rt list [-F PATTERNS] FILE
 *   ftrace-rt list [-F PATTERNS] -- PROGRAM [ARGS...]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <link.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elf_scan.h"
#include "pattern.h"
#include "tool.h"

#ifndef FRT_LIBDIR
#define FRT_LIBDIR "/usr/local/lib"
#endif

const char *tool_prog = "ftrace-rt";

void tool_usage(FILE *f)
{
	fprintf(f,
		"usage: %s COMMAND [OPTIONS]\n"
		"  record [-t TRACER] [-F PATTERNS] [-N PATTERNS] [-o DIR] [-b SIZE] -- PROGRAM "
		"[ARGS...]\n"
		"        run PROGRAM traced; TRACER: function_graph (default), function, profile\n"
		"  report [-d DIR] [-s total|self|calls] [-m]\n"
		"        per-function summary of a data directory (-m: C++ names mangled)\n"
		"  ctl PID COMMAND [ARGS...]                control a process run with "
		"FTRACE_RT_CONTROL=1:\n"
		"        filter PATTERNS | notrace PATTERNS | tracer NAME | on | off |\n"
		"        sites [PATTERNS] | stats | flush\n"
		"  list [-F PATTERNS] FILE                  patch sites of an ELF file\n"
		"  list [-F PATTERNS] -- PROGRAM [ARGS...]  patch sites as PROGRAM loads them\n",
		tool_prog);
}

/* libftrace_rt.so: $FTRACE_RT_LIB, next to this tool in a build tree, or installed. */
const char *tool_find_lib(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX];
	const char *env = getenv("FTRACE_RT_LIB");
	ssize_t n;
	const char *cands[] = {"%s/../libftrace_rt.so", "%s/../lib/libftrace_rt.so",
			       "%s/../lib/x86_64-linux-gnu/libftrace_rt.so",
			       "%s/../lib64/libftrace_rt.so"};

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		char *dir = dirname(exe);

		for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
			snprintf(path, sizeof(path), cands[i], dir);
			if (access(path, R_OK) == 0)
				return path;
		}
	}
	snprintf(path, sizeof(path), "%s/libftrace_rt.so", FRT_LIBDIR);
	return path;
}

#ifdef __SANITIZE_ADDRESS__
/* A sanitizer build of the runtime needs the ASan runtime first in the process. */
static int find_asan(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	if (info->dlpi_name && strstr(info->dlpi_name, "libasan.so")) {
		*(const char **)arg = info->dlpi_name;
		return 1;
	}
	return 0;
}
#endif

/* LD_PRELOAD with the runtime first, keeping what the user preloads. */
int tool_setenv_preload(void)
{
	const char *lib = tool_find_lib();
	const char *old = getenv("LD_PRELOAD");
	char *v;
#ifdef __SANITIZE_ADDRESS__
	const char *asan = NULL;
	static char withasan[2 * PATH_MAX];

	dl_iterate_phdr(find_asan, &asan);
	if (asan) {
		snprintf(withasan, sizeof(withasan), "%s:%s", asan, lib);
		lib = withasan;
	}
#endif

	if (access(tool_find_lib(), R_OK)) {
		fprintf(stderr, "%s: cannot find libftrace_rt.so (tried %s); set FTRACE_RT_LIB\n",
			tool_prog, lib);
		return -1;
	}
	if (old && *old) {
		if (asprintf(&v, "%s:%s", lib, old) < 0)
			return -1;
	} else {
		v = strdup(lib);
	}
	if (!v || setenv("LD_PRELOAD", v, 1))
		return -1;
	free(v);
	return 0;
}

static volatile pid_t running_child;
int tool_run_signal;

/* SIGTERM sent to this tool alone (kill PID, a service manager): the program decides */
static void forward(int sig)
{
	if (running_child > 0)
		kill(running_child, sig);
}

/* Run argv, wait, and return its exit status the way a shell would. */
int tool_run(char **argv)
{
	struct sigaction fwd = {.sa_handler = forward}, old_term;

	pid_t pid = fork();
	int st;

	if (pid < 0) {
		perror("fork");
		return 127;
	}
	if (!pid) {
		execvp(argv[0], argv);
		fprintf(stderr, "%s: cannot run %s: %s\n", tool_prog, argv[0], strerror(errno));
		_exit(127);
	}
	/*
	 * Ctrl-C reaches the whole process group: the program gets it and
	 * decides (a traced one writes its data before it dies); this tool
	 * waits to report.
	 */
	signal(SIGINT, SIG_IGN);
	running_child = pid;
	sigemptyset(&fwd.sa_mask);
	sigaction(SIGTERM, &fwd, &old_term);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 127;
	running_child = 0;
	sigaction(SIGTERM, &old_term, NULL);
	signal(SIGINT, SIG_DFL);
	tool_run_signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		tool_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(argv[1], "record"))
		return cmd_record(argc - 1, argv + 1);
	if (!strcmp(argv[1], "report"))
		return cmd_report(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ctl"))
		return cmd_ctl(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		tool_usage(stdout);
		return 0;
	}
	fprintf(stderr, "%s: unknown command '%s'\n", tool_prog, argv[1]);
	tool_usage(stderr);
	return 2;
}
