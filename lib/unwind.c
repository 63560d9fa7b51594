// SPDX-License-Identifier: MIT
/*
 * function_graph and the unwinder. A hooked frame's return address is the
 * return hook, where an unwinder finds no caller: before an exception
 * unwinds the stack, the real return addresses go back in place; when a
 * catch block starts, frames below it are gone and the live ones are hooked
 * again. Also before pthread_exit unwinds the thread, and before exec
 * replaces the image (the recorded data is written first).
 */
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

		frt_in_callback = 1;
		frt_fgraph_rehook_live(t, cfa);
		frt_in_callback = nested;
	}
}

void frt_before_exec(void)
{
	if (!frt_recording_on)
		return;
	frt_in_callback++;
	frt_threads_flush_all(true);
	frt_output_finish();
	frt_in_callback--;
}
