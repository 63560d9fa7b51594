// SPDX-License-Identifier: MIT
/*
 * C++ names for people: the runtime and the data keep the mangled symbol
 * names (they are what patterns and uftrace match); the tools show them
 * demangled. libstdc++'s demangler is loaded on first use, so the tool does
 * not depend on it; without it names stay as they are.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

int tool_demangle_on = 1;

typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);

static demangle_fn demangler(void)
{
	static demangle_fn fn;
	static int tried;

	if (!tried) {
		void *h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);

		tried = 1;
		if (h)
			fn = (demangle_fn)dlsym(h, "__cxa_demangle");
	}
	return fn;
}

char *tool_demangle(const char *name)
{
	demangle_fn fn;
	char *out;
	int status;

	/* only Itanium C++ ABI names: _Z... (a C name is never demangled) */
	if (!tool_demangle_on || strncmp(name, "_Z", 2) || !(fn = demangler()))
		return strdup(name);
	out = fn(name, NULL, NULL, &status);
	if (status || !out) {
		free(out);
		return strdup(name);
	}
	return out;
}
