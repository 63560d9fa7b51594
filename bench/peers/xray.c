// SPDX-License-Identifier: MIT
/*
 * bench/percall.c's tiny-function loop, for LLVM XRay. Built with
 *   clang -O2 -fxray-instrument -fxray-instruction-threshold=1
 * (and, for the baseline, with -DNO_XRAY and without -fxray-instrument).
 * Same tiny(), same loop, same clock, same defaults (10M calls x 7 repeats,
 * one warm-up loop, median). Modes:
 *   plain   nothing done by the program: the sleds stay NOPs unless
 *           XRAY_OPTIONS says otherwise (patch_premain, xray_mode=xray-basic,
 *           xray-fdr, ...) -- that is how XRay's own logging modes are run
 *   empty   __xray_set_handler(empty) + __xray_patch(): every sled of the
 *           program calls an empty handler
 *   patchonly __xray_patch() with no handler set (trampolines return early)
 *   basic, fdr  XRay's own logging started through its API, as its docs show:
 *           __xray_log_select_mode("xray-MODE"), __xray_log_init_mode(MODE,
 *           $XRAY_BENCH_CONFIG or ""), __xray_patch(); after the timed loops
 *           __xray_log_finalize(), __xray_unpatch(), __xray_log_flushLog().
 *           (With only XRAY_OPTIONS=xray_mode=xray-fdr, compiler-rt 14 selects
 *           FDR mode but never initializes it: the handler runs and records
 *           nothing. Basic mode does initialize itself from XRAY_OPTIONS.)
 * -c: a dependent chain, x = tiny(x), as in bench/percall.c -c.
 * Prints: ns_per_call calls
 *
 * usage: xray MODE [-n CALLS] [-r REPEATS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef NO_XRAY
#ifdef __cplusplus
#include <xray/xray_interface.h>
#include <xray/xray_log_interface.h>
#else
/*
 * <xray/xray_interface.h> is C++ only (it includes <cstddef> and declares its
 * functions inside extern "C"): a C program declares the few it calls, with
 * the header's types and values (compiler-rt 14).
 */
#include <stdint.h>
enum XRayEntryType {
	ENTRY = 0,
	EXIT = 1,
	TAIL = 2,
	LOG_ARGS_ENTRY = 3,
	CUSTOM_EVENT = 4,
	TYPED_EVENT = 5
};
typedef enum XRayEntryType XRayEntryType;
enum XRayPatchingStatus { NOT_INITIALIZED = 0, SUCCESS = 1, ONGOING = 2, FAILED = 3 };
extern int __xray_set_handler(void (*entry)(int32_t, XRayEntryType));
extern enum XRayPatchingStatus __xray_patch(void);
extern enum XRayPatchingStatus __xray_unpatch(void);
/* <xray/xray_log_interface.h> */
enum XRayLogInitStatus {
	XRAY_LOG_UNINITIALIZED = 0,
	XRAY_LOG_INITIALIZING = 1,
	XRAY_LOG_INITIALIZED = 2,
	XRAY_LOG_FINALIZING = 3,
	XRAY_LOG_FINALIZED = 4
};
enum XRayLogFlushStatus { XRAY_LOG_NOT_FLUSHING = 0, XRAY_LOG_FLUSHING = 1, XRAY_LOG_FLUSHED = 2 };
enum XRayLogRegisterStatus {
	XRAY_REGISTRATION_OK = 0,
	XRAY_DUPLICATE_MODE = 1,
	XRAY_MODE_NOT_FOUND = 2,
	XRAY_INCOMPLETE_IMPL = 3
};
extern enum XRayLogRegisterStatus __xray_log_select_mode(const char *mode);
extern enum XRayLogInitStatus __xray_log_init_mode(const char *mode, const char *config);
extern enum XRayLogInitStatus __xray_log_finalize(void);
extern enum XRayLogFlushStatus __xray_log_flushLog(void);
#endif
#endif

__attribute__((noinline)) int tiny(int x)
{
	__asm__ volatile("" ::: "memory"); /* not folded into the caller's loop */
	return x + 1;
}

static long calls = 10000000;
static int chain; /* -c: each call's result is the next call's argument */
static volatile long sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *loop(void *arg)
{
	long s = 0;
	(void)arg;

	if (chain) {
		int x = 0;

		/* a dependent chain: no call can start before the previous returns */
		for (long i = 0; i < calls; i++)
			x = tiny(x);
		s = x;
	} else {
		for (long i = 0; i < calls; i++)
			s += tiny((int)i);
	}
	sink += s;
	return NULL;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#ifndef NO_XRAY
__attribute__((xray_never_instrument)) static void empty(int32_t fid, XRayEntryType type)
{
	(void)fid, (void)type;
}
#endif

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "plain";
	int repeats = 7, c;
	double t[64];
#ifndef NO_XRAY
	const char *logmode = NULL;
#endif

	optind = argc > 1 ? 2 : 1;
	while ((c = getopt(argc, argv, "cn:r:")) != -1) {
		switch (c) {
		case 'c':
			chain = 1;
			break;
		case 'n':
			calls = atol(optarg);
			break;
		case 'r':
			repeats = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (repeats < 1 || repeats > 64)
		return 2;
#ifndef NO_XRAY
	if (!strcmp(mode, "empty")) {
		if (!__xray_set_handler(empty))
			return 3;
		if (__xray_patch() != SUCCESS)
			return 3;
	} else if (!strcmp(mode, "patchonly")) {
		if (__xray_patch() != SUCCESS)
			return 3;
	} else if (!strcmp(mode, "basic") || !strcmp(mode, "fdr")) {
		const char *cfg = getenv("XRAY_BENCH_CONFIG");

		logmode = !strcmp(mode, "basic") ? "xray-basic" : "xray-fdr";
		if (__xray_log_select_mode(logmode) != XRAY_REGISTRATION_OK) {
			fprintf(stderr, "xray: cannot select %s\n", logmode);
			return 3;
		}
		if (__xray_log_init_mode(logmode, cfg ? cfg : "") != XRAY_LOG_INITIALIZED) {
			fprintf(stderr, "xray: cannot initialize %s\n", logmode);
			return 3;
		}
		if (__xray_patch() != SUCCESS)
			return 3;
	} else if (strcmp(mode, "plain")) {
		return 4;
	}
#else
	if (strcmp(mode, "plain"))
		return 4;
#endif
	loop(NULL); /* warm up: page faults, first dispatch, buffers */
	for (int r = 0; r < repeats; r++) {
		double t0 = now();

		loop(NULL);
		t[r] = (now() - t0) * 1e9 / (double)calls;
	}
#ifndef NO_XRAY
	if (logmode) {
		int fin = __xray_log_finalize(), fl;

		__xray_unpatch();
		fl = __xray_log_flushLog();
		if (fin != XRAY_LOG_FINALIZED || fl != XRAY_LOG_FLUSHED)
			fprintf(stderr, "xray: %s finalize %d flush %d\n", logmode, fin, fl);
	}
#endif
	qsort(t, (size_t)repeats, sizeof(*t), cmp_d);
	printf("%.3f %ld\n", t[repeats / 2], calls);
	return 0;
}
