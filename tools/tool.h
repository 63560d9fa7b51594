/* SPDX-License-Identifier: MIT */
/* Shared by the ftrace-rt subcommands. */
#ifndef FRT_TOOL_H
#define FRT_TOOL_H

#include <stdio.h>

void tool_usage(FILE *f);
const char *tool_find_lib(void);
int tool_setenv_preload(void);
int tool_run(char **argv);
extern int tool_run_signal; /* the signal that killed the program tool_run ran, or 0 */
extern const char *tool_prog;
/* a demangled copy of a C++ name (malloc'ed; the name itself when not C++) */
char *tool_demangle(const char *name);
extern int tool_demangle_on; /* 0 with --no-demangle */

int cmd_list(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_ctl(int argc, char **argv);

#endif
