// SPDX-License-Identifier: MIT
/*
 * The LD_PRELOAD shim: start-up and exit, and the hooks that must be
 * exported symbols: the dynamic loader's dlopen/dlclose (keep the site table
 * in step), exec (write the data before the image goes), and the unwinder
 * entry points and what every unwinder calls first (function_graph's hooked
 * return addresses must not be seen by an unwinder, see lib/trace/unwind.c),
 * and the context switches (which stacks the program uses, see
 * lib/trace/fgraph.c). The same library serves programs that link it for the
 * API; everything here only calls into lib/.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "hooks.h"
#include "unwind.h"

#define EXPORT __attribute__((visibility("default")))
/* the next definition of @name: libc's, libgcc_s's, libstdc++'s */
#define REAL(ret, name, args)          \
	static ret(*real_##name) args; \
	if (!real_##name)              \
	*(void **)&real_##name = dlsym(RTLD_NEXT, #name)

/*
 * exec runs in vfork children, where the hooks must not call dlsym: it takes
 * the loader's lock, which another thread of the parent may hold. Natively
 * the child shares memory and that thread releases it; under qemu-user a
 * vfork is a fork (a copy), glibc's fork-child resets do not run, and the
 * child would wait forever. So the real functions are looked up here, in
 * the constructor, and only an exec from an earlier constructor looks up.
 */
static int (*real_execve)(const char *, char *const[], char *const[]);
static int (*real_execvpe)(const char *, char *const[], char *const[]);
static int (*real_fexecve)(int, char *const[], char *const[]);

static void resolve_exec(void)
{
	*(void **)&real_execve = dlsym(RTLD_NEXT, "execve");
	*(void **)&real_execvpe = dlsym(RTLD_NEXT, "execvpe");
	*(void **)&real_fexecve = dlsym(RTLD_NEXT, "fexecve");
}

__attribute__((constructor)) static void ftrace_rt_ctor(void)
{
	resolve_exec();
	frt_runtime_start();
}

__attribute__((destructor)) static void ftrace_rt_dtor(void)
{
	frt_runtime_stop();
}

EXPORT void *dlopen(const char *file, int mode)
{
	return frt_hook_dlopen(file, mode, __builtin_return_address(0));
}

EXPORT int dlclose(void *handle)
{
	return frt_hook_dlclose(handle);
}

/* a program changing its own text's protection while a transaction runs (lib/core/text.c) */
EXPORT int mprotect(void *addr, size_t len, int prot)
{
	return frt_hook_mprotect(addr, len, prot);
}

/*
 * exec: the data recorded so far is written before the image is replaced,
 * and the new image learns when this one stopped (see lib/trace/output.c). Every
 * form goes through the one with an explicit environment.
 */
extern char **environ;

#define NEW_ENV(envp, newenv)                                         \
	char ns_[32], var_[64];                                       \
	size_t n_ = 0;                                                \
	frt_before_exec(ns_, sizeof(ns_));                            \
	while ((envp) && (envp)[n_])                                  \
		n_++;                                                 \
	char **newenv = frt_exec_env((envp), ns_, var_, sizeof(var_), \
				     __builtin_alloca((n_ + 2) * sizeof(char *)))

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	if (!real_execve)
		resolve_exec();
	NEW_ENV(envp, env);
	return real_execve(path, argv, env);
}

EXPORT int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	if (!real_execvpe)
		resolve_exec();
	NEW_ENV(envp, env);
	return real_execvpe(file, argv, env);
}

EXPORT int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	if (!real_fexecve)
		resolve_exec();
	NEW_ENV(envp, env);
	return real_fexecve(fd, argv, env);
}

/* the execl family: collect the arguments (and for execle the environment) */
static char **collect_args(const char *arg0, va_list ap, char **argv, size_t max, char ***envp)
{
	size_t n = 0;

	argv[n++] = (char *)arg0;
	while (n < max && (argv[n] = va_arg(ap, char *)))
		n++;
	if (n == max)
		return NULL;
	if (envp)
		*envp = va_arg(ap, char **);
	return argv;
}

#define MAX_ARGS 8192

EXPORT int execl(const char *path, const char *arg, ...)
{
	char **argv = __builtin_alloca(MAX_ARGS * sizeof(char *));
	va_list ap;

	va_start(ap, arg);
	argv = collect_args(arg, ap, argv, MAX_ARGS, NULL);
	va_end(ap);
	return argv ? execv(path, argv) : (errno = E2BIG, -1);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	char **argv = __builtin_alloca(MAX_ARGS * sizeof(char *));
	va_list ap;

	va_start(ap, arg);
	argv = collect_args(arg, ap, argv, MAX_ARGS, NULL);
	va_end(ap);
	return argv ? execvp(file, argv) : (errno = E2BIG, -1);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	char **argv = __builtin_alloca(MAX_ARGS * sizeof(char *)), **envp = NULL;
	va_list ap;

	va_start(ap, arg);
	argv = collect_args(arg, ap, argv, MAX_ARGS, &envp);
	va_end(ap);
	return argv ? execve(path, argv, envp) : (errno = E2BIG, -1);
}

/*
 * Signal dispositions: a fatal signal left at its default writes the trace
 * before the process dies, invisibly to the program (lib/trace/fatal.c).
 */
EXPORT FRT_NO_TSAN int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	return frt_hook_sigaction(sig, act, old);
}

EXPORT FRT_NO_TSAN int __sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	return frt_hook_sigaction(sig, act, old);
}

EXPORT FRT_NO_TSAN __sighandler_t signal(int sig, __sighandler_t h)
{
	return frt_hook_signal(sig, h, false);
}

EXPORT FRT_NO_TSAN __sighandler_t bsd_signal(int sig, __sighandler_t h)
{
	return frt_hook_signal(sig, h, false);
}

EXPORT FRT_NO_TSAN __sighandler_t ssignal(int sig, __sighandler_t h)
{
	return frt_hook_signal(sig, h, false);
}

EXPORT FRT_NO_TSAN __sighandler_t sysv_signal(int sig, __sighandler_t h)
{
	return frt_hook_signal(sig, h, true);
}

EXPORT FRT_NO_TSAN __sighandler_t __sysv_signal(int sig, __sighandler_t h)
{
	return frt_hook_signal(sig, h, true);
}

EXPORT FRT_NO_TSAN __sighandler_t sigset(int sig, __sighandler_t h)
{
	return frt_hook_sigset(sig, h);
}

/* _exit skips exit handlers, ours too: write the trace first. */
EXPORT FRT_NO_TSAN void _exit(int status)
{
	frt_hook_exit(status);
	/* what libc's _exit does; no dlsym here (a signal handler, a vfork child) */
	for (;;)
		syscall(SYS_exit_group, status);
}

EXPORT FRT_NO_TSAN void _Exit(int status)
{
	_exit(status);
}

/* the unwinder (libgcc_s, libstdc++) */

struct _Unwind_Exception;
struct _Unwind_Context;
typedef int _Unwind_Reason_Code_; /* unwind.h is the compiler's, not needed here */

EXPORT int _Unwind_RaiseException(struct _Unwind_Exception *e)
{
	REAL(int, _Unwind_RaiseException, (struct _Unwind_Exception *));
	frt_before_unwind();
	return real__Unwind_RaiseException ? real__Unwind_RaiseException(e) : 3 /* FATAL_PHASE1 */;
}

EXPORT int _Unwind_Resume_or_Rethrow(struct _Unwind_Exception *e)
{
	REAL(int, _Unwind_Resume_or_Rethrow, (struct _Unwind_Exception *));
	frt_before_unwind();
	return real__Unwind_Resume_or_Rethrow ? real__Unwind_Resume_or_Rethrow(e) : 3;
}

EXPORT void _Unwind_Resume(struct _Unwind_Exception *e)
{
	REAL(void, _Unwind_Resume, (struct _Unwind_Exception *));
	frt_before_unwind();
	real__Unwind_Resume(e);
	__builtin_unreachable();
}

EXPORT void *__cxa_begin_catch(void *e)
{
	REAL(void *, __cxa_begin_catch, (void *));
	void *r = real___cxa_begin_catch(e);

	/* the catching frame's stack pointer: frames below it are gone */
	frt_after_catch((uintptr_t)__builtin_dwarf_cfa());
	return r;
}

EXPORT _Unwind_Reason_Code_ _Unwind_ForcedUnwind(struct _Unwind_Exception *e, void *stop, void *arg)
{
	REAL(_Unwind_Reason_Code_, _Unwind_ForcedUnwind,
	     (struct _Unwind_Exception *, void *, void *));
	frt_before_unwind();
	return real__Unwind_ForcedUnwind ? real__Unwind_ForcedUnwind(e, stop, arg) : 3;
}

/*
 * What any unwinder calls before it reads a return address (lib/trace/unwind.c):
 * glibc's own calls into libgcc_s (thread cancellation) come through here.
 * A sanitizer runtime calls them while it starts, before it can follow any
 * instrumented code: nothing is done (or instrumented) for a thread the
 * runtime has never seen.
 */
#define NO_SANITIZE __attribute__((no_sanitize("address", "thread", "undefined")))

NO_SANITIZE EXPORT int _dl_find_object(void *pc, struct dl_find_object *result)
{
	REAL(int, _dl_find_object, (void *, struct dl_find_object *));
	if (frt_self)
		frt_before_walk();
	return real__dl_find_object ? real__dl_find_object(pc, result) : -1;
}

NO_SANITIZE EXPORT int dl_iterate_phdr(int (*fn)(struct dl_phdr_info *, size_t, void *), void *arg)
{
	REAL(int, dl_iterate_phdr, (int (*)(struct dl_phdr_info *, size_t, void *), void *));
	if (frt_self)
		frt_before_walk();
	return real_dl_iterate_phdr ? real_dl_iterate_phdr(fn, arg) : 0;
}

/* this library's code, where the wrappers below must not show as a frame */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));

static bool own_code(uintptr_t pc)
{
	uintptr_t base = (uintptr_t)__ehdr_start;
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)base;
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)(base + eh->e_phoff);

	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X) &&
		    pc - (base + ph[i].p_vaddr) < ph[i].p_memsz)
			return true;
	}
	return false;
}

/*
 * backtrace() and _Unwind_Backtrace unwind nothing: the frames are hooked
 * again afterwards, so they keep their exits. The wrapper's own frame is left
 * out of what the caller sees.
 */
EXPORT int backtrace(void **buf, int size)
{
	REAL(int, backtrace, (void **, int));
	bool rehook;
	void **all;
	int n;

	if (!real_backtrace)
		return 0;
	if (size <= 0)
		return real_backtrace(buf, size);
	rehook = frt_walk_begin();
	/* one more frame than asked for, this one, skipped below */
	all = size < 4096 ? __builtin_alloca((size + 1) * sizeof(void *)) : buf;
	n = real_backtrace(all, all == buf ? size : size + 1);
	frt_walk_end(rehook);
	if (n > 0 && own_code((uintptr_t)all[0])) {
		memmove(buf, all + 1, --n * sizeof(void *));
	} else if (all != buf) {
		n = n > size ? size : n;
		memcpy(buf, all, n * sizeof(void *));
	}
	return n;
}

struct trace_shim {
	_Unwind_Reason_Code_ (*fn)(struct _Unwind_Context *, void *);
	void *arg;
	uintptr_t (*get_ip)(struct _Unwind_Context *);
};

static _Unwind_Reason_Code_ trace_shim(struct _Unwind_Context *ctx, void *arg)
{
	struct trace_shim *s = arg;

	if (s->get_ip && own_code(s->get_ip(ctx) - 1))
		return 0; /* _URC_NO_REASON: this wrapper's frame, not the program's */
	return s->fn(ctx, s->arg);
}

EXPORT _Unwind_Reason_Code_ _Unwind_Backtrace(_Unwind_Reason_Code_ (*fn)(struct _Unwind_Context *,
									 void *),
					      void *arg)
{
	REAL(_Unwind_Reason_Code_, _Unwind_Backtrace,
	     (_Unwind_Reason_Code_(*)(struct _Unwind_Context *, void *), void *));
	REAL(uintptr_t, _Unwind_GetIP, (struct _Unwind_Context *));
	struct trace_shim s = {fn, arg, real__Unwind_GetIP};
	_Unwind_Reason_Code_ r;
	bool rehook;

	if (!real__Unwind_Backtrace)
		return 5; /* _URC_END_OF_STACK */
	rehook = frt_walk_begin();
	r = real__Unwind_Backtrace(trace_shim, &s);
	frt_walk_end(rehook);
	return r;
}

/* context switches: the stack a made context runs on (lib/trace/fgraph.c) */
EXPORT int swapcontext(ucontext_t *oucp, const ucontext_t *ucp)
{
	REAL(int, swapcontext, (ucontext_t *, const ucontext_t *));
	frt_before_switch(ucp);
	return real_swapcontext(oucp, ucp);
}

EXPORT int setcontext(const ucontext_t *ucp)
{
	REAL(int, setcontext, (const ucontext_t *));
	frt_before_switch(ucp);
	return real_setcontext(ucp);
}

EXPORT void pthread_exit(void *ret)
{
	REAL(void, pthread_exit, (void *));
	frt_before_unwind();
	real_pthread_exit(ret);
	__builtin_unreachable();
}
