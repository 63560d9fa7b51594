/* SPDX-License-Identifier: MIT */
/*
 * Tracing the executable's library calls (libcall.c): its PLT slots are
 * pointed at stubs that enter the trampoline as a traced function does, so
 * the running tracer records malloc(), getpid()... as uftrace does, named
 * NAME@plt in the data's symbol file. Set before a tracer is armed.
 */
#ifndef FRT_LIBCALL_H
#define FRT_LIBCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ftrace_rt/ftrace_rt.h>

extern bool frt_libcall_wanted __attribute__((visibility("hidden")));

/*
 * Trace library calls into @target (the tracer's registered ops): 0, or a
 * negative errno with a message in @msg; tracing of the rest goes on.
 */
int frt_libcall_attach(struct ftrace_rt_ops *target, char *msg, size_t msglen)
	__attribute__((visibility("hidden")));
/* Stop, before @target is unregistered (its grace period covers the stubs). */
void frt_libcall_detach(void) __attribute__((visibility("hidden")));
/* The function whose PLT entry is @ip ("malloc"), or NULL: for the profile's names. */
const char *frt_libcall_name(uintptr_t ip) __attribute__((visibility("hidden")));
/* How many PLT slots are traced now. */
unsigned long frt_libcall_count(void) __attribute__((visibility("hidden")));

#endif
