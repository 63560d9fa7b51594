/* SPDX-License-Identifier: MIT */
/* Attributes every layer uses: hidden symbols, initial-exec TLS, branch hints. */
#ifndef FRT_COMPILER_H
#define FRT_COMPILER_H

#define FRT_HIDDEN  __attribute__((visibility("hidden")))
#define FRT_TLS	    __attribute__((tls_model("initial-exec")))

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#endif
