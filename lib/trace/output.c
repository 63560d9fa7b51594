// SPDX-License-Identifier: MIT
/*
 * The uftrace data directory: task.txt, sid-<sid>.map, <module>.sym,
 * <tid>.dat, info (and profile.txt for the profile tracer).
 *
 * The first traced process of a run (the session root) moves an existing
 * directory aside to DIR.old and creates a fresh one; it exports
 * FTRACE_RT_SESSION_DIR so that its children and the programs they exec
 * join the same directory. Each exec'd image is a uftrace session of its
 * own (SESS line, map file); forked children add FORK and TASK lines. Lines
 * of task.txt are appended with one write each (O_APPEND).
 *
 * Times in task.txt are converted exactly as the records are, from raw
 * values taken before the records': uftrace resolves a record only if its
 * task and session lines are not later than it. An exec'd image gets the
 * time its predecessor stopped at (FTRACE_RT_EXEC_NS) as a floor, so the
 * new session starts after every record of the old one although the two
 * images calibrated their clocks separately.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "elf_scan.h"
#include "gfilter.h"
#include "lock.h"
#include "libcall.h"
#include "log.h"
#include "maps.h"
#include "objects.h"
#include "stacktrace.h"
#include "trace.h"
#include "uftrace_info.h"

bool frt_output_active;
static char dir[PATH_MAX];
/*
 * The directory, open: a thread that writes its own buffers (the flusher
 * behind) opens its file from the traced call's stack, which has room for
 * a short name but not for a PATH_MAX path.
 */
static int dir_fd = -1;
static char task_path[PATH_MAX + 16]; /* DIR/task.txt, for a thread's first event */
static char sid[17];
static char exename[PATH_MAX];
static char *cmdline_json;
static uint64_t floor_ns; /* no time of this image is earlier */

const char *frt_output_dir(void)
{
	return dir;
}

uint64_t frt_output_floor(void)
{
	return floor_ns;
}

uint64_t frt_output_time(uint64_t raw)
{
	uint64_t ns = frt_clock_to_ns(raw);

	return ns < floor_ns ? floor_ns : ns;
}

static void fmt_time(char *buf, size_t len, uint64_t raw)
{
	uint64_t ns = frt_output_time(raw);

	snprintf(buf, len, "%llu.%09llu", (unsigned long long)(ns / 1000000000ULL),
		 (unsigned long long)(ns % 1000000000ULL));
}

static int append(const char *name, const char *line)
{
	char path[PATH_MAX + 64];
	int fd, ret = 0;
	size_t len = strlen(line);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, line, len) != (ssize_t)len)
		ret = -EIO;
	close(fd);
	return ret;
}

static void new_sid(void)
{
	unsigned char r[8];

	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) {
		uint64_t x = frt_clock_raw() ^ ((uint64_t)getpid() << 32);

		memcpy(r, &x, 8);
	}
	for (int i = 0; i < 8; i++)
		snprintf(sid + 2 * i, 3, "%02x", r[i]);
}

struct stack_find {
	uintptr_t start, end;
};

static int find_stack(const struct frt_map *m, void *arg)
{
	struct stack_find *s = arg;

	if (!strcmp(m->path, "[stack]")) {
		s->start = m->start;
		s->end = m->end;
		return 1;
	}
	return 0;
}

/* Lines of a .sym file, written in blocks. */
struct symout {
	int fd;
	bool failed;
	size_t len;
	char buf[16384];
};

static void sym_line(struct symout *w, uint64_t rel, char type, const char *name)
{
	size_t room = sizeof(w->buf) - w->len;
	int l = snprintf(w->buf + w->len, room, "%016llx %c %s\n", (unsigned long long)rel, type,
			 name);

	if (l < 0 || w->failed)
		return;
	if ((size_t)l >= room) {
		if (write(w->fd, w->buf, w->len) != (ssize_t)w->len)
			w->failed = true;
		w->len = 0;
		room = sizeof(w->buf);
		l = snprintf(w->buf, room, "%016llx %c %s\n", (unsigned long long)rel, type, name);
		if (l < 0 || (size_t)l >= room)
			return; /* a name longer than the buffer: left out */
	}
	w->len += (size_t)l;
}

/*
 * <module>.sym as uftrace writes it (lib/scan/elf_syms.c): PLT entries, then
 * every function of the object with its extent, traced or not, so that
 * uftrace's readers size and filter functions as on their own data. Sites
 * without a symbol at their entry (stripped objects) are listed by their
 * name. Addresses are relative to the object's first map line.
 */
static void write_sym(const struct frt_object *o)
{
	char path[PATH_MAX + 64];
	struct frt_elf_syms t = {0};
	struct symout *w;
	uint64_t link = o->map_start - o->bias; /* link-time address of the first map line */
	uint64_t end = o->hi - o->map_start;
	size_t i = 0, k;
	int efd;

	snprintf(path, sizeof(path), "%s/%s.sym", dir, o->name);
	w = frt_malloc(sizeof(*w));
	if (!w)
		return;
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	w->failed = false;
	w->len = 0;
	if (w->fd < 0) {
		frt_msg("cannot write %s: %s", path, strerror(errno));
		frt_free(w);
		return;
	}
	efd = open(o->is_main ? "/proc/self/exe" : o->path, O_RDONLY | O_CLOEXEC);
	if (efd < 0 || frt_elf_syms_read(efd, &t))
		memset(&t, 0, sizeof(t)); /* the sites alone */
	if (efd >= 0)
		close(efd);
	for (k = 0; k < t.nplt; k++)
		sym_line(w, t.v[k].addr - link, 'P', t.names + t.v[k].name);
	if (t.nplt)
		sym_line(w, t.plt_end - link, '?', "__dynsym_end");
	/* functions and sites, both sorted by address, merged */
	for (k = t.nplt; k < t.n || i < o->nsites;) {
		uint64_t fa = k < t.n ? t.v[k].addr - link : UINT64_MAX;
		uint64_t sa =
			i < o->nsites ? frt_site_entry(&o->sites[i]) - o->map_start : UINT64_MAX;

		if (fa <= sa) {
			sym_line(w, fa, t.v[k].type, t.names + t.v[k].name);
			k++;
			i += fa == sa;
		} else {
			sym_line(w, sa, 'T', frt_site_name(o, &o->sites[i]));
			i++;
		}
	}
	if (t.func_end && t.func_end - link > end)
		end = t.func_end - link;
	sym_line(w, end, '?', "__func_end");
	if (!w->failed && w->len && write(w->fd, w->buf, w->len) != (ssize_t)w->len)
		w->failed = true;
	if (w->failed)
		frt_info(1, "cannot write %s", path);
	close(w->fd);
	frt_free(w);
	frt_elf_syms_free(&t);
}

static void map_line(char *buf, size_t len, const struct frt_object *o)
{
	snprintf(buf, len, "%lx-%lx r-xp 00000000 00:00 0 %s\n", (unsigned long)o->map_start,
		 (unsigned long)o->map_end, o->path);
}

/* A new object while recording: its symbols, and a DLOP line for the records after now. */
void frt_output_object(const struct frt_object *o)
{
	char line[PATH_MAX + 256], ts[64];

	if (!frt_output_active || !o->nsites)
		return;
	write_sym(o);
	fmt_time(ts, sizeof(ts), frt_clock_raw());
	snprintf(line, sizeof(line), "DLOP timestamp=%s tid=%d sid=%s base=%lx libname=\"%s\"\n",
		 ts, (int)gettid(), sid, (unsigned long)o->map_start, o->path);
	append("task.txt", line);
}

static int write_session(void)
{
	char line[PATH_MAX + 256], ts[64], name[PATH_MAX + 64];
	struct stack_find st = {0, 0};
	struct frt_object *o;
	int fd, ret;

	new_sid();
	snprintf(name, sizeof(name), "%s/sid-%s.map", dir, sid);
	fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	/* held to the end: an object loaded meanwhile is either in the map or
	 * gets a DLOP line after the SESS line */
	frt_lock();
	cds_list_for_each_entry (o, &frt_objects, node) {
		if (!o->nsites)
			continue;
		map_line(line, sizeof(line), o);
		if (write(fd, line, strlen(line)) < 0)
			break;
		write_sym(o);
	}
	/* uftrace tells user from kernel addresses by the stack's place */
	frt_maps_foreach(find_stack, &st);
	if (!st.start) {
		st.start = 0x7ffffffde000;
		st.end = 0x7ffffffff000;
	}
	snprintf(line, sizeof(line), "%lx-%lx rw-p 00000000 00:00 0 [stack]\n",
		 (unsigned long)st.start, (unsigned long)st.end);
	if (write(fd, line, strlen(line)) < 0)
		frt_info(1, "cannot write %s", name);
	close(fd);
	fmt_time(ts, sizeof(ts), frt_clock_raw());
	snprintf(line, sizeof(line), "SESS timestamp=%s pid=%d sid=%s exename=\"%s\"\n", ts,
		 (int)getpid(), sid, exename);
	ret = append("task.txt", line);
	if (!ret)
		frt_output_active = true;
	frt_unlock();
	return ret;
}

/*
 * Each name in directory @d but . and .., to @fn until it returns nonzero.
 * getdents64 rather than opendir: opendir allocates with the program's
 * malloc.
 */
static int each_entry(const char *d, int (*fn)(const char *d, const char *name, void *arg),
		      void *arg)
{
	char buf[4096];
	int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		for (long off = 0; off < n && !ret;) {
			struct dirent64 *e = (struct dirent64 *)(buf + off);

			off += e->d_reclen;
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				ret = fn(d, e->d_name, arg);
		}
		if (ret)
			break;
	}
	close(fd);
	return ret > 0 ? 0 : ret;
}

struct look {
	bool ours, empty;
};

static int look_entry(const char *d, const char *name, void *arg)
{
	struct look *l = arg;

	(void)d;
	l->empty = false;
	if (!strcmp(name, "task.txt") || !strcmp(name, "info"))
		l->ours = true;
	return 0;
}

/* Is @d a data directory of ours (or empty), so that it may be replaced? */
static bool replaceable(const char *d)
{
	struct look l = {false, true};

	if (each_entry(d, look_entry, &l))
		return false;
	return l.ours || l.empty;
}

static int unlink_entry(const char *d, const char *name, void *arg)
{
	char path[PATH_MAX + 256];

	(void)arg;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", d, name) < sizeof(path))
		unlink(path);
	return 0;
}

/* Remove a data directory of ours: plain files, no subdirectories. */
static int remove_data_dir(const char *d)
{
	int ret = each_entry(d, unlink_entry, NULL);

	if (ret)
		return ret;
	return rmdir(d) ? -errno : 0;
}

/* Move an old data directory aside to DIR.old and make a new one. */
static int fresh_dir(const char *d)
{
	char old[PATH_MAX + 8];
	struct stat sb;

	if (!stat(d, &sb)) {
		if (!S_ISDIR(sb.st_mode) || !replaceable(d))
			return -EEXIST; /* never move aside what is not ours */
		snprintf(old, sizeof(old), "%s.old", d);
		if (!stat(old, &sb) &&
		    (!S_ISDIR(sb.st_mode) || !replaceable(old) || remove_data_dir(old)))
			return -EEXIST;
		if (rename(d, old))
			return -errno;
	}
	if (mkdir(d, 0755))
		return -errno;
	return 0;
}

static void reserve_stack_ids(void);

int frt_output_open(const char *want)
{
	const char *joined = secure_getenv("FTRACE_RT_SESSION_DIR");
	char cmdline[4096], json[8192], buf[PATH_MAX];
	ssize_t n;
	int fd, ret;

	const char *fl = secure_getenv("FTRACE_RT_EXEC_NS");

	if (fl) {
		floor_ns = strtoull(fl, NULL, 10);
		unsetenv("FTRACE_RT_EXEC_NS");
	}
	/* lib/core tells us of each object it adds: its maps and symbols go here */
	frt_objects_notify(frt_output_object);
	frt_clock_init();
	n = readlink("/proc/self/exe", exename, sizeof(exename) - 1);
	exename[n > 0 ? n : 0] = 0;
	if (joined && *joined && strlen(joined) < sizeof(dir) && !access(joined, W_OK)) {
		snprintf(dir, sizeof(dir), "%s", joined);
		reserve_stack_ids();
	} else {
		if (!realpath(".", buf))
			return -errno;
		if (want[0] == '/')
			snprintf(dir, sizeof(dir), "%s", want);
		else if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", buf, want) >= sizeof(dir))
			return -ENAMETOOLONG;
		ret = fresh_dir(dir);
		if (ret)
			return ret;
		setenv("FTRACE_RT_SESSION_DIR", dir, 1);
	}
	snprintf(task_path, sizeof(task_path), "%s/task.txt", dir);
	if (dir_fd >= 0)
		close(dir_fd);
	dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* keep the command line for info */
	fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, cmdline, sizeof(cmdline) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n < 0)
		n = 0;
	for (ssize_t i = 0; i < n; i++)
		if (!cmdline[i])
			cmdline[i] = ' ';
	while (n > 0 && cmdline[n - 1] == ' ')
		n--;
	frt_json_escape(cmdline, (size_t)n, json, sizeof(json));
	cmdline_json = frt_strdup(json);
	return write_session(); /* sets frt_output_active */
}

/* @v in decimal at @p, at least @width digits; returns the end */
static char *put_dec(char *p, uint64_t v, int width)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v || n < width);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

/*
 * A thread's TASK line, written on its first event: that may run on a small
 * stack (a sigaltstack handler, a coroutine), so no snprintf (more than
 * 1 KiB of stack in glibc) and no path buffer here: the 4 KiB a traced call
 * may use (FRT_STACK_NEED) cover this path, measured by tests/test_stack.py.
 */
void frt_output_task(struct frt_thread *t, uint64_t raw_time)
{
	char line[96], *p = line;
	uint64_t ns;
	ssize_t n;
	int fd;

	if (!frt_output_active)
		return;
	ns = frt_output_time(raw_time);
	p = put_str(p, "TASK timestamp=");
	p = put_dec(p, ns / 1000000000ULL, 1);
	*p++ = '.';
	p = put_dec(p, ns % 1000000000ULL, 9);
	p = put_str(p, " tid=");
	p = put_dec(p, (uint64_t)(unsigned int)t->tid, 1);
	p = put_str(p, " pid=");
	p = put_dec(p, (uint64_t)(unsigned int)t->pid, 1);
	*p++ = '\n';
	fd = open(task_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	/* as with append(): a failed write loses the line, the thread is still recorded */
	n = write(fd, line, (size_t)(p - line));
	(void)n;
	close(fd);
}

/* "TID.dat" without printf, whose own frames are large */
static void fmt_dat_name(char name[32], pid_t tid)
{
	char digits[12];
	unsigned int v = (unsigned int)tid, n = 0, i = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < sizeof(digits));
	while (n)
		name[i++] = digits[--n];
	memcpy(name + i, ".dat", 5);
}

/* Only if the program closed the directory's descriptor: PATH_MAX on the stack. */
static __attribute__((noinline)) int open_by_path(const char *name, int flags)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return open(path, flags, 0644);
}

int frt_output_thread_fd(pid_t tid)
{
	/* append: an exec'd image keeps the pid, and so the main thread's file */
	const int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
	char name[32];
	int fd;

	if (!frt_output_active)
		return -1;
	fmt_dat_name(name, tid);
	fd = dir_fd >= 0 ? openat(dir_fd, name, flags, 0644) : -1;
	if (fd < 0 && (dir_fd < 0 || errno == EBADF || errno == ENOTDIR))
		fd = open_by_path(name, flags);
	if (fd < 0)
		frt_msg("cannot write %s/%s: %s", dir, name, strerror(errno));
	return fd;
}

void frt_output_fork_child(pid_t ppid)
{
	char line[256], ts[64];

	if (!frt_output_active)
		return;
	fmt_time(ts, sizeof(ts), frt_clock_raw());
	snprintf(line, sizeof(line), "FORK timestamp=%s pid=%d ppid=%d\n", ts, (int)getpid(),
		 (int)ppid);
	append("task.txt", line);
}

/* An object's symbols, read once per naming pass. */
struct symcache {
	char path[PATH_MAX];
	struct frt_elf_syms t;
};

/*
 * "func+0xOFF" for @pc (a return address unless @entry), "object+0xOFF"
 * when no symbol covers it, or "0xPC" outside every object. The objects the
 * runtime lists first (the executable's path is /proc/self/exe), then the
 * loader's (libc and the runtime's other dependencies).
 */
static void stack_name(char *buf, size_t len, uintptr_t pc, bool entry, struct symcache *c,
		       size_t *nc, size_t maxc)
{
	uintptr_t look = entry ? pc : pc - 1; /* a call's return address may be past its function */
	const struct frt_object *o;
	const char *path = NULL, *name = NULL;
	uintptr_t bias = 0, base = 0;
	struct symcache *sc = NULL;
	const struct frt_elf_sym *best = NULL;
	Dl_info di;
	uint64_t rel;

	snprintf(buf, len, "%#lx", (unsigned long)pc);
	cds_list_for_each_entry (o, &frt_objects, node)
		if (look >= o->map_start && look < o->map_end) {
			path = o->is_main ? "/proc/self/exe" : o->path;
			bias = o->bias;
			base = o->map_start;
			name = o->name;
			break;
		}
	if (!path && dladdr((void *)look, &di) && di.dli_fname && di.dli_fbase) {
		path = di.dli_fname;
		bias = base = (uintptr_t)di.dli_fbase; /* a shared object: its load bias */
		name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	}
	if (!path)
		return;
	for (size_t i = 0; i < *nc; i++)
		if (!strcmp(c[i].path, path))
			sc = &c[i];
	if (!sc && *nc < maxc) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		sc = &c[(*nc)++];
		snprintf(sc->path, sizeof(sc->path), "%s", path);
		memset(&sc->t, 0, sizeof(sc->t));
		if (fd < 0 || frt_elf_syms_read(fd, &sc->t))
			memset(&sc->t, 0, sizeof(sc->t));
		if (fd >= 0)
			close(fd);
	}
	rel = look - bias;
	/* functions (after the PLT entries) are sorted by address: the last one at or below */
	for (size_t lo = sc ? sc->t.nplt : 0, hi = sc ? sc->t.n : 0; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (sc->t.v[mid].addr <= rel) {
			best = &sc->t.v[mid];
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	if (best && !(sc->t.func_end && rel >= sc->t.func_end)) {
		uint64_t off = pc - bias - best->addr;

		if (off)
			snprintf(buf, len, "%.400s+%#llx", sc->t.names + best->name,
				 (unsigned long long)off);
		else
			snprintf(buf, len, "%.400s", sc->t.names + best->name);
	} else if (name) {
		snprintf(buf, len, "%.200s+%#lx", name, (unsigned long)(pc - base));
	}
	for (char *p = buf; *p; p++)
		if (*p == ' ' || *p == '\t' || *p == '\n')
			*p = '_'; /* uftrace reads an event's name up to white space */
}

/*
 * An image exec'd by a process that wrote stacktrace frames keeps its pid,
 * so its ids: the slots events.txt already names for this pid are taken
 * (marked, never matched by a frame's address). read(2) only: this runs
 * before the program's allocator may be used.
 */
static void reserve_stack_ids(void)
{
	char path[PATH_MAX + 16], *buf, *line;
	uint32_t lo = frt_stk_id(getpid(), 0);
	size_t len = 0, cap = 1 << 16;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/events.txt", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	buf = frt_malloc(cap + 1);
	while (buf && (n = read(fd, buf + len, cap - len)) > 0) {
		char *end;

		len += (size_t)n;
		buf[len] = 0;
		for (line = buf; (end = strchr(line, '\n')); line = end + 1) {
			unsigned long id;

			if (strncmp(line, "EVENT: ", 7))
				continue;
			id = strtoul(line + 7, NULL, 10);
			if (id >= lo && id < lo + FRT_STK_SLOTS)
				__atomic_store_n(&frt_stk_pcs[id - lo], FRT_STK_TAKEN,
						 __ATOMIC_RELAXED);
		}
		len -= (size_t)(line - buf);
		memmove(buf, line, len);
		if (len == cap)
			len = 0; /* a line longer than the buffer: not ours */
	}
	close(fd);
	frt_free(buf);
}

/*
 * events.txt: the names of this process's stacktrace frames named since the
 * last call (each process has ids of its own, stacktrace.h). Not from a
 * signal handler: it reads symbol tables.
 */
void frt_output_stack_names(void)
{
	static unsigned char named[FRT_STK_SLOTS + 1];
	static pid_t named_pid;
	pid_t pid = getpid();
	size_t cap = 64 * 1024, len = 0, nc = 0;
	struct symcache *c;
	char *out, name[512];

	if (!frt_output_active)
		return;
	if (named_pid != pid) {
		/* a forked child: its events carry its own ids */
		memset(named, 0, sizeof(named));
		named_pid = pid;
	}
	out = frt_malloc(cap);
	c = frt_calloc(16, sizeof(*c));
	if (!out || !c)
		goto out;
	frt_lock();
	for (unsigned int i = 0; i <= FRT_STK_SLOTS; i++) {
		uintptr_t v =
			i < FRT_STK_SLOTS ? __atomic_load_n(&frt_stk_pcs[i], __ATOMIC_ACQUIRE) : 0;

		if (named[i] || v == FRT_STK_TAKEN ||
		    (!v &&
		     (i < FRT_STK_SLOTS || !__atomic_load_n(&frt_stk_full, __ATOMIC_RELAXED))))
			continue;
		if (i == FRT_STK_FULL)
			snprintf(name, sizeof(name), "(table_full)");
		else
			stack_name(name, sizeof(name), (uintptr_t)(v & ~FRT_STK_ENTRY),
				   v & FRT_STK_ENTRY, c, &nc, 16);
		if (len + sizeof(name) + 64 > cap) {
			if (append("events.txt", out))
				break;
			len = 0;
			out[0] = 0;
		}
		len += (size_t)snprintf(out + len, cap - len, "EVENT: %u stacktrace:%s\n",
					frt_stk_id(pid, i), name);
		named[i] = 1;
	}
	frt_unlock();
	if (len)
		append("events.txt", out);
out:
	for (size_t i = 0; c && i < nc; i++)
		frt_elf_syms_free(&c[i].t);
	frt_free(c);
	frt_free(out);
}

void frt_output_finish(void)
{
	int ret;

	if (!frt_output_active)
		return;
	ret = frt_uftrace_write_info(dir, exename, cmdline_json ? cmdline_json : "", 0, false,
				     frt_gf_argspec_text(), frt_gf_retspec_text(), false);
	if (ret)
		frt_msg("cannot write %s/info: %s", dir, strerror(-ret));
}

static int cmp_prof(const void *a, const void *b)
{
	const struct frt_prof_ent *x = a, *y = b;

	return x->self < y->self ? 1 : x->self > y->self ? -1 : 0;
}

/* The profile table, sorted by self time. Times are raw here. */
void frt_output_profile(struct frt_prof_ent *v, size_t n, unsigned long threads)
{
	char path[PATH_MAX + 32], line[PATH_MAX + 1024];
	int fd;

	if (!frt_output_active)
		return;
	frt_sort(v, n, sizeof(*v), cmp_prof);
	snprintf(path, sizeof(path), "%s/profile.txt", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		frt_msg("cannot write %s: %s", path, strerror(errno));
		return;
	}
	snprintf(line, sizeof(line),
		 "# ftrace_rt profile of %s (pid %d, %lu thread%s)\n"
		 "# %12s %14s %14s %12s  %s\n",
		 exename, (int)getpid(), threads, threads == 1 ? "" : "s", "calls", "total_ns",
		 "self_ns", "avg_ns", "function");
	if (write(fd, line, strlen(line)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		uint64_t total = frt_clock_delta_ns(v[i].total);
		uint64_t self = frt_clock_delta_ns(v[i].self);
		struct frt_object *o;
		struct frt_site *s;
		const char *name = "?", *mod = "?";

		if (!v[i].calls) /* entered, not returned yet: nothing to show */
			continue;

		frt_lock(); /* the object table, as a writer would hold it */
		s = frt_site_by_ip(v[i].ip, &o);
		if (s) {
			name = frt_site_name(o, s);
			mod = o->name;
		} else if ((name = frt_libcall_name(v[i].ip))) {
			mod = "plt"; /* a library call: uftrace's report names it so */
		} else {
			name = "?";
		}
		snprintf(line, sizeof(line), "  %12llu %14llu %14llu %12llu  %s@%s\n",
			 (unsigned long long)v[i].calls, (unsigned long long)total,
			 (unsigned long long)self,
			 (unsigned long long)(v[i].calls ? total / v[i].calls : 0), name, mod);
		frt_unlock();
		if (write(fd, line, strlen(line)) < 0)
			break;
	}
out:
	close(fd);
}
