// SPDX-License-Identifier: MIT
/*
 * The runtime's private heap: the application's malloc is never called by
 * the runtime (it may be traced, replaced, or the very thing being debugged).
 *
 * It is a small mmap-based arena rather than a linked-in jemalloc because
 * jemalloc's per-thread state is 2.6 KiB of initial-exec TLS: a library
 * carrying it cannot be dlopen'ed by a program that does not already have
 * it ("cannot allocate memory in static TLS block": glibc 2.36 keeps about
 * 1.7 KiB of static TLS for dlopen'ed objects in a small program), and a
 * probe provider linked with the runtime must load at run time. The runtime allocates only off the
 * hot path (object tables, filters, masks; trace buffers are mmap'ed in
 * thread.c), so one lock and power-of-two free lists suffice, and the heap
 * needs no TLS beyond one flag.
 *
 * Blocks of 32 B to 64 KiB (header included) come from 1 MiB regions and go
 * back to their class's free list; larger ones are mapped and unmapped one by
 * one. A thread that re-enters the heap from a signal handler while holding
 * its lock maps its allocation directly and defers its frees to a lock-free
 * list, so it never waits for itself. fork(): see frt_heap_fork_*.
 *
 * Built with -Djemalloc=enabled, the primitives are Debian's static jemalloc
 * (hidden) instead, at the cost of that TLS. In sanitizer builds they are the
 * sanitizer's malloc, which sees the runtime's own heap errors.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "alloc.h"
#include "compiler.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FRT_HEAP_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define FRT_HEAP_MALLOC 1
#endif
#endif
#if defined(FRT_JEMALLOC) || defined(FRT_SANITIZED)
#define FRT_HEAP_MALLOC 1
#endif

#ifdef FRT_HEAP_MALLOC

void *frt_malloc(size_t size)
{
	return malloc(size);
}

void *frt_calloc(size_t n, size_t size)
{
	return calloc(n, size);
}

void *frt_realloc(void *p, size_t size)
{
	return realloc(p, size);
}

void frt_free(void *p)
{
	free(p);
}

void frt_heap_fork_prepare(void)
{
}

void frt_heap_fork_parent(void)
{
}

void frt_heap_fork_child(void)
{
}

#else

#define MIN_SHIFT 5  /* 32-byte blocks */
#define MAX_SHIFT 16 /* 64 KiB blocks */
#define NCLASSES  (MAX_SHIFT - MIN_SHIFT + 1)
#define MAPPED	  NCLASSES
#define REGION	  (1UL << 20)

/* 16 bytes ahead of every block: keeps malloc's 16-byte alignment */
struct hdr {
	size_t size; /* of the whole block or mapping */
	size_t cls;  /* size class, or MAPPED */
};

struct blk {
	struct blk *next;
};

static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread int in_heap FRT_TLS;
static struct blk *free_list[NCLASSES];
static struct hdr *deferred; /* freed by a re-entering thread; next in ->size */
static char *bump, *bump_end;

static void *map_block(size_t size)
{
	size_t len = (size + sizeof(struct hdr) + 4095) & ~(size_t)4095;
	struct hdr *h;

	if (len < size)
		return NULL;
	h = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h == MAP_FAILED)
		return NULL;
	h->size = len;
	h->cls = MAPPED;
	return h + 1;
}

static unsigned int class_of(size_t total)
{
	unsigned int c = 0;

	while ((1UL << (c + MIN_SHIFT)) < total)
		c++;
	return c;
}

static void put(struct hdr *h)
{
	struct blk *b = (struct blk *)h;

	b->next = free_list[h->cls];
	free_list[h->cls] = b;
}

/* Under heap_lock: the frees a signal handler could not make. */
static void drain(void)
{
	struct hdr *h = __atomic_exchange_n(&deferred, NULL, __ATOMIC_ACQUIRE);

	while (h) {
		struct hdr *next = (struct hdr *)h->size;

		put(h);
		h = next;
	}
}

void *frt_malloc(size_t size)
{
	size_t total = size + sizeof(struct hdr);
	unsigned int c;
	struct hdr *h;

	if (size > (1UL << MAX_SHIFT) - sizeof(struct hdr) || in_heap)
		return map_block(size);
	c = class_of(total);
	in_heap = 1;
	pthread_mutex_lock(&heap_lock);
	drain();
	h = (struct hdr *)free_list[c];
	if (h) {
		free_list[c] = ((struct blk *)h)->next;
	} else {
		if ((size_t)(bump_end - bump) < (1UL << (c + MIN_SHIFT))) {
			/* the rest of the old region is too small for this block: left unused */
			char *r = mmap(NULL, REGION, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (r == MAP_FAILED) {
				pthread_mutex_unlock(&heap_lock);
				in_heap = 0;
				return NULL;
			}
			bump = r;
			bump_end = r + REGION;
		}
		h = (struct hdr *)bump;
		bump += 1UL << (c + MIN_SHIFT);
	}
	pthread_mutex_unlock(&heap_lock);
	in_heap = 0;
	h->size = 1UL << (c + MIN_SHIFT);
	h->cls = c;
	return h + 1;
}

void *frt_calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	p = frt_malloc(n * size);
	if (p && ((struct hdr *)p - 1)->cls != MAPPED) /* fresh mappings are zero */
		memset(p, 0, n * size);
	return p;
}

void frt_free(void *p)
{
	struct hdr *h;

	if (!p)
		return;
	h = (struct hdr *)p - 1;
	if (h->cls == MAPPED) {
		munmap(h, h->size);
		return;
	}
	if (in_heap) {
		struct hdr *old = __atomic_load_n(&deferred, __ATOMIC_RELAXED);

		do
			h->size = (size_t)old;
		while (!__atomic_compare_exchange_n(&deferred, &old, h, true, __ATOMIC_RELEASE,
						    __ATOMIC_RELAXED));
		return;
	}
	in_heap = 1;
	pthread_mutex_lock(&heap_lock);
	put(h);
	pthread_mutex_unlock(&heap_lock);
	in_heap = 0;
}

void *frt_realloc(void *p, size_t size)
{
	struct hdr *h;
	size_t have;
	void *q;

	if (!p)
		return frt_malloc(size);
	h = (struct hdr *)p - 1;
	have = h->size - sizeof(struct hdr);
	if (size <= have)
		return p;
	q = frt_malloc(size);
	if (!q)
		return NULL;
	memcpy(q, p, have);
	frt_free(p);
	return q;
}

/*
 * fork: the heap lock is a leaf (its holders wait for nothing), so the
 * forking thread takes it, after the patch lock, and the child gets
 * consistent free lists; not if the fork comes from a signal handler that
 * interrupted this thread inside the heap, which finishes its update in
 * both processes when the handler returns.
 */
static __thread int fork_took FRT_TLS;

void frt_heap_fork_prepare(void)
{
	fork_took = !in_heap;
	if (fork_took)
		pthread_mutex_lock(&heap_lock);
}

void frt_heap_fork_parent(void)
{
	if (fork_took)
		pthread_mutex_unlock(&heap_lock);
}

void frt_heap_fork_child(void)
{
	if (fork_took)
		pthread_mutex_unlock(&heap_lock);
}

#endif
