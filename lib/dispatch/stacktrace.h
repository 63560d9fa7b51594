/* SPDX-License-Identifier: MIT */
/*
 * The stacktrace trigger (the kernel's `stacktrace`, uftrace's `backtrace`):
 * the call stack at a function's entry, written into the thread's data as
 * uftrace user events, one per frame, innermost first. An event's id names
 * its frame's address through a process-wide table the hot path fills;
 * lib/trace writes the names into the data directory's events.txt
 * ("EVENT: ID stacktrace:main+0x2a"), and uftrace's replay shows each frame
 * as a comment line at the call, as it shows any user event.
 */
#ifndef FRT_STACKTRACE_H
#define FRT_STACKTRACE_H

#include <stdint.h>
#include <sys/types.h>

#include "compiler.h"
#include "thread.h"

/*
 * Ids: uftrace's first user event id, then 1023 per process id, so that
 * every process writing into one data directory (forked children, exec'd
 * images) has ids of its own: 10^6 + 1023 * (2^22 - 1) + 1022 < 2^32
 * (uftrace reads an event id as a 32-bit unsigned; 2^22 is Linux's
 * largest pid). Slot FRT_STK_FULL stands for frames past a full table.
 */
#define FRT_EVENT_ID_USER 1000000U
#define FRT_STK_IDS	  1023U
#define FRT_STK_SLOTS	  (FRT_STK_IDS - 1)
#define FRT_STK_FULL	  FRT_STK_SLOTS
#define FRT_STK_FRAMES	  64 /* frames of one dump, at most */
/* a slot an earlier image of this process (before its exec) named: never a frame's */
#define FRT_STK_TAKEN ((uintptr_t)1)
/* a table value marked as a function's entry (frame #0), not a return address */
#define FRT_STK_ENTRY (1ULL << 62)

/* the frames' addresses by slot (0: free), filled with compare-and-swap */
extern uintptr_t frt_stk_pcs[FRT_STK_SLOTS] FRT_HIDDEN;
extern int frt_stk_full FRT_HIDDEN; /* some frame found the table full */

static inline uint32_t frt_stk_id(pid_t pid, unsigned int slot)
{
	return FRT_EVENT_ID_USER + (uint32_t)pid * FRT_STK_IDS + slot;
}

/*
 * Write the stack of the call of @ip being entered on thread @t: @ip itself,
 * then its return address @ret (the real one: a hook's is looked up), then
 * the callers found by following frame records from @fp, the frame pointer
 * at the entry, with @sp the entry's stack pointer; shadow entries below
 * index @below are the hooked frames the walk may meet. Events at @depth.
 * Returns the frames written.
 */
unsigned int frt_stack_dump(struct frt_thread *t, uintptr_t ip, uintptr_t ret, uintptr_t fp,
			    uintptr_t sp, unsigned int below, unsigned int depth,
			    uint64_t now) FRT_HIDDEN;

#endif
