/* SPDX-License-Identifier: MIT */
/* lib/core/maps.c: stream /proc/self/maps without allocating. */
#ifndef FRT_MAPS_H
#define FRT_MAPS_H

#include <stdint.h>

#include "compiler.h"

struct frt_map {
	uintptr_t start, end;
	int prot;
	const char *path; /* valid during the callback only */
};
int frt_maps_foreach(int (*cb)(const struct frt_map *m, void *arg), void *arg) FRT_HIDDEN;

#endif
