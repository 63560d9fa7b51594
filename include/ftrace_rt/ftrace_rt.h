/* SPDX-License-Identifier: MIT */
/*
 * ftrace_rt: dynamic function tracing for user space.
 *
 * Functions compiled with patchable entry NOPs are found at run time and their
 * entries are live-patched into calls to a common trampoline that dispatches to
 * the registered ops. All functions return 0 or a negative errno value.
 */
#ifndef FTRACE_RT_FTRACE_RT_H
#define FTRACE_RT_FTRACE_RT_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define FTRACE_RT_API __attribute__((visibility("default")))
#else
#define FTRACE_RT_API
#endif

#define FTRACE_RT_VERSION_MAJOR 0
#define FTRACE_RT_VERSION_MINOR 1

/* Saved registers at the traced function's entry; read them with the accessors. */
struct ftrace_rt_regs;
struct ftrace_rt_ops;

/*
 * @ip:        entry address of the traced function
 * @parent_ip: address the traced function will return to
 * @op:        the ops being called
 * @regs:      argument registers as they were at the function's entry
 */
typedef void (*ftrace_rt_func_t)(unsigned long ip, unsigned long parent_ip,
				 struct ftrace_rt_ops *op, struct ftrace_rt_regs *regs);

struct ftrace_rt_ops {
	ftrace_rt_func_t func;
	unsigned long flags; /* FTRACE_RT_OPS_F_* */
	void *priv;	     /* for the caller */
	void *internal;	     /* runtime-owned: zero it before first use, never touch it */
};

/* Set by the runtime while the ops is registered. */
#define FTRACE_RT_OPS_F_ENABLED (1UL << 0)
/*
 * Set by the caller: func, and all it calls, never touch vector, x87 or
 * MMX registers (build it with -mgeneral-regs-only and call nothing that
 * may). Sites where every ops says so skip saving vector registers.
 */
#define FTRACE_RT_OPS_F_NO_VECTOR (1UL << 1)

/*
 * Register @ops: from now on ops->func is called at the entry of every function
 * its filter selects (all functions when no filter is set). Filters may be set
 * before or after registering.
 * Returns -EBUSY if already registered, -EINVAL if ops->func is NULL,
 * -EDEADLK if called from inside a callback, -EPERM if page protections
 * cannot be changed (nothing is left half-patched).
 */
FTRACE_RT_API int ftrace_rt_register_ops(struct ftrace_rt_ops *ops);

/*
 * Unregister @ops. On return no call of ops->func is running or will start,
 * and the runtime no longer refers to @ops: it may be freed. Its filters are
 * forgotten. Also frees the filter state of an ops that was never registered.
 * Returns -ENOENT if @ops was neither registered nor had filters.
 */
FTRACE_RT_API int ftrace_rt_unregister_ops(struct ftrace_rt_ops *ops);

/*
 * Patterns are globs (*, ?, [...]) over function names, separated by commas or
 * white space, each optionally GLOB@MODULE where MODULE is a glob over the
 * object's file name ("main" is the executable). With @reset the previous
 * patterns are dropped, else the new ones are added.
 * An empty filter selects every function; notrace wins over filter.
 * Returns -EINVAL for a malformed pattern, -ENOENT when a pattern matches no
 * function (nothing is changed in either case).
 */
FTRACE_RT_API int ftrace_rt_set_filter(struct ftrace_rt_ops *ops, const char *patterns, int reset);
FTRACE_RT_API int ftrace_rt_set_notrace(struct ftrace_rt_ops *ops, const char *patterns, int reset);

/*
 * Add (or with @remove, remove) the function at @ip to the filter. @ip is the
 * function's entry address (or its patch site). -ENOENT if it is not traceable.
 */
FTRACE_RT_API int ftrace_rt_set_filter_ip(struct ftrace_rt_ops *ops, unsigned long ip, int remove,
					  int reset);

/* Integer argument @n (0-based, System V ABI order; stack arguments follow). */
FTRACE_RT_API unsigned long ftrace_rt_regs_get_arg(const struct ftrace_rt_regs *regs,
						   unsigned int n);

/* Stack pointer at the function's entry: it points at the return address. */
FTRACE_RT_API unsigned long ftrace_rt_regs_get_sp(const struct ftrace_rt_regs *regs);

/* A message for a value returned by this API. */
FTRACE_RT_API const char *ftrace_rt_strerror(int err);

struct ftrace_rt_stats {
	unsigned long objects;		/* loaded objects with patch sites */
	unsigned long sites;		/* patchable sites */
	unsigned long sites_enabled;	/* sites currently calling the trampoline */
	unsigned long sites_skipped;	/* sites found but not patchable (see verbose output) */
	unsigned long sites_unaligned;	/* patchable, dispatched by lookup instead of slot */
	unsigned long transactions;	/* batches of site changes applied */
	unsigned long syncs;		/* cross-thread instruction syncs */
	unsigned long mprotects;	/* mprotect calls made while patching */
	unsigned long recursion_misses; /* calls not traced because a callback was running */
	unsigned long ops_registered;
	unsigned long nop_runs_converted;	 /* GCC 1-byte NOP runs made one NOP5 */
	unsigned long objects_converted_at_load; /* ... of those, objects done as they were
						    mapped (rtld-audit module) */
	unsigned long nop_runs_refused;		 /* runs left alone (loaded while threads ran, no
						    audit module): those functions are not traceable */
	unsigned long metadata_bytes;		 /* site records and their names */
};

/* Fill @st with the runtime's counters. */
FTRACE_RT_API int ftrace_rt_get_stats(struct ftrace_rt_stats *st);

struct ftrace_rt_site_info {
	const char *module;   /* the object's file name */
	const char *function; /* symbol name, or sub_<address> without one */
	unsigned long ip;     /* entry address */
	unsigned long flags;  /* FTRACE_RT_SITE_* */
};

#define FTRACE_RT_SITE_ENABLED (1UL << 0) /* calls the trampoline now */
#define FTRACE_RT_SITE_SLOT    (1UL << 1) /* ops found through the slot (else by lookup) */

/*
 * Call @cb for every traceable function whose name matches @patterns (all
 * when NULL or empty), like the kernel's available_filter_functions. Stops
 * when @cb returns non-zero and returns that value. @cb must not call this
 * API (-EDEADLK). -EINVAL for a malformed pattern.
 */
FTRACE_RT_API int
ftrace_rt_for_each_site(const char *patterns,
			int (*cb)(const struct ftrace_rt_site_info *site, void *arg), void *arg);

/*
 * Graph ops: the kernel's fgraph_ops shape. entryfunc runs at a function's
 * entry (where gops->ops's filter selects it) and decides, by returning
 * non-zero, that retfunc runs when that call ends; calls it declines cost no
 * return hook. Set filters with ftrace_rt_set_filter(&gops->ops, ...) (and
 * notrace, filter_ip); ops.flags may say FTRACE_RT_OPS_F_NO_VECTOR for both
 * callbacks. The other fields of ops belong to the runtime while registered.
 */
struct ftrace_rt_fgraph_ops;

struct ftrace_rt_graph_ent {
	unsigned long func; /* entry address of the function */
	unsigned int depth; /* calls of this thread with a hooked return open below it */
};

struct ftrace_rt_graph_ret {
	unsigned long func;
	unsigned long retval;	     /* the integer return register (rax), see flags */
	unsigned long long calltime; /* ns, CLOCK_MONOTONIC */
	unsigned long long rettime;  /* ns, CLOCK_MONOTONIC: rettime - calltime is the duration */
	unsigned int depth;
	unsigned int flags; /* FTRACE_RT_GRAPH_RET_* */
};

/*
 * The call did not return normally (longjmp, an exception, setcontext,
 * thread or process exit): retval is 0 and rettime is when the runtime
 * found the frame gone.
 */
#define FTRACE_RT_GRAPH_RET_UNWOUND (1U << 0)

typedef int (*ftrace_rt_graph_entry_t)(struct ftrace_rt_graph_ent *ent,
				       struct ftrace_rt_fgraph_ops *gops,
				       struct ftrace_rt_regs *regs);
typedef void (*ftrace_rt_graph_return_t)(struct ftrace_rt_graph_ret *ret,
					 struct ftrace_rt_fgraph_ops *gops);

struct ftrace_rt_fgraph_ops {
	ftrace_rt_graph_entry_t entryfunc; /* required */
	ftrace_rt_graph_return_t retfunc;  /* NULL: no call is hooked */
	struct ftrace_rt_ops ops;	   /* filters and flags; func and priv are the runtime's */
	void *priv;			   /* for the caller */
};

/* At most this many graph ops are registered at once (-EBUSY beyond). */
#define FTRACE_RT_GRAPH_OPS_MAX 16

/*
 * Register @gops. -EINVAL without entryfunc, -EBUSY if registered or all
 * slots are taken, and what ftrace_rt_register_ops returns.
 */
FTRACE_RT_API int ftrace_rt_register_graph(struct ftrace_rt_fgraph_ops *gops);
/*
 * On return neither callback of @gops is running or will start, also for
 * calls still open (their return is not reported): @gops may be freed.
 */
FTRACE_RT_API int ftrace_rt_unregister_graph(struct ftrace_rt_fgraph_ops *gops);

#ifdef __cplusplus
}
#endif

#endif /* FTRACE_RT_FTRACE_RT_H */
