// SPDX-License-Identifier: MIT
/* libFuzzer: environment values (sizes, tracer names, patterns). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frt_patterns p = {0};
	char err[256], *s = malloc(size + 1);
	size_t v;

	memcpy(s, data, size);
	s[size] = 0;
	if (!frt_parse_size(s, &v) && size && s[0] >= '0' && s[0] <= '9') {
		/* a value that parses is digits, an optional unit and nothing else */
		if (strspn(s, "0123456789KkMmGgiBb") != strlen(s))
			abort();
	}
	frt_patterns_parse(s, &p, err, sizeof(err));
	frt_patterns_free(&p);
	free(s);
	return 0;
}
