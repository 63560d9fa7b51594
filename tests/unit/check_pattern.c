// SPDX-License-Identifier: MIT
/* Unit tests: glob matching and the filter pattern parser. */
#include <check.h>
#include "run_suite.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"

START_TEST(test_glob)
{
	ck_assert(frt_glob_match("*", ""));
	ck_assert(frt_glob_match("*", "anything"));
	ck_assert(frt_glob_match("foo", "foo"));
	ck_assert(!frt_glob_match("foo", "foobar"));
	ck_assert(frt_glob_match("foo*", "foobar"));
	ck_assert(frt_glob_match("*bar", "foobar"));
	ck_assert(frt_glob_match("f*o*r", "foobar"));
	ck_assert(!frt_glob_match("f*o*x", "foobar"));
	ck_assert(frt_glob_match("f?o", "foo"));
	ck_assert(!frt_glob_match("f?o", "fo"));
	ck_assert(frt_glob_match("st_m0[0-4]?", "st_m031"));
	ck_assert(!frt_glob_match("st_m0[0-4]?", "st_m051"));
	ck_assert(frt_glob_match("[!a]x", "bx"));
	ck_assert(!frt_glob_match("[!a]x", "ax"));
	ck_assert(frt_glob_match("[^a]x", "bx"));
	ck_assert(frt_glob_match("[]]", "]"));
	ck_assert(frt_glob_match("a\\*b", "a*b"));
	ck_assert(!frt_glob_match("a\\*b", "axb"));
	ck_assert(frt_glob_match("_ZN3foo*", "_ZN3foo3barEv"));
	/* many stars: no exponential blowup */
	ck_assert(!frt_glob_match("*a*a*a*a*a*a*a*a*a*a*a*b",
				  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}
END_TEST

START_TEST(test_parse)
{
	struct frt_patterns p = {0};
	char err[256];

	ck_assert_int_eq(frt_patterns_parse("foo, bar*\tbaz@libx.so  q@main", &p, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(p.n, 4);
	ck_assert_str_eq(p.v[0].glob, "foo");
	ck_assert_ptr_null(p.v[0].module);
	ck_assert_str_eq(p.v[2].glob, "baz");
	ck_assert_str_eq(p.v[2].module, "libx.so");
	ck_assert(frt_pattern_match(&p.v[2], "baz", "libx.so", false));
	ck_assert(!frt_pattern_match(&p.v[2], "baz", "liby.so", false));
	ck_assert(frt_pattern_match(&p.v[3], "q", "prog", true));
	ck_assert(!frt_pattern_match(&p.v[3], "q", "prog", false));
	ck_assert(frt_pattern_match(&p.v[1], "barfly", "whatever", false));
	frt_patterns_free(&p);

	ck_assert_int_eq(frt_patterns_parse("", &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(p.n, 0);
	ck_assert_int_eq(frt_patterns_parse(" , ,\n", &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(p.n, 0);
	ck_assert_int_eq(frt_patterns_parse(NULL, &p, err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_parse_errors)
{
	struct frt_patterns p = {0};
	char err[256], *big;
	static const char *const bad[] = {"foo[",  "ok,[abc", "@mod",  "foo@",
					  "a@b@c", "x\\",     "a\001b"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ck_assert_int_eq(frt_patterns_parse(bad[i], &p, err, sizeof(err)), -EINVAL);
		ck_assert_uint_eq(p.n, 0); /* nothing appended on error */
		ck_assert(strlen(err) > 0);
	}
	/* an error after good patterns leaves what was there before */
	ck_assert_int_eq(frt_patterns_parse("one", &p, err, sizeof(err)), 0);
	ck_assert_int_eq(frt_patterns_parse("two three[", &p, err, sizeof(err)), -EINVAL);
	ck_assert_uint_eq(p.n, 1);
	frt_patterns_free(&p);

	big = malloc(FRT_PATTERN_MAX + 2);
	memset(big, 'a', FRT_PATTERN_MAX + 1);
	big[FRT_PATTERN_MAX + 1] = 0;
	ck_assert_int_eq(frt_patterns_parse(big, &p, err, sizeof(err)), -EINVAL);
	big[FRT_PATTERN_MAX] = 0;
	ck_assert_int_eq(frt_patterns_parse(big, &p, err, sizeof(err)), 0);
	frt_patterns_free(&p);
	free(big);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pattern");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_glob);
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_parse_errors);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
