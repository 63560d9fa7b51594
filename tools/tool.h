/* SPDX-License-Identifier: MIT */
/* Shared by the ftrace-rt subcommands. */
#ifndef FRT_TOOL_H
#define FRT_TOOL_H

#include <stdio.h>

void tool_usage(FILE *f);
const char *tool_find_lib(void);
int tool_setenv_preload(void);
int tool_run(char **argv);

#endif
