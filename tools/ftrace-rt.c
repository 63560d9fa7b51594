// SPDX-License-Identifier: MIT
/*
 * ftrace-rt: the command line front end. One verb per file; the options of
 * every verb are uftrace's letters where the concept is the same, each with
 * a long form, and `ftrace-rt VERB --help` says everything about a verb.
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
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elf_scan.h"
#include "pattern.h"
#include "tool.h"

#ifndef FRT_LIBDIR_REL
#define FRT_LIBDIR_REL "lib"
#endif
#ifndef FRT_LIBDIR
#define FRT_LIBDIR "/usr/local/lib"
#endif
#ifndef FRT_VERSION
#define FRT_VERSION "?"
#endif

const char *tool_prog = "ftrace-rt";

void tool_usage(FILE *f)
{
	fprintf(f,
		"usage: %s COMMAND [OPTIONS] [--] [ARGS...]\n"
		"\n"
		"  record [OPTIONS] [--] PROGRAM [ARGS...]  run PROGRAM traced, keep its exit "
		"status\n"
		"  report [OPTIONS] [DIR]                   per-function calls, total and self "
		"time\n"
		"  replay [OPTIONS] [DIR]                   the calls in time order, nested\n"
		"  dump --chrome|--flame-graph|--flame-svg [OPTIONS] [DIR]\n"
		"                                           Chrome trace JSON, folded stacks, SVG\n"
		"  list [OPTIONS] FILE                      traceable functions of an ELF file\n"
		"  list [OPTIONS] -- PROGRAM [ARGS...]      ... of a program, as it loads objects\n"
		"  ctl PID COMMAND [ARGS...]                control a running traced process\n"
		"\n"
		"  -h, --help       this help; `%s COMMAND --help` for a command's options\n"
		"  -V, --version    the version\n"
		"\n"
		"Only code compiled with patchable entries can be traced:\n"
		"  cc $(pkg-config --cflags ftrace_rt) ...   (%s)\n"
		"Static binaries cannot be traced (the runtime is preloaded).\n"
		"\n"
		"PATTERNS (-F, -N): globs (* ? [...]) separated by commas or spaces, each\n"
		"optionally GLOB@MODULE, MODULE a glob over the object's file name ('main' is\n"
		"the executable): -F 'parse_* eval@libcalc.so'. C++ names match as mangled.\n"
		"\n"
		"Data directory: ftrace_rt.data in the working directory unless -d DIR;\n"
		"uftrace reads it (uftrace replay -d DIR).\n"
		"\n"
		"Environment (what record sets; also usable with LD_PRELOAD=libftrace_rt.so):\n"
		"  FTRACE_RT_TRACER    function_graph (preloaded default), function, profile, "
		"none\n"
		"  FTRACE_RT_FILTER    patterns of functions to trace (default: all)\n"
		"  FTRACE_RT_NOTRACE   patterns never to trace (wins over the filter)\n"
		"  FTRACE_RT_OUTPUT    the data directory (default ftrace_rt.data)\n"
		"  FTRACE_RT_BUFSIZE   per-thread buffer, 4K..4G (default 2M)\n"
		"  FTRACE_RT_VERBOSE   0-9: 1 says what was skipped and why\n"
		"  FTRACE_RT_CONTROL   1: serve the control socket (ftrace-rt ctl)\n"
		"  FTRACE_RT_LIB       the runtime library this command preloads\n"
		"                      (default: next to the command, or %s)\n",
		tool_prog, tool_prog, FRT_TRACE_CFLAGS, FRT_LIBDIR "/libftrace_rt.so");
}

/*
 * getopt_long with ":" first and opterr 0 returns ':' for a missing
 * argument and '?' for an unknown option: one message naming the option.
 */
int tool_bad_option(const char *cmd, char **argv, int c)
{
	const char *arg = argv[optind - 1];
	char opt[64] = {'-', (char)optopt, 0};

	/* a long option as typed (up to '='); a short one from optopt (it may be grouped) */
	if (!strncmp(arg, "--", 2))
		snprintf(opt, sizeof(opt), "%.*s", (int)strcspn(arg, "="), arg);
	if (c == ':')
		fprintf(stderr, "%s %s: option %s needs an argument\n", tool_prog, cmd, opt);
	else
		fprintf(stderr, "%s %s: unknown option %s\n", tool_prog, cmd, opt);
	fprintf(stderr, "(see %s %s --help)\n", tool_prog, cmd);
	return 2;
}

/* libftrace_rt.so: $FTRACE_RT_LIB, next to this tool in a build tree, or installed. */
const char *tool_find_lib(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX];
	const char *env = getenv("FTRACE_RT_LIB");
	ssize_t n;
	/* the build's libdir relative to the prefix (Debian: lib/<multiarch triplet>) */
	const char *cands[] = {"%s/../libftrace_rt.so", "%s/../lib/libftrace_rt.so",
			       "%s/../" FRT_LIBDIR_REL "/libftrace_rt.so",
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

/* $var = @first, then what it held (a ':'-separated list), if anything. */
static int prepend_env(const char *var, const char *first)
{
	const char *old = getenv(var);
	char *v;
	int ret;

	if (old && *old) {
		if (asprintf(&v, "%s:%s", first, old) < 0)
			return -1;
	} else if (!(v = strdup(first))) {
		return -1;
	}
	ret = setenv(var, v, 1);
	free(v);
	return ret;
}

/* LD_PRELOAD with the runtime first, keeping what the user preloads. */
int tool_setenv_preload(void)
{
	const char *lib = tool_find_lib();
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
	if (prepend_env("LD_PRELOAD", lib))
		return -1;
	return tool_setenv_audit(tool_find_lib());
}

/*
 * LD_AUDIT with the runtime's rtld-audit module (next to the runtime), which
 * lets GCC-built objects that are dlopen'ed while threads run be traced: see
 * lib/core/siteinit.c. Without it those objects are reported as not traceable.
 * Not with ThreadSanitizer: with an audit module, its runtime does not fit in
 * the static TLS the loader has left for start-up libraries.
 */
/*
 * The initial-exec TLS of the runtime at @lib, or -1 if unknown. With an audit
 * module, the loader serves the program's start-up libraries from the static
 * TLS surplus (about 1.6 KiB): a runtime built -Djemalloc=enabled (2.6 KiB)
 * would not load at all.
 */
static long runtime_tls(const char *lib)
{
	ElfW(Ehdr) eh;
	ElfW(Phdr) ph;
	long tls = 0;
	int fd = open(lib, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || eh.e_phentsize != sizeof(ph)) {
		close(fd);
		return -1;
	}
	for (int i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (size_t)i * sizeof(ph))) !=
		    sizeof(ph)) {
			tls = -1;
			break;
		}
		if (ph.p_type == PT_TLS)
			tls = (long)ph.p_memsz;
	}
	close(fd);
	return tls;
}

int tool_setenv_audit(const char *lib)
{
#ifdef __SANITIZE_THREAD__
	(void)lib;
	(void)runtime_tls;
	return 0;
#else
	char dir[PATH_MAX], audit[PATH_MAX + 32];
	long tls = runtime_tls(lib);

	if (tls < 0 || tls > 1024)
		return 0; /* GCC objects dlopen'ed while threads run are then said untraceable */
	snprintf(dir, sizeof(dir), "%s", lib);
	snprintf(audit, sizeof(audit), "%s/libftrace_rt_audit.so", dirname(dir));
	return access(audit, R_OK) ? 0 : prepend_env("LD_AUDIT", audit);
#endif
}

/*
 * exec @argv (a child's last act). FRT_EXEC_WRAPPER, when set, is a command
 * prefix that runs the program instead: an emulator for a cross build's
 * tests (qemu-aarch64; no binfmt_misc here, so a foreign program cannot be
 * exec'ed directly). The loader variables go to the emulated program only,
 * as qemu-user's -E options, not to the emulator's own loader.
 */
void tool_exec(char **argv)
{
	static const char *const loader_vars[] = {"LD_PRELOAD", "LD_AUDIT", "LD_LIBRARY_PATH"};
	const char *w = getenv("FRT_EXEC_WRAPPER");
	char *words, *save = NULL, **v;
	size_t n = 0, argc = 0, k = 0;

	if (!w || !*w) {
		execvp(argv[0], argv);
		return;
	}
	while (argv[argc])
		argc++;
	words = strdup(w);
	v = calloc(strlen(w) + 2 * 3 + argc + 1, sizeof(*v));
	if (!words || !v)
		return;
	for (char *t = strtok_r(words, " ", &save); t; t = strtok_r(NULL, " ", &save))
		v[n++] = t;
	for (k = 0; k < 3; k++) {
		const char *val = getenv(loader_vars[k]);
		char *opt;

		if (!val || asprintf(&opt, "%s=%s", loader_vars[k], val) < 0)
			continue;
		v[n++] = "-E";
		v[n++] = opt;
		unsetenv(loader_vars[k]);
	}
	for (k = 0; k < argc; k++)
		v[n++] = argv[k];
	v[n] = NULL;
	execvp(v[0], v);
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
	pid_t pid;
	int st;

	/*
	 * Descendants the program leaves behind (daemon(), a detached child)
	 * become ours when their parent exits, and are waited for: their data
	 * is complete when this tool returns, as with uftrace record (found by
	 * uftrace's t008_daemon: the replay came before the daemon's data).
	 */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid = fork();

	if (pid < 0) {
		perror("fork");
		return 127;
	}
	if (!pid) {
		tool_exec(argv);
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
	for (;;)
		if (waitpid(-1, NULL, 0) < 0 && errno != EINTR)
			break; /* ECHILD: no descendant left */
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
	if (!strcmp(argv[1], "replay"))
		return cmd_replay(argc - 1, argv + 1);
	if (!strcmp(argv[1], "dump"))
		return cmd_dump(argc - 1, argv + 1);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		tool_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("%s %s\n", tool_prog, FRT_VERSION);
		return 0;
	}
	fprintf(stderr, "%s: unknown command '%s'\n", tool_prog, argv[1]);
	tool_usage(stderr);
	return 2;
}
