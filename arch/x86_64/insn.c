// SPDX-License-Identifier: MIT
/*
 * x86_64's pure verbs (arch/arch.h): what the compiler leaves at a site and
 * how it is found, NOP forms, CALL rel32, endbr64, the plans that rewrite a
 * live site, the init of GCC's NOP runs, veneers, and a simulator of a thread
 * running a site for the tests. Plain C: any host computes these.
 *
 * Why "jmp +3" steps rather than the kernel's int3 gate: user space would need
 * a SIGTRAP handler, which collides with debuggers and with the program's own
 * handlers. A 2-byte short jump written over the head of a 5-byte instruction
 * with a single 16-bit store is what LLVM XRay does to live sleds; every
 * thread sees either the old head or the jump, and the jump skips the three
 * bytes that change next. The 16-bit store must not straddle a cache line.
 */
#include <errno.h>
#include <string.h>

#define ARCH_PURE 1
#include "arch.h"
#include "x86_64.h"

#define MAX_PREFIX 64 /* largest M between record and entry */

static const uint8_t endbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};
static const uint8_t nop5[5] = {0x0f, 0x1f, 0x44, 0x00, 0x00};

static bool is_endbr(const uint8_t *p, size_t avail)
{
	return avail >= 4 && !memcmp(p, endbr64, 4);
}

size_t x86_64_nop_len(const uint8_t *p, size_t avail)
{
	size_t pfx = 0;

	if (avail >= 1 && p[0] == 0x90)
		return 1;
	/* operand-size and CS prefixes used by the long NOP forms */
	while (pfx < avail && pfx < 6 && (p[pfx] == 0x66 || p[pfx] == 0x2e))
		pfx++;
	if (pfx && pfx < avail && p[pfx] == 0x90)
		return pfx + 1;
	if (avail < pfx + 3 || p[pfx] != 0x0f || p[pfx + 1] != 0x1f)
		return 0;
	/* 0f 1f /0 with a memory operand: length follows the ModRM byte */
	switch (p[pfx + 2]) {
	case 0x00:
		return pfx + 3;
	case 0x40:
		return avail >= pfx + 4 ? pfx + 4 : 0;
	case 0x44:
		return avail >= pfx + 5 ? pfx + 5 : 0;
	case 0x80:
		return avail >= pfx + 7 ? pfx + 7 : 0;
	case 0x84:
		return avail >= pfx + 8 ? pfx + 8 : 0;
	default:
		return 0;
	}
}

const char *x86_64_layout_name(int layout)
{
	switch (layout) {
	case X86_LAYOUT_PFE_NOP1:
		return "pfe-nop1";
	case X86_LAYOUT_PFE_NOP5:
		return "pfe-nop5";
	case X86_LAYOUT_MCOUNT:
		return "mcount-nop5";
	default:
		return "?";
	}
}

ARCH_TEXT_ACCESS int x86_64_site_state(const uint8_t *p, size_t avail, uint64_t site,
				       uint64_t *target)
{
	if (avail < X86_SITE_SIZE)
		return ARCH_ST_OTHER;
	if (p[0] == 0x90 && p[1] == 0x90 && p[2] == 0x90 && p[3] == 0x90 && p[4] == 0x90)
		return ARCH_ST_RAW;
	if (p[0] == 0x0f && p[1] == 0x1f && p[2] == 0x44 && p[3] == 0x00)
		return ARCH_ST_OFF;
	if (p[0] == 0xe8) {
		int32_t rel;

		memcpy(&rel, p + 1, 4);
		if (target)
			*target = site + 5 + (uint64_t)(int64_t)rel;
		return ARCH_ST_ON;
	}
	return ARCH_ST_OTHER;
}

static int encode(uint8_t *out, uint64_t site, int state, uint64_t target)
{
	int64_t rel = (int64_t)(target - (site + 5));
	int32_t r32 = (int32_t)rel;

	if (state == ARCH_ST_RAW) {
		memset(out, 0x90, 5);
		return 0;
	}
	if (state == ARCH_ST_OFF) {
		memcpy(out, nop5, 5);
		return 0;
	}
	if (state != ARCH_ST_ON)
		return -EINVAL;
	if ((int64_t)r32 != rel)
		return -ERANGE;
	out[0] = 0xe8;
	memcpy(out + 1, &r32, 4);
	return 0;
}

/* The 2-byte head is stored atomically: it must not straddle a cache line. */
static bool steppable(uint64_t site)
{
	return (site & (X86_CACHE_LINE - 1)) != X86_CACHE_LINE - 1;
}

static void store(struct arch_step *s, unsigned int off, unsigned int len, bool atomic,
		  const uint8_t *b)
{
	struct arch_store *st = &s->st[s->n++];

	st->off = (uint8_t)off;
	st->len = (uint8_t)len;
	st->flags = atomic ? ARCH_STORE_ATOMIC : 0;
	memcpy(st->b, b, len);
}

/*
 * Any 5-byte instruction to any other, in three steps, each followed by a
 * sync of every core:
 *   0: head := "jmp +3" (one 16-bit store): callers now skip the site
 *   1: bytes 2..4 := the new ones (executed by no one)
 *   2: head := the new head (one 16-bit store)
 */
int x86_64_plan_site(struct arch_plan *p, uint64_t site, int from, uint64_t from_target, int to,
		     uint64_t to_target)
{
	static const uint8_t jmp3[2] = {0xeb, 0x03};
	uint8_t insn[X86_SITE_SIZE];
	int ret;

	(void)from_target;
	if (from != ARCH_ST_OFF && from != ARCH_ST_ON)
		return -EINVAL;
	ret = encode(insn, site, to, to_target);
	if (ret)
		return ret;
	memset(p, 0, sizeof(*p));
	p->n = 3;
	store(&p->step[0], 0, 2, true, jmp3);
	store(&p->step[1], 2, 3, false, insn + 2);
	store(&p->step[2], 0, 2, true, insn);
	return 0;
}

/*
 * GCC's run of five 1-byte NOPs becomes one NOP5. Head last: a thread
 * reaching the site first sees 0x0f only with the rest in place. A thread
 * stopped inside the run (offsets 1..4) would execute the NOP5's tail.
 */
int x86_64_init_site(uint64_t site, const uint8_t *cur, struct arch_init *out)
{
	if (x86_64_site_state(cur, X86_SITE_SIZE, site, NULL) != ARCH_ST_RAW)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	store(&out->step, 1, 4, false, nop5 + 1);
	store(&out->step, 0, 1, false, nop5);
	out->quiet_lo = 1;
	out->quiet_hi = X86_SITE_SIZE;
	out->flags = ARCH_INIT_STOPPED; /* 90 then 1f.. is no instruction stream */
	return 0;
}

void x86_64_veneer(uint8_t *out, uint64_t at, uint64_t target)
{
	/* notrack jmp *1(%rip); int3; .quad target */
	static const uint8_t jmp[8] = {0x3e, 0xff, 0x25, 0x01, 0x00, 0x00, 0x00, 0xcc};

	(void)at;
	memcpy(out, jmp, 8);
	memcpy(out + 8, &target, 8);
}

/*
 * A PLT stub at @at (32-aligned), ARCH_PLT_STUB_SIZE bytes:
 *
 *	+0   .quad ops			the slot: what the trampoline dispatches to
 *	+8   f3 0f 1e fa		endbr64 (the entry: the GOT points here, and
 *					the PLT reaches it with an indirect jmp)
 *	+12  ff 15 rel32		call *tramp(%rip): the slot trampoline; it
 *					returns to +18, so its slot = (+18 - 13) & ~7 = +0
 *	+18  3e ff 25 rel32		notrack jmp *real(%rip): the bound target
 *	+25  cc x 7
 *
 * At +8 the stack is a traced function's at its entry (the caller's return
 * address at the top), so function_graph hooks the call as it hooks any.
 */
void x86_64_plt_stub(uint8_t *out, uint64_t at, uint64_t ops, uint64_t tramp_word,
		     uint64_t real_word)
{
	int32_t rel;

	memset(out, 0xcc, X86_PLT_STUB_SIZE);
	memcpy(out, &ops, 8);
	memcpy(out + 8, (const uint8_t[]){0xf3, 0x0f, 0x1e, 0xfa, 0xff, 0x15}, 6);
	rel = (int32_t)(int64_t)(tramp_word - (at + 18));
	memcpy(out + 14, &rel, 4);
	memcpy(out + 18, (const uint8_t[]){0x3e, 0xff, 0x25}, 3);
	rel = (int32_t)(int64_t)(real_word - (at + 25));
	memcpy(out + 21, &rel, 4);
}

/*
 * The stub for vfork (ARCH_PLT_VFORK_SIZE bytes at @at, entry at @at): the
 * child runs with the parent's memory and this thread's TLS, so whatever it
 * records would land in the parent's buffer and shadow stack. The stub sets
 * @bit in the recursion guard (TLS at %fs:@guard) around vfork and clears it
 * in the parent only; the child stays untraced until it execs or exits. The
 * caller's return address waits in TLS (%fs:@saved), not on the stack the
 * child shares:
 *
 *	+0   f3 0f 1e fa		endbr64
 *	+4   41 5b			pop %r11		the return address
 *	+6   64 4c 89 1c 25 d32		mov %r11, %fs:saved
 *	+15  64 83 0c 25 d32 ib		orl $bit, %fs:guard
 *	+24  ff 15 rel32		call *real(%rip)	vfork: returns twice
 *	+30  85 c0			test %eax, %eax
 *	+32  74 09			jz +43			the child keeps the guard
 *	+34  64 83 24 25 d32 ib		andl $~bit, %fs:guard	the parent clears it
 *	+43  64 4c 8b 1c 25 d32		mov %fs:saved, %r11
 *	+52  3e 41 ff e3		notrack jmp *%r11
 *	+56  cc x 8
 *
 * %r11 is a scratch register at any call; the stack is as the caller's call
 * left it minus the return address, so vfork sees a normal call.
 */
void x86_64_plt_vfork_stub(uint8_t *out, uint64_t at, uint64_t real_word, int32_t guard,
			   int32_t saved, uint8_t bit)
{
	int32_t rel = (int32_t)(int64_t)(real_word - (at + 30));
	uint8_t *p = out;

	memset(out, 0xcc, X86_PLT_VFORK_SIZE);
#define PUT(...)                                    \
	do {                                        \
		const uint8_t b_[] = {__VA_ARGS__}; \
		memcpy(p, b_, sizeof(b_));          \
		p += sizeof(b_);                    \
	} while (0)
#define PUT32(v)                   \
	do {                       \
		int32_t v_ = (v);  \
		memcpy(p, &v_, 4); \
		p += 4;            \
	} while (0)
	PUT(0xf3, 0x0f, 0x1e, 0xfa, 0x41, 0x5b);
	PUT(0x64, 0x4c, 0x89, 0x1c, 0x25);
	PUT32(saved);
	PUT(0x64, 0x83, 0x0c, 0x25);
	PUT32(guard);
	PUT(bit);
	PUT(0xff, 0x15);
	PUT32(rel);
	PUT(0x85, 0xc0, 0x74, 0x09);
	PUT(0x64, 0x83, 0x24, 0x25);
	PUT32(guard);
	PUT((uint8_t)~bit);
	PUT(0x64, 0x4c, 0x8b, 0x1c, 0x25);
	PUT32(saved);
	PUT(0x3e, 0x41, 0xff, 0xe3);
#undef PUT
#undef PUT32
}

/* Count NOP bytes from @va, up to @max. */
static size_t nop_bytes(const struct arch_scan_src *src, uint64_t va, size_t max)
{
	uint8_t b[MAX_PREFIX + 16];
	size_t have, n = 0;

	if (max > MAX_PREFIX)
		max = MAX_PREFIX;
	for (have = max + 15; have >= 1; have--)
		if (src->read(src->ctx, va, b, have))
			break;
	while (n < max && n < have) {
		size_t l = x86_64_nop_len(b + n, have - n);

		if (!l)
			break;
		n += l;
	}
	return n;
}

/* Guess the entry when neither symbols nor FDEs cover this record. */
static uint64_t guess_entry(const struct arch_scan_src *src, uint64_t rec)
{
	uint8_t b[MAX_PREFIX + 8];
	size_t n = nop_bytes(src, rec, MAX_PREFIX);

	if (!src->read(src->ctx, rec, b, n + 4 <= sizeof(b) ? n + 4 : n))
		return rec;
	if (is_endbr(b + n, 4))
		return rec + n; /* prefix NOPs, then endbr64 at the entry */
	if (n >= 13 && n - 5 >= 8) {
		/* recommended 13,8: GCC's 13 x 0x90, or clang's 8 x 0x90 + NOP5 */
		if (n == 13)
			return rec + 8;
	}
	return rec;
}

int x86_64_scan_site(const struct arch_scan_src *src, uint64_t rec, uint64_t entry, int kind,
		     struct arch_site_desc *out)
{
	bool mcount = kind == ARCH_REC_MCOUNT;
	uint8_t b[X86_PAD_SIZE + X86_SITE_SIZE];
	uint64_t site;

	memset(out, 0, sizeof(*out));
	if (mcount) {
		uint8_t e[X86_PAD_SIZE];

		entry = rec;
		if (rec >= X86_PAD_SIZE && src->read(src->ctx, rec - 4, e, 4) && is_endbr(e, 4))
			entry = rec - X86_PAD_SIZE;
	} else if (!entry) {
		entry = guess_entry(src, rec);
		out->flags |= ARCH_SCAN_F_ENTRY_HEUR;
	}
	if (!src->read(src->ctx, entry, b, X86_PAD_SIZE))
		return ARCH_SKIP_OUTSIDE;
	if (is_endbr(b, X86_PAD_SIZE)) {
		out->flags |= ARCH_SCAN_F_PAD;
		out->site_off = X86_PAD_SIZE;
	}
	site = entry + out->site_off;
	if (!src->read(src->ctx, site, b, X86_SITE_SIZE))
		return ARCH_SKIP_OUTSIDE;
	out->state = (uint8_t)x86_64_site_state(b, X86_SITE_SIZE, 0, NULL);
	if (mcount) {
		if (out->state != ARCH_ST_OFF)
			return ARCH_SKIP_BYTES;
		out->layout = X86_LAYOUT_MCOUNT;
	} else if (out->state == ARCH_ST_RAW) {
		out->layout = X86_LAYOUT_PFE_NOP1;
	} else if (out->state == ARCH_ST_OFF) {
		uint8_t f[X86_SITE_SIZE];

		/* GCC's run, already initialised as the object was mapped */
		out->layout =
			src->read_file && src->read_file(src->ctx, site, f, sizeof(f)) &&
					x86_64_site_state(f, sizeof(f), 0, NULL) == ARCH_ST_RAW
				? X86_LAYOUT_PFE_NOP1
				: X86_LAYOUT_PFE_NOP5;
	} else {
		return ARCH_SKIP_BYTES;
	}
	if (out->layout == X86_LAYOUT_PFE_NOP1)
		out->flags |= ARCH_SCAN_F_RAW;
	if (!steppable(site))
		return ARCH_SKIP_UNSTEPPABLE;
	out->m = mcount ? 0 : (uint8_t)(entry - rec);
	out->n = (uint8_t)(out->m + nop_bytes(src, site, 32));
	if (out->m >= 8)
		out->flags |= (entry & 7) ? ARCH_SCAN_F_SLOT_UNAL : ARCH_SCAN_F_SLOT;
	out->entry = entry;
	return ARCH_SKIP_NONE;
}

/*
 * The tests' simulator: the instructions a site may hold (1-byte NOPs, NOP5,
 * "jmp +3", CALL rel32), each only where it lies wholly inside the site.
 */
static int run(const uint8_t *img, unsigned int pc, uint64_t site, uint64_t *target, uint64_t *seen)
{
	for (;;) {
		*seen |= 1ull << pc;
		if (pc == X86_SITE_SIZE)
			return ARCH_RUN_SKIP;
		if (img[pc] == 0x90) {
			pc++;
		} else if (pc == 0 && !memcmp(img, nop5, 4)) {
			pc = 5;
		} else if (pc + 2 <= X86_SITE_SIZE && img[pc] == 0xeb &&
			   pc + 2 + img[pc + 1] <= X86_SITE_SIZE) {
			pc += 2 + img[pc + 1];
		} else if (pc == 0 && img[0] == 0xe8) {
			x86_64_site_state(img, X86_SITE_SIZE, site, target);
			return ARCH_RUN_CALL;
		} else {
			return ARCH_RUN_INVALID;
		}
	}
}

const struct arch_desc arch_desc_x86_64 = {
	.name = "x86_64",
	.site_size = X86_SITE_SIZE,
	.scan_site = x86_64_scan_site,
	.site_state = x86_64_site_state,
	.encode = encode,
	.init_site = x86_64_init_site,
	.plan_site = x86_64_plan_site,
	.run = run,
};
