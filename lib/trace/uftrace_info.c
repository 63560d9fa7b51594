// SPDX-License-Identifier: MIT
/*
 * The `info` file of a uftrace data directory (uftrace v0.13 reads it):
 * a 40-byte header, then one text section per info bit, in bit order.
 * Every process of a session rewrites it at exit (atomically, by rename)
 * listing every <tid>.dat present; `ftrace-rt record` rewrites it once more
 * with the exit status.
 */
#include <dirent.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uftrace_info.h"

#define FEAT_TASK_SESSION (1ULL << 1)
#define FEAT_ARGUMENT	  (1ULL << 3)
#define FEAT_RETVAL	  (1ULL << 4)
#define FEAT_SYM_REL_ADDR (1ULL << 5)
#define FEAT_MAX_STACK	  (1ULL << 6)
#define FEAT_EVENT	  (1ULL << 7) /* events.txt names user events (stacktrace frames) */

#define INFO_EXE_NAME	  (1ULL << 0)
#define INFO_EXIT_STATUS  (1ULL << 2)
#define INFO_CMDLINE	  (1ULL << 3)
#define INFO_TASKINFO	  (1ULL << 7)
#define INFO_ARG_SPEC	  (1ULL << 10)
#define INFO_PATTERN_TYPE (1ULL << 12)
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

/*
 * Written with system calls only: no stdio, no opendir, no allocation but
 * mmap. The runtime writes it from a fatal signal's handler and from a
 * forked child, where neither the program's allocator nor a lock of libc's
 * may be used.
 */
struct out {
	int fd;
	bool err;
	size_t n;
	char buf[4096];
};

static void out_flush(struct out *o)
{
	const char *p = o->buf;

	while (o->n && !o->err) {
		ssize_t w = write(o->fd, p, o->n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			o->err = true;
			break;
		}
		p += w;
		o->n -= (size_t)w;
	}
	o->n = 0;
}

static void out_mem(struct out *o, const void *v, size_t len)
{
	const char *p = v;

	while (len) {
		size_t k = sizeof(o->buf) - o->n < len ? sizeof(o->buf) - o->n : len;

		memcpy(o->buf + o->n, p, k);
		o->n += k;
		p += k;
		len -= k;
		if (o->n == sizeof(o->buf))
			out_flush(o);
	}
}

static void out_str(struct out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

static void out_int(struct out *o, long v)
{
	char b[24], *p = b + sizeof(b);
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;

	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	out_mem(o, p, (size_t)(b + sizeof(b) - p));
}

/* <tid>.dat names of @dir, sorted, in an mmap'ed array (*cap entries) */
static int list_tids(const char *dir, int **tids, size_t *cap)
{
	char buf[8192];
	size_t n = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	*tids = NULL;
	*cap = 0;
	if (fd < 0)
		return -errno;
	for (;;) {
		long got = syscall(SYS_getdents64, fd, buf, sizeof(buf));

		if (got <= 0)
			break;
		for (long off = 0; off < got;) {
			struct dirent64 *e = (struct dirent64 *)(buf + off);
			const char *name = e->d_name;
			long tid = 0;
			size_t k = 0;

			off += e->d_reclen;
			while (name[k] >= '0' && name[k] <= '9' && tid < 1L << 31)
				tid = tid * 10 + (name[k++] - '0');
			if (!k || strcmp(name + k, ".dat") || tid <= 0 || tid >= 1L << 31)
				continue;
			if (n == *cap) {
				size_t ncap = *cap ? *cap * 2 : 1024;
				void *nv = *tids ? mremap(*tids, *cap * sizeof(int),
							  ncap * sizeof(int), MREMAP_MAYMOVE)
						 : mmap(NULL, ncap * sizeof(int),
							PROT_READ | PROT_WRITE,
							MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

				if (nv == MAP_FAILED)
					break;
				*tids = nv;
				*cap = ncap;
			}
			/* insertion in order: directories hold few enough files */
			size_t i = n++;

			for (; i && (*tids)[i - 1] > tid; i--)
				(*tids)[i] = (*tids)[i - 1];
			(*tids)[i] = (int)tid;
		}
	}
	close(fd);
	return (int)n;
}

/*
 * The "argspec:" and "retspec:" lines of DIR/info, if any, into @buf (a
 * mapping of @cap bytes): *@a and *@r point into it, NUL-terminated.
 */
static void old_specs(const char *path, char **buf, size_t *cap, const char **a, const char **r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;
	char *p;

	*a = *r = NULL;
	*buf = NULL;
	if (fd < 0)
		return;
	*cap = 1 << 20;
	*buf = mmap(NULL, *cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*buf == MAP_FAILED) {
		*buf = NULL;
		close(fd);
		return;
	}
	while (len < *cap - 1 && (n = read(fd, *buf + len, *cap - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	(*buf)[len] = 0;
	for (p = *buf + 40; p < *buf + len; p += strlen(p) + 1) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = 0;
		if (!strncmp(p, "argspec:", 8) && strncmp(p, "argspec:lines=", 14))
			*a = p + 8;
		else if (!strncmp(p, "retspec:", 8))
			*r = p + 8;
		if (!nl)
			break;
	}
}

int frt_uftrace_write_info(const char *dir, const char *exename, const char *cmdline_json,
			   int exit_status, bool have_status, const char *argspec,
			   const char *retspec, bool keep_specs)
{
	char *old = NULL;
	size_t oldcap = 0;

	struct header h = {{'F', 't', 'r', 'a', 'c', 'e', '!', 0}, 4, 40, 1, 2, 0, 0, 1024, 0, 0};
	char path[4096], tmp[4096];
	struct out o = {.fd = -1};
	size_t cap;
	int *tids, ntids, err = 0;

	ntids = list_tids(dir, &tids, &cap);
	if (ntids < 0)
		return ntids;
	h.feat_mask = FEAT_TASK_SESSION | FEAT_SYM_REL_ADDR | FEAT_MAX_STACK;
	h.info_mask = INFO_EXE_NAME | INFO_CMDLINE | INFO_TASKINFO | INFO_VERSION |
		      (have_status ? INFO_EXIT_STATUS : 0);
	if (strlen(dir) + 32 > sizeof(path)) {
		err = -ENAMETOOLONG;
		goto out;
	}
	strcpy(path, dir);
	strcat(path, "/info");
	if (keep_specs)
		old_specs(path, &old, &oldcap, &argspec, &retspec);
	if (argspec && !*argspec)
		argspec = NULL;
	if (retspec && !*retspec)
		retspec = NULL;
	if (argspec)
		h.feat_mask |= FEAT_ARGUMENT;
	if (retspec)
		h.feat_mask |= FEAT_RETVAL;
	if (argspec || retspec)
		h.info_mask |= INFO_ARG_SPEC | INFO_PATTERN_TYPE;
	strcpy(tmp, dir);
	strcat(tmp, "/events.txt");
	if (!access(tmp, F_OK))
		h.feat_mask |= FEAT_EVENT; /* uftrace reads events.txt only then */
	strcpy(tmp, path);
	strcat(tmp, ".tmp.");
	{
		char b[24], *p = b + sizeof(b) - 1;
		unsigned int pid = (unsigned int)getpid();

		*p = 0;
		do
			*--p = (char)('0' + pid % 10);
		while (pid /= 10);
		strcat(tmp, p);
	}
	o.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (o.fd < 0) {
		err = -errno;
		goto out;
	}
	out_mem(&o, &h, sizeof(h));
	/* bit order: exename(0) exit_status(2) cmdline(3) taskinfo(7) version(13) */
	out_str(&o, "exename:");
	out_str(&o, exename);
	if (have_status) {
		out_str(&o, "\nexit_status:");
		out_int(&o, exit_status);
	}
	out_str(&o, "\ncmdline:");
	out_str(&o, cmdline_json);
	out_str(&o, "\ntaskinfo:lines=2\ntaskinfo:nr_tid=");
	out_int(&o, ntids);
	out_str(&o, "\ntaskinfo:tids=");
	for (int i = 0; i < ntids; i++) {
		if (i)
			out_str(&o, ",");
		out_int(&o, tids[i]);
	}
	if (argspec || retspec) {
		/* bit 10, then pattern_type (12): the specs' names are globs, as ours */
		out_str(&o, "\nargspec:lines=");
		out_int(&o, !!argspec + !!retspec);
		if (argspec) {
			out_str(&o, "\nargspec:");
			out_str(&o, argspec);
		}
		if (retspec) {
			out_str(&o, "\nretspec:");
			out_str(&o, retspec);
		}
		out_str(&o, "\npattern_type:glob");
	}
	out_str(&o, "\nuftrace_version:v0.13 (written by ftrace_rt)\n");
	out_flush(&o);
	if (close(o.fd) || o.err || rename(tmp, path)) {
		err = o.err ? -EIO : -errno;
		unlink(tmp);
	}
out:
	if (tids)
		munmap(tids, cap * sizeof(int));
	if (old)
		munmap(old, oldcap);
	return err;
}
