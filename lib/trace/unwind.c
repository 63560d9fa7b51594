// SPDX-License-Identifier: MIT
/*
 * function_graph and the unwinder. A hooked frame's return address is the
 * return hook, where an unwinder finds no caller: before an unwinder walks
 * this thread's stack, the real return addresses go back in place.
 *
 * When does a walk start? The C++ runtime calls the _Unwind_* entry points
 * through the PLT (interposed in preload/), but glibc reaches libgcc_s through
 * function pointers it got with dlsym (pthread_cancel's forced unwind,
 * backtrace()), and other unwinders (libunwind, a crash handler) have entry
 * points of their own. What every unwinder in the process must do, before it
 * reads a single return address, is find the unwind information of the code
 * it starts in: libgcc_s 12 (Debian 12) calls _dl_find_object through its PLT
 * (objdump -d libgcc_s.so.1: its only dynamic-loader import), older libgcc
 * and libunwind call dl_iterate_phdr. Both are interposed, so any in-process
 * walk of this thread puts the real return addresses back first
 * (frt_before_walk). Its end is not seen, so those frames stay unhooked and
 * return without the hook; the shadow stack's mismatch rules end their
 * entries later (lib/trace/fgraph.c). Where the end is seen the frames are hooked
 * again: after a catch (frt_after_catch), and around backtrace() and
 * _Unwind_Backtrace (frt_walk_begin/end), as uftrace does for backtrace().
 *
 * The other choice, a DWARF expression in the hook's CFI that finds the real
 * return address, cannot work here: the shadow stack is found from the thread
 * pointer, which libgcc's CFI interpreter cannot read (it knows registers
 * 0-16; DW_OP_breg58, fs.base, makes it abort), and nothing on the stack
 * leads to it. A debugger attached from outside therefore still stops at a
 * hooked frame whose slot holds the hook; in-process unwinders do not.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "guard.h"
#include "log.h"
#include "regs.h"
#include "trace.h"
#include "unwind.h"

/* an unwind that may leave frames (a throw, a thread's end): see frt_after_catch */
void frt_before_unwind(void)
{
	struct frt_thread *t = frt_self;

	if (t && t->depth)
		frt_fgraph_unhook_all(t, FRT_UNHOOKED_UNWIND);
}

/* some unwinder is about to read this thread's return addresses (see above) */
void frt_before_walk(void)
{
	struct frt_thread *t = frt_self;

	if (t && t->depth && !t->all_unhooked && !frt_api_refused_here())
		frt_fgraph_unhook_all(t, FRT_UNHOOKED_UNWIND);
}

/* A walk that unwinds nothing (backtrace()): true if the frames must be hooked again. */
bool frt_walk_begin(void)
{
	struct frt_thread *t = frt_self;

	if (!t || !t->depth || t->all_unhooked || t->dead)
		return false;
	frt_fgraph_unhook_all(t, FRT_UNHOOKED_WALK);
	return true;
}

void frt_walk_end(bool rehook)
{
	struct frt_thread *t = frt_self;

	if (rehook && t)
		frt_fgraph_rehook_walked(t);
}

/*
 * The program switches to @ucp (swapcontext, setcontext): a context made by
 * makecontext names its stack, and its stack pointer lies there. That stack
 * is then told apart from the others (see lib/trace/fgraph.c).
 */
void frt_before_switch(const ucontext_t *ucp)
{
	uintptr_t lo = (uintptr_t)ucp->uc_stack.ss_sp, size = ucp->uc_stack.ss_size;
	uintptr_t sp = arch_ucontext_sp(ucp);
	struct frt_thread *t = frt_self;

	if (t && !t->dead)
		frt_fgraph_leave_stack(t);
	if (size >= 4096 && size <= ((uintptr_t)1 << 32) && sp - lo <= size)
		frt_fgraph_declare_stack(lo, size);
}

void frt_after_catch(uintptr_t cfa)
{
	struct frt_thread *t = frt_self;

	if (t && t->depth && !t->dead) {
		int nested = frt_in_callback;

		frt_in_callback |= 1;
		frt_fgraph_rehook_live(t, cfa);
		frt_in_callback = nested;
	}
}

/*
 * Returns the value for FTRACE_RT_EXEC_NS in @buf (empty if not recording):
 * the new image's session must start after this one's last record.
 */
void frt_before_exec(char *buf, size_t len)
{
	int saved = frt_in_callback;

	buf[0] = 0;
	/*
	 * A vfork child shares the parent's memory and this thread's state:
	 * closing "its" frames would close the parent's. The parent keeps its
	 * data; the new image starts a session of its own.
	 */
	if (!frt_recording_on || !frt_recording_owned_here())
		return;
	/*
	 * Unlike exit(), exec closes this thread's open frames: the new image's
	 * records follow in the same file, and uftrace's readers would nest its
	 * main under the old frames and name them by the new image's symbols.
	 */
	frt_in_callback |= 1;
	frt_threads_flush_all(true, true);
	frt_output_stack_names();
	frt_output_finish();
	snprintf(buf, len, "%llu", (unsigned long long)frt_output_time(frt_clock_raw()) + 1);
	frt_in_callback = saved;
}

char **frt_exec_env(char *const envp[], const char *exec_ns, char *var, size_t varlen, char **out)
{
	static const char key[] = "FTRACE_RT_EXEC_NS=";
	size_t n = 0;
	bool session = false;

	for (size_t i = 0; envp && envp[i]; i++) {
		if (!strncmp(envp[i], key, sizeof(key) - 1))
			continue;
		if (!strncmp(envp[i], "FTRACE_RT_SESSION_DIR=", 22))
			session = true;
		out[n++] = envp[i];
	}
	if (session && exec_ns[0]) {
		snprintf(var, varlen, "%s%s", key, exec_ns);
		out[n++] = var;
	}
	out[n] = NULL;
	return out;
}
