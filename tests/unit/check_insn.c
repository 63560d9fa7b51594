// SPDX-License-Identifier: MIT
/*
 * Unit tests of the architectures' pure verbs (arch/arch.h).
 *
 * The walker is generic: for every architecture in arches[] it asks for the
 * plans that move a site off -> on(A), on(A) -> off, on(A) -> on(B), and for
 * the init once of what the compiler left, then applies them store by store
 * (byte by byte where a store is not atomic) to an image of the site. After
 * every store, a thread stopped at any instruction boundary it could have
 * reached in any earlier image (outside the init's quiet range) runs the
 * image with the arch's simulator: it must skip the site or call the old or
 * the new target, never execute anything else; the last image must be the
 * new state, and a target out of reach must give -ERANGE. A new port adds
 * its struct arch_desc to arches[] (and its insn.c to tests/unit/meson.build).
 *
 * The x86_64-specific tests below check its decoders, scan and veneers.
 */
#include <check.h>
#include "run_suite.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARCH_PURE 1
#include "arch.h"
#include "aarch64/aarch64.h"
#include "x86_64/x86_64.h"

static const struct arch_desc *const arches[] = {
	&arch_desc_x86_64,
	&arch_desc_aarch64,
};

#define IMG_MAX 63

struct walk {
	const struct arch_desc *a;
	uint64_t site, ta, tb; /* the targets a thread may call: old and new */
	uint64_t reach;	       /* boundaries a thread may be stopped at */
	uint64_t quiet;	       /* offsets no thread is in (init's quiet range) */
	uint8_t img[IMG_MAX];
	const char *what;
};

/*
 * Every thread that may be stopped somewhere runs the current image: false
 * (and why in w->why) if one runs garbage or calls a third target.
 */
static char why[256];

static bool check_threads(struct walk *w, const char *when)
{
	uint64_t done = 0;

	w->reach &= ~w->quiet;
	while (w->reach & ~done) {
		unsigned int pc = (unsigned int)__builtin_ctzll(w->reach & ~done);
		uint64_t seen = 0, t = 0;
		int r = w->a->run(w->img, pc, w->site, &t, &seen);

		done |= 1ull << pc;
		if (r == ARCH_RUN_INVALID) {
			snprintf(why, sizeof(why), "%s %s: %s: a thread at +%u runs garbage",
				 w->a->name, w->what, when, pc);
			return false;
		}
		if (r == ARCH_RUN_CALL && t != w->ta && t != w->tb) {
			snprintf(why, sizeof(why), "%s %s: %s: a thread at +%u calls %#llx",
				 w->a->name, w->what, when, pc, (unsigned long long)t);
			return false;
		}
		w->reach |= seen & ~w->quiet;
	}
	return true;
}

static bool apply_step(struct walk *w, const struct arch_step *s, int k, bool check_each)
{
	char when[64];

	for (unsigned int i = 0; i < s->n; i++) {
		const struct arch_store *st = &s->st[i];

		ck_assert_uint_le(st->off + st->len, w->a->site_size);
		if (st->flags & ARCH_STORE_ATOMIC) {
			ck_assert(st->len == 2 || st->len == 4 || st->len == 8);
			memcpy(w->img + st->off, st->b, st->len);
			snprintf(when, sizeof(when), "step %d store %u", k, i);
			if (check_each && !check_threads(w, when))
				return false;
			continue;
		}
		for (unsigned int b = 0; b < st->len; b++) {
			w->img[st->off + b] = st->b[b];
			snprintf(when, sizeof(when), "step %d store %u byte %u", k, i, b);
			if (check_each && !check_threads(w, when))
				return false;
		}
	}
	return true;
}

static void start(struct walk *w, const struct arch_desc *a, uint64_t site, int state,
		  uint64_t target, const char *what)
{
	memset(w, 0, sizeof(*w));
	w->a = a;
	w->site = site;
	w->what = what;
	ck_assert_uint_le(a->site_size, IMG_MAX);
	ck_assert_int_eq(a->encode(w->img, site, state, target), 0);
	w->reach = 1; /* a thread entering the site */
}

static void expect(struct walk *w, int state, uint64_t target)
{
	uint8_t want[IMG_MAX];
	uint64_t t = 0;

	ck_assert_int_eq(w->a->encode(want, w->site, state, target), 0);
	ck_assert_msg(!memcmp(w->img, want, w->a->site_size), "%s %s: wrong final bytes",
		      w->a->name, w->what);
	ck_assert_int_eq(w->a->site_state(w->img, w->a->site_size, w->site, &t), state);
	if (state == ARCH_ST_ON)
		ck_assert_uint_eq(t, target);
}

static void walk_plan(const struct arch_desc *a, uint64_t site, int from, uint64_t ft, int to,
		      uint64_t tt, const char *what)
{
	struct arch_plan p;
	struct walk w;

	start(&w, a, site, from, ft, what);
	w.ta = from == ARCH_ST_ON ? ft : (uint64_t)-1;
	w.tb = to == ARCH_ST_ON ? tt : (uint64_t)-1;
	ck_assert_msg(check_threads(&w, "before"), "%s", why);
	ck_assert_int_eq(a->plan_site(&p, site, from, ft, to, tt), 0);
	ck_assert_uint_ge(p.n, 1);
	ck_assert_uint_le(p.n, ARCH_PLAN_STEPS);
	for (int k = 0; k < p.n; k++)
		ck_assert_msg(apply_step(&w, &p.step[k], k, true), "%s", why);
	expect(&w, to, tt);
	ck_assert_msg(check_threads(&w, "after"), "%s", why);
}

static void walk_init(const struct arch_desc *a, uint64_t site)
{
	struct arch_init in;
	struct walk w;

	start(&w, a, site, ARCH_ST_RAW, 0, "init");
	ck_assert_msg(check_threads(&w, "before"), "%s", why);
	ck_assert_int_eq(a->init_site(site, w.img, &in), 0);
	ck_assert_uint_le(in.quiet_lo, in.quiet_hi);
	ck_assert_uint_le(in.quiet_hi, a->site_size);
	/* threads stopped in the quiet range are moved to its end (all NOPs there) */
	for (unsigned int pc = in.quiet_lo; pc < in.quiet_hi; pc++)
		w.quiet |= 1ull << pc;
	w.ta = w.tb = (uint64_t)-1;
	/* with ARCH_INIT_STOPPED no thread runs during the stores: only the end counts */
	ck_assert_msg(apply_step(&w, &in.step, 0, !(in.flags & ARCH_INIT_STOPPED)), "%s", why);
	expect(&w, ARCH_ST_OFF, 0);
	ck_assert_msg(check_threads(&w, "after"), "%s", why);
	/* the init refuses what is not RAW */
	ck_assert_int_eq(a->init_site(site, w.img, &in), -EINVAL);
}

START_TEST(test_walk_plans)
{
	const struct arch_desc *a = arches[_i];
	const uint64_t site = 0x401000, far = site + (1ull << 40);
	/* targets on both sides of the site, near its reach's ends */
	const uint64_t ta = 0x402000, tb = 0x400000, tc = site + 0x7000000, td = site - 0x7000000;
	struct arch_plan p;

	walk_plan(a, site, ARCH_ST_OFF, 0, ARCH_ST_ON, ta, "off->on(A)");
	walk_plan(a, site, ARCH_ST_ON, ta, ARCH_ST_OFF, 0, "on(A)->off");
	walk_plan(a, site, ARCH_ST_ON, ta, ARCH_ST_ON, tb, "on(A)->on(B)");
	walk_plan(a, site, ARCH_ST_ON, tc, ARCH_ST_ON, td, "on(C)->on(D)");
	walk_plan(a, site, ARCH_ST_ON, ta, ARCH_ST_ON, ta, "on(A)->on(A)");
	walk_plan(a, site, ARCH_ST_OFF, 0, ARCH_ST_OFF, 0, "off->off");
	/* out of reach: no plan, the runtime calls a veneer instead */
	ck_assert_int_eq(a->plan_site(&p, site, ARCH_ST_OFF, 0, ARCH_ST_ON, far), -ERANGE);
	ck_assert_int_eq(a->plan_site(&p, site, ARCH_ST_ON, ta, ARCH_ST_ON, far), -ERANGE);
	/* nothing is planned from what init must handle first */
	ck_assert_int_eq(a->plan_site(&p, site, ARCH_ST_RAW, 0, ARCH_ST_ON, ta), -EINVAL);
	walk_init(a, site);
}
END_TEST

/* The walker itself catches bad plans: a torn CALL, an init under a thread. */
START_TEST(test_walker_catches)
{
	struct arch_step st = {0};
	struct walk w;
	uint8_t call[5];

	ck_assert_int_eq(arch_desc_x86_64.encode(call, 0x401000, ARCH_ST_ON, 0x402000), 0);
	/* the head first, then the tail: a thread entering in between runs e8 + old bytes */
	st.n = 2;
	st.st[0] = (struct arch_store){0, 2, ARCH_STORE_ATOMIC, {call[0], call[1]}};
	st.st[1] = (struct arch_store){2, 3, 0, {call[2], call[3], call[4]}};
	start(&w, &arch_desc_x86_64, 0x401000, ARCH_ST_OFF, 0, "torn");
	w.tb = 0x402000;
	ck_assert(!apply_step(&w, &st, 0, true));
	/* x86's init with a thread free to run through the run: caught */
	{
		struct arch_init in;

		start(&w, &arch_desc_x86_64, 0x401000, ARCH_ST_RAW, 0, "init");
		ck_assert_int_eq(arch_desc_x86_64.init_site(0x401000, w.img, &in), 0);
		ck_assert(in.flags & ARCH_INIT_STOPPED);
		ck_assert(!apply_step(&w, &in.step, 0, true));
	}
	/* a thread left at +2 of the run meets the NOP5's tail */
	start(&w, &arch_desc_x86_64, 0x401000, ARCH_ST_RAW, 0, "init");
	ck_assert(check_threads(&w, "before"));
	ck_assert(w.reach & (1u << 2));
	arch_desc_x86_64.encode(w.img, 0x401000, ARCH_ST_OFF, 0);
	ck_assert(!check_threads(&w, "after"));
}
END_TEST

START_TEST(test_nop_len)
{
	static const struct {
		unsigned char b[10];
		size_t len;
	} cases[] = {
		{{0x90}, 1},
		{{0x66, 0x90}, 2},
		{{0x0f, 0x1f, 0x00}, 3},
		{{0x0f, 0x1f, 0x40, 0x00}, 4},
		{{0x0f, 0x1f, 0x44, 0x00, 0x00}, 5},
		{{0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00}, 6},
		{{0x0f, 0x1f, 0x80, 0, 0, 0, 0}, 7},
		{{0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0}, 8},
		{{0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0}, 10},
		{{0x55}, 0},
		{{0xe8, 1, 2, 3, 4}, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		ck_assert_uint_eq(x86_64_nop_len(cases[i].b, sizeof(cases[i].b)), cases[i].len);
	ck_assert_uint_eq(x86_64_nop_len((const unsigned char[]){0x0f, 0x1f, 0x44}, 3), 0);
}
END_TEST

START_TEST(test_site_state)
{
	const struct arch_desc *a = &arch_desc_x86_64;
	unsigned char b[5];
	uint64_t t = 0;

	memset(b, 0x90, 5);
	ck_assert_int_eq(x86_64_site_state(b, 5, 0x1000, NULL), ARCH_ST_RAW);
	a->encode(b, 0x1000, ARCH_ST_OFF, 0);
	ck_assert_int_eq(x86_64_site_state(b, 5, 0x1000, NULL), ARCH_ST_OFF);
	memcpy(b, (unsigned char[]){0x0f, 0x1f, 0x44, 0x00, 0x08}, 5); /* clang's */
	ck_assert_int_eq(x86_64_site_state(b, 5, 0x1000, NULL), ARCH_ST_OFF);
	ck_assert_int_eq(a->encode(b, 0x1000, ARCH_ST_ON, 0x2000), 0);
	ck_assert_int_eq(x86_64_site_state(b, 5, 0x1000, &t), ARCH_ST_ON);
	ck_assert_uint_eq(t, 0x2000);
	ck_assert_int_eq(a->encode(b, 0x7f0000001000, ARCH_ST_ON, 0x7f0000000000), 0);
	ck_assert_int_eq(x86_64_site_state(b, 5, 0x7f0000001000, &t), ARCH_ST_ON);
	ck_assert_uint_eq(t, 0x7f0000000000);
	ck_assert_int_eq(a->encode(b, 0x1000, ARCH_ST_ON, 0x7f0000000000), -ERANGE);
	ck_assert_int_eq(x86_64_site_state((const unsigned char[]){0x55, 0x48, 0x89, 0xe5, 0x90}, 5,
					   0, NULL),
			 ARCH_ST_OTHER);
}
END_TEST

/* scan over an image of a few functions' bytes at link-time addresses */
struct img {
	uint64_t base;
	uint8_t b[256];
	const uint8_t *file; /* the file's bytes, if different */
};

static bool img_read(void *ctx, uint64_t va, void *buf, size_t len)
{
	struct img *m = ctx;

	if (va < m->base || va + len > m->base + sizeof(m->b))
		return false;
	memcpy(buf, m->b + (va - m->base), len);
	return true;
}

static bool img_read_file(void *ctx, uint64_t va, void *buf, size_t len)
{
	struct img *m = ctx;

	if (va < m->base || va + len > m->base + sizeof(m->b))
		return false;
	memcpy(buf, m->file + (va - m->base), len);
	return true;
}

START_TEST(test_scan)
{
	static const uint8_t endbr[4] = {0xf3, 0x0f, 0x1e, 0xfa};
	struct img m = {.base = 0x1000};
	struct arch_scan_src src = {img_read, NULL, &m};
	struct arch_site_desc d;

	memset(m.b, 0xcc, sizeof(m.b));
	/* GCC 13,8 at 0x1000: 8 + 5 NOPs, entry 0x1008 */
	memset(m.b, 0x90, 13);
	ck_assert_int_eq(x86_64_scan_site(&src, 0x1000, 0x1008, ARCH_REC_PFE, &d), ARCH_SKIP_NONE);
	ck_assert_uint_eq(d.entry, 0x1008);
	ck_assert_uint_eq(d.site_off, 0);
	ck_assert_int_eq(d.state, ARCH_ST_RAW);
	ck_assert_str_eq(x86_64_layout_name(d.layout), "pfe-nop1");
	ck_assert_uint_eq(d.flags, ARCH_SCAN_F_SLOT | ARCH_SCAN_F_RAW);
	ck_assert_uint_eq(d.m, 8);
	ck_assert_uint_eq(d.n, 13);
	/* no symbol: the entry is guessed */
	ck_assert_int_eq(x86_64_scan_site(&src, 0x1000, 0, ARCH_REC_PFE, &d), ARCH_SKIP_NONE);
	ck_assert_uint_eq(d.entry, 0x1008);
	ck_assert(d.flags & ARCH_SCAN_F_ENTRY_HEUR);
	/* clang with CET at 0x1040: 8 NOPs, endbr64, NOP5 */
	memset(m.b + 0x40, 0x90, 8);
	memcpy(m.b + 0x48, endbr, 4);
	memcpy(m.b + 0x4c, (uint8_t[]){0x0f, 0x1f, 0x44, 0x00, 0x08}, 5);
	ck_assert_int_eq(x86_64_scan_site(&src, 0x1040, 0x1048, ARCH_REC_PFE, &d), ARCH_SKIP_NONE);
	ck_assert_uint_eq(d.site_off, 4);
	ck_assert_int_eq(d.state, ARCH_ST_OFF);
	ck_assert_str_eq(x86_64_layout_name(d.layout), "pfe-nop5");
	ck_assert_uint_eq(d.flags, ARCH_SCAN_F_SLOT | ARCH_SCAN_F_PAD);
	/* a GCC run already initialised in memory: the file says RAW */
	{
		uint8_t file[256];

		memcpy(file, m.b, sizeof(file));
		memcpy(m.b + 8, (uint8_t[]){0x0f, 0x1f, 0x44, 0x00, 0x00}, 5);
		m.file = file;
		src.read_file = img_read_file;
		ck_assert_int_eq(x86_64_scan_site(&src, 0x1000, 0x1008, ARCH_REC_PFE, &d),
				 ARCH_SKIP_NONE);
		ck_assert_int_eq(d.state, ARCH_ST_OFF);
		ck_assert_str_eq(x86_64_layout_name(d.layout), "pfe-nop1");
		ck_assert(d.flags & ARCH_SCAN_F_RAW);
		src.read_file = NULL;
	}
	/* a head that would straddle a cache line (site at 0x107f) */
	memset(m.b + 0x77, 0x90, 13);
	ck_assert_int_eq(x86_64_scan_site(&src, 0x1077, 0x107f, ARCH_REC_PFE, &d),
			 ARCH_SKIP_UNSTEPPABLE);
	/* not NOPs */
	ck_assert_int_eq(x86_64_scan_site(&src, 0x10a0, 0x10a8, ARCH_REC_PFE, &d), ARCH_SKIP_BYTES);
	/* outside */
	ck_assert_int_eq(x86_64_scan_site(&src, 0x9000, 0x9008, ARCH_REC_PFE, &d),
			 ARCH_SKIP_OUTSIDE);
	/* mcount: a NOP5 after endbr64 */
	memcpy(m.b + 0xc0, endbr, 4);
	memcpy(m.b + 0xc4, (uint8_t[]){0x0f, 0x1f, 0x44, 0x00, 0x00}, 5);
	ck_assert_int_eq(x86_64_scan_site(&src, 0x10c4, 0, ARCH_REC_MCOUNT, &d), ARCH_SKIP_NONE);
	ck_assert_uint_eq(d.entry, 0x10c0);
	ck_assert_str_eq(x86_64_layout_name(d.layout), "mcount-nop5");
	ck_assert_uint_eq(d.flags & (ARCH_SCAN_F_SLOT | ARCH_SCAN_F_SLOT_UNAL), 0);
}
END_TEST

START_TEST(test_veneer)
{
	unsigned char v[16];
	uint64_t target;

	x86_64_veneer(v, 0x10000, 0x1122334455667788);
	ck_assert_uint_eq(v[0], 0x3e); /* notrack */
	ck_assert_uint_eq(v[1], 0xff);
	ck_assert_uint_eq(v[2], 0x25);
	memcpy(&target, v + 8, 8);
	ck_assert_uint_eq(target, 0x1122334455667788);
	/* the rip-relative displacement lands on the address */
	ck_assert_uint_eq(7 + v[3], 8);
}
END_TEST

/* aarch64: words as little-endian bytes */
static void put32(uint8_t *p, uint32_t w)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(w >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * The seed-000 race. A thread that ran NOP#1 before it became MOV X9, X30 and
 * is stopped at NOP#2 must not meet a BL there: the simulator cannot tell
 * it from a thread that ran the MOV, so the init's contract carries it (its
 * quiet range is NOP#2, and no thread may run the site during its store),
 * and a BL behind a NOP is never a valid image.
 */
START_TEST(test_a64_race)
{
	const struct arch_desc *a = &arch_desc_aarch64;
	struct arch_init in;
	struct arch_plan p;
	struct walk w;
	uint8_t img[8];

	start(&w, a, 0x401000, ARCH_ST_RAW, 0, "race");
	ck_assert(check_threads(&w, "before"));
	ck_assert(w.reach & (1u << 4));
	ck_assert_int_eq(a->init_site(0x401000, w.img, &in), 0);
	ck_assert_uint_eq(in.quiet_lo, 4);
	ck_assert_uint_eq(in.quiet_hi, 8);
	ck_assert(in.flags & ARCH_INIT_STOPPED);
	ck_assert(in.flags & ARCH_INIT_SYNC);
	/* no plan from RAW: the BL never comes before the MOV */
	ck_assert_int_eq(a->plan_site(&p, 0x401000, ARCH_ST_RAW, 0, ARCH_ST_ON, 0x402000), -EINVAL);
	/* NOP; BL: garbage for a thread entering the site and one at NOP#2 */
	start(&w, a, 0x401000, ARCH_ST_RAW, 0, "bl-behind-nop");
	ck_assert_int_eq(a->encode(img, 0x401000, ARCH_ST_ON, 0x402000), 0);
	memcpy(w.img + 4, img + 4, 4);
	w.tb = 0x402000;
	ck_assert(!check_threads(&w, "bl behind a nop"));
	w.reach = 1u << 4;
	ck_assert(!check_threads(&w, "bl behind a nop, at nop#2"));
	/* one aligned word each: NOP#1 -> MOV X9, X30; NOP#2 <-> BL */
	ck_assert_uint_eq(in.step.n, 1);
	ck_assert_uint_eq(in.step.st[0].off, 0);
	ck_assert_uint_eq(in.step.st[0].len, 4);
	ck_assert_uint_eq(get32(in.step.st[0].b), 0xaa1e03e9);
	ck_assert_int_eq(a->plan_site(&p, 0x401000, ARCH_ST_OFF, 0, ARCH_ST_ON, 0x402000), 0);
	ck_assert_uint_eq(p.n, 1);
	ck_assert_uint_eq(p.step[0].n, 1);
	ck_assert_uint_eq(p.step[0].st[0].off, 4);
	ck_assert_uint_eq(p.step[0].st[0].len, 4);
	ck_assert(p.step[0].st[0].flags & ARCH_STORE_ATOMIC);
}
END_TEST

START_TEST(test_a64_encode)
{
	const struct arch_desc *a = &arch_desc_aarch64;
	uint8_t b[8];
	uint64_t t = 0;

	ck_assert_int_eq(a->encode(b, 0x1000, ARCH_ST_RAW, 0), 0);
	ck_assert_uint_eq(get32(b), 0xd503201f);
	ck_assert_uint_eq(get32(b + 4), 0xd503201f);
	ck_assert_int_eq(a->site_state(b, 8, 0x1000, NULL), ARCH_ST_RAW);
	ck_assert_int_eq(a->encode(b, 0x1000, ARCH_ST_OFF, 0), 0);
	ck_assert_uint_eq(get32(b), 0xaa1e03e9);
	ck_assert_int_eq(a->site_state(b, 8, 0x1000, NULL), ARCH_ST_OFF);
	/* BL at site + 4: forward and backward, the reach's ends */
	ck_assert_int_eq(a->encode(b, 0x1000, ARCH_ST_ON, 0x2004), 0);
	ck_assert_uint_eq(get32(b + 4), 0x94000400); /* bl +0x1000 */
	ck_assert_int_eq(a->site_state(b, 8, 0x1000, &t), ARCH_ST_ON);
	ck_assert_uint_eq(t, 0x2004);
	ck_assert_int_eq(a->encode(b, 0x10000000, ARCH_ST_ON, 0x10000004 - (1u << 27)), 0);
	ck_assert_uint_eq(get32(b + 4), 0x96000000);
	ck_assert_int_eq(a->site_state(b, 8, 0x10000000, &t), ARCH_ST_ON);
	ck_assert_uint_eq(t, 0x10000004 - (1u << 27));
	ck_assert_int_eq(a->encode(b, 0x10000000, ARCH_ST_ON, 0x10000004 + (1u << 27) - 4), 0);
	ck_assert_uint_eq(get32(b + 4), 0x95ffffff);
	ck_assert_int_eq(a->encode(b, 0x10000000, ARCH_ST_ON, 0x10000004 + (1u << 27)), -ERANGE);
	ck_assert_int_eq(a->encode(b, 0x1000, ARCH_ST_ON, 0x2002), -ERANGE); /* not aligned */
	/* a B, or a BL without the MOV in front: not ours */
	put32(b, 0xaa1e03e9);
	put32(b + 4, 0x14000010);
	ck_assert_int_eq(a->site_state(b, 8, 0x1000, NULL), ARCH_ST_OTHER);
	put32(b, 0xd503201f);
	put32(b + 4, 0x94000010);
	ck_assert_int_eq(a->site_state(b, 8, 0x1000, NULL), ARCH_ST_OTHER);
	ck_assert_uint_eq(aarch64_nop_len(b, 4), 4);
	ck_assert_uint_eq(aarch64_nop_len(b + 4, 4), 0);
	ck_assert_uint_eq(aarch64_nop_len(b, 3), 0);
}
END_TEST

START_TEST(test_a64_scan)
{
	struct img m = {.base = 0x1000};
	struct arch_scan_src src = {img_read, NULL, &m};
	struct arch_site_desc d;
	const uint32_t nop = 0xd503201f, bti = 0xd503245f;

	for (unsigned int i = 0; i < sizeof(m.b); i += 4)
		put32(m.b + i, 0xd65f03c0); /* ret */
	/* 4,2 at 0x1000: NOP NOP | entry 0x1008: NOP NOP */
	for (int i = 0; i < 4; i++)
		put32(m.b + 4 * i, nop);
	ck_assert_int_eq(aarch64_scan_site(&src, 0x1000, 0x1008, ARCH_REC_PFE, &d), ARCH_SKIP_NONE);
	ck_assert_uint_eq(d.entry, 0x1008);
	ck_assert_uint_eq(d.site_off, 0);
	ck_assert_int_eq(d.state, ARCH_ST_RAW);
	ck_assert_str_eq(aarch64_layout_name(d.layout), "pfe-nop2");
	ck_assert_uint_eq(d.flags, ARCH_SCAN_F_SLOT | ARCH_SCAN_F_RAW);
	ck_assert_uint_eq(d.m, 2);
	ck_assert_uint_eq(d.n, 4);
	/* no symbol: guessed */
	ck_assert_int_eq(aarch64_scan_site(&src, 0x1000, 0, ARCH_REC_PFE, &d), ARCH_SKIP_NONE);
	ck_assert_uint_eq(d.entry, 0x1008);
	ck_assert(d.flags & ARCH_SCAN_F_ENTRY_HEUR);
	/* 4,2 with BTI at 0x1040: NOP NOP | entry 0x1048: BTI c, NOP NOP */
	put32(m.b + 0x40, nop);
	put32(m.b + 0x44, nop);
	put32(m.b + 0x48, bti);
	put32(m.b + 0x4c, nop);
	put32(m.b + 0x50, nop);
	ck_assert_int_eq(aarch64_scan_site(&src, 0x1040, 0x1048, ARCH_REC_PFE, &d), ARCH_SKIP_NONE);
	ck_assert_uint_eq(d.site_off, 4);
	ck_assert_uint_eq(d.flags, ARCH_SCAN_F_SLOT | ARCH_SCAN_F_PAD | ARCH_SCAN_F_RAW);
	ck_assert_int_eq(aarch64_scan_site(&src, 0x1040, 0, ARCH_REC_PFE, &d), ARCH_SKIP_NONE);
	ck_assert_uint_eq(d.entry, 0x1048);
	ck_assert_uint_eq(d.site_off, 4);
	/* 2,0 with BTI: the record is entry + 4, after the pad; no symbol reaches it */
	ck_assert_int_eq(aarch64_scan_site(&src, 0x104c, 0, ARCH_REC_PFE, &d), ARCH_SKIP_NONE);
	ck_assert_uint_eq(d.entry, 0x1048);
	ck_assert_uint_eq(d.site_off, 4);
	ck_assert_uint_eq(d.m, 0);
	ck_assert_uint_eq(
		d.flags & (ARCH_SCAN_F_SLOT | ARCH_SCAN_F_SLOT_UNAL | ARCH_SCAN_F_ENTRY_HEUR), 0);
	/* 2,0 at 0x1080 (entry = record) */
	put32(m.b + 0x80, nop);
	put32(m.b + 0x84, nop);
	ck_assert_int_eq(aarch64_scan_site(&src, 0x1080, 0x1080, ARCH_REC_PFE, &d), ARCH_SKIP_NONE);
	ck_assert_uint_eq(d.flags & (ARCH_SCAN_F_SLOT | ARCH_SCAN_F_SLOT_UNAL), 0);
	ck_assert_uint_eq(d.n, 2);
	/* 4,2 at an entry that is not 8-aligned (-O0, -Os): lookup dispatch */
	for (int i = 0; i < 4; i++)
		put32(m.b + 0xa4 + 4 * i, nop);
	ck_assert_int_eq(aarch64_scan_site(&src, 0x10a4, 0x10ac, ARCH_REC_PFE, &d), ARCH_SKIP_NONE);
	ck_assert_uint_eq(d.flags & (ARCH_SCAN_F_SLOT | ARCH_SCAN_F_SLOT_UNAL),
			  ARCH_SCAN_F_SLOT_UNAL);
	/* initialised in memory: the file still says RAW */
	{
		uint8_t file[256];

		memcpy(file, m.b, sizeof(file));
		put32(m.b + 8, 0xaa1e03e9);
		m.file = file;
		src.read_file = img_read_file;
		ck_assert_int_eq(aarch64_scan_site(&src, 0x1000, 0x1008, ARCH_REC_PFE, &d),
				 ARCH_SKIP_NONE);
		ck_assert_int_eq(d.state, ARCH_ST_OFF);
		ck_assert(d.flags & ARCH_SCAN_F_RAW);
		/* no symbol (stripped), an FDE past the NOPs: the guess sees the MOV */
		ck_assert_int_eq(aarch64_scan_site(&src, 0x1000, 0x1010, ARCH_REC_PFE, &d),
				 ARCH_SKIP_NONE);
		ck_assert_uint_eq(d.entry, 0x1008);
		ck_assert(d.flags & ARCH_SCAN_F_ENTRY_HEUR);
		ck_assert(d.flags & ARCH_SCAN_F_SLOT);
		src.read_file = NULL;
	}
	/* not NOPs, outside, misaligned, mcount (none on aarch64) */
	ck_assert_int_eq(aarch64_scan_site(&src, 0x10c0, 0x10c8, ARCH_REC_PFE, &d),
			 ARCH_SKIP_BYTES);
	ck_assert_int_eq(aarch64_scan_site(&src, 0x9000, 0x9008, ARCH_REC_PFE, &d),
			 ARCH_SKIP_OUTSIDE);
	ck_assert_int_eq(aarch64_scan_site(&src, 0x1002, 0x100a, ARCH_REC_PFE, &d),
			 ARCH_SKIP_UNSTEPPABLE);
	ck_assert_int_eq(aarch64_scan_site(&src, 0x1008, 0, ARCH_REC_MCOUNT, &d), ARCH_SKIP_BYTES);
}
END_TEST

START_TEST(test_a64_veneer)
{
	uint8_t v[16];
	uint64_t target;

	aarch64_veneer(v, 0x10000, 0x1122334455667788);
	ck_assert_uint_eq(get32(v), 0x58000050);     /* ldr x16, #8 */
	ck_assert_uint_eq(get32(v + 4), 0xd61f0200); /* br x16 */
	memcpy(&target, v + 8, 8);
	ck_assert_uint_eq(target, 0x1122334455667788);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("insn");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_walk_plans, 0, (int)(sizeof(arches) / sizeof(*arches)));
	tcase_add_test(tc, test_walker_catches);
	tcase_add_test(tc, test_nop_len);
	tcase_add_test(tc, test_site_state);
	tcase_add_test(tc, test_scan);
	tcase_add_test(tc, test_veneer);
	tcase_add_test(tc, test_a64_race);
	tcase_add_test(tc, test_a64_encode);
	tcase_add_test(tc, test_a64_scan);
	tcase_add_test(tc, test_a64_veneer);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
