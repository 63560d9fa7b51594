// SPDX-License-Identifier: MIT
/*
 * ftrace-rt: the command line front end.
 *
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

static const char *prog = "ftrace-rt";

void tool_usage(FILE *f)
{
	fprintf(f,
		"usage: %s COMMAND [OPTIONS]\n"
		"  list [-F PATTERNS] FILE                  patch sites of an ELF file\n"
		"  list [-F PATTERNS] -- PROGRAM [ARGS...]  patch sites as PROGRAM loads them\n",
		prog);
}

/* libftrace_rt.so: $FTRACE_RT_LIB, next to this tool in a build tree, or installed. */
const char *tool_find_lib(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX];
	const char *env = getenv("FTRACE_RT_LIB");
	ssize_t n;
	const char *cands[] = {"%s/../libftrace_rt.so", "%s/../lib/libftrace_rt.so",
			       "%s/../lib/x86_64-linux-gnu/libftrace_rt.so", "%s/../lib64/libftrace_rt.so"};

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
		fprintf(stderr, "%s: cannot find libftrace_rt.so (tried %s); set FTRACE_RT_LIB\n", prog,
			lib);
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

/* Run argv, wait, and return its exit status the way a shell would. */
int tool_run(char **argv)
{
	pid_t pid = fork();
	int st;

	if (pid < 0) {
		perror("fork");
		return 127;
	}
	if (!pid) {
		execvp(argv[0], argv);
		fprintf(stderr, "%s: cannot run %s: %s\n", prog, argv[0], strerror(errno));
		_exit(127);
	}
	signal(SIGINT, SIG_IGN); /* the program gets it and decides */
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 127;
	signal(SIGINT, SIG_DFL);
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

static bool line_matches(const struct frt_patterns *pats, const char *module, const char *func)
{
	if (!pats->n)
		return true;
	for (size_t i = 0; i < pats->n; i++)
		if (frt_pattern_match(&pats->v[i], func, module, false))
			return true;
	return false;
}

static int list_file(const char *file, const struct frt_patterns *pats)
{
	char err[256];
	struct frt_scan sc;
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;

	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, file, strerror(errno));
		return 1;
	}
	if (frt_scan_elf(fd, NULL, &sc, err, sizeof(err))) {
		fprintf(stderr, "%s: %s: %s\n", prog, file, err);
		close(fd);
		return 1;
	}
	close(fd);
	for (size_t i = 0; i < sc.nsites; i++) {
		const struct frt_scan_site *s = &sc.sites[i];
		const char *name = sc.names + s->name;

		if (!line_matches(pats, base, name))
			continue;
		printf("%s %s %#llx %s %s%s\n", base, name, (unsigned long long)s->entry,
		       frt_layout_name(s->layout),
		       (s->flags & FRT_SITE_F_SLOT)	   ? "slot"
		       : (s->flags & FRT_SITE_F_SLOT_UNAL) ? "slot-unaligned"
							   : "noslot",
		       (s->flags & FRT_SITE_F_ENDBR) ? " endbr" : "");
	}
	for (int i = 0; i < FRT_SKIP_NR; i++)
		if (sc.skipped[i])
			fprintf(stderr, "%s: %s: %u records skipped: %s\n", prog, file, sc.skipped[i],
				frt_skip_name(i));
	if (!sc.has_pfe && !sc.has_mcount)
		fprintf(stderr, "%s: %s: no __patchable_function_entries or __mcount_loc section\n",
			prog, file);
	frt_scan_free(&sc);
	return 0;
}

static int list_program(char **argv, const struct frt_patterns *pats)
{
	int pfd[2], status;
	char fdbuf[16], line[2048];
	FILE *in;

	if (pipe(pfd)) {
		perror("pipe");
		return 1;
	}
	snprintf(fdbuf, sizeof(fdbuf), "%d", pfd[1]);
	if (tool_setenv_preload() || setenv("FTRACE_RT_LIST_FD", fdbuf, 1) ||
	    setenv("FTRACE_RT_TRACER", "none", 1))
		return 1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (!pid) {
		close(pfd[0]);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: cannot run %s: %s\n", prog, argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	in = fdopen(pfd[0], "r");
	while (in && fgets(line, sizeof(line), in)) {
		char module[1024], func[1024];

		if (sscanf(line, "%1023s %1023s", module, func) == 2 &&
		    !line_matches(pats, module, func))
			continue;
		fputs(line, stdout);
	}
	if (in)
		fclose(in);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int cmd_list(int argc, char **argv)
{
	struct frt_patterns pats = {0};
	char err[512];
	int c, ret;

	optind = 1;
	while ((c = getopt(argc, argv, "+F:h")) != -1) {
		switch (c) {
		case 'F':
			if (frt_patterns_parse(optarg, &pats, err, sizeof(err))) {
				fprintf(stderr, "%s: -F: %s\n", prog, err);
				return 2;
			}
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
	if (!strcmp(argv[optind - 1], "--"))
		ret = list_program(argv + optind, &pats);
	else if (optind + 1 == argc)
		ret = list_file(argv[optind], &pats);
	else {
		tool_usage(stderr);
		ret = 2;
	}
	frt_patterns_free(&pats);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		tool_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		tool_usage(stdout);
		return 0;
	}
	fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[1]);
	tool_usage(stderr);
	return 2;
}
