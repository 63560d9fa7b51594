/* SPDX-License-Identifier: MIT */
/* Shared by the ftrace-rt subcommands. */
#ifndef FRT_TOOL_H
#define FRT_TOOL_H

#include <stdio.h>

void tool_usage(FILE *f);
int tool_bad_option(const char *cmd, char **argv, int c);
const char *tool_find_lib(void);
int tool_setenv_preload(void);
int tool_setenv_audit(const char *lib);
int tool_run(char **argv);
void tool_exec(char **argv); /* exec, through FRT_EXEC_WRAPPER when set */
extern int tool_run_signal;  /* the signal that killed the program tool_run ran, or 0 */
extern const char *tool_prog;
/* a demangled copy of a C++ name (malloc'ed; the name itself when not C++) */
char *tool_demangle(const char *name);
extern int tool_demangle_on; /* 0 with --no-demangle */

#ifndef FRT_TRACE_CFLAGS
#define FRT_TRACE_CFLAGS "-fpatchable-function-entry=13,8 -falign-functions=8"
#endif

/* what tool_check_program() found (it says why on stderr) */
enum {
	TOOL_PROG_OK,	   /* traceable functions in the executable */
	TOOL_PROG_UNKNOWN, /* not an ELF file we can read (a script...) */
	TOOL_PROG_STATIC,  /* statically linked: never traced */
	TOOL_PROG_NOSITES, /* no patchable entries (its libraries may have some) */
	TOOL_PROG_PG,	   /* built with -pg (mcount calls) */
};
int tool_check_program(const char *cmd, const char *path, size_t *nsites);
const char *tool_which(const char *prog, char *buf, size_t len);

int cmd_list(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_ctl(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_dump(int argc, char **argv);

#endif
