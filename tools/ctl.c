// SPDX-License-Identifier: MIT
/*
 * ftrace-rt ctl PID COMMAND [ARGS...]: one request to a running process's
 * control socket. Data lines go to stdout; the final "OK message" too, an
 * "ERR message" to stderr with exit status 1.
 *
 * The socket is found from the target itself, not from this command's
 * environment: the listening sockets among /proc/PID/fd, by inode, in
 * /proc/net/unix. Its directory must still be private to our uid. Aimed at
 * `ftrace-rt record` (which serves nothing), it uses the traced program
 * record runs when there is exactly one.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlpath.h"
#include "tool.h"

static void ctl_usage(FILE *f)
{
	fprintf(f,
		"usage: %s ctl PID COMMAND [ARGS...]\n"
		"Send one request to the control socket of process PID, which serves one when\n"
		"run with `%s record --control` (or FTRACE_RT_CONTROL=1). PID may be that of\n"
		"`%s record` itself: its traced program is then used. Exit status 0 when the\n"
		"process answers OK, 1 on an error (the answer or why it could not be asked).\n"
		"\n"
		"COMMANDS:\n"
		"  tracer NAME        function_graph, function, profile or none; switching away\n"
		"                     from profile writes its table to DIR/profile.txt first\n"
		"  filter PATTERNS    trace only these functions (live); filter '' (nothing)\n"
		"                     removes the filter: every traceable function is traced\n"
		"  notrace PATTERNS   never trace these; notrace '' removes the list\n"
		"  graph_function PATTERNS  record only these functions and their callees\n"
		"                     (record -F); '' removes the list\n"
		"  graph_notrace PATTERNS   leave out these functions and their callees\n"
		"                     (record -N); '' removes the list\n"
		"  max_graph_depth N  record calls N deep at most (record -D); 0: no limit\n"
		"  tracing_thresh TIME  record only calls longer than TIME (record -t), e.g.\n"
		"                     500ns, 10us, 1ms; 0: all\n"
		"  graph              the four settings above\n"
		"  on | off           start or stop tracing, keeping tracer and filters\n"
		"  sites [PATTERNS]   the traceable functions; 'enabled' marks patched ones\n"
		"  stats              counters: sites, threads, events, lost, transactions...\n"
		"  flush              write buffered data (and the profile table) now\n"
		"  help               the commands, as the process knows them\n"
		"\n"
		"PATTERNS: globs (* ? [...]) separated by commas or spaces, each optionally\n"
		"GLOB@MODULE. The socket: %s/PID.sock (0700 directory,\n"
		"peers with another uid refused).\n",
		tool_prog, tool_prog, tool_prog,
		"$XDG_RUNTIME_DIR/ftrace_rt or /tmp/ftrace_rt-UID");
}

/* The inodes of the sockets process @pid holds open. */
static size_t socket_inodes(long pid, unsigned long *v, size_t max)
{
	char path[64], link[64];
	size_t n = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	d = opendir(path);
	while (d && (e = readdir(d)) && n < max) {
		char fd[PATH_MAX];
		ssize_t l;

		snprintf(fd, sizeof(fd), "%s/%s", path, e->d_name);
		l = readlink(fd, link, sizeof(link) - 1);
		if (l <= 0)
			continue;
		link[l] = 0;
		if (sscanf(link, "socket:[%lu]", &v[n]) == 1)
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/*
 * The control socket that process @pid listens on, from /proc: a bound
 * UNIX socket named .../<pid>.sock among its open sockets. 0 if found.
 */
static int find_socket(long pid, char *out, size_t len)
{
	unsigned long inodes[256];
	size_t n = socket_inodes(pid, inodes, 256);
	char line[PATH_MAX + 128], suffix[32];
	FILE *f;
	int found = -1;

	if (!n)
		return -1;
	snprintf(suffix, sizeof(suffix), "/%ld.sock", pid);
	f = fopen("/proc/net/unix", "r");
	while (f && found && fgets(line, sizeof(line), f)) {
		unsigned long inode;
		char p[PATH_MAX];
		size_t pl;

		/* Num RefCount Protocol Flags Type St Inode Path */
		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %lu %4095s", &inode, p) != 2)
			continue;
		pl = strlen(p);
		if (pl < strlen(suffix) || strcmp(p + pl - strlen(suffix), suffix) || pl >= len)
			continue;
		for (size_t i = 0; i < n; i++)
			if (inodes[i] == inode) {
				memcpy(out, p, pl + 1);
				found = 0;
				break;
			}
	}
	if (f)
		fclose(f);
	return found;
}

/* The directory of @sock is ours alone, as the runtime made it. */
static bool private_parent(const char *sock)
{
	char dir[PATH_MAX];
	char *slash;
	struct stat sb;

	snprintf(dir, sizeof(dir), "%s", sock);
	slash = strrchr(dir, '/');
	if (!slash)
		return false;
	*slash = 0;
	return !lstat(dir, &sb) && S_ISDIR(sb.st_mode) && sb.st_uid == getuid() &&
	       !(sb.st_mode & 077);
}

/* The children of @pid (all its threads'), from /proc/PID/task/TID/children. */
static size_t children(long pid, long *v, size_t max)
{
	char path[64];
	size_t n = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%ld/task", pid);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		char cp[PATH_MAX];
		FILE *f;
		long c;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(cp, sizeof(cp), "%s/%s/children", path, e->d_name);
		f = fopen(cp, "r");
		while (f && n < max && fscanf(f, "%ld", &c) == 1)
			v[n++] = c;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

static bool is_record(long pid)
{
	char path[64], cmd[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(cmd, 1, sizeof(cmd) - 1, f);
	fclose(f);
	cmd[n] = 0;
	/*
	 * an argument naming ftrace-rt, then "record": argv[0] and argv[1], or
	 * later ones when it runs under an emulator (qemu-aarch64 -E ... TOOL
	 * record ...: the emulator's own arguments come first)
	 */
	for (size_t at = 0; at < n;) {
		size_t len = strlen(cmd + at);

		if (strstr(cmd + at, "ftrace-rt") && at + len + 1 < n &&
		    !strcmp(cmd + at + len + 1, "record"))
			return true;
		at += len + 1;
	}
	return false;
}

/* Where to connect for @pid (which may change to record's child): 0, or 1 after a message. */
static int locate(long *pid, char *path, size_t len)
{
	if (kill((pid_t)*pid, 0) && errno == ESRCH) {
		fprintf(stderr, "%s ctl: no process %ld (it has exited, or never existed)\n",
			tool_prog, *pid);
		return 1;
	}
	if (!find_socket(*pid, path, len)) {
		if (!private_parent(path)) {
			fprintf(stderr,
				"%s ctl: pid %ld: the directory of %s is not private to this user; "
				"not using it\n",
				tool_prog, *pid, path);
			return 1;
		}
		return 0;
	}
	if (is_record(*pid)) {
		long kids[64], with[64];
		size_t nk = children(*pid, kids, 64), nw = 0;
		char p[PATH_MAX];

		for (size_t i = 0; i < nk; i++)
			if (!find_socket(kids[i], p, sizeof(p)))
				with[nw++] = kids[i];
		if (nw == 1 && !find_socket(with[0], path, len) && private_parent(path)) {
			fprintf(stderr,
				"%s ctl: pid %ld is ftrace-rt record; asking its program, pid "
				"%ld\n",
				tool_prog, *pid, with[0]);
			*pid = with[0];
			return 0;
		}
		if (nk == 1 && !nw) {
			fprintf(stderr,
				"%s ctl: pid %ld is ftrace-rt record; its program (pid %ld) serves "
				"no "
				"control socket: record it with --control\n",
				tool_prog, *pid, kids[0]);
			return 1;
		}
		fprintf(stderr, "%s ctl: pid %ld is ftrace-rt record; aim at its traced program%s",
			tool_prog, *pid, nk ? ", one of:" : "\n");
		for (size_t i = 0; i < nk; i++)
			fprintf(stderr, " %ld%s", kids[i], i + 1 < nk ? "" : "\n");
		return 1;
	}
	/* not visible in /proc (another uid, hidepid): the usual place, if any */
	if (!frt_ctl_path((pid_t)*pid, path, len, false) && !access(path, F_OK))
		return 0;
	fprintf(stderr,
		"%s ctl: pid %ld serves no control socket: run it with `%s record --control` or "
		"FTRACE_RT_CONTROL=1\n",
		tool_prog, *pid, tool_prog);
	return 1;
}

int cmd_ctl(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char path[PATH_MAX], req[FRT_CTL_LINE_MAX], line[8192];
	size_t w = 0;
	long pid;
	char *end;
	int fd, ret;
	FILE *in;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		ctl_usage(stdout);
		return 0;
	}
	if (argc < 3) {
		fprintf(stderr, "%s ctl: PID and COMMAND needed (see %s ctl --help)\n", tool_prog,
			tool_prog);
		return 2;
	}
	pid = strtol(argv[1], &end, 10);
	if (*end || pid <= 0) {
		fprintf(stderr, "%s ctl: '%s' is not a process id\n", tool_prog, argv[1]);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		int n = snprintf(req + w, sizeof(req) - w, "%s%s", i > 2 ? " " : "", argv[i]);

		if (n < 0 || (size_t)n >= sizeof(req) - w - 1) {
			fprintf(stderr, "%s ctl: request too long\n", tool_prog);
			return 2;
		}
		w += (size_t)n;
	}
	req[w++] = '\n';
	ret = locate(&pid, path, sizeof(path));
	if (ret)
		return ret;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "%s ctl: %s: path too long\n", tool_prog, path);
		return 1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = errno;

		fprintf(stderr, "%s ctl: pid %ld: %s: %s\n", tool_prog, pid, path,
			err == ECONNREFUSED && kill((pid_t)pid, 0) && errno == ESRCH
				? "stale control socket: the process has exited"
				: strerror(err));
		return 1;
	}
	for (size_t off = 0; off < w;) {
		ssize_t n = write(fd, req + off, w - off);

		if (n <= 0) {
			perror("ftrace-rt: ctl: write");
			return 1;
		}
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	in = fdopen(fd, "r");
	while (in && fgets(line, sizeof(line), in)) {
		if (!strncmp(line, "OK", 2) && (line[2] == '\n' || line[2] == ' ')) {
			if (line[2] == ' ')
				fputs(line + 3, stdout);
			fclose(in);
			return 0;
		}
		if (!strncmp(line, "ERR ", 4)) {
			fprintf(stderr, "%s ctl %ld: %s", tool_prog, pid, line + 4);
			fclose(in);
			return 1;
		}
		fputs(line, stdout);
	}
	fprintf(stderr, "%s ctl %ld: connection closed without an answer\n", tool_prog, pid);
	if (in)
		fclose(in);
	return 1;
}
