// SPDX-License-Identifier: MIT
/*
 * Unit tests: x86_64 encoders and the patch steps. Every intermediate state
 * of a step list is decoded as the instruction stream a thread would run
 * from the site: it must be the old instruction, a jump over the site, or the
 * new one.
 */
#include <check.h>
#include "run_suite.h"
#include <stdlib.h>
#include <string.h>

#include "arch.h"

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
		ck_assert_uint_eq(arch_nop_len(cases[i].b, sizeof(cases[i].b)), cases[i].len);
	ck_assert_uint_eq(arch_nop_len((const unsigned char[]){0x0f, 0x1f, 0x44}, 3), 0);
}
END_TEST

START_TEST(test_site_insn)
{
	unsigned char b[5];
	uintptr_t t = 0;

	memset(b, 0x90, 5);
	ck_assert_int_eq(arch_site_insn(b, 5, 0x1000, NULL), ARCH_INSN_NOP1RUN);
	arch_encode_nop(b);
	ck_assert_int_eq(arch_site_insn(b, 5, 0x1000, NULL), ARCH_INSN_NOP5);
	memcpy(b, (unsigned char[]){0x0f, 0x1f, 0x44, 0x00, 0x08}, 5); /* clang's */
	ck_assert_int_eq(arch_site_insn(b, 5, 0x1000, NULL), ARCH_INSN_NOP5);
	ck_assert(arch_encode_call(b, 0x1000, 0x2000));
	ck_assert_int_eq(arch_site_insn(b, 5, 0x1000, &t), ARCH_INSN_CALL);
	ck_assert_uint_eq(t, 0x2000);
	ck_assert(arch_encode_call(b, 0x7f0000001000, 0x7f0000000000));
	ck_assert_int_eq(arch_site_insn(b, 5, 0x7f0000001000, &t), ARCH_INSN_CALL);
	ck_assert_uint_eq(t, 0x7f0000000000);
	/* out of rel32 range */
	ck_assert(!arch_encode_call(b, 0x1000, 0x7f0000000000));
	ck_assert_int_eq(
		arch_site_insn((const unsigned char[]){0x55, 0x48, 0x89, 0xe5, 0x90}, 5, 0, NULL),
		ARCH_INSN_OTHER);
	ck_assert(arch_is_endbr((const unsigned char[]){0xf3, 0x0f, 0x1e, 0xfa}, 4));
	ck_assert(!arch_is_endbr((const unsigned char[]){0xf3, 0x0f, 0x1e, 0xfb}, 4));
}
END_TEST

/* What a thread entering at the site executes: "old", "skip" or "new"; NULL if invalid. */
static const char *classify(const unsigned char *b, const unsigned char *old,
			    const unsigned char *new)
{
	if (!memcmp(b, old, 5))
		return "old";
	if (!memcmp(b, new, 5))
		return "new";
	if (b[0] == 0xeb && b[1] == 0x03)
		return "skip";
	return NULL;
}

static void walk_steps(const unsigned char *old, const unsigned char *new)
{
	unsigned char b[5];

	memcpy(b, old, 5);
	for (int step = 0; step < ARCH_PATCH_STEPS; step++) {
		arch_patch_step(step, b, new);
		ck_assert_msg(classify(b, old, new), "invalid state after step %d", step);
	}
	ck_assert_mem_eq(b, new, 5);
}

START_TEST(test_steps)
{
	unsigned char nop[5], call[5], call2[5];

	arch_encode_nop(nop);
	ck_assert(arch_encode_call(call, 0x401000, 0x402000));
	ck_assert(arch_encode_call(call2, 0x401000, 0x400000));
	walk_steps(nop, call);
	walk_steps(call, nop);
	walk_steps(call, call2);
}
END_TEST

START_TEST(test_convert_run)
{
	unsigned char b[5], nop[5];

	memset(b, 0x90, 5);
	arch_convert_nop_run(b);
	arch_encode_nop(nop);
	ck_assert_mem_eq(b, nop, 5);
}
END_TEST

START_TEST(test_steppable_and_slot)
{
	ck_assert(arch_site_steppable(0x1000));
	ck_assert(arch_site_steppable(0x103e));
	ck_assert(!arch_site_steppable(0x103f));
	/* slot from the trampoline's return address, with and without endbr64 */
	ck_assert_uint_eq(arch_slot_from_ret(0x1008 + 5), 0x1000);
	ck_assert_uint_eq(arch_slot_from_ret(0x1008 + 4 + 5), 0x1000);
}
END_TEST

START_TEST(test_veneer)
{
	unsigned char v[ARCH_VENEER_SIZE];
	uintptr_t target;

	arch_write_veneer(v, 0x1122334455667788);
	ck_assert_uint_eq(v[0], 0x3e); /* notrack */
	ck_assert_uint_eq(v[1], 0xff);
	ck_assert_uint_eq(v[2], 0x25);
	memcpy(&target, v + 8, 8);
	ck_assert_uint_eq(target, 0x1122334455667788);
	/* the rip-relative displacement lands on the address */
	ck_assert_uint_eq(7 + v[3], 8);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("insn");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_nop_len);
	tcase_add_test(tc, test_site_insn);
	tcase_add_test(tc, test_steps);
	tcase_add_test(tc, test_convert_run);
	tcase_add_test(tc, test_steppable_and_slot);
	tcase_add_test(tc, test_veneer);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
