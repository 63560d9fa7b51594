/* SPDX-License-Identifier: MIT */
/*
 * Timestamps. The hot path reads the arch's cycle counter (arch_cycles,
 * arch/arch.h); raw values become CLOCK_MONOTONIC nanoseconds through a
 * piecewise linear mapping, calibrated over 200 us when recording starts and
 * refined by the flusher without steps; it keeps the order of the raw
 * values (clock.c says when a conversion can depend on its time). Without a
 * usable counter (arch_cycles_init), CLOCK_MONOTONIC is read directly (vDSO).
 */
#ifndef FRT_CLOCK_H
#define FRT_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "arch.h"
#include "rawclock.h"

void frt_clock_init(void) __attribute__((visibility("hidden")));

/* Recalibrate if due (the flusher, about once a second); ns until the next one is due. */
uint64_t frt_clock_tick(void) __attribute__((visibility("hidden")));
/* The same from given samples (and the first calibration): for tests. */
uint64_t frt_clock_tick_at(uint64_t raw, uint64_t ns) __attribute__((visibility("hidden")));
void frt_clock_init_at(uint64_t raw0, uint64_t ns0, uint64_t raw1, uint64_t ns1)
	__attribute__((visibility("hidden")));

#endif
