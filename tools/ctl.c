// SPDX-License-Identifier: MIT
/*
 * ftrace-rt ctl PID COMMAND [ARGS...]: one request to a running process's
 * control socket. Data lines go to stdout; the final "OK message" too, an
 * "ERR message" to stderr with exit status 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlpath.h"
#include "tool.h"

int cmd_ctl(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char path[108], req[FRT_CTL_LINE_MAX], line[8192];
	size_t w = 0;
	long pid;
	char *end;
	int fd, ret;
	FILE *in;

	if (argc < 3) {
		tool_usage(stderr);
		return 2;
	}
	pid = strtol(argv[1], &end, 10);
	if (*end || pid <= 0) {
		fprintf(stderr, "%s: ctl: '%s' is not a process id\n", tool_prog, argv[1]);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		int n = snprintf(req + w, sizeof(req) - w, "%s%s", i > 2 ? " " : "", argv[i]);

		if (n < 0 || (size_t)n >= sizeof(req) - w - 1) {
			fprintf(stderr, "%s: ctl: request too long\n", tool_prog);
			return 2;
		}
		w += (size_t)n;
	}
	req[w++] = '\n';
	ret = frt_ctl_path((pid_t)pid, path, sizeof(path), false);
	if (ret) {
		fprintf(stderr, "%s: ctl: no usable control directory: %s\n", tool_prog,
			strerror(-ret));
		return 1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "%s: ctl: pid %ld: %s\n", tool_prog, pid,
			errno == ENOENT
				? "no control socket (is it running with FTRACE_RT_CONTROL=1?)"
			: errno == ECONNREFUSED ? "stale control socket: the process is gone"
						: strerror(errno));
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
			fprintf(stderr, "%s: ctl %ld: %s", tool_prog, pid, line + 4);
			fclose(in);
			return 1;
		}
		fputs(line, stdout);
	}
	fprintf(stderr, "%s: ctl %ld: connection closed without an answer\n", tool_prog, pid);
	if (in)
		fclose(in);
	return 1;
}
