// SPDX-License-Identifier: MIT
/* A library whose constructor forks (see lc_forkrace.c). */
#include <dlfcn.h>

__attribute__((constructor)) static void ctor(void)
{
	void (*f)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "forkrace_in_ctor");

	if (f)
		f();
}
