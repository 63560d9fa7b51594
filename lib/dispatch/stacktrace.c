// SPDX-License-Identifier: MIT
/*
 * The stacktrace trigger's walk (stacktrace.h). Built gpr-only: it runs in
 * function_graph's entry callback.
 *
 * Why the walk never faults, whatever the program's frames are:
 *  - Frame #0 is the function's entry address and #1 its return address,
 *    both read from the trampoline's register frame (or the return slot
 *    at the entry's stack pointer: live stack).
 *  - Every other word is read through the kernel (frt_mem_read: the
 *    runtime's process_vm_readv, or where that is missing a pipe): an
 *    unmapped or guard page gives EFAULT and ends the walk, never a signal.
 *    That holds for a frame pointer left with any value by code built
 *    without frame pointers, for a signal frame, for a frame on another
 *    stack (a sigaltstack handler's interrupted stack, a coroutine) and for
 *    a stack freed meanwhile.
 *  - A frame is followed only if its frame pointer is 8-aligned and above
 *    the one before (the first: at or above the entry's stack pointer; within
 *    8 MiB of the one before, 64 MiB of the entry): the walk
 *    ends, and it goes one way. A return address is written only if it lies
 *    in the code of a loaded object (its first loadable segment to the end
 *    of its last executable one): a word that is not a return address ends
 *    the walk rather than becoming a frame.
 * What it cannot do: a function built without frame pointers keeps no
 * record, so its caller is missed (the walk goes on from the next record
 * found), or the walk stops there. Build with -fno-omit-frame-pointer for
 * complete stacks, as for perf's or the kernel's frame-pointer unwinders.
 *
 * Return addresses that function_graph replaced by its hook are given back
 * from the shadow stack: the frame whose key is the nearest one at or above
 * the slot the hook was read from owns it (the key is that slot where a call
 * pushes the return address; the frame's entry sp, above its record, where
 * the arch keeps it in a frame record).
 */
#include "stacktrace.h"
#include "graph.h"
#include "init.h"
#include "objects.h"
#include "record.h"
#include "regs.h"

uintptr_t frt_stk_pcs[FRT_STK_SLOTS];
int frt_stk_full;

#define FRAME_SPAN (8UL << 20)
#define WALK_SPAN  (64UL << 20)

/* The slot of @pc in the table, added if new; FRT_STK_FULL when it is full. */
static unsigned int intern(uintptr_t pc)
{
	unsigned int h =
		(unsigned int)(((uint64_t)pc * 0x9e3779b97f4a7c15ULL) >> 40) % FRT_STK_SLOTS;

	for (unsigned int n = 0; n < FRT_STK_SLOTS; n++, h = (h + 1) % FRT_STK_SLOTS) {
		uintptr_t v = __atomic_load_n(&frt_stk_pcs[h], __ATOMIC_ACQUIRE);

		if (v == pc)
			return h;
		if (!v) {
			if (__atomic_compare_exchange_n(&frt_stk_pcs[h], &v, pc, false,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ||
			    v == pc)
				return h;
		}
	}
	__atomic_store_n(&frt_stk_full, 1, __ATOMIC_RELAXED);
	return FRT_STK_FULL;
}

/* Is @pc in the code of a loaded object? (inside the read-side section) */
static bool is_code(uintptr_t pc)
{
	struct frt_object *o;

	cds_list_for_each_entry_rcu (o, &frt_objects, node)
		if (pc >= o->map_start && pc < o->map_end)
			return true;
	/* not an object the runtime lists (libc, its own dependencies): the loader's table */
	return frt_tramps.vsave_call((void *)frt_pc_is_code, pc, 0, 0, 0) != 0;
}

/* The real return address of the hooked frame whose return word is at @at. */
static uintptr_t unhook(const struct frt_thread *t, unsigned int below, uintptr_t at)
{
	uintptr_t best = 0, ret = 0;

	for (unsigned int i = 0; i < below && i < t->depth; i++) {
		const struct frt_shadow *s = &t->shadow[i];

		/* the lowest index at a key: the others are tail calls returning through it */
		if (s->loc >= at && s->loc - at < FRAME_SPAN && (!best || s->loc < best)) {
			best = s->loc;
			ret = s->ret;
		}
	}
	return ret == frt_tramps.ret ? 0 : ret;
}

unsigned int frt_stack_dump(struct frt_thread *t, uintptr_t ip, uintptr_t ret, uintptr_t fp,
			    uintptr_t sp, unsigned int below, unsigned int depth, uint64_t now)
{
	uint32_t pid = (uint32_t)t->pid;
	/* the caller's record may lie at the entry's sp itself (a prologue that
	 * stores the record at the bottom of the frame) */
	uintptr_t pc = ret, prev = sp - 1, w[2];
	unsigned int n = 0;

	frt_rec_put(t, FRT_REC_EVENT, depth, frt_stk_id(pid, intern(ip | FRT_STK_ENTRY)), now);
	n++;
	if (ret == frt_tramps.ret)
		pc = unhook(t, below, sp);
	while (pc && n < FRT_STK_FRAMES) {
		frt_rec_put(t, FRT_REC_EVENT, depth, frt_stk_id(pid, intern(pc)), now);
		n++;
		/* the next record: above the last one, on the same stack, readable */
		if (!fp || (fp & 7) || fp <= prev || fp - prev > FRAME_SPAN ||
		    fp - sp > WALK_SPAN || !frt_mem_read(w, fp + ARCH_FRAME_RECORD, sizeof(w)))
			break;
		pc = ret_strip(w[1]);
		if (pc == frt_tramps.ret)
			pc = unhook(t, below, fp + ARCH_FRAME_RECORD + sizeof(uintptr_t));
		if (!is_code(pc))
			break;
		prev = fp;
		fp = w[0];
	}
	return n;
}
