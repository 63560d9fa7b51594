/* SPDX-License-Identifier: MIT */
#ifndef FRT_UNWIND_H
#define FRT_UNWIND_H

#include <stdint.h>

void frt_before_unwind(void) __attribute__((visibility("hidden")));
void frt_after_catch(uintptr_t cfa) __attribute__((visibility("hidden")));
void frt_before_exec(void) __attribute__((visibility("hidden")));

#endif
