// SPDX-License-Identifier: MIT
/*
 * aarch64's pure verbs (arch/arch.h): scan, check, encode, init once, plan,
 * veneer bytes and the simulator the unit tests walk. Pure C, no inline
 * assembly: any host compiles this file and computes aarch64's plans.
 *
 * Why one aligned 32-bit store per change. The Arm ARM (B2.2.5, concurrent
 * modification and execution of instructions) lets one thread write an
 * instruction that another executes concurrently, without any gate, when
 * both the old and the new instruction are B, BL, NOP, BRK, SVC, HVC, SMC or
 * ISB: the other thread executes either the old or the new one. A site's
 * second instruction only ever moves between NOP and BL (and from one BL to
 * another), each a single-copy-atomic aligned 32-bit store; lib/ then
 * cleans the D-cache and invalidates the I-cache to the point of unification
 * (arch_flush) and runs membarrier(SYNC_CORE) so that every thread's next
 * fetch sees the new word. So a plan has one step.
 *
 * The first instruction is written once (init: NOP -> MOV X9, X30), not
 * covered by that rule (MOV is not in the list), and it is the seed-000 race:
 * a thread that executed the old NOP#1 and is stopped at NOP#2 keeps the
 * stale x9; if NOP#2 becomes BL before it runs on, the trampoline "returns"
 * the function to garbage. The init's quiet range [site+4, site+8) says so
 * to lib/, which initialises only when no thread can be there (see
 * lib/nopconv.c's policy: the constructor while single-threaded, the
 * rtld-audit hook before an object's code runs, or right after a dlopen
 * while its caller is the only thread), and ARCH_INIT_SYNC makes it flush
 * and sync before any thread may run the MOV, so every later BL finds the
 * MOV executed by whoever reaches it.
 */
#include <errno.h>
#include <string.h>

#define ARCH_PURE
#include "aarch64.h"
#include "arch.h"

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static bool bl_decode(uint32_t w, uint64_t at, uint64_t *target)
{
	int64_t imm;

	if ((w & A64_BL_MASK) != A64_BL)
		return false;
	imm = (int64_t)(int32_t)((w & 0x03ffffffu) << 6) >> 4; /* imm26 * 4, signed */
	if (target)
		*target = at + (uint64_t)imm;
	return true;
}

static bool bl_encode(uint32_t *w, uint64_t at, uint64_t target)
{
	int64_t d = (int64_t)(target - at);

	if ((d & 3) || d < -(int64_t)A64_CALL_REACH || d >= (int64_t)A64_CALL_REACH)
		return false;
	*w = A64_BL | ((uint32_t)(d >> 2) & 0x03ffffffu);
	return true;
}

size_t aarch64_nop_len(const uint8_t *p, size_t avail)
{
	return avail >= 4 && rd32(p) == A64_NOP ? 4 : 0;
}

const char *aarch64_layout_name(int layout)
{
	return layout == AARCH64_LAYOUT_PFE ? "pfe-nop2" : "?";
}

int aarch64_site_state(const uint8_t *p, size_t avail, uint64_t site, uint64_t *target)
{
	uint32_t a, b;

	if (avail < A64_SITE_SIZE)
		return ARCH_ST_OTHER;
	a = rd32(p);
	b = rd32(p + 4);
	if (a == A64_NOP && b == A64_NOP)
		return ARCH_ST_RAW;
	if (a != A64_MOV_X9_X30)
		return ARCH_ST_OTHER;
	if (b == A64_NOP)
		return ARCH_ST_OFF;
	if (bl_decode(b, site + A64_CALL_BASE, target))
		return ARCH_ST_ON;
	return ARCH_ST_OTHER;
}

int aarch64_encode(uint8_t *out, uint64_t site, int state, uint64_t target)
{
	uint32_t bl;

	switch (state) {
	case ARCH_ST_RAW:
		wr32(out, A64_NOP);
		wr32(out + 4, A64_NOP);
		return 0;
	case ARCH_ST_OFF:
		wr32(out, A64_MOV_X9_X30);
		wr32(out + 4, A64_NOP);
		return 0;
	case ARCH_ST_ON:
		if (!bl_encode(&bl, site + A64_CALL_BASE, target))
			return -ERANGE;
		wr32(out, A64_MOV_X9_X30);
		wr32(out + 4, bl);
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * Scan. @rec is the record's address: the first prefix NOP (M > 0), or the
 * first site NOP (M = 0; after BTI c when there is one: GCC and clang record
 * entry + 4 then). @entry is lib/scan's, from symbols or FDEs, or 0.
 */
static int scan_at(const struct arch_scan_src *src, uint64_t rec, uint64_t entry, int kind,
		   struct arch_site_desc *out)
{
	uint8_t b[A64_SITE_SIZE + 4];
	uint8_t flags = 0, site_off = 0;
	uint64_t site;
	int st;

	memset(out, 0, sizeof(*out));
	if (kind != ARCH_REC_PFE)
		return ARCH_SKIP_BYTES; /* no -mrecord-mcount on aarch64 */
	if (rec & 3)
		return ARCH_SKIP_UNSTEPPABLE;
	if (!entry) {
		uint8_t p[16];

		/* BTI c just before the record: M = 0, the entry is the pad */
		if (rec >= 4 && src->read(src->ctx, rec - 4, p, 4) && rd32(p) == A64_BTI_C) {
			entry = rec - 4;
		} else {
			/* the recommended 4,2: two prefix NOPs, then [BTI c] and a
			 * site (RAW, or OFF/ON where an init already ran in memory);
			 * else a slot-less N,0 whose site is the record */
			uint64_t at = rec + 8;

			if (src->read(src->ctx, rec, p, 12) && rd32(p) == A64_NOP &&
			    rd32(p + 4) == A64_NOP) {
				if (rd32(p + 8) == A64_BTI_C)
					at += 4;
				entry = src->read(src->ctx, at, p, 8) &&
							aarch64_site_state(p, 8, at, NULL) !=
								ARCH_ST_OTHER
						? rec + 8
						: rec;
			} else {
				entry = rec;
			}
			flags |= ARCH_SCAN_F_ENTRY_HEUR;
		}
	}
	/* the record is at or before the entry, or right after its BTI c (M = 0) */
	if ((entry < rec && entry + 4 != rec) || (entry > rec && entry - rec > 64))
		return ARCH_SKIP_BYTES;
	if (!src->read(src->ctx, entry, b, 4))
		return ARCH_SKIP_OUTSIDE;
	if (rd32(b) == A64_BTI_C) {
		flags |= ARCH_SCAN_F_PAD;
		site_off = 4;
	} else if (entry < rec) {
		return ARCH_SKIP_BYTES;
	}
	site = entry + site_off;
	if (!src->read(src->ctx, site, b, A64_SITE_SIZE))
		return ARCH_SKIP_OUTSIDE;
	st = aarch64_site_state(b, A64_SITE_SIZE, site, NULL);
	if (st == ARCH_ST_OTHER)
		return ARCH_SKIP_BYTES;
	out->entry = entry;
	out->site_off = site_off;
	out->state = (uint8_t)st;
	out->layout = AARCH64_LAYOUT_PFE;
	/* M: the prefix, N: the prefix and the site's two instructions */
	out->m = entry > rec ? (uint8_t)((entry - rec) / 4) : 0;
	out->n = (uint8_t)(out->m + 2);
	if (out->m >= 2)
		flags |= (entry & 7) ? ARCH_SCAN_F_SLOT_UNAL : ARCH_SCAN_F_SLOT;
	/* every compiler leaves NOP, NOP: RAW, unless an init already ran in memory */
	if (st == ARCH_ST_RAW ||
	    (src->read_file && src->read_file(src->ctx, site, b, A64_SITE_SIZE) &&
	     aarch64_site_state(b, A64_SITE_SIZE, site, NULL) == ARCH_ST_RAW))
		flags |= ARCH_SCAN_F_RAW;
	out->flags = flags;
	return ARCH_SKIP_NONE;
}

/*
 * lib/scan's entry comes from a symbol, or from an FDE when there is none
 * (stripped objects). GCC and clang start a function's FDE after its
 * patchable NOPs, at the body: when the bytes there are not a site, the
 * entry is guessed from the record instead.
 */
int aarch64_scan_site(const struct arch_scan_src *src, uint64_t rec, uint64_t entry, int kind,
		      struct arch_site_desc *out)
{
	int r = scan_at(src, rec, entry, kind, out);

	if (r == ARCH_SKIP_BYTES && entry && kind == ARCH_REC_PFE)
		r = scan_at(src, rec, 0, kind, out);
	return r;
}

int aarch64_init_site(uint64_t site, const uint8_t *cur, struct arch_init *out)
{
	(void)site;
	if (rd32(cur) != A64_NOP || rd32(cur + 4) != A64_NOP)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->step.n = 1;
	out->step.st[0].off = 0;
	out->step.st[0].len = 4;
	out->step.st[0].flags = ARCH_STORE_ATOMIC;
	wr32(out->step.st[0].b, A64_MOV_X9_X30);
	out->quiet_lo = 4; /* NOP#2: see the comment at the top */
	out->quiet_hi = 8;
	/*
	 * NOP -> MOV is not one of the pairs the Arm ARM allows to change under
	 * a thread executing it (B2.2.5): no thread may run the site during the
	 * store, so lib/ initialises only when none can run the object's code.
	 */
	out->flags = ARCH_INIT_SYNC | ARCH_INIT_STOPPED;
	return 0;
}

int aarch64_plan_site(struct arch_plan *p, uint64_t site, int from, uint64_t from_target, int to,
		      uint64_t to_target)
{
	uint32_t w = A64_NOP;

	(void)from_target;
	memset(p, 0, sizeof(*p));
	if ((from != ARCH_ST_OFF && from != ARCH_ST_ON) || (to != ARCH_ST_OFF && to != ARCH_ST_ON))
		return -EINVAL;
	if (to == ARCH_ST_ON && !bl_encode(&w, site + A64_CALL_BASE, to_target))
		return -ERANGE;
	p->n = 1;
	p->step[0].n = 1;
	p->step[0].st[0].off = 4;
	p->step[0].st[0].len = 4;
	p->step[0].st[0].flags = ARCH_STORE_ATOMIC;
	wr32(p->step[0].st[0].b, w);
	return 0;
}

/*
 * LDR X16, #8; BR X16; .quad target. x16 (IP0) is free at a call, as in a
 * PLT stub; BR X16 lands on the trampolines' `bti c`, which accepts it.
 */
void aarch64_veneer(uint8_t *out, uint64_t at, uint64_t target)
{
	(void)at;
	wr32(out, A64_LDR_X16_LIT8);
	wr32(out + 4, A64_BR_X16);
	for (int i = 0; i < 8; i++)
		out[8 + i] = (uint8_t)(target >> (8 * i));
}

/*
 * The simulator: a thread at offset @pc of the site image. A thread at the
 * second instruction executed the first one before it stopped there: the
 * init's quiet range guarantees that it found the MOV whenever the image it
 * now meets has one. So a BL met with a NOP in front of it is the seed-000
 * race (x9 not the caller's return address): INVALID.
 */
static int a64_run(const uint8_t *img, unsigned int pc, uint64_t site, uint64_t *target,
		   uint64_t *seen)
{
	uint32_t a = rd32(img), b = rd32(img + 4);

	if (pc == 0) {
		*seen |= 1;
		if (a != A64_NOP && a != A64_MOV_X9_X30)
			return ARCH_RUN_INVALID;
		pc = 4;
	}
	if (pc == 4) {
		*seen |= 1u << 4;
		if (b == A64_NOP) {
			*seen |= 1u << 8;
			return ARCH_RUN_SKIP;
		}
		if (a == A64_MOV_X9_X30 && bl_decode(b, site + A64_CALL_BASE, target))
			return ARCH_RUN_CALL;
		return ARCH_RUN_INVALID;
	}
	if (pc == 8) {
		*seen |= 1u << 8;
		return ARCH_RUN_SKIP;
	}
	return ARCH_RUN_INVALID; /* not an instruction boundary */
}

const struct arch_desc arch_desc_aarch64 = {
	.name = "aarch64",
	.site_size = A64_SITE_SIZE,
	.scan_site = aarch64_scan_site,
	.site_state = aarch64_site_state,
	.encode = aarch64_encode,
	.init_site = aarch64_init_site,
	.plan_site = aarch64_plan_site,
	.run = a64_run,
};
