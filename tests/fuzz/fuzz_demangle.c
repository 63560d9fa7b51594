// SPDX-License-Identifier: MIT
/* libFuzzer: the C++ demangler (any input: no crash, bounded output). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "demangle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[FRT_DEMANGLE_MAX + 1], small[16], *s = malloc(size + 3);

	/* as given, and with the _Z prefix that makes the demangler try */
	memcpy(s + 2, data, size);
	s[size + 2] = 0;
	s[0] = '_', s[1] = 'Z';
	if (frt_demangle_simple(s, out, sizeof(out)) && strlen(out) > FRT_DEMANGLE_MAX)
		abort();
	frt_demangle_simple(s + 2, out, sizeof(out));
	if (frt_demangle_simple(s, small, sizeof(small)) && strlen(small) >= sizeof(small))
		abort();
	free(s);
	return 0;
}
