// SPDX-License-Identifier: MIT
/* Unit tests: the C++ demangler's simple form, and patterns over demangled names. */
#include <check.h>
#include "run_suite.h"
#include <stdio.h>
#include <string.h>

#include "demangle.h"
#include "pattern.h"

static const struct {
	const char *mangled, *simple;
} table[] = {
	/* mangled -> simple name; generated from c++filt output (parameter lists
	 * removed) for symbols of tests/tracers/tr_cxx and libstdc++, and hand-written
	 * edge cases checked the same way. */
	{"_Z10cx_catcheri", "cx_catcher"},
	{"_Z10cx_catcheri.cold", "cx_catcher"},
	{"_Z10cx_rethrowi", "cx_rethrow"},
	{"_Z10cx_rethrowi.cold", "cx_rethrow"},
	{"_Z10cx_throweri", "cx_thrower"},
	{"_Z10cx_throweri.cold", "cx_thrower"},
	{"_Z7cx_leafv", "cx_leaf"},
	{"_ZL4sink", "sink"},
	{"_ZNSt13runtime_errorC1EPKc", "std::runtime_error::runtime_error"},
	{"_ZNSt13runtime_errorD1Ev", "std::runtime_error::~runtime_error"},
	{"_ZNSt7__cxx1115basic_stringbufIwSt11char_traitsIwESaIwEEC1ESt13_Ios_Openmode",
	 "std::__cxx11::basic_stringbuf<wchar_t, std::char_traits<wchar_t>, "
	 "std::allocator<wchar_t> >::basic_stringbuf"},
	{"_ZNSt14basic_iostreamIwSt11char_traitsIwEEC1Ev",
	 "std::basic_iostream<wchar_t, std::char_traits<wchar_t> >::basic_iostream"},
	{"_ZNSt7__cxx1114collate_bynameIcEC1ERKNS_12basic_stringIcSt11char_traitsIcESaIcEEEm",
	 "std::__cxx11::collate_byname<char>::collate_byname"},
	{"_ZNSt7codecvtIDic11__mbstate_tED0Ev",
	 "std::codecvt<char32_t, char, __mbstate_t>::~codecvt"},
	{"_ZNSt8ios_base7failureB5cxx11D0Ev", "std::ios_base::failure[abi:cxx11]::~failure"},
	{"_ZNSt9type_infoD0Ev", "std::type_info::~type_info"},
	{"_ZNKSt20__codecvt_utf16_baseIwE6do_outER11__mbstate_tPKwS4_RS4_PcS6_RS6_",
	 "std::__codecvt_utf16_base<wchar_t>::do_out"},
	{"_ZNSt20__codecvt_utf16_baseIDsED0Ev",
	 "std::__codecvt_utf16_base<char16_t>::~__codecvt_utf16_base"},
	{"_ZNKSt20__codecvt_utf16_baseIDsE9do_lengthER11__mbstate_tPKcS4_m",
	 "std::__codecvt_utf16_base<char16_t>::do_length"},
	{"_ZNSt13basic_ostreamIwSt11char_traitsIwEElsEs",
	 "std::basic_ostream<wchar_t, std::char_traits<wchar_t> >::operator<<"},
	{"_ZNSt13basic_ostreamIwSt11char_traitsIwEElsEPFRS2_S3_E",
	 "std::basic_ostream<wchar_t, std::char_traits<wchar_t> >::operator<<"},
	{"_ZStlsIwSt11char_traitsIwESaIwEERSt13basic_ostreamIT_T0_ES7_RKNSt7__cxx1112basic_"
	 "stringIS4_S5_T1_EE",
	 "std::operator<< <wchar_t, std::char_traits<wchar_t>, std::allocator<wchar_t> >"},
	{"_ZN9__gnu_cxx18stdio_sync_filebufIcSt11char_traitsIcEE6xsputnEPKcl",
	 "__gnu_cxx::stdio_sync_filebuf<char, std::char_traits<char> >::xsputn"},
	{"_ZNSt9basic_iosIwSt11char_traitsIwEE5clearESt12_Ios_Iostate",
	 "std::basic_ios<wchar_t, std::char_traits<wchar_t> >::clear"},
	{"_ZNKSt7__cxx118messagesIwE8do_closeEi", "std::__cxx11::messages<wchar_t>::do_close"},
	{"_ZNSt7__cxx1112basic_stringIwSt11char_traitsIwESaIwEEC1ENS4_12__sv_wrapperERKS3_",
	 "std::__cxx11::basic_string<wchar_t, std::char_traits<wchar_t>, std::allocator<wchar_t> "
	 ">::basic_string"},
	{"_ZNKSt7__cxx1112basic_stringIwSt11char_traitsIwESaIwEE16find_last_not_ofEwm",
	 "std::__cxx11::basic_string<wchar_t, std::char_traits<wchar_t>, std::allocator<wchar_t> "
	 ">::find_last_not_of"},
	{"_ZNSbIwSt11char_traitsIwESaIwEE6insertEN9__gnu_cxx17__normal_iteratorIPwS2_EEmw",
	 "std::basic_string<wchar_t, std::char_traits<wchar_t>, std::allocator<wchar_t> >::insert"},
	{"_ZNSsC1IPKcEET_S2_RKSaIcE", "std::basic_string<char, std::char_traits<char>, "
				      "std::allocator<char> >::basic_string<char const*>"},
	{"_ZNSs6insertEmPKcm",
	 "std::basic_string<char, std::char_traits<char>, std::allocator<char> >::insert"},
	{"_ZNSs7replaceEmmPKc",
	 "std::basic_string<char, std::char_traits<char>, std::allocator<char> >::replace"},
	{"_ZNSbIwSt11char_traitsIwESaIwEE4nposE",
	 "std::basic_string<wchar_t, std::char_traits<wchar_t>, std::allocator<wchar_t> >::npos"},
	{"_ZNKSbIwSt11char_traitsIwESaIwEE17find_first_not_ofEPKwmm",
	 "std::basic_string<wchar_t, std::char_traits<wchar_t>, std::allocator<wchar_t> "
	 ">::find_first_not_of"},
	{"_ZNKSbIwSt11char_traitsIwESaIwEE13find_first_ofEPKwm",
	 "std::basic_string<wchar_t, std::char_traits<wchar_t>, std::allocator<wchar_t> "
	 ">::find_first_of"},
	{"_ZNSt13basic_fstreamIwSt11char_traitsIwEEC2ERKNSt7__cxx1112basic_stringIcS0_"
	 "IcESaIcEEESt13_Ios_Openmode",
	 "std::basic_fstream<wchar_t, std::char_traits<wchar_t> >::basic_fstream"},
	{"_ZNSt14numeric_limitsIjE12max_exponentE",
	 "std::numeric_limits<unsigned int>::max_exponent"},
	{"_ZNSt15basic_stringbufIcSt11char_traitsIcESaIcEEC2EOS3_",
	 "std::basic_stringbuf<char, std::char_traits<char>, std::allocator<char> "
	 ">::basic_stringbuf"},
	{"_ZNSt8ios_base7failureB5cxx11C1EPKcRKSt10error_code",
	 "std::ios_base::failure[abi:cxx11]::failure"},
	{"_ZNSt8ios_base7failureB5cxx11D1Ev", "std::ios_base::failure[abi:cxx11]::~failure"},
	{"_ZNSt10filesystem19temp_directory_pathB5cxx11ERSt10error_code",
	 "std::filesystem::temp_directory_path[abi:cxx11]"},
	{"_ZNSt10filesystem4path16replace_filenameERKS0_",
	 "std::filesystem::path::replace_filename"},
	{"_ZNSt10filesystem4pathaSERKS0_", "std::filesystem::path::operator="},
	{"_ZNSt6__norm15_List_node_base4hookEPS0_", "std::__norm::_List_node_base::hook"},
	{"_ZNSt13basic_ostreamIwSt11char_traitsIwEEC2EPSt15basic_streambufIwS1_E",
	 "std::basic_ostream<wchar_t, std::char_traits<wchar_t> >::basic_ostream"},
	{"_ZNSt9__cxx199815_List_node_base4swapERS0_S1_", "std::__cxx1998::_List_node_base::swap"},
	{"_ZNSbIwSt11char_traitsIwESaIwEEC2EPKwRKS1_",
	 "std::basic_string<wchar_t, std::char_traits<wchar_t>, std::allocator<wchar_t> "
	 ">::basic_string"},
	{"_ZNSo9_M_insertIPKvEERSoT_",
	 "std::basic_ostream<char, std::char_traits<char> >::_M_insert<void const*>"},
	{"_ZSt7getlineIcSt11char_traitsIcESaIcEERSt13basic_istreamIT_T0_ES7_RNSt7__cxx1112basic_"
	 "stringIS4_S5_T1_EE",
	 "std::getline<char, std::char_traits<char>, std::allocator<char> >"},
	{"_ZSt7getlineIcSt11char_traitsIcESaIcEERSt13basic_istreamIT_T0_ES7_RNSt7__cxx1112basic_"
	 "stringIS4_S5_T1_EES4_",
	 "std::getline<char, std::char_traits<char>, std::allocator<char> >"},
	{"_ZNSt7__cxx1110moneypunctIwLb1EE24_M_initialize_moneypunctEP15__locale_structPKc",
	 "std::__cxx11::moneypunct<wchar_t, true>::_M_initialize_moneypunct"},
	{"_ZNSt10moneypunctIwLb0EEC1EPSt18__moneypunct_cacheIwLb0EEm",
	 "std::moneypunct<wchar_t, false>::moneypunct"},
	{"_ZNSt7__cxx1110moneypunctIcLb1EE4intlE", "std::__cxx11::moneypunct<char, true>::intl"},
	{"_ZN8Registry3getEi", "Registry::get"},
	{"_ZN6shapes6Circle4areaEv", "shapes::Circle::area"},
	{"_ZN3FooC1Ev", "Foo::Foo"},
	{"_ZN3FooC2ERKS_", "Foo::Foo"},
	{"_ZN3FooD0Ev", "Foo::~Foo"},
	{"_ZN3FooD2Ev", "Foo::~Foo"},
	{"_ZN3FooplERKS_", "Foo::operator+"},
	{"_ZNK3FooclEv", "Foo::operator()"},
	{"_ZN3FooixEm", "Foo::operator[]"},
	{"_ZN3FoocvbEv", "Foo::operator bool"},
	{"_ZN3FooaSEOS_", "Foo::operator="},
	{"_ZN3FoonwEm", "Foo::operator new"},
	{"_ZdlPv", "operator delete"},
	{"_Znwm", "operator new"},
	{"_ZNSt6vectorIiSaIiEE9push_backERKi", "std::vector<int, std::allocator<int> >::push_back"},
	{"_ZNSt6vectorIiSaIiEE9push_backEOi", "std::vector<int, std::allocator<int> >::push_back"},
	{"_ZSt4swapIiEvRT_S1_", "std::swap<int>"},
	{"_ZNKSt9exception4whatEv", "std::exception::what"},
	{"_ZNK6shapes6Circle4areaEv", "shapes::Circle::area"},
	{"_ZNR1A1fEv", "A::f"},
	{"_ZNO1A1fEv", "A::f"},
	{"_ZZ4mainE5local", "main::local"},
	{"_ZZN1A1fEvE1B", "A::f::B"},
	{"_ZZ4mainENKUlvE_clEv", "main::{lambda()#1}::operator()"},
	{"_ZZ4mainENKUliE0_clEi", "main::{lambda(int)#2}::operator()"},
	{"_ZN12_GLOBAL__N_14implEv", "(anonymous namespace)::impl"},
	{"_ZN12_GLOBAL__N_16shapes4Cube6volumeEv", "(anonymous namespace)::shapes::Cube::volume"},
	{"_ZL6helperv", "helper"},
	{"_ZN1AILi3EE1fEv", "A<3>::f"},
	{"_ZN1AILb1EE1fEv", "A<true>::f"},
	{"_ZN1AIJidEE1fEv", "A<int, double>::f"},
	{"_ZN1AIJEE1fEv", "A<>::f"},
	{"_ZN1AIPKcE1fEv", "A<char const*>::f"},
	{"_ZN1AIA3_iE1fEv", "A<int [3]>::f"},
	{"_ZN1AIMS_FivEE1fEv", "A<int (A::*)()>::f"},
	{"_ZN1AIFvRiEE1fEv", "A<void (int&)>::f"},
	{"_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE7_M_dataEv",
	 "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> "
	 ">::_M_data"},
	{"_ZNSs4sizeEv",
	 "std::basic_string<char, std::char_traits<char>, std::allocator<char> >::size"},
	{"_ZNSsC1Ev",
	 "std::basic_string<char, std::char_traits<char>, std::allocator<char> >::basic_string"},
	{"_ZNSaIcEC1Ev", "std::allocator<char>::allocator"},
	{"_ZNSt8ios_base4InitC1Ev", "std::ios_base::Init::Init"},
	{"_ZN1A1fB5cxx11Ev", "A::f[abi:cxx11]"},
	{"_ZN1AIiE1fIdEEvT_", "A<int>::f<double>"},
	{"_ZN5outer5inner1fIiEEvv", "outer::inner::f<int>"},
	{"_ZStlsISt11char_traitsIcEERSt13basic_ostreamIcT_ES5_PKc",
	 "std::operator<< <std::char_traits<char> >"},
	{"_ZN3FoolsEi", "Foo::operator<<"},
	{"_ZN3FoossERKS_", "Foo::operator<=>"},
	{"_ZN3FooltERKS_", "Foo::operator<"},
	{"_ZN1A3getIiEET_v", "A::get<int>"},
	{"_ZN4llvm11PassManagerINS_6ModuleENS_15AnalysisManagerIS1_JEEEJEE3runERS1_RS3_",
	 "llvm::PassManager<llvm::Module, llvm::AnalysisManager<llvm::Module>>::run"},
	{"_Z1fv.cold", "f"},
	{"_Z3fooi.constprop.0", "foo"},
	{"_Z3fooIJiEEvDpT_", "foo<int>"},
	{"_ZN1AC1IiEET_", "A::A<int>"},
	{"_Z1fIDnEvv", "f<decltype(nullptr)>"},
};

START_TEST(test_table)
{
	char out[FRT_DEMANGLE_MAX + 1];

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		memset(out, 0, sizeof(out));
		ck_assert_msg(frt_demangle_simple(table[i].mangled, out, sizeof(out)),
			      "%s: not demangled", table[i].mangled);
		ck_assert_str_eq(out, table[i].simple);
	}
}
END_TEST

/* What it does not demangle stays mangled: the call fails, @out untouched. */
START_TEST(test_left_mangled)
{
	static const char *const bad[] = {
		"main",
		"",
		"_Z",
		"_Z3",
		"_Z999foo",
		"_ZN",
		"_ZN3foo",
		"_ZN3fooIE",
		"_ZTV3Foo",
		"_ZTI3Foo",
		"_ZThn8_N3Foo1fEv",
		"_ZGVZ4mainE1x",
		"_GLOBAL__sub_I_main.cc",
		"_ZS_",
		"_ZNS0_1fEv",
		"_ZT_",
		"_ZZ4main",
		"_ZN1AIXadL_Z1fvEEE1gEv",
	};
	char out[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(out, "untouched");
		ck_assert_msg(!frt_demangle_simple(bad[i], out, sizeof(out)), "%s", bad[i]);
		ck_assert_str_eq(out, "untouched");
	}
	/* a result longer than the buffer */
	ck_assert(!frt_demangle_simple("_ZN6shapes6Circle4areaEv", out, 8));
}
END_TEST

/* Substitution bombs stay bounded: the output limit stops them. */
START_TEST(test_bounded)
{
	char in[4096], out[FRT_DEMANGLE_MAX + 1];
	size_t n = 0;

	n += sprintf(in + n, "_Z1fI");
	n += sprintf(in + n, "St4pairIiiE");
	for (int i = 0; i < 150;
	     i++) /* about 3,000 bytes: over the input limit, and far more out */
		n += sprintf(in + n, "St4pairIS%d_S%d_E", i, i);
	sprintf(in + n, "EEvv");
	ck_assert(!frt_demangle_simple(in, out, sizeof(out)));
	/* deep nesting */
	n = sprintf(in, "_Z1fI");
	for (int i = 0; i < 1000; i++)
		in[n++] = 'P';
	strcpy(in + n, "iEvv");
	ck_assert(!frt_demangle_simple(in, out, sizeof(out)));
}
END_TEST

static bool matches(const char *pattern, const char *func)
{
	struct frt_patterns p = {0};
	char err[128];
	bool hit = false;

	ck_assert_int_eq(frt_patterns_parse(pattern, &p, err, sizeof(err)), 0);
	for (size_t i = 0; i < p.n; i++)
		hit |= frt_pattern_match(&p.v[i], func, "prog", true);
	frt_patterns_free(&p);
	return hit;
}

START_TEST(test_patterns)
{
	ck_assert(matches("Registry::get", "_ZN8Registry3getEi"));
	ck_assert(!matches("Registry::get", "_ZN8Registry3setEi"));
	ck_assert(matches("shapes::*", "_ZN6shapes6Circle4areaEv"));
	ck_assert(matches("shapes::*", "_ZNK6shapes6Square4areaEv"));
	ck_assert(!matches("shapes::*", "_ZN8Registry3getEi"));
	ck_assert(matches("*::area", "_ZNK6shapes6Square4areaEv"));
	ck_assert(matches("Foo::~Foo", "_ZN3FooD2Ev"));
	ck_assert(matches("std::vector<int*::push_back", "_ZNSt6vectorIiSaIiEE9push_backERKi"));
	ck_assert(matches("cx_leaf", "_Z7cx_leafv"));
	ck_assert(matches("cx_leaf@main", "_Z7cx_leafv"));
	/* mangled patterns still match the mangled name, and only it */
	ck_assert(matches("_ZN8Registry*", "_ZN8Registry3getEi"));
	ck_assert(!matches("_ZN8Registry3getEv", "_ZN8Registry3getEi"));
	/* C names are never demangled */
	ck_assert(!matches("Registry::get", "Registry_get"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("demangle");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_left_mangled);
	tcase_add_test(tc, test_bounded);
	tcase_add_test(tc, test_patterns);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return run_suite(suite());
}
