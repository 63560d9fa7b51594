// SPDX-License-Identifier: MIT
/*
 * The LD_PRELOAD shim: start-up and exit, and the dynamic loader hooks that
 * keep the site table in step with dlopen/dlclose. The same library serves a
 * program that links it for the API; everything here only calls into lib/.
 */
#include <dlfcn.h>

#include "hooks.h"

__attribute__((constructor)) static void ftrace_rt_ctor(void)
{
	frt_runtime_start();
}

__attribute__((destructor)) static void ftrace_rt_dtor(void)
{
	frt_runtime_stop();
}

__attribute__((visibility("default"))) void *dlopen(const char *file, int mode)
{
	return frt_hook_dlopen(file, mode, __builtin_return_address(0));
}

__attribute__((visibility("default"))) int dlclose(void *handle)
{
	return frt_hook_dlclose(handle);
}
