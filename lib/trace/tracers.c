// SPDX-License-Identifier: MIT
/*
 * The built-in tracers. Each is an ordinary ops registered through the
 * public API, whose callback is lib/dispatch/callbacks.c's:
 *   function        an entry event per call
 *   function_graph  entry and exit events, through the return hook
 *   profile         per-function calls and total/self time, a table at exit
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "alloc.h"
#include "gfilter.h"
#include "libcall.h"
#include "log.h"
#include "objects.h"
#include "ops.h"
#include "callbacks.h"
#include "trace.h"
#include "tracer.h"

static struct ftrace_rt_ops tracer_ops;
static bool registered;
static char *cur_filter, *cur_notrace; /* kept: unregistering forgets an ops' filters */
static unsigned long sites_armed; /* enabled sites when last armed: for the fatal-signal summary */

static const char *const names[] = {
	[FRT_TRACER_NONE] = "none",
	[FRT_TRACER_FUNCTION] = "function",
	[FRT_TRACER_GRAPH] = "function_graph",
	[FRT_TRACER_PROFILE] = "profile",
};

const char *frt_tracer_name(int kind)
{
	return kind >= 0 && kind <= FRT_TRACER_PROFILE ? names[kind] : "?";
}

int frt_tracer_parse(const char *s)
{
	for (int k = 0; k <= FRT_TRACER_PROFILE; k++)
		if (!strcmp(s, names[k]))
			return k;
	return -1;
}

/* At exit, a thread maybe still running: its table as it stands (see prof_grow) */
static void merge_live(struct frt_thread *t, void *arg)
{
	size_t cap = __atomic_load_n(&t->prof_cap, __ATOMIC_ACQUIRE);
	struct frt_prof_ent *v = __atomic_load_n(&t->prof, __ATOMIC_ACQUIRE);

	if (!__atomic_load_n(&t->dead, __ATOMIC_ACQUIRE) && v)
		frt_prof_merge(arg, v, cap);
}

/*
 * The profile so far to DIR/profile.txt: the exited threads' tables and a
 * copy of the live ones, which keep theirs. Written when the tracer
 * switches away from profile and on a flush, so nothing collected is lost;
 * a later profile phase adds to the same tables, and the file written at
 * exit holds both.
 */
void frt_profile_write(void)
{
	struct frt_prof_set snap = {0};

	pthread_mutex_lock(&frt_prof_lock);
	if (!frt_grow((void **)&snap.v, &snap.cap, frt_gprof.n + 1, sizeof(*snap.v))) {
		if (frt_gprof.n) /* none before the first thread exits */
			memcpy(snap.v, frt_gprof.v, frt_gprof.n * sizeof(*snap.v));
		snap.n = frt_gprof.n;
		snap.threads = frt_gprof.threads;
		frt_threads_foreach(merge_live, &snap);
		frt_output_profile(snap.v, snap.n, snap.threads);
	}
	pthread_mutex_unlock(&frt_prof_lock);
	frt_free(snap.v);
}

static const ftrace_rt_func_t funcs[] = {
	[FRT_TRACER_FUNCTION] = frt_function_cb,
	[FRT_TRACER_GRAPH] = frt_graph_cb,
	[FRT_TRACER_PROFILE] = frt_profile_cb,
};

/* Register the tracer's ops with the current filters. */
static int arm(char *msg, size_t msglen)
{
	char unmatched[1024];
	int ret;

	/* built with -mgeneral-regs-only: its sites need not save vector registers,
	 * unless floating-point arguments are recorded (read from the saved ones) */
	tracer_ops = (struct ftrace_rt_ops){.func = funcs[frt_tracer_kind],
					    .flags = frt_gf_need_vector && frt_tracer_kind ==
										   FRT_TRACER_GRAPH
							     ? 0
							     : FTRACE_RT_OPS_F_NO_VECTOR};
	ret = frt_set_patterns_lenient(&tracer_ops, cur_filter ? cur_filter : "", false, unmatched,
				       sizeof(unmatched));
	if (!ret && unmatched[0] && msg)
		snprintf(msg, msglen, "filter patterns matching no function yet: %s", unmatched);
	if (!ret)
		ret = frt_set_patterns_lenient(&tracer_ops, cur_notrace ? cur_notrace : "", true,
					       NULL, 0);
	if (!ret)
		ret = ftrace_rt_register_ops(&tracer_ops);
	if (ret) {
		ftrace_rt_unregister_ops(&tracer_ops); /* drops the filter state */
	} else {
		if (frt_libcall_wanted) {
			char why[256];

			/* the tracer runs without them if they cannot be had */
			/* not on this arch yet: said only when asked (record asks by default) */
			if (frt_libcall_attach(&tracer_ops, why, sizeof(why)) == -ENOSYS)
				frt_info(1, "%s", why);
			else if (why[0])
				frt_msg("%s", why);
		}
		struct ftrace_rt_stats st;

		ftrace_rt_get_stats(&st);
		sites_armed = st.sites_enabled;
	}
	registered = !ret;
	return ret;
}

/*
 * Make @kind the running tracer (NONE stops tracing) with these filters
 * (NULL keeps the current ones). @msg gets a note for the user, if any.
 */
int frt_tracer_set(int kind, const char *filter, const char *notrace, char *msg, size_t msglen)
{
	int ret;

	if (msg && msglen)
		msg[0] = 0;
	if (registered) {
		frt_libcall_detach();
		ret = ftrace_rt_unregister_ops(&tracer_ops);
		if (ret) {
			/* still the tracer: its library calls too */
			if (frt_libcall_wanted)
				frt_libcall_attach(&tracer_ops, NULL, 0);
			return ret;
		}
		registered = false;
	}
	/* what profile collected is written before another tracer takes over */
	if (frt_tracer_kind == FRT_TRACER_PROFILE && kind != FRT_TRACER_PROFILE)
		frt_profile_write();
	if (filter) {
		frt_free(cur_filter);
		cur_filter = frt_strdup(filter);
	}
	if (notrace) {
		frt_free(cur_notrace);
		cur_notrace = frt_strdup(notrace);
	}
	/* the kind is set before any site calls in */
	frt_tracer_kind = kind;
	if (kind == FRT_TRACER_NONE)
		return 0;
	ret = arm(msg, msglen);
	if (ret)
		frt_tracer_kind = FRT_TRACER_NONE;
	return ret;
}

int frt_tracer_enable(bool on)
{
	if (on == registered || frt_tracer_kind == FRT_TRACER_NONE)
		return 0;
	if (on)
		return arm(NULL, 0);
	frt_libcall_detach();
	if (ftrace_rt_unregister_ops(&tracer_ops) == 0)
		registered = false;
	else if (frt_libcall_wanted)
		frt_libcall_attach(&tracer_ops, NULL, 0);
	return registered ? -EBUSY : 0;
}

bool frt_tracer_enabled(void)
{
	return registered;
}

/*
 * The one line that says what was traced, and every call that was not
 * recorded, by cause. @fatal: from a fatal signal's handler or _exit (no
 * lock waited for without bound: the totals may then miss live threads).
 */
static void summary(int kind, unsigned long sites, bool fatal, const char *end)
{
	unsigned long nthr, events, lost, overflow;
	struct frt_unrecorded u;
	char extra[512];
	size_t n = 0;

	frt_recording_totals(&nthr, &events, &lost, &overflow, fatal);
	frt_recording_unrecorded(&u);
	extra[0] = 0;
	if (overflow)
		n += (size_t)snprintf(
			extra + n, sizeof(extra) - n,
			" (%lu calls nested deeper than the shadow stack's %u frames were "
			"not hooked: raise FTRACE_RT_MAX_STACK, record --max-stack)",
			overflow, frt_shadow_max);
	if (frt_libcall_count() && n < sizeof(extra))
		n += (size_t)snprintf(extra + n, sizeof(extra) - n,
				      "; %lu library functions the executable calls through its "
				      "PLT (NAME@plt) too",
				      frt_libcall_count());
	if (u.threads_without_buffers && n < sizeof(extra))
		n += (size_t)snprintf(extra + n, sizeof(extra) - n,
				      "; %lu threads got no buffer: %lu calls not recorded",
				      u.threads_without_buffers, u.calls_without_buffer);
	if (u.calls_after_exit && n < sizeof(extra))
		n += (size_t)snprintf(extra + n, sizeof(extra) - n,
				      "; %lu calls after their thread's exit not recorded",
				      u.calls_after_exit);
	if (u.recursion && n < sizeof(extra))
		snprintf(extra + n, sizeof(extra) - n,
			 "; %lu calls made inside the runtime not recorded", u.recursion);
	nthr += u.threads_without_buffers;
	if (!fatal && frt_verbose >= 1) {
		unsigned long w = frt_recording_waits();
		uint64_t fcpu, fown;

		frt_recording_costs(&fcpu, &fown);
		/* integers: this file is built -mgeneral-regs-only */
		frt_info(1,
			 "recording cost besides the calls: flusher %llu.%llu ms of CPU, threads "
			 "writing their own chunks %llu.%llu ms",
			 (unsigned long long)(fcpu / 1000000),
			 (unsigned long long)(fcpu / 100000 % 10),
			 (unsigned long long)(fown / 1000000),
			 (unsigned long long)(fown / 100000 % 10));

		if (w)
			frt_info(1,
				 "threads wrote their own full buffers %lu times: the flusher "
				 "fell behind and the program waited for the output",
				 w);
	}
	frt_msg("%s: %lu function%s traced, %lu thread%s, %lu event%s, %lu lost%s; data in %s%s",
		names[kind], sites, sites == 1 ? "" : "s", nthr, nthr == 1 ? "" : "s", events,
		events == 1 ? "" : "s", lost + overflow, extra, frt_output_dir(), end);
}

/* Process exit: write everything and say where it is, in one line. */
void frt_tracer_finish(void)
{
	struct ftrace_rt_stats st;
	int kind = frt_tracer_kind;

	if (kind == FRT_TRACER_NONE || !frt_recording_on)
		return;
	ftrace_rt_get_stats(&st);
	frt_recording_stop();
	if (kind == FRT_TRACER_PROFILE) {
		pthread_mutex_lock(&frt_prof_lock);
		frt_threads_foreach(merge_live, &frt_gprof);
		frt_output_profile(frt_gprof.v, frt_gprof.n, frt_gprof.threads);
		pthread_mutex_unlock(&frt_prof_lock);
	}
	frt_output_stack_names();
	frt_output_finish();
	/* functions of objects unloaded meanwhile were traced too */
	summary(kind, st.sites_enabled + frt_sites_enabled_unloaded, false, "");
}

/*
 * The process dies now (a fatal signal, _exit): write what is buffered and
 * say so. Async-signal-safe as far as that goes: no allocation, no stdio,
 * bounded waits (see frt_recording_emergency). The profile tracer's table
 * is not written: merging it would allocate.
 */
void frt_tracer_emergency(const char *why, bool interrupted_runtime)
{
	int kind = frt_tracer_kind, skipped;
	char end[128];

	if (kind == FRT_TRACER_NONE || !frt_recording_on || !frt_recording_owned_here())
		return;
	skipped = frt_recording_emergency(interrupted_runtime);
	__atomic_store_n(&frt_recording_on, 0, __ATOMIC_RELEASE);
	frt_output_finish();
	snprintf(end, sizeof(end), " (%s%s%s)", why,
		 skipped ? ": some threads' last records could not be written" : "",
		 kind == FRT_TRACER_PROFILE ? ": no profile table" : "");
	summary(kind, sites_armed, true, end);
}
