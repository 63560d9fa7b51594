/* SPDX-License-Identifier: MIT */
/* lib/control/: the control socket (control.c) and the configuration from the environment
 * (config.c). */
#ifndef FRT_CONTROL_H
#define FRT_CONTROL_H

#include <stddef.h>

#include "compiler.h"

/* control.c */
int frt_control_start(void) FRT_HIDDEN;
void frt_control_stop(void) FRT_HIDDEN;
void frt_control_fork_child(void) FRT_HIDDEN;
void frt_control_request(char *line, size_t len, int fd) FRT_HIDDEN;

/* config.c */
int frt_config_start(void) FRT_HIDDEN;

#endif
