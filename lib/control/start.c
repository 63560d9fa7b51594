// SPDX-License-Identifier: MIT
/* Process start and exit: the runtime, then the tracer the environment asks for. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "hooks.h"
#include "control.h"
#include "init.h"
#include "log.h"
#include "trace.h"
#include "tracer.h"

static bool inert;

/* Was this library named in LD_PRELOAD (rather than linked for the API)? */
static bool named_in_preload(void)
{
	const char *pl = secure_getenv("LD_PRELOAD");
	Dl_info self;
	const char *base;

	if (!pl || !*pl || !dladdr((void *)frt_init, &self) || !self.dli_fname)
		return false;
	base = strrchr(self.dli_fname, '/');
	base = base ? base + 1 : self.dli_fname;
	for (const char *p = pl; *p;) {
		size_t n = strcspn(p, ": \t");
		const char *b = p;

		for (size_t i = 0; i < n; i++)
			if (p[i] == '/')
				b = p + i + 1;
		if ((size_t)(p + n - b) == strlen(base) && !strncmp(b, base, strlen(base)))
			return true;
		p += n;
		p += strspn(p, ": \t");
	}
	return false;
}

/*
 * The parent's pid, taken in the parent before the fork: the child's
 * getppid() may already be a reaper's (1, or a subreaper) if the parent
 * exited before the child got this far, and uftrace finds a child's
 * session through its parent.
 */
static pid_t fork_parent;

static void fork_prepare(void)
{
	fork_parent = getpid();
}

static void fork_child(void)
{
	if (frt_recording_on) {
		frt_output_fork_child(fork_parent);
		frt_recording_fork_child();
	}
	frt_control_fork_child();
}

static void start_control(void)
{
	const char *v = secure_getenv("FTRACE_RT_CONTROL");
	int ret;

	if (!v || !*v || !strcmp(v, "0"))
		return;
	if (strcmp(v, "1")) {
		frt_msg("FTRACE_RT_CONTROL='%s' is not 0 or 1; no control socket", v);
		return;
	}
	ret = frt_control_start();
	if (ret)
		frt_msg("FTRACE_RT_CONTROL=1: cannot serve a control socket: %s", strerror(-ret));
}

void frt_runtime_start(void)
{
	/* setuid/setgid programs: the environment is not to be trusted, stay inert */
	if (getauxval(AT_SECURE)) {
		inert = true;
		return;
	}
	frt_preloaded = named_in_preload();
	frt_init();
	pthread_atfork(fork_prepare, NULL, fork_child);
	frt_config_start();
	start_control();
}

void frt_runtime_stop(void)
{
	if (inert)
		return;
	frt_control_stop();
	frt_tracer_finish();
}
