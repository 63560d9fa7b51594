// SPDX-License-Identifier: MIT
/*
 * function_graph and the unwinder. A hooked frame's return address is the
 * return hook, where an unwinder finds no caller: before an exception
 * unwinds the stack, the real return addresses go back in place; when a
 * catch block starts, frames below it are gone and the live ones are hooked
 * again. Also before pthread_exit unwinds the thread, and before exec
 * replaces the image (the recorded data is written first).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "trace.h"
#include "unwind.h"

void frt_before_unwind(void)
{
	struct frt_thread *t = frt_self;

	if (t && t->depth)
		frt_fgraph_unhook_all(t);
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
	frt_in_callback |= 1;
	frt_threads_flush_all(true);
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
