// SPDX-License-Identifier: MIT
/*
 * /proc/self/maps, read with open/read into a stack buffer: this runs while
 * patching, where the runtime must not call the application's malloc (stdio
 * would).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "maps.h"

static uintptr_t hex(const char **p)
{
	uintptr_t v = 0;

	for (;; (*p)++) {
		char c = **p;

		if (c >= '0' && c <= '9')
			v = v * 16 + (uintptr_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (uintptr_t)(c - 'a' + 10);
		else
			return v;
	}
}

static int parse_line(char *line, int (*cb)(const struct frt_map *, void *), void *arg)
{
	const char *p = line;
	struct frt_map m = {0};
	int fields = 0;

	m.start = hex(&p);
	if (*p++ != '-')
		return 0;
	m.end = hex(&p);
	if (*p++ != ' ' || strlen(p) < 4)
		return 0;
	m.prot = (p[0] == 'r' ? PROT_READ : 0) | (p[1] == 'w' ? PROT_WRITE : 0) |
		 (p[2] == 'x' ? PROT_EXEC : 0);
	/* skip perms, offset, dev, inode to the path */
	while (*p && fields < 4) {
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
		fields++;
	}
	m.path = p;
	return cb(&m, arg);
}

int frt_maps_foreach(int (*cb)(const struct frt_map *m, void *arg), void *arg)
{
	char buf[8192];
	size_t have = 0;
	int fd, ret = 0;

	do
		fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
		char *line, *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = 0;
		line = buf;
		while ((nl = strchr(line, '\n'))) {
			*nl = 0;
			ret = parse_line(line, cb, arg);
			if (ret)
				goto out;
			line = nl + 1;
		}
		have = (size_t)(buf + have - line);
		memmove(buf, line, have);
		if (have == sizeof(buf) - 1) /* a line longer than the buffer: drop it */
			have = 0;
	}
	if (have) {
		buf[have] = 0;
		ret = parse_line(buf, cb, arg);
	}
out:
	close(fd);
	return ret < 0 ? ret : 0;
}
