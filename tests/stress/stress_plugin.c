// SPDX-License-Identifier: MIT
/*
 * Built twice: PFX=p (dlopen'ed once) and PFX=q (opened and closed in a loop).
 * With SPINNER, a thread started by the constructor calls the plugin's
 * functions in a tight loop until the destructor stops it: when the runtime
 * converts GCC NOP runs after dlopen, that thread is often inside one.
 */
#include <pthread.h>

#include "stress.h"

#define CAT2(a, b) a##b
#define CAT(a, b)  CAT2(a, b)
#define NAME(num)  CAT(CAT(st_, PFX), num)

#define DEF(num)                                       \
	NOINLINE long NAME(num)(long x, double d)      \
	{                                              \
		return ST_EXPECT(1##num - 1000, x, d); \
	}
ST_D100(DEF, 0)
#undef DEF
#define REF(num) NAME(num),
static st_fn_t table[100] = {ST_D100(REF, 0)};

st_fn_t *st_plugin_table(unsigned int *n)
{
	*n = 100;
	return table;
}

#ifdef SPINNER
static pthread_t spinner;
static volatile int spin_stop;
static unsigned long spin_bad, spin_calls;

static void *spin(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&spin_stop, __ATOMIC_RELAXED)) {
		for (unsigned int i = 0; i < 100; i++)
			if (table[i](3, 0.5) != ST_EXPECT((long)i, 3, 0.5))
				spin_bad++;
		__atomic_fetch_add(&spin_calls, 100, __ATOMIC_RELAXED);
	}
	return NULL;
}

__attribute__((constructor)) static void spin_start(void)
{
	pthread_create(&spinner, NULL, spin, NULL);
	while (!__atomic_load_n(&spin_calls, __ATOMIC_RELAXED)) /* running before dlopen returns */
		;
}

__attribute__((destructor)) static void spin_end(void)
{
	__atomic_store_n(&spin_stop, 1, __ATOMIC_RELAXED);
	pthread_join(spinner, NULL);
}

unsigned long st_plugin_bad(void)
{
	return spin_bad;
}
#endif
