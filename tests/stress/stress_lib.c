// SPDX-License-Identifier: MIT
#include "stress.h"

#define DEF(num)                                       \
	NOINLINE long st_s##num(long x, double d)      \
	{                                              \
		return ST_EXPECT(1##num - 1000, x, d); \
	}
ST_D100(DEF, 0)
#undef DEF
#define REF(num) st_s##num,
st_fn_t st_shared_fns[100] = {ST_D100(REF, 0)};
