# SPDX-License-Identifier: MIT
"""gdb: show the real caller of frames that function_graph hooked.

A hooked function's return address is the return hook (frt_rethook_*); the
real one is on the thread's shadow stack, found from the thread pointer, which
no CFI can reach. An in-process unwinder gets the real addresses put back
before it walks (lib/trace/unwind.c); gdb reads the stack from outside, so this
unwinder looks the address up in the shadow stack instead.

    (gdb) source scripts/ftrace_rt-gdb.py

Needs the runtime's debug information (frt_self, struct frt_thread).
"""
import gdb
from gdb.unwinder import Unwinder, register_unwinder

CALLEE_SAVED = ("rbx", "rbp", "r12", "r13", "r14", "r15")


class _FrameId:
    def __init__(self, sp, pc):
        self.sp = sp
        self.pc = pc


def _hook_address():
    try:
        return int(gdb.parse_and_eval("frt_tramps.ret"))
    except gdb.error:
        return None


def _real_return(slot, hook):
    """The real return address hijacked from @slot, or None."""
    try:
        t = gdb.parse_and_eval("frt_self")
        if int(t) == 0:
            return None
        t = t.dereference()
        depth = int(t["depth"])
        # a tail call leaves two entries with one slot, the newer returning
        # into the hook again: the older one holds the caller
        for i in reversed(range(depth)):
            e = t["shadow"][i]
            if int(e["loc"]) == slot and int(e["ret"]) != hook:
                return int(e["ret"])
        grave = t["graveyard"]
        n = grave.type.range()[1] + 1
        for k in range(n):
            e = grave[(int(t["grave_pos"]) - 1 - k) % n]
            if int(e["loc"]) == slot and int(e["ret"]):
                return int(e["ret"])
    except gdb.error:
        return None
    return None


class RethookUnwinder(Unwinder):
    """A frame whose pc is the return hook: its caller is the real return address."""

    def __init__(self):
        super().__init__("ftrace_rt rethook")

    def __call__(self, pending):
        pc = int(pending.read_register("rip"))
        hook = _hook_address()
        if hook is None or pc != hook:
            return None
        sp = int(pending.read_register("rsp"))
        ret = _real_return(sp - 8, hook)
        if ret is None:
            return None
        info = pending.create_unwind_info(
            _FrameId(pending.read_register("rsp"), pending.read_register("rip")))
        # the hook runs as if the hooked function had just returned: the
        # caller's registers are this frame's, with the real return address
        info.add_saved_register("rip", gdb.Value(ret).cast(pending.read_register("rip").type))
        info.add_saved_register("rsp", pending.read_register("rsp"))
        for r in CALLEE_SAVED:
            info.add_saved_register(r, pending.read_register(r))
        return info


register_unwinder(None, RethookUnwinder(), replace=True)
