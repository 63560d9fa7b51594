/* SPDX-License-Identifier: MIT */
/*
 * lib/control/: configuration from the environment (config.c), the control
 * socket (control.c, and where it lives: here), process start and exit
 * (start.c). The top layer: it calls every other.
 */
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
