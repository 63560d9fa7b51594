// SPDX-License-Identifier: MIT
/* A plugin whose only code is a dependency (lc_dep.so: lc_plugin.c built with -DLEAK). */
extern unsigned long plug_hits;

unsigned long *user_hits(void)
{
	return &plug_hits;
}
