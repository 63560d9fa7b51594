/* SPDX-License-Identifier: MIT */
/*
 * A small Itanium C++ ABI demangler giving the "simple" form used to match
 * filter patterns: the qualified name without any parameter list
 * (_ZN8Registry3getEi -> Registry::get). It never allocates (fixed buffers
 * on the stack), so the runtime can call it in any state; its time and memory
 * are bounded by the input length and FRT_DEMANGLE_MAX.
 */
#ifndef FRT_DEMANGLE_H
#define FRT_DEMANGLE_H

#include <stdbool.h>
#include <stddef.h>

#define FRT_DEMANGLE_MAX 1024 /* longest simple name produced */

/*
 * Write the simple demangled form of @mangled into @out (@outlen bytes).
 * Returns false, leaving @out untouched, if @mangled is not a _Z name this
 * demangler understands or the result does not fit.
 */
bool frt_demangle_simple(const char *mangled, char *out, size_t outlen);

#endif
