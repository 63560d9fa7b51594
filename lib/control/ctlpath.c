// SPDX-License-Identifier: MIT
/*
 * Where a process's control socket lives, shared by the runtime and
 * `ftrace-rt ctl`: $XDG_RUNTIME_DIR/ftrace_rt/<pid>.sock when that is a
 * directory of ours, else $TMPDIR (or /tmp)/ftrace_rt-<uid>/<pid>.sock. The directory is
 * created 0700 and must be owned by us, not a symlink, and not reachable by
 * anyone else, or it is not used.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctlpath.h"

static int private_dir(const char *d, bool create)
{
	struct stat sb;

	if (create && mkdir(d, 0700) && errno != EEXIST)
		return -errno;
	if (lstat(d, &sb))
		return -errno;
	if (!S_ISDIR(sb.st_mode) || sb.st_uid != getuid() || (sb.st_mode & 077))
		return -EPERM; /* someone else's, or open to others: do not use it */
	return 0;
}

int frt_ctl_dir(char *buf, size_t len, bool create)
{
	const char *xdg = secure_getenv("XDG_RUNTIME_DIR");
	struct stat sb;

	if (xdg && xdg[0] == '/' && !stat(xdg, &sb) && S_ISDIR(sb.st_mode) &&
	    sb.st_uid == getuid()) {
		if ((size_t)snprintf(buf, len, "%s/ftrace_rt", xdg) < len &&
		    !private_dir(buf, create))
			return 0;
	}
	const char *tmp = secure_getenv("TMPDIR");

	if (!tmp || tmp[0] != '/' || stat(tmp, &sb) || !S_ISDIR(sb.st_mode))
		tmp = "/tmp";
	if ((size_t)snprintf(buf, len, "%s/ftrace_rt-%u", tmp, (unsigned int)getuid()) >= len)
		return -ENAMETOOLONG;
	return private_dir(buf, create);
}

int frt_ctl_path(pid_t pid, char *buf, size_t len, bool create)
{
	char dir[4096];
	int ret = frt_ctl_dir(dir, sizeof(dir), create);

	if (ret)
		return ret;
	/* sun_path holds 108 bytes */
	if ((size_t)snprintf(buf, len, "%s/%d.sock", dir, (int)pid) >= len || strlen(buf) >= 108)
		return -ENAMETOOLONG;
	return 0;
}
