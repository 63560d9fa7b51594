// SPDX-License-Identifier: MIT
/* libFuzzer: filter pattern parsing and glob matching. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"

static const char *const names[] = {"main", "fx_leaf", "_ZN3foo3barEv", "",
				    "a*b",  "[x]",     "st_m042"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct frt_patterns p = {0};
	char err[256], *s = malloc(size + 1);

	memcpy(s, data, size);
	s[size] = 0;
	if (!frt_patterns_parse(s, &p, err, sizeof(err))) {
		for (size_t i = 0; i < p.n; i++)
			for (size_t k = 0; k < sizeof(names) / sizeof(*names); k++)
				frt_pattern_match(&p.v[i], names[k], names[(k + 1) % 7], k & 1);
	}
	/* the input as a glob and as a subject */
	frt_glob_match(s, "st_m042_fx_leaf_main");
	frt_glob_match("*a*[b-d]?\\*", s);
	frt_patterns_free(&p);
	free(s);
	return 0;
}
