#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a C program with N tiny functions, for patch-time comparisons.

usage: gen.py N [OUTDIR] [--per-file K]

Writes into OUTDIR (default: gen-N):
  fns_XXX.c   the functions f0 .. f{N-1}, K per file (default 5000), each a
              distinct noinline int fI(int x) { asm volatile("" ::: "memory"); return x + I; }
  table.c     const table of pointers to all of them (so none is dropped)
  main.c      main(): with -DWITH_XRAY, times __xray_patch() and __xray_unpatch()
              (first call, then the median of 5 more patch/unpatch cycles) and
              prints "xray first_patch_ms first_unpatch_ms median_patch_ms
              median_unpatch_ms nfuncs"; without it, prints nothing of its
              own. Then it calls every function once, unless argv[1] is "nocall".

Build (e.g.): cc -O1 <instrumentation flags> -c fns_*.c table.c main.c; cc ... -o prog *.o
The functions carry no instrumentation-specific code: the same sources are built
for XRay (-fxray-instrument -fxray-instruction-threshold=1) and for patchable
entries (-fpatchable-function-entry=...).
"""
import os
import sys

MAIN = r'''
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NFUNCS %(n)d
typedef int (*fn_t)(int);
extern const fn_t gen_table[NFUNCS];

#ifdef WITH_XRAY
/* <xray/xray_interface.h> is C++ only: the two calls it is used for here */
enum XRayPatchingStatus { NOT_INITIALIZED = 0, SUCCESS = 1, ONGOING = 2, FAILED = 3 };
extern enum XRayPatchingStatus __xray_patch(void);
extern enum XRayPatchingStatus __xray_unpatch(void);

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double timed(enum XRayPatchingStatus (*op)(void))
{
	double t0 = now_ms();

	if (op() != SUCCESS) {
		fprintf(stderr, "xray: patching failed\n");
		exit(3);
	}
	return now_ms() - t0;
}
#endif

int main(int argc, char **argv)
{
	volatile long s = 0;

#ifdef WITH_XRAY
	{
		enum { CYCLES = 5 };
		double p0, u0, p[CYCLES], u[CYCLES];
		const char *cy = getenv("GEN_XRAY_CYCLES");
		int cycles = cy ? atoi(cy) : CYCLES;

		if (cycles < 0 || cycles > CYCLES)
			cycles = CYCLES;
		p0 = timed(__xray_patch);
		u0 = timed(__xray_unpatch);
		for (int i = 0; i < cycles; i++) {
			p[i] = timed(__xray_patch);
			u[i] = timed(__xray_unpatch);
		}
		if (cycles) {
			qsort(p, (size_t)cycles, sizeof(*p), cmp_d);
			qsort(u, (size_t)cycles, sizeof(*u), cmp_d);
		}
		printf("xray %%.3f %%.3f %%.3f %%.3f %%d\n", p0, u0,
		       cycles ? p[cycles / 2] : p0, cycles ? u[cycles / 2] : u0, NFUNCS);
	}
#endif
	if (argc > 1 && !strcmp(argv[1], "nocall"))
		return 0;
	for (int i = 0; i < NFUNCS; i++)
		s += gen_table[i](i);
	return s == 0; /* 0 */
}
'''


def put(path, text):
    """Write text unless the file already holds it (keeps mtimes for make-like rebuilds)."""
    try:
        with open(path) as f:
            if f.read() == text:
                return
    except OSError:
        pass
    with open(path, 'w') as f:
        f.write(text)


def main():
    args = sys.argv[1:]
    per_file = 5000
    if '--per-file' in args:
        i = args.index('--per-file')
        per_file = int(args[i + 1])
        del args[i:i + 2]
    if not args or not args[0].isdigit() or int(args[0]) < 1:
        sys.exit(__doc__)
    n = int(args[0])
    out = args[1] if len(args) > 1 else 'gen-%d' % n
    os.makedirs(out, exist_ok=True)
    names = set()
    for k, start in enumerate(range(0, n, per_file)):
        name = 'fns_%03d.c' % k
        names.add(name)
        put(os.path.join(out, name), ''.join(
            '__attribute__((noinline)) int f%d(int x)\n'
            '{ __asm__ volatile("" ::: "memory"); return x + %d; }\n' % (i, i)
            for i in range(start, min(n, start + per_file))))
    for name in os.listdir(out):  # idempotent: drop sources (and objects) of an earlier layout
        if name.startswith('fns_') and name.split('.')[0] + '.c' not in names:
            os.unlink(os.path.join(out, name))
    put(os.path.join(out, 'table.c'),
        'typedef int (*fn_t)(int);\n' + ''.join('int f%d(int);\n' % i for i in range(n)) +
        'const fn_t gen_table[%d] = {\n' % n + ''.join('f%d,\n' % i for i in range(n)) + '};\n')
    put(os.path.join(out, 'main.c'), MAIN % {'n': n})


if __name__ == '__main__':
    main()
