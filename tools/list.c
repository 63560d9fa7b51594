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

/*
 * One line as listed: a C++ function's demangled name follows the columns
 * after "# " (the FUNCTION column stays the symbol, which has no spaces and
 * which patterns, uftrace's symbol files and nm use), unless --no-demangle.
 */
static void put_line(const char *line)
{
	char func[1024];
	char *name;
	size_t len = strcspn(line, "\n");

	if (sscanf(line, "%*s %1023s", func) != 1 || !(name = tool_demangle(func))) {
		fputs(line, stdout);
		return;
	}
	if (strcmp(name, func))
		printf("%.*s # %s\n", (int)len, line, name);
	else
		fputs(line, stdout);
	free(name);
}

static int list_file(const char *file, const struct frt_patterns *pats)
{
	char err[256], line[4096];
	struct frt_scan sc;
	size_t nsites;
	int checked;
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;

	if (fd < 0) {
		fprintf(stderr, "%s: %s: %s\n", tool_prog, file, strerror(errno));
		return 1;
	}
	/* its sites are there, but a static binary never loads the runtime */
	checked = tool_check_program("list", file, &nsites);
	if (checked == TOOL_PROG_STATIC) {
		close(fd);
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
		snprintf(line, sizeof(line), "%s %s %#llx %s %s%s\n", base, name,
			 (unsigned long long)s->entry, arch_layout_name(s->layout),
			 (s->flags & FRT_SITE_F_SLOT)	     ? "slot"
			 : (s->flags & FRT_SITE_F_SLOT_UNAL) ? "slot-unaligned"
							     : "noslot",
			 (s->flags & FRT_SITE_F_PAD) ? " " ARCH_PAD_NAME : "");
		put_line(line);
	}
	for (int i = 0; i < FRT_SKIP_NR; i++)
		if (sc.skipped[i])
			fprintf(stderr, "%s: %s: %u records skipped: %s\n", tool_prog, file,
				sc.skipped[i], frt_skip_name(i));
	nsites = sc.nsites;
	frt_scan_free(&sc);
	if (!nsites) {
		/* tool_check_program() said why (-pg, or built without the flags) */
		if (checked == TOOL_PROG_UNKNOWN)
			fprintf(stderr,
				"%s list: %s has no traceable functions (no patchable function "
				"entries); rebuild it with $(pkg-config --cflags ftrace_rt) (%s)\n",
				tool_prog, file, FRT_TRACE_CFLAGS);
		return 1;
	}
	return 0;
}

static int list_program(char **argv, const struct frt_patterns *pats)
{
	int pfd[2], status, checked;
	char fdbuf[16], line[2048], which[4096];
	const char *prog = tool_which(argv[0], which, sizeof(which));
	unsigned long found = 0;
	size_t nsites;
	FILE *in;

	if (!prog) {
		fprintf(stderr, "%s list: cannot run %s: no such program\n", tool_prog, argv[0]);
		return 127;
	}
	checked = tool_check_program("list", prog, &nsites);
	if (checked == TOOL_PROG_STATIC)
		return 1;

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
		tool_exec(argv);
		fprintf(stderr, "%s: cannot run %s: %s\n", tool_prog, argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	in = fdopen(pfd[0], "r");
	while (in && fgets(line, sizeof(line), in)) {
		char module[1024], func[1024];

		found++;
		if (sscanf(line, "%1023s %1023s", module, func) == 2 &&
		    !line_matches(pats, module, func))
			continue;
		put_line(line);
	}
	if (in)
		fclose(in);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (!found) {
		if (checked != TOOL_PROG_NOSITES && checked != TOOL_PROG_PG)
			fprintf(stderr,
				"%s list: no traceable function in %s or the libraries it "
				"loaded%s; "
				"rebuild with $(pkg-config --cflags ftrace_rt) (%s)\n",
				tool_prog, argv[0], status == 127 ? " (or it did not run)" : "",
				FRT_TRACE_CFLAGS);
		return status ? status : 1;
	}
	return status;
}

static void list_usage(FILE *f)
{
	fprintf(f,
		"usage: %s list [OPTIONS] FILE\n"
		"       %s list [OPTIONS] -- PROGRAM [ARGS...]\n"
		"The traceable functions of an ELF file, or of PROGRAM and every object it\n"
		"loads while it runs (untraced). One line each: MODULE FUNCTION ENTRY LAYOUT\n"
		"SLOT [" ARCH_PAD_NAME
		"], and for a C++ function \"# \" and its demangled name. Exit status 1\n"
		"when nothing is traceable (and why on stderr).\n"
		"\n"
		"  -F, --filter=PATTERNS  only these functions: globs (* ? [...]) separated by\n"
		"                         commas or spaces, each optionally GLOB@MODULE; C++\n"
		"                         names match mangled or demangled (Registry::get)\n"
		"  -m, --no-demangle      no demangled names\n"
		"  -h, --help             this help\n"
		"\n"
		"Traceable code is compiled with $(pkg-config --cflags ftrace_rt):\n"
		"  %s\n"
		"Static binaries cannot be traced (the runtime is preloaded).\n",
		tool_prog, tool_prog, FRT_TRACE_CFLAGS);
}

int cmd_list(int argc, char **argv)
{
	struct frt_patterns pats = {0};
	char err[512];
	int c, ret;

	static const struct option longopts[] = {
		{"filter", required_argument, NULL, 'F'},
		{"no-demangle", no_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:F:mh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			tool_demangle_on = 0;
			break;
		case 'F':
			if (frt_patterns_parse(optarg, &pats, err, sizeof(err))) {
				fprintf(stderr, "%s list: -F/--filter '%s': %s\n", tool_prog,
					optarg, err);
				frt_patterns_free(&pats);
				return 2;
			}
			break;
		case 'h':
			list_usage(stdout);
			return 0;
		default:
			frt_patterns_free(&pats);
			return tool_bad_option("list", argv, c);
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s list: no FILE or -- PROGRAM (see %s list --help)\n", tool_prog,
			tool_prog);
		return 2;
	}
	if (!strcmp(argv[optind - 1], "--"))
		ret = list_program(argv + optind, &pats);
	else if (optind + 1 == argc)
		ret = list_file(argv[optind], &pats);
	else {
		fprintf(stderr, "%s list: one FILE, or -- PROGRAM [ARGS...] (see %s list --help)\n",
			tool_prog, tool_prog);
		ret = 2;
	}
	frt_patterns_free(&pats);
	return ret;
}
