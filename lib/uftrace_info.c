// SPDX-License-Identifier: MIT
/*
 * The `info` file of a uftrace data directory (uftrace v0.13 reads it):
 * a 40-byte header, then one text section per info bit, in bit order.
 * Every process of a session rewrites it at exit (atomically, by rename)
 * listing every <tid>.dat present; `ftrace-rt record` rewrites it once more
 * with the exit status.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uftrace_info.h"

#define FEAT_TASK_SESSION (1ULL << 1)
#define FEAT_SYM_REL_ADDR (1ULL << 5)
#define FEAT_MAX_STACK	  (1ULL << 6)

#define INFO_EXE_NAME	  (1ULL << 0)
#define INFO_EXIT_STATUS  (1ULL << 2)
#define INFO_CMDLINE	  (1ULL << 3)
#define INFO_TASKINFO	  (1ULL << 7)
#define INFO_VERSION	  (1ULL << 13)

struct header {
	char magic[8];
	uint32_t version;
	uint16_t header_size;
	uint8_t endian;
	uint8_t class;
	uint64_t feat_mask;
	uint64_t info_mask;
	uint16_t max_stack;
	uint16_t unused1;
	uint32_t unused2;
};

_Static_assert(sizeof(struct header) == 40, "uftrace file header");

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

/* JSON-escape @in into @out (uftrace pastes cmdline verbatim into chrome JSON). */
void frt_json_escape(const char *in, size_t inlen, char *out, size_t outlen)
{
	size_t w = 0;

	for (size_t i = 0; i < inlen && w + 7 < outlen; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '"' || c == '\\') {
			out[w++] = '\\';
			out[w++] = (char)c;
		} else if (c < 0x20) {
			w += (size_t)snprintf(out + w, outlen - w, "\\u%04x", c);
		} else {
			out[w++] = (char)c;
		}
	}
	out[w] = 0;
}

int frt_uftrace_write_info(const char *dir, const char *exename, const char *cmdline_json,
			   int exit_status, bool have_status)
{
	struct header h = {{'F', 't', 'r', 'a', 'c', 'e', '!', 0}, 4, 40, 1, 2, 0, 0, 1024, 0, 0};
	char path[4096], tmp[4096];
	int *tids = NULL, ntids = 0, cap = 0, fd;
	DIR *d = opendir(dir);
	struct dirent *e;
	FILE *f;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char *end;
		long tid = strtol(e->d_name, &end, 10);

		if (end == e->d_name || strcmp(end, ".dat") || tid <= 0)
			continue;
		if (ntids == cap) {
			int *n = realloc(tids, (size_t)(cap = cap ? cap * 2 : 64) * sizeof(*n));

			if (!n) {
				closedir(d);
				free(tids);
				return -ENOMEM;
			}
			tids = n;
		}
		tids[ntids++] = (int)tid;
	}
	closedir(d);
	if (ntids > 1)
		qsort(tids, (size_t)ntids, sizeof(*tids), cmp_int);

	h.feat_mask = FEAT_TASK_SESSION | FEAT_SYM_REL_ADDR | FEAT_MAX_STACK;
	h.info_mask = INFO_EXE_NAME | INFO_CMDLINE | INFO_TASKINFO | INFO_VERSION |
		      (have_status ? INFO_EXIT_STATUS : 0);
	snprintf(path, sizeof(path), "%s/info", dir);
	snprintf(tmp, sizeof(tmp), "%s/info.tmp.%d", dir, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		free(tids);
		return -err;
	}
	fwrite(&h, sizeof(h), 1, f);
	/* bit order: exename(0) exit_status(2) cmdline(3) taskinfo(7) version(13) */
	fprintf(f, "exename:%s\n", exename);
	if (have_status)
		fprintf(f, "exit_status:%d\n", exit_status);
	fprintf(f, "cmdline:%s\n", cmdline_json);
	fprintf(f, "taskinfo:lines=2\ntaskinfo:nr_tid=%d\ntaskinfo:tids=", ntids);
	for (int i = 0; i < ntids; i++)
		fprintf(f, "%s%d", i ? "," : "", tids[i]);
	fprintf(f, "\nuftrace_version:v0.13 (written by ftrace_rt)\n");
	free(tids);
	if (fclose(f) || rename(tmp, path)) {
		int err = errno;

		unlink(tmp);
		return -err;
	}
	return 0;
}
