// SPDX-License-Identifier: MIT
/*
 * Two libraries from this file: "a" with many small functions, "b" with
 * fewer, bigger ones, padded so that the loader puts b where a was, and a's
 * function entries (and the ops slots ahead of them) fall inside b's code.
 */
#define CAT2(a, b) a##b
#define CAT(a, b)  CAT2(a, b)
#define F(n)	   CAT(CAT(LIB, _f), n)

#ifdef BIG
#define BODY(n)                                                             \
	int F(n)(int x)                                                     \
	{                                                                   \
		volatile int acc = x;                                       \
		for (int i = 0; i < 3; i++) {                               \
			acc = acc * 31 + n + i;                             \
			acc ^= acc >> 3;                                    \
			acc += (acc << 5) - i * n;                          \
			acc = acc * 17 + (acc >> 7) - 3 * n;                \
			acc ^= (acc << 11) + (acc >> 5) + n * 13 - i * 101; \
		}                                                           \
		return acc;                                                 \
	}
#define N 24
/* b is just smaller than a: the hole a leaves is where it fits best */
const char CAT(LIB, _pad)[4 << 20] = {1};
#else
#define BODY(n)               \
	int F(n)(int x)       \
	{                     \
		return x + n; \
	}
#define N 96
/* a's mapping is the larger one */
const char CAT(LIB, _pad)[(4 << 20) + (64 << 10)] = {1};
#endif

#define B4(n)  BODY(n##0) BODY(n##1) BODY(n##2) BODY(n##3)
#define B16(n) B4(n##0) B4(n##1) B4(n##2) B4(n##3)

B16(1)
B4(20)
BODY(210)
BODY(211)
BODY(212)
BODY(213)
#if N > 24
B16(3)
B16(4)
B16(5)
B16(6)
B16(7)
B4(80)
B4(81)
#endif

/* checksum of every function, to compare with an untraced copy */
int CAT(LIB, _sum)(void)
{
	int (*fns[])(int) = {
#define R(n)   F(n),
#define R4(n)  R(n##0) R(n##1) R(n##2) R(n##3)
#define R16(n) R4(n##0) R4(n##1) R4(n##2) R4(n##3)
		R16(1) R4(20) R(210) R(211) R(212) R(213)
#if N > 24
			R16(3) R16(4) R16(5) R16(6) R16(7) R4(80) R4(81)
#endif
	};
	int s = 0;

	for (unsigned i = 0; i < sizeof(fns) / sizeof(*fns); i++)
		s = s * 7 + fns[i](i);
	return s;
}
