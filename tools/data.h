/* SPDX-License-Identifier: MIT */
/*
 * Reading a data directory (uftrace's layout) for the ftrace-rt commands:
 * sessions, objects and symbols from task.txt, sid-*.map and *.sym, and a
 * function for every (session, address), found through hash tables.
 */
#ifndef FRT_TOOL_DATA_H
#define FRT_TOOL_DATA_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "argspec.h"

struct func {
	char *name;
	uint64_t calls, total, self;
	struct frt_argset *args; /* what its records carry (uftrace's -A/-R), once looked up */
	int args_known;
};

/* One address in one session: its function, and how many of its calls are open. */
struct site {
	const char *sid;
	uint64_t addr;
	struct func *fn;
	unsigned long active;
};

extern struct func **funcs; /* every function, in the order first seen */
extern size_t nfuncs;
extern struct func **fhash;
extern size_t fhash_cap;

/* task.txt, the maps and the symbols of @dir */
void data_load(const char *dir);
/* the name of user event @id from events.txt ("stacktrace:main+0x2a"), or NULL */
const char *event_name(uint32_t id);
/* the process of thread @tid (itself when task.txt does not say) */
int data_pid(int tid);
/* the session process @pid ran in at @time (NULL: none known) */
const char *session_of(int pid, uint64_t time);
struct site *site_get(const char *sid, uint64_t addr);
struct func *func_get(const char *name);
void *xcalloc(size_t n, size_t size);
/* a duration as uftrace prints it: 10 columns, 3 digits, truncated; blank for 0 */
void data_print_time(FILE *f, uint64_t ns);

/* DIR from -d and the one argument left (exit 2 on two different ones) */
int tool_data_dir(const char *cmd, int argc, char **argv, const char **dir);
/* @dir exists and is a data directory (else says so: exit 1) */
int tool_check_data_dir(const char *cmd, const char *dir);

/* a .dat record */
#define REC_ENTRY 0
#define REC_EXIT  1
#define REC_LOST  2
#define REC_EVENT 3 /* a user event: its id in addr */
static inline bool rec_parse(const uint64_t rec[2], unsigned int *type, uint64_t *addr)
{
	*type = rec[1] & 3;
	*addr = rec[1] >> 16;
	return ((rec[1] >> 3) & 7) == 5; /* uftrace's magic */
}

/* Every record of a data directory, per thread, with entries and exits paired. */
struct ev {
	uint64_t ts;
	struct func *fn; /* NULL for a LOST or EVENT record */
	uint64_t arg;	 /* LOST: records lost there; EVENT: its id; entry, while reading: its
			    address */
	int64_t match;	 /* entry: its exit's index, -1 if it has none; exit: its entry's,
			    -1 for a frame opened before the file began (a fork child's) */
	uint32_t depth;	 /* nesting on its thread */
	uint8_t type;	 /* REC_ENTRY, REC_EXIT, REC_LOST, REC_EVENT */
	uint8_t hide;	 /* for the reader: not shown (filters), or shown already */
	char *args;	 /* its arguments "(5)" or return value " = 5", as uftrace shows them */
};

struct task {
	int tid, pid;
	struct ev *ev;
	size_t n;
	size_t *open; /* entries still open at the end of the file, outermost first */
	size_t nopen;
};

/* Read every <tid>.dat of @dir (after data_load): 0, or -1 if there is none. */
int trace_load(const char *dir, struct task **tasks, size_t *ntasks);

/* Walk the events of all tasks in time order (ties: by task order). */
struct trace_walk {
	size_t *heap, n; /* task indexes, by their next event's time */
	size_t *pos;	 /* per task: its next event */
	struct task *t;
};
void trace_walk_init(struct trace_walk *w, struct task *t, size_t n);
/* The next event (its task in *@ti): NULL at the end. */
struct ev *trace_walk_next(struct trace_walk *w, size_t *ti);
void trace_walk_free(struct trace_walk *w);
void trace_free(struct task *t, size_t n);

#endif
