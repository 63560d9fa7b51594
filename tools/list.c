// SPDX-License-Identifier: MIT
/* ftrace-rt list: the traceable functions of a file, or of a program as it loads objects. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elf_scan.h"
#include "pattern.h"
#include "tool.h"

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
		fprintf(stderr, "%s: %s: %s\n", tool_prog, file, strerror(errno));
		return 1;
	}
	if (frt_scan_elf(fd, NULL, &sc, err, sizeof(err))) {
		fprintf(stderr, "%s: %s: %s\n", tool_prog, file, err);
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
			fprintf(stderr, "%s: %s: %u records skipped: %s\n", tool_prog, file,
				sc.skipped[i], frt_skip_name(i));
	if (!sc.has_pfe && !sc.has_mcount)
		fprintf(stderr, "%s: %s: no __patchable_function_entries or __mcount_loc section\n",
			tool_prog, file);
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
		fprintf(stderr, "%s: cannot run %s: %s\n", tool_prog, argv[0], strerror(errno));
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

int cmd_list(int argc, char **argv)
{
	struct frt_patterns pats = {0};
	char err[512];
	int c, ret;

	optind = 1;
	while ((c = getopt(argc, argv, "+F:h")) != -1) {
		switch (c) {
		case 'F':
			if (frt_patterns_parse(optarg, &pats, err, sizeof(err))) {
				fprintf(stderr, "%s: -F: %s\n", tool_prog, err);
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
