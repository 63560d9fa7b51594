// SPDX-License-Identifier: MIT
/*
 * Built by GCC with -fpatchable-function-entry=13,8: its functions start with
 * runs of five 1-byte NOPs. Its constructor hands the program a function to
 * run in another thread before dlopen returns (see nested.c).
 */
extern void plugin_loading(int (*fn)(int));

__attribute__((noinline)) int pf(int x)
{
	return x + 1;
}

__attribute__((constructor)) static void ctor(void)
{
	plugin_loading(pf);
}
