// SPDX-License-Identifier: MIT
/*
 * libftrace_rt_audit.so: an rtld-audit module (LD_AUDIT, see rtld-audit(7))
 * that hands every object the loader maps to the runtime before any of its
 * code can run, so GCC's 1-byte NOP runs become NOP5s while no thread can be
 * inside one (lib/core/siteinit.c says why that matters). `ftrace-rt record` sets
 * LD_AUDIT to it.
 *
 * The loader runs audit modules in a namespace of their own, with their own
 * libc, before the program's libraries are relocated: this module calls
 * neither dlsym nor the runtime until the runtime says it is ready. It finds
 * the runtime among the objects it is told about, and the runtime's two
 * symbols by reading the runtime's own dynamic symbol table (GNU hash) from
 * memory, which needs no relocation. Objects mapped before the runtime is
 * ready (the program and its start-up libraries) are converted by the
 * runtime's constructor while the process has one thread.
 */
#include <dirent.h>
#include <link.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "audit.h"

#define EXPORT __attribute__((visibility("default")))

static struct link_map *runtime;
static int *ready;
static int (*objopen)(unsigned int abi, const char *path, uintptr_t bias);

/*
 * Threads present before the loader loaded anything: a process starts with
 * one thread and the loader starts none, so any other one belongs to an
 * emulator (qemu-user's RCU thread) and never runs the program's code. The
 * runtime leaves them out when it counts application threads.
 */
static int foreign[FRT_AUDIT_FOREIGN];

static void find_foreign(void)
{
	DIR *d = opendir("/proc/self/task");
	pid_t self = (pid_t)syscall(SYS_gettid);
	struct dirent *e;
	int n = 0;

	if (!d)
		return;
	while ((e = readdir(d)) && n < FRT_AUDIT_FOREIGN) {
		int tid = atoi(e->d_name);

		if (tid > 0 && tid != self)
			foreign[n++] = tid;
	}
	closedir(d);
}

static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;

	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

/* Address of the defined dynamic symbol @name of @m, or NULL. */
static void *lookup(const struct link_map *m, const char *name)
{
	const ElfW(Sym) *sym = NULL;
	const char *str = NULL;
	const uint32_t *gh = NULL;

	for (const ElfW(Dyn) *d = m->l_ld; d->d_tag != DT_NULL; d++) {
		uintptr_t a = d->d_un.d_ptr;

		/* glibc relocates .dynamic in place only where it is writable */
		if (a < m->l_addr)
			a += m->l_addr;
		if (d->d_tag == DT_SYMTAB)
			sym = (const void *)a;
		else if (d->d_tag == DT_STRTAB)
			str = (const void *)a;
		else if (d->d_tag == DT_GNU_HASH)
			gh = (const void *)a;
	}
	if (!sym || !str || !gh || !gh[0])
		return NULL;

	/* header: nbuckets, symoffset, bloom words, bloom shift; bloom; buckets; chains */
	uint32_t nbuckets = gh[0], symoff = gh[1], nbloom = gh[2];
	const uint32_t *buckets = (const uint32_t *)((const ElfW(Addr) *)(gh + 4) + nbloom);
	const uint32_t *chain = buckets + nbuckets;
	uint32_t h = gnu_hash(name), i = buckets[h % nbuckets];

	if (i < symoff)
		return NULL;
	for (;; i++) {
		uint32_t ch = chain[i - symoff];

		if ((ch | 1) == (h | 1) && !strcmp(str + sym[i].st_name, name) &&
		    sym[i].st_shndx != SHN_UNDEF)
			return (void *)(m->l_addr + sym[i].st_value);
		if (ch & 1)
			return NULL;
	}
}

static bool is_runtime(const struct link_map *m)
{
	const char *b = strrchr(m->l_name, '/');

	b = b ? b + 1 : m->l_name;
	return !strncmp(b, "libftrace_rt.so", 15);
}

EXPORT unsigned int la_version(unsigned int version)
{
	find_foreign();
	return version < LAV_CURRENT ? version : LAV_CURRENT;
}

EXPORT unsigned int la_objopen(struct link_map *map, Lmid_t lmid, uintptr_t *cookie)
{
	(void)cookie;
	if (lmid != LM_ID_BASE)
		return 0;
	if (!runtime && is_runtime(map)) {
		runtime = map;
		ready = lookup(map, "ftrace_rt_audit_ready");
		*(void **)&objopen = lookup(map, "ftrace_rt_audit_objopen");
		/* its .bss is mapped (and zero): no relocation touches it */
		int *f = lookup(map, "ftrace_rt_audit_foreign");
		if (f)
			memcpy(f, foreign, sizeof(foreign));
		return 0;
	}
	if (objopen && ready && __atomic_load_n(ready, __ATOMIC_ACQUIRE) && map->l_name[0])
		objopen(FRT_AUDIT_ABI, map->l_name, map->l_addr);
	return 0; /* no symbol binding to audit: the program's PLT stays as it is */
}
