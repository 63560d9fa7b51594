/* SPDX-License-Identifier: MIT */
#ifndef FRT_UNWIND_H
#define FRT_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

struct frt_thread;
/* the calling thread's state (lib/dispatch/thread.h), NULL before its first traced call */
extern __thread struct frt_thread *frt_self
	__attribute__((visibility("hidden"), tls_model("initial-exec")));

void frt_before_unwind(void) __attribute__((visibility("hidden")));
void frt_after_catch(uintptr_t cfa) __attribute__((visibility("hidden")));
void frt_before_walk(void) __attribute__((visibility("hidden")));
bool frt_walk_begin(void) __attribute__((visibility("hidden")));
void frt_walk_end(bool rehook) __attribute__((visibility("hidden")));
void frt_before_switch(const ucontext_t *ucp) __attribute__((visibility("hidden")));
void frt_before_exec(char *buf, size_t len) __attribute__((visibility("hidden")));
/* @envp for the new image, in @out (room for every entry plus two). */
char **frt_exec_env(char *const envp[], const char *exec_ns, char *var, size_t varlen, char **out)
	__attribute__((visibility("hidden")));

#endif
