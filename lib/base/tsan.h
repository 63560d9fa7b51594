/* SPDX-License-Identifier: MIT */
/*
 * Teaching ThreadSanitizer the two orderings it cannot see: an ops pointer
 * published by a transaction (stored in a text page, ordered by the syncs),
 * and urcu-bp grace periods (readers' sections end before the writer goes
 * on). Nothing at all in other builds.
 */
#ifndef FRT_TSAN_H
#define FRT_TSAN_H

#if defined(__SANITIZE_THREAD__)
#define FRT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FRT_TSAN 1
#endif
#endif

#ifdef FRT_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
extern char frt_tsan_publish, frt_tsan_grace;
#define frt_tsan_acquire(a) __tsan_acquire(a)
#define frt_tsan_release(a) __tsan_release(a)
#else
#define frt_tsan_acquire(a) ((void)0)
#define frt_tsan_release(a) ((void)0)
#endif

#endif
