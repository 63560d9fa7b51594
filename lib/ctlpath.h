/* SPDX-License-Identifier: MIT */
#ifndef FRT_CTLPATH_H
#define FRT_CTLPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The private directory of control sockets (created with @create). */
int frt_ctl_dir(char *buf, size_t len, bool create);
/* The control socket of @pid. */
int frt_ctl_path(pid_t pid, char *buf, size_t len, bool create);

#define FRT_CTL_LINE_MAX 65536 /* longest request line */

#endif
