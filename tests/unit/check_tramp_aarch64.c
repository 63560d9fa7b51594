// SPDX-License-Identifier: MIT
/*
 * aarch64: the trampolines, return hooks and vector-saving thunks alone (no
 * runtime), their C side replaced by stubs that check what they were given
 * and clobber every register the ABI lets them. A function built with
 * -fpatchable-function-entry=4,2 (with and without BTI c) is patched by hand
 * to MOV X9, X30; BL trampoline, its slot holding a marker:
 *  - the dispatcher gets the slot (or the site), the caller's return address
 *    and a frame whose x0-x7, q0-q7, lr, ip and sp are the call's;
 *  - the function runs with its arguments intact (integers, doubles, 128-bit
 *    vectors) and returns to its caller;
 *  - the return hook, installed through arch_regs_ret(), gets the function's
 *    sp and return value and returns to the real caller;
 *  - a DWARF walk (_Unwind_Backtrace) and a frame-pointer walk from inside
 *    the dispatcher both pass through the traced function into its caller.
 */
#include <arm_neon.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>
#include <unwind.h>

#include "regs.h"

#ifndef HWCAP_SVE
#define HWCAP_SVE (1 << 22)
#endif

#define VARIANT(v) extern char frt_tramp_slot_##v[], frt_tramp_lookup_##v[], frt_rethook_##v[]
VARIANT(gpr);
VARIANT(q);
VARIANT(sve);
extern uintptr_t frt_vsave_call_q(void *, uintptr_t, uintptr_t, uintptr_t, uintptr_t);
extern uintptr_t frt_vsave_call_sve(void *, uintptr_t, uintptr_t, uintptr_t, uintptr_t);

static int failures;
#define CHECK(c, ...)                                 \
	do {                                          \
		if (!(c)) {                           \
			printf("FAIL: " __VA_ARGS__); \
			printf(" (%s)\n", #c);        \
			failures++;                   \
		}                                     \
	} while (0)

/* ---- the traced functions ---- */
typedef long (*traced_fn)(long, long, long, long, long, long, long, long, double, double, double,
			  double, double, double, float32x4_t, float32x4_t);

#define BODY                                                                               \
	{                                                                                  \
		float32x4_t s = vaddq_f32(v0, v1);                                         \
		return a0 + 2 * a1 + 3 * a2 + 4 * a3 + 5 * a4 + 6 * a5 + 7 * a6 + 8 * a7 + \
		       (long)(d0 + 2 * d1 + 3 * d2 + 4 * d3 + 5 * d4 + 6 * d5) +           \
		       (long)(vgetq_lane_f32(s, 0) + 10 * vgetq_lane_f32(s, 3));           \
	}
#define PARAMS                                                                              \
	(long a0, long a1, long a2, long a3, long a4, long a5, long a6, long a7, double d0, \
	 double d1, double d2, double d3, double d4, double d5, float32x4_t v0, float32x4_t v1)

__attribute__((noinline, patchable_function_entry(4, 2), aligned(8))) long plain PARAMS BODY;
__attribute__((noinline, patchable_function_entry(4, 2), aligned(8),
	       target("branch-protection=standard"))) long bti PARAMS BODY;
/* slot-less: -fpatchable-function-entry=2 */
__attribute__((noinline, patchable_function_entry(2, 0), aligned(8))) long noslot PARAMS BODY;

/* ---- what the stubs saw ---- */
static struct {
	uintptr_t first, parent, sp;
	struct ftrace_rt_regs regs;
	int calls, rets, graph;
	uintptr_t real_ret, hook;
	uintptr_t fp_walk[8], dw_walk[16];
	int nfp, ndw;
	long retval;
} seen;

static _Unwind_Reason_Code collect(struct _Unwind_Context *ctx, void *arg)
{
	(void)arg;
	if (seen.ndw < 16)
		seen.dw_walk[seen.ndw++] = _Unwind_GetIP(ctx);
	return _URC_NO_REASON;
}

/* Clobber every register the ABI lets a callee clobber (x0-x17, v0-v7, v16-v31). */
#define CLOBBER_ALL()                                                                            \
	__asm__ volatile("mov x0, #-1\n mov x1, #-1\n mov x2, #-1\n mov x3, #-1\n mov x4, #-1\n" \
			 "mov x5, #-1\n mov x6, #-1\n mov x7, #-1\n mov x8, #-1\n mov x9, #-1\n" \
			 "mov x10, #-1\n mov x11, #-1\n mov x12, #-1\n mov x13, #-1\n"           \
			 "mov x14, #-1\n mov x15, #-1\n mov x16, #-1\n mov x17, #-1\n"           \
			 "movi v0.16b, #0xff\n movi v1.16b, #0xff\n movi v2.16b, #0xff\n"        \
			 "movi v3.16b, #0xff\n movi v4.16b, #0xff\n movi v5.16b, #0xff\n"        \
			 "movi v6.16b, #0xff\n movi v7.16b, #0xff\n movi v16.16b, #0xff\n"       \
			 "movi v31.16b, #0xff\n" ::                                              \
				 : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9",   \
				   "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "v0", \
				   "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v16", "v31",       \
				   "memory")
#define CLOBBER_GPR()                                                                            \
	__asm__ volatile("mov x0, #-1\n mov x1, #-1\n mov x2, #-1\n mov x3, #-1\n mov x4, #-1\n" \
			 "mov x5, #-1\n mov x6, #-1\n mov x7, #-1\n mov x8, #-1\n mov x9, #-1\n" \
			 "mov x10, #-1\n mov x16, #-1\n mov x17, #-1\n" ::                       \
				 : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9",   \
				   "x10", "x16", "x17", "memory")

static int graph_mode, vec_mode;

/* the walks, with libgcc's unwinder: vector registers kept around them by the caller */
static uintptr_t walks(uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t d)
{
	(void)a, (void)b, (void)c, (void)d;
	seen.nfp = 0;
	for (uintptr_t *fp = __builtin_frame_address(0); fp && seen.nfp < 8;
	     fp = (uintptr_t *)fp[0])
		seen.fp_walk[seen.nfp++] = fp[1];
	seen.ndw = 0;
	_Unwind_Backtrace(collect, NULL);
	return 0;
}

/*
 * The dispatcher stubs touch no vector register (as the runtime's code on a
 * gpr trampoline's way): the frame is copied word by word and the walks run
 * through the vector-saving thunk, as the runtime's rare libc calls do.
 */
#define GPR __attribute__((target("general-regs-only"), noinline))
GPR static void stub(uintptr_t first, uintptr_t parent, struct ftrace_rt_regs *regs)
{
	volatile unsigned long *dst = (volatile unsigned long *)&seen.regs;
	const unsigned long *src = (const unsigned long *)regs;
	size_t words = (vec_mode ? sizeof(*regs) : REGS_Q) / sizeof(long);

	seen.first = first;
	seen.parent = parent;
	for (size_t i = 0; i < words; i++)
		dst[i] = src[i];
	seen.calls++;
	frt_vsave_call_q((void *)walks, 0, 0, 0, 0);
	if (graph_mode) {
		uintptr_t *r = arch_regs_ret(regs);

		seen.real_ret = *r;
		*r = seen.hook;
	}
}

#define STUB(name, clobber)                                               \
	void name(uintptr_t a, uintptr_t b, struct ftrace_rt_regs *r);    \
	GPR void name(uintptr_t a, uintptr_t b, struct ftrace_rt_regs *r) \
	{                                                                 \
		stub(a, b, r);                                            \
		clobber();                                                \
	}
STUB(frt_dispatch_slot, CLOBBER_ALL)
STUB(frt_dispatch_lookup, CLOBBER_ALL)
STUB(frt_dispatch_slot_gpr, CLOBBER_GPR)
STUB(frt_dispatch_lookup_gpr, CLOBBER_GPR)

uintptr_t frt_graph_return(uintptr_t sp, struct ftrace_rt_regs *regs);
GPR uintptr_t frt_graph_return(uintptr_t sp, struct ftrace_rt_regs *regs)
{
	seen.rets++;
	seen.sp = sp;
	seen.retval = (long)arch_regs_retval(regs);
	/* as lib/ does: the real address where the hook's CFI finds it */
	arch_graph_ret_restore(arch_graph_ret_key(sp), seen.real_ret);
	if (vec_mode)
		CLOBBER_ALL();
	else
		CLOBBER_GPR();
	return seen.real_ret;
}

/* ---- patching by hand ---- */
static uintptr_t site_of(void *fn)
{
	uint32_t w;

	memcpy(&w, fn, 4);
	return (uintptr_t)fn + (w == 0xd503245fu ? 4 : 0); /* after BTI c */
}

static void patch(void *fn, uintptr_t tramp, uintptr_t slotval)
{
	uintptr_t site = site_of(fn), page = site & ~(uintptr_t)4095;
	uint32_t mov = 0xaa1e03e9u, bl;
	intptr_t d = (intptr_t)tramp - (intptr_t)(site + 4);

	mprotect((void *)page, 8192, PROT_READ | PROT_WRITE | PROT_EXEC);
	if (slotval)
		*(uintptr_t *)((uintptr_t)fn - 8) = slotval;
	bl = 0x94000000u | ((uint32_t)(d >> 2) & 0x03ffffffu);
	memcpy((void *)site, &mov, 4);
	memcpy((void *)(site + 4), &bl, 4);
	__builtin___clear_cache((char *)site, (char *)site + 8);
}

static void unpatch(void *fn)
{
	uintptr_t site = site_of(fn);
	uint32_t nop = 0xd503201fu;

	memcpy((void *)(site + 4), &nop, 4);
	__builtin___clear_cache((char *)site, (char *)site + 8);
}

/* a veneer (LDR X16, #8; BR X16; .quad tramp) in a page of its own, as lib/ maps them */
static char *veneer(char *tramp)
{
	static uint8_t *page;
	uint32_t code[2] = {0x58000050u, 0xd61f0200u};

	if (!page)
		page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(page, 4096, PROT_READ | PROT_WRITE);
	memcpy(page, code, 8);
	memcpy(page + 8, &tramp, 8);
	mprotect(page, 4096, PROT_READ | PROT_EXEC);
	__builtin___clear_cache((char *)page, (char *)page + 16);
	return (char *)page;
}

static long expected;

/* the caller whose return address the dispatcher must see */
__attribute__((noinline)) static long call(traced_fn f)
{
	float32x4_t v0 = {1.0f, 2.0f, 3.0f, 4.0f}, v1 = {10.0f, 20.0f, 30.0f, 40.0f};
	long r = f(1, 2, 3, 4, 5, 6, 7, 8, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, v0, v1);

	__asm__ volatile("" ::: "memory");
	return r;
}

static int in_fn(uintptr_t pc, void *fn, size_t len)
{
	return pc >= (uintptr_t)fn && pc < (uintptr_t)fn + len;
}

static void run(const char *what, void *fn, char *tramp, int slot, int vec, char *hook)
{
	uintptr_t site = site_of(fn);
	long r;
	int i, k;

	memset(&seen, 0, sizeof(seen));
	graph_mode = hook != NULL;
	vec_mode = vec;
	seen.hook = (uintptr_t)hook;
	patch(fn, (uintptr_t)tramp, slot ? 0x5107 : 0);
	r = call((traced_fn)fn);
	unpatch(fn);
	printf("%s: %s\n", what, r == expected && seen.calls == 1 ? "ok" : "FAIL");
	CHECK(r == expected, "%s: returned %ld, want %ld", what, r, expected);
	CHECK(seen.calls == 1, "%s: %d calls", what, seen.calls);
	if (slot)
		CHECK(seen.first == (uintptr_t)fn - 8, "%s: slot %#lx", what, seen.first);
	else
		CHECK(seen.first == site, "%s: site %#lx", what, seen.first);
	CHECK(in_fn(seen.parent, (void *)call, 256), "%s: parent %#lx", what, seen.parent);
	CHECK(seen.regs.lr == seen.parent, "%s: lr", what);
	CHECK(seen.regs.ip == site + 8, "%s: ip %#lx", what, seen.regs.ip);
	CHECK(seen.regs.sp % 16 == 0 && seen.regs.sp > (uintptr_t)&r - 4096 &&
		      seen.regs.sp < (uintptr_t)&r + 4096,
	      "%s: sp %#lx", what, seen.regs.sp);
	for (i = 0; i < 8; i++)
		CHECK(arch_regs_arg(&seen.regs, i) == (unsigned long)i + 1, "%s: x%d", what, i);
	if (vec) {
		double d;

		memcpy(&d, seen.regs.q[2], 8);
		CHECK(d == 3.5, "%s: q2", what);
	}
	/* frame-pointer walk: stub's caller (the dispatcher stub), trampoline, fn, call */
	for (i = 0, k = 0; i < seen.nfp; i++)
		k |= (seen.fp_walk[i] == site + 8) << 0 |
		     (in_fn(seen.fp_walk[i], (void *)call, 256) && (k & 1)) << 1;
	CHECK(k == 3, "%s: frame-pointer walk misses fn or its caller", what);
	for (i = 0, k = 0; i < seen.ndw; i++)
		k |= (seen.dw_walk[i] == site + 8) << 0 |
		     (in_fn(seen.dw_walk[i], (void *)call, 256) && (k & 1)) << 1;
	CHECK(k == 3, "%s: DWARF walk misses fn or its caller", what);
	if (hook) {
		CHECK(seen.rets == 1, "%s: return hook ran %d times", what, seen.rets);
		CHECK(seen.sp == seen.regs.sp, "%s: return hook sp %#lx, entry %#lx", what, seen.sp,
		      seen.regs.sp);
		CHECK(seen.retval == expected, "%s: return value seen %ld", what, seen.retval);
	}
}

/*
 * SVE: a function taking SVE arguments gets them in z0-z7 and p0-p3 at the
 * full vector length. sve_call() fills them with patterns, calls @fn (an
 * empty traced function) and stores what comes back; the stubs' NEON writes
 * zero the upper parts of z0-z7, so only the sve copies keep them.
 */
__attribute__((noinline, patchable_function_entry(4, 2), aligned(8),
	       target("branch-protection=standard"))) void
empty(void)
{
	__asm__ volatile("");
}

static void sve_call(void (*fn)(void), uint8_t *z_out, uint8_t *p_out)
{
	__asm__ volatile(".arch_extension sve\n"
			 "index z0.b, #1, #1\n index z1.b, #2, #1\n index z2.b, #3, #1\n"
			 "index z3.b, #4, #1\n index z4.b, #5, #1\n index z5.b, #6, #1\n"
			 "index z6.b, #7, #1\n index z7.b, #8, #1\n"
			 "ptrue p0.b, vl1\n ptrue p1.b, vl2\n ptrue p2.b, vl3\n ptrue p3.b, vl4\n"
			 "blr %0\n"
			 "str z0, [%1, #0, mul vl]\n str z1, [%1, #1, mul vl]\n"
			 "str z2, [%1, #2, mul vl]\n str z3, [%1, #3, mul vl]\n"
			 "str z4, [%1, #4, mul vl]\n str z5, [%1, #5, mul vl]\n"
			 "str z6, [%1, #6, mul vl]\n str z7, [%1, #7, mul vl]\n"
			 "str p0, [%2, #0, mul vl]\n str p1, [%2, #1, mul vl]\n"
			 "str p2, [%2, #2, mul vl]\n str p3, [%2, #3, mul vl]\n"
			 :
			 : "r"(fn), "r"(z_out), "r"(p_out)
			 : "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11",
			   "x12", "x13", "x14", "x15", "x16", "x17", "x30", "v0", "v1", "v2", "v3",
			   "v4", "v5", "v6", "v7", "v16", "v17", "v18", "v19", "v20", "v21", "v22",
			   "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31", "p0",
			   "p1", "p2", "p3", "memory");
}

static unsigned long vlen(void)
{
	unsigned long n;

	__asm__ volatile(".arch_extension sve\n cntb %0" : "=r"(n));
	return n;
}

/* 1 if z0-z7 and p0-p3 came back as sve_call set them */
static int sve_kept(char *tramp)
{
	static uint8_t z[8 * 256], p[4 * 32], z0[8 * 256], p0[4 * 32];
	int ok;

	sve_call(empty, z0, p0); /* unpatched: the reference */
	memset(&seen, 0, sizeof(seen));
	vec_mode = 1;
	graph_mode = 0;
	patch((void *)empty, (uintptr_t)tramp, 0x5107);
	sve_call(empty, z, p);
	unpatch((void *)empty);
	ok = seen.calls == 1 && !memcmp(z, z0, sizeof(z)) && !memcmp(p, p0, sizeof(p));
	return ok;
}

static uintptr_t add4(uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t d)
{
	return a + b + c + d;
}

int main(void)
{
	int sve = (getauxval(AT_HWCAP) & HWCAP_SVE) != 0;
	float32x4_t v0 = {1.0f, 2.0f, 3.0f, 4.0f}, v1 = {10.0f, 20.0f, 30.0f, 40.0f};

	expected = plain(1, 2, 3, 4, 5, 6, 7, 8, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, v0, v1);
	struct {
		const char *name;
		char *slot, *lookup, *ret;
		int vec;
	} v[] = {
		{"gpr", frt_tramp_slot_gpr, frt_tramp_lookup_gpr, frt_rethook_gpr, 0},
		{"q", frt_tramp_slot_q, frt_tramp_lookup_q, frt_rethook_q, 1},
		{"sve", frt_tramp_slot_sve, frt_tramp_lookup_sve, frt_rethook_sve, 1},
	};
	/*
	 * BTI: whatever a BR or BLR reaches must start with a landing pad. An
	 * enforcing run needs every object of the program BTI-marked, which
	 * Debian 12's crt files are not (-z force-bti then faults in _start):
	 * the pads are checked by reading them.
	 */
	for (unsigned int i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint32_t w[3];

		memcpy(&w[0], v[i].slot, 4);
		memcpy(&w[1], v[i].lookup, 4);
		memcpy(&w[2], v[i].ret, 4);
		CHECK(w[0] == 0xd503245fu && w[1] == 0xd503245fu, "%s: no bti c", v[i].name);
		CHECK(w[2] == 0xd50324dfu, "%s: return hook without bti jc", v[i].name);
	}
	printf("SVE: %s\n", sve ? "yes" : "no (the sve copies are not run)");
	for (unsigned int i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char w[64];

		if (v[i].slot == frt_tramp_slot_sve && !sve)
			continue;
		snprintf(w, sizeof(w), "slot-%s", v[i].name);
		run(w, (void *)plain, v[i].slot, 1, v[i].vec, NULL);
		snprintf(w, sizeof(w), "lookup-%s", v[i].name);
		run(w, (void *)noslot, v[i].lookup, 0, v[i].vec, NULL);
		snprintf(w, sizeof(w), "graph-%s", v[i].name);
		run(w, (void *)plain, v[i].slot, 1, v[i].vec, v[i].ret);
		snprintf(w, sizeof(w), "slot-%s-bti", v[i].name);
		run(w, (void *)bti, v[i].slot, 1, v[i].vec, NULL);
		snprintf(w, sizeof(w), "slot-%s-bti-veneer", v[i].name);
		run(w, (void *)bti, veneer(v[i].slot), 1, v[i].vec, NULL);
		snprintf(w, sizeof(w), "lookup-%s-bti4,2-veneer", v[i].name);
		run(w, (void *)bti, veneer(v[i].lookup), 0, v[i].vec, NULL);
		snprintf(w, sizeof(w), "graph-%s-bti", v[i].name);
		run(w, (void *)bti, v[i].slot, 1, v[i].vec, v[i].ret);
	}
	if (sve) {
		int q = sve_kept(frt_tramp_slot_q), z = sve_kept(frt_tramp_slot_sve);

		printf("sve (vector length %lu bytes): z0-z7, p0-p3 kept by the sve copy: %s "
		       "(by the q copy: %s)\n",
		       vlen(), z ? "ok" : "FAIL", q ? "yes" : "no");
		CHECK(z, "sve copy lost z0-z7 or p0-p3");
		/* at a 128-bit vector length q and z are the same registers */
		CHECK(!q || vlen() == 16, "the q copy kept z0-z7: the test shows nothing");
	}
	CHECK(frt_vsave_call_q((void *)add4, 1, 2, 3, 4) == 10, "vsave_call_q");
	if (sve)
		CHECK(frt_vsave_call_sve((void *)add4, 1, 2, 3, 4) == 10, "vsave_call_sve");
	printf("%d failures\n", failures);
	return failures != 0;
}
