// SPDX-License-Identifier: MIT
/*
 * Live control: with FTRACE_RT_CONTROL=1 one runtime thread serves a UNIX
 * socket (see ctlpath.c) speaking a line protocol. Each request line gets
 * zero or more data lines and then "OK[ message]" or "ERR message".
 *
 *   filter PATTERNS | notrace PATTERNS | tracer NAME | on | off
 *   graph_function PATTERNS | graph_notrace PATTERNS | max_graph_depth N |
 *   tracing_thresh TIME | graph (the four as set)
 *   funcgraph_args SPECS | funcgraph_retval SPECS (uftrace's -A / -R)
 *   sites [PATTERNS] | stats | flush | help
 *
 * Only peers with our uid are served (SO_PEERCRED, on top of the 0700
 * directory and the 0600 socket). The thread is never traced, takes none of
 * the program's signals, and only ever waits in poll(): a slow, silent or
 * malicious client costs it a connection slot until a timeout, nothing more.
 * Every change is a live transaction of the engine.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "ctlpath.h"
#include "control.h"
#include "gfilter.h"
#include "guard.h"
#include "log.h"
#include "pattern.h"
#include "siteinit.h"
#include "trace.h"
#include "tracer.h"

#define MAX_CONN 64
#define IDLE_MS	 30000

struct conn {
	int fd;
	char *buf;
	size_t len;
	int64_t last;
};

static int lfd = -1;
static int wake[2] = {-1, -1};
static char path[108];
static pthread_t thr;
static bool running;
static pid_t owner;
static struct conn conns[MAX_CONN];
static unsigned long served, refused;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Buffered replies; a client that does not read gets cut off by SO_SNDTIMEO. */
struct out {
	int fd;
	size_t len;
	bool failed;
	char buf[8192];
};

static void out_flush(struct out *o)
{
	size_t off = 0;

	while (off < o->len && !o->failed) {
		ssize_t n = send(o->fd, o->buf + off, o->len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			o->failed = true;
		else
			off += (size_t)n;
	}
	o->len = 0;
}

static void out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->failed)
		return;
	if (sizeof(o->buf) - o->len < 1200)
		out_flush(o);
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, sizeof(o->buf) - o->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(o->buf) - o->len) /* a very long name: cut, keep the newline */
		n = (int)(sizeof(o->buf) - o->len - 2), o->buf[o->len + (size_t)n++] = '\n';
	o->len += (size_t)n;
}

static int site_line(const struct ftrace_rt_site_info *s, void *arg)
{
	out_printf(arg, "%s %s %#lx%s\n", s->module, s->function, s->ip,
		   (s->flags & FTRACE_RT_SITE_ENABLED) ? " enabled" : "");
	return ((struct out *)arg)->failed;
}

static int check_patterns(const char *p, struct out *o)
{
	struct frt_patterns pats = {0};
	char err[512];

	if (frt_patterns_parse(p, &pats, err, sizeof(err))) {
		out_printf(o, "ERR %s\n", err);
		return -EINVAL;
	}
	frt_patterns_free(&pats);
	return 0;
}

/* Make sure there is somewhere to record to before a tracer starts. */
static int prepare_recording(struct out *o)
{
	const char *dir = secure_getenv("FTRACE_RT_OUTPUT");
	int ret;

	if (frt_recording_on)
		return 0;
	if (!frt_output_active) {
		ret = frt_output_open(dir && *dir ? dir : "ftrace_rt.data");
		if (ret) {
			out_printf(o, "ERR cannot make a data directory: %s\n", strerror(-ret));
			return ret;
		}
	}
	ret = frt_recording_start(2UL << 20);
	if (ret)
		out_printf(o, "ERR cannot start recording: %s\n", strerror(-ret));
	return ret;
}

static void cmd_stats(struct out *o)
{
	struct ftrace_rt_stats st;
	unsigned long nthr = 0, events = 0, lost = 0, overflow = 0;
	uint64_t fcpu, fown;

	ftrace_rt_get_stats(&st);
	frt_recording_costs(&fcpu, &fown);
	if (frt_recording_on || frt_output_active)
		frt_recording_totals(&nthr, &events, &lost, &overflow, false);
	out_printf(
		o,
		"tracer %s\nenabled %s\nobjects %lu\nsites %lu\nsites_enabled %lu\n"
		"sites_skipped %lu\nsites_lookup %lu\nthreads %lu\nevents %lu\nlost %lu\n"
		"not_hooked %lu\nrecursion_misses %lu\ntransactions %lu\nsyncs %lu\nmprotects %lu\n"
		"nop_runs_converted %lu\nnop_runs_refused %lu\nclients_served %lu\nclients_refused "
		"%lu\nbuffer_waits %lu\nflusher_cpu_ns %llu\nwriter_flush_ns %llu\n",
		frt_tracer_name(frt_tracer_kind), frt_tracer_enabled() ? "yes" : "no", st.objects,
		st.sites, st.sites_enabled, st.sites_skipped, st.sites_unaligned, nthr, events,
		lost, overflow, st.recursion_misses, st.transactions, st.syncs, st.mprotects,
		st.nop_runs_converted, st.nop_runs_refused, served, refused,
		frt_recording_on || frt_output_active ? frt_recording_waits() : 0UL,
		(unsigned long long)fcpu, (unsigned long long)fown);
	out_printf(o, "OK\n");
}

static void execute(char *line, struct out *o)
{
	char *arg, msg[1200];
	int ret;

	for (char *p = line; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t') {
			out_printf(o, "ERR control characters in request\n");
			return;
		}
	while (*line == ' ' || *line == '\t')
		line++;
	arg = line + strcspn(line, " \t");
	if (*arg)
		*arg++ = 0;
	while (*arg == ' ' || *arg == '\t')
		arg++;

	if (!strcmp(line, "filter") || !strcmp(line, "notrace")) {
		bool nt = line[0] == 'n';

		if (check_patterns(arg, o))
			return;
		ret = frt_tracer_set(frt_tracer_kind, nt ? NULL : arg, nt ? arg : NULL, msg,
				     sizeof(msg));
		if (ret)
			out_printf(o, "ERR %s\n", ftrace_rt_strerror(ret));
		else if (!*arg) /* as in the API: an empty filter is every function */
			out_printf(o, "OK %s\n",
				   nt ? "notrace list removed"
				      : "filter removed: every traceable function is traced");
		else
			out_printf(o, "OK%s%s\n", msg[0] ? " " : "", msg);
	} else if (!strcmp(line, "graph_function") || !strcmp(line, "graph_notrace") ||
		   !strcmp(line, "max_graph_depth") || !strcmp(line, "tracing_thresh")) {
		char which = line[0] == 'g' ? line[6] : line[0]; /* f, n, m, t */

		ret = frt_gf_set(which == 'f' ? arg : NULL, which == 'n' ? arg : NULL,
				 which == 'm' ? arg : NULL, which == 't' ? arg : NULL, msg,
				 sizeof(msg));
		if (ret)
			out_printf(o, "ERR %s\n", msg);
		else if (which == 'f' || which == 'n')
			out_printf(o, "OK %s %s%s%s\n", line, *arg ? "set" : "removed",
				   msg[0] ? "; " : "", msg);
		else
			out_printf(o, "OK %s %s\n", line, *arg && strcmp(arg, "0") ? arg : "off");
	} else if (!strcmp(line, "funcgraph_args") || !strcmp(line, "funcgraph_retval")) {
		bool r = line[10] == 'r';
		bool vec = frt_gf_need_vector;

		ret = frt_gf_set_args(r ? NULL : arg, r ? arg : NULL, msg, sizeof(msg));
		/* floating-point arguments need the sites to save vector registers */
		if (!ret && vec != frt_gf_need_vector && frt_tracer_enabled())
			ret = frt_tracer_set(frt_tracer_kind, NULL, NULL, NULL, 0);
		if (ret)
			out_printf(o, "ERR %s\n", msg[0] ? msg : ftrace_rt_strerror(ret));
		else
			out_printf(o, "OK %s %s\n", line, *arg ? "set" : "removed");
	} else if (!strcmp(line, "trigger")) {
		ret = frt_gf_set_triggers(arg, msg, sizeof(msg));
		if (ret)
			out_printf(o, "ERR %s\n", msg[0] ? msg : ftrace_rt_strerror(ret));
		else
			out_printf(o, "OK trigger %s\n", *arg ? "set" : "removed");
	} else if (!strcmp(line, "tracing_on")) {
		if (strcmp(arg, "0") && strcmp(arg, "1")) {
			out_printf(o, "ERR tracing_on takes 0 or 1\n");
			return;
		}
		__atomic_store_n(&frt_gf.enabled, arg[0] == '1', __ATOMIC_RELAXED);
		out_printf(o, "OK tracing_on %s\n", arg);
	} else if (!strcmp(line, "graph")) {
		frt_gf_describe(msg, sizeof(msg));
		out_printf(o, "%sOK\n", msg);
	} else if (!strcmp(line, "tracer")) {
		int kind = frt_tracer_parse(arg);

		if (kind < 0) {
			out_printf(o,
				   "ERR unknown tracer '%.200s' (function, function_graph, "
				   "profile, none)\n",
				   arg);
			return;
		}
		if (kind != FRT_TRACER_NONE && prepare_recording(o))
			return;
		ret = frt_tracer_set(kind, NULL, NULL, msg, sizeof(msg));
		if (ret)
			out_printf(o, "ERR %s\n", ftrace_rt_strerror(ret));
		else
			out_printf(o, "OK tracer %s%s%s\n", frt_tracer_name(kind),
				   msg[0] ? "; " : "", msg);
	} else if (!strcmp(line, "on") || !strcmp(line, "off")) {
		if (*arg) {
			out_printf(o, "ERR '%s' takes no argument\n", line);
			return;
		}
		if (frt_tracer_kind == FRT_TRACER_NONE) {
			out_printf(o, "ERR no tracer is set (use: tracer NAME)\n");
			return;
		}
		ret = frt_tracer_enable(line[1] == 'n');
		if (ret)
			out_printf(o, "ERR %s\n", ftrace_rt_strerror(ret));
		else
			out_printf(o, "OK tracing %s\n", line[1] == 'n' ? "on" : "off");
	} else if (!strcmp(line, "sites")) {
		if (check_patterns(arg, o))
			return;
		ret = ftrace_rt_for_each_site(arg, site_line, o);
		if (ret < 0)
			out_printf(o, "ERR %s\n", ftrace_rt_strerror(ret));
		else
			out_printf(o, "OK\n");
	} else if (!strcmp(line, "stats")) {
		cmd_stats(o);
	} else if (!strcmp(line, "flush")) {
		if (frt_recording_on) {
			if (frt_tracer_kind == FRT_TRACER_PROFILE)
				frt_profile_write();
			frt_threads_flush_all(false, false);
			frt_output_stack_names();
			frt_output_finish();
			out_printf(o, "OK flushed to %s\n", frt_output_dir());
		} else {
			out_printf(o, "OK nothing is recording\n");
		}
	} else if (!strcmp(line, "help") || !*line) {
		out_printf(o, "filter PATTERNS\nnotrace PATTERNS\ngraph_function PATTERNS\n"
			      "graph_notrace PATTERNS\nmax_graph_depth N\ntracing_thresh TIME\n"
			      "funcgraph_args SPECS\nfuncgraph_retval SPECS\ntrigger SPECS\n"
			      "tracing_on 0|1\n"
			      "graph\ntracer function|function_graph|"
			      "profile|none\non\noff\nsites [PATTERNS]\nstats\nflush\nOK\n");
	} else {
		out_printf(o, "ERR unknown command '%.200s' (try: help)\n", line);
	}
}

/* Answer one request line on @fd (also the fuzzing entry point). */
void frt_control_request(char *line, size_t len, int fd)
{
	struct out o = {.fd = fd};

	if (memchr(line, 0, len))
		out_printf(&o, "ERR binary data in request\n");
	else
		execute(line, &o);
	out_flush(&o);
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	c->len = 0;
}

static void conn_accept(void)
{
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	struct timeval tv = {5, 0};
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	struct conn *slot = NULL;

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) || cred.uid != getuid()) {
		static const char msg[] = "ERR permission denied\n";

		refused++;
		if (send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* nothing to do */
		}
		close(fd);
		return;
	}
	for (int i = 0; i < MAX_CONN && !slot; i++)
		if (conns[i].fd < 0)
			slot = &conns[i];
	if (!slot) {
		static const char msg[] = "ERR busy: too many clients\n";

		if (send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* nothing to do */
		}
		close(fd);
		return;
	}
	served++;
	slot->fd = fd;
	slot->len = 0;
	slot->last = now_ms();
}

static void conn_read(struct conn *c)
{
	struct out o;
	ssize_t n = recv(c->fd, c->buf + c->len, FRT_CTL_LINE_MAX - c->len, MSG_DONTWAIT);
	char *nl;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) { /* closed, maybe with half a line: nothing to answer */
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	c->last = now_ms();
	o.fd = c->fd;
	o.len = 0;
	o.failed = false;
	while ((nl = memchr(c->buf, '\n', c->len))) {
		size_t l = (size_t)(nl - c->buf);

		*nl = 0;
		if (l && c->buf[l - 1] == '\r')
			c->buf[l - 1] = 0;
		if (memchr(c->buf, 0, l))
			out_printf(&o, "ERR binary data in request\n");
		else
			execute(c->buf, &o);
		out_flush(&o);
		memmove(c->buf, nl + 1, c->len - l - 1);
		c->len -= l + 1;
		if (o.failed) {
			conn_close(c);
			return;
		}
	}
	if (c->len >= FRT_CTL_LINE_MAX) {
		out_printf(&o, "ERR request line longer than %d bytes\n", FRT_CTL_LINE_MAX);
		out_flush(&o);
		conn_close(c);
	}
}

static void *serve(void *arg)
{
	struct pollfd pf[MAX_CONN + 2];
	(void)arg;

	frt_in_callback = FRT_UNTRACED; /* whatever it calls is not traced */
	frt_own_thread(true);
	for (;;) {
		int n = 0, map[MAX_CONN];
		int64_t now = now_ms();

		pf[n++] = (struct pollfd){wake[0], POLLIN, 0};
		pf[n++] = (struct pollfd){lfd, POLLIN, 0};
		for (int i = 0; i < MAX_CONN; i++) {
			if (conns[i].fd < 0)
				continue;
			if (now - conns[i].last > IDLE_MS) {
				conn_close(&conns[i]);
				continue;
			}
			map[n - 2] = i;
			pf[n++] = (struct pollfd){conns[i].fd, POLLIN, 0};
		}
		if (poll(pf, (nfds_t)n, 1000) < 0)
			continue;
		if (pf[0].revents)
			break;
		if (pf[1].revents & POLLIN)
			conn_accept();
		for (int k = 2; k < n; k++)
			if (pf[k].revents)
				conn_read(&conns[map[k - 2]]);
	}
	for (int i = 0; i < MAX_CONN; i++)
		if (conns[i].fd >= 0)
			conn_close(&conns[i]);
	frt_own_thread(false);
	return NULL;
}

int frt_control_start(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	sigset_t all, old;
	int ret;

	if (running)
		return 0;
	ret = frt_ctl_path(getpid(), path, sizeof(path), true);
	if (ret)
		return ret;
	for (int i = 0; i < MAX_CONN; i++) {
		conns[i].fd = -1;
		if (!conns[i].buf && !(conns[i].buf = frt_malloc(FRT_CTL_LINE_MAX + 1)))
			return -ENOMEM;
	}
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -errno;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path); /* a previous image of this pid (exec), or a crashed one */
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0600) ||
	    listen(lfd, 128) || pipe2(wake, O_CLOEXEC)) {
		ret = -errno;
		close(lfd);
		lfd = -1;
		unlink(path);
		return ret;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&thr, NULL, serve, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		close(lfd);
		unlink(path);
		return -ret;
	}
	pthread_setname_np(thr, "ftrace_rt-ctl");
	running = true;
	owner = getpid();
	frt_info(1, "control socket %s", path);
	return 0;
}

void frt_control_stop(void)
{
	if (!running || owner != getpid())
		return;
	if (write(wake[1], "x", 1) == 1)
		pthread_join(thr, NULL);
	close(lfd);
	unlink(path);
	running = false;
}

/* A forked child serves its own socket; the parent's stays the parent's. */
void frt_control_fork_child(void)
{
	if (!running)
		return;
	running = false;
	close(lfd);
	close(wake[0]);
	close(wake[1]);
	for (int i = 0; i < MAX_CONN; i++)
		if (conns[i].fd >= 0)
			close(conns[i].fd), conns[i].fd = -1;
	if (frt_control_start())
		frt_msg("no control socket in the forked child %d", (int)getpid());
}
