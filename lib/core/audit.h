/* SPDX-License-Identifier: MIT */
/*
 * The interface between libftrace_rt.so and its rtld-audit module
 * libftrace_rt_audit.so (preload/audit.c), two libraries of one build. Not
 * part of the API; see lib/core/siteinit.c.
 */
#ifndef FRT_AUDIT_H
#define FRT_AUDIT_H

#include <stdint.h>

#define FRT_AUDIT_ABI 1
#define FRT_EXPORT    __attribute__((visibility("default")))

/* nonzero once the runtime can serve ftrace_rt_audit_objopen() */
extern FRT_EXPORT int ftrace_rt_audit_ready;
/* @path was just mapped at @bias, none of its code has run: rewrite its NOP runs */
FRT_EXPORT int ftrace_rt_audit_objopen(unsigned int abi, const char *path, uintptr_t bias);
/*
 * Threads that existed before the process ran any code but the dynamic
 * loader's (an emulator's own, such as qemu-user's RCU thread): filled by the
 * audit module when the runtime is mapped, before it is relocated. Zeros end it.
 */
#define FRT_AUDIT_FOREIGN 8
extern FRT_EXPORT int ftrace_rt_audit_foreign[FRT_AUDIT_FOREIGN];

#endif
