// SPDX-License-Identifier: MIT
/* A BTI-marked plugin bti_prog dlopens far from the runtime: its sites reach the trampolines
 * through veneers. */
__attribute__((noinline)) int plug_leaf(int x)
{
	__asm__ volatile("" ::: "memory");
	return x * 3 + 1;
}

__attribute__((noinline)) int plug_mid(int x)
{
	return plug_leaf(x) + plug_leaf(x + 1);
}
