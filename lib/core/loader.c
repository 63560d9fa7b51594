// SPDX-License-Identifier: MIT
/*
 * dlopen/dlclose hooks: after a successful dlopen the new objects are scanned
 * and, if ops are registered, their sites enabled; after a dlclose the
 * objects it unmapped leave the table.
 *
 * The real dlopen and dlclose run without the patch lock, so that the
 * constructors and destructors they run may use the API (they are not
 * callbacks). While a dlclose is in the loader, threads outside the loader
 * do not take the patch lock (see frt_lock): no transaction can touch an
 * object while it is being unmapped. Before the loader may unmap the closed
 * object, ops whose struct or callback lie in it are taken off every site and
 * a grace period passes; after, they are put back if the object stayed, or
 * forgotten with a message: a library that is unloaded with its ops still
 * registered is never called into.
 *
 * Objects are known by where the loader put them (program headers, bias). An
 * address range freed by one dlclose can be reused by the next dlopen, so
 * the table must be brought up to date after every load or unload before
 * the next one starts: otherwise a dlclose(A) and a dlopen(B) landing where
 * A was, both between two syncs, leave A's records describing B's code. The
 * hooks hold dl_order, in load/unload order as the loader's own lock does,
 * across the real call and the sync that follows it. It is recursive per
 * thread (constructors and destructors may dlopen and dlclose), taken before
 * the patch lock, and never by a thread holding the patch lock. A program
 * whose constructor waits for another thread's dlopen would deadlock in the
 * loader's lock already.
 *
 * glibc resolves a bare library name with the RPATH/RUNPATH of the object
 * that called dlopen. Interposed, that caller would be this library, so the
 * caller's own search path is applied here first, in the loader's order
 * (RPATH before LD_LIBRARY_PATH, RUNPATH after it).
 */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "hooks.h"
#include "log.h"
#include "compiler.h"
#include "objects.h"
#include "init.h"
#include "lock.h"
#include "guard.h"
#include "siteinit.h"
#include "loader.h"
#include "ops.h"

static pthread_mutex_t dl_order = PTHREAD_MUTEX_INITIALIZER;
/*
 * A hooked dlopen is inside the loader. Until it returns, an object it mapped
 * may still be unmapped by it (a relocation that fails), so other threads'
 * syncs leave objects they do not know yet to that dlopen's own rescan.
 */
unsigned int frt_loads_in_flight;
static __thread unsigned int dl_depth FRT_TLS;

static void order_lock(void)
{
	if (!dl_depth++)
		pthread_mutex_lock(&dl_order);
}

static void order_unlock(void)
{
	if (!--dl_depth)
		pthread_mutex_unlock(&dl_order);
}

/*
 * fork: wait for a load or unload in flight and its sync, unless this thread
 * is inside one, holds the patch lock (dl_order is taken before it) or forks
 * from a signal handler that interrupted a callback (the holder may wait for
 * a grace period that waits for it; see init.c). Then the child gets
 * dl_order back free, whoever held it in the parent.
 */
static __thread bool fork_took FRT_TLS; /* per forking thread: two may fork at once */

void frt_dl_order_prepare(void)
{
	fork_took = !dl_depth && !frt_lock_held_here() && !(frt_in_callback & 1);
	if (fork_took)
		pthread_mutex_lock(&dl_order);
}

void frt_dl_order_after_fork(bool child)
{
	if (fork_took)
		pthread_mutex_unlock(&dl_order);
	else if (child && !dl_depth)
		pthread_mutex_init(&dl_order, NULL);
}

static void *(*real_dlopen)(const char *, int);
static int (*real_dlclose)(void *);

static void resolve(void)
{
	if (!real_dlopen)
		real_dlopen = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	if (!real_dlclose)
		real_dlclose = (int (*)(void *))dlsym(RTLD_NEXT, "dlclose");
}

/* Try each directory of the ':'-separated @dirs; $ORIGIN is @origin. */
static bool search(const char *dirs, const char *origin, const char *file, char *out, size_t len)
{
	const char *p = dirs;

	while (p && *p) {
		const char *end = strchr(p, ':');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char dir[4096];
		size_t w = 0;

		for (size_t i = 0; i < n && w < sizeof(dir) - 1;) {
			if (!strncmp(p + i, "$ORIGIN", 7) || !strncmp(p + i, "${ORIGIN}", 9)) {
				size_t k = p[i + 1] == '{' ? 9 : 7;
				int m = snprintf(dir + w, sizeof(dir) - w, "%s", origin);

				if (m < 0 || (size_t)m >= sizeof(dir) - w)
					break;
				w += (size_t)m;
				i += k;
			} else {
				dir[w++] = p[i++];
			}
		}
		dir[w] = 0;
		if (w && strchr(dir, '$') == NULL) {
			int m = snprintf(out, len, "%s/%s", dir, file);

			if (m > 0 && (size_t)m < len && access(out, F_OK) == 0)
				return true;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* The caller's DT_RPATH and DT_RUNPATH strings and its directory. */
static void caller_paths(const void *caller, const char **rpath, const char **runpath, char *origin,
			 size_t olen)
{
	struct link_map *lm = NULL;
	Dl_info info;
	const char *strtab = NULL;
	ElfW(Addr) rp = 0, rup = 0;
	bool has_rp = false, has_rup = false;

	*rpath = *runpath = NULL;
	if (!dladdr1(caller, &info, (void **)&lm, RTLD_DL_LINKMAP) || !lm || !lm->l_ld)
		return;
	for (ElfW(Dyn) *d = lm->l_ld; d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_STRTAB) {
			ElfW(Addr) a = d->d_un.d_ptr;

			/* glibc relocates d_ptr in place where .dynamic is writable */
			strtab = (const char *)(a < lm->l_addr ? a + lm->l_addr : a);
		} else if (d->d_tag == DT_RPATH) {
			rp = d->d_un.d_val;
			has_rp = true;
		} else if (d->d_tag == DT_RUNPATH) {
			rup = d->d_un.d_val;
			has_rup = true;
		}
	}
	if (!strtab)
		return;
	if (has_rup)
		*runpath = strtab + rup;
	else if (has_rp)
		*rpath = strtab + rp;
	if (lm->l_name && lm->l_name[0]) {
		snprintf(origin, olen, "%s", lm->l_name);
	} else {
		ssize_t n = readlink("/proc/self/exe", origin, olen - 1);

		origin[n > 0 ? n : 0] = 0;
	}
	char *slash = strrchr(origin, '/');
	if (slash)
		*slash = 0;
}

static void *open_as_caller(const char *file, int mode, const void *caller)
{
	const char *rpath, *runpath;
	char origin[4096] = "", path[4096];
	void *h;

	if (!file || strchr(file, '/'))
		return real_dlopen(file, mode);
	h = real_dlopen(file, RTLD_NOLOAD | (mode & RTLD_NODELETE) | RTLD_LAZY);
	if (h) { /* already loaded: the name resolves to it whoever asks */
		real_dlclose(h);
		return real_dlopen(file, mode);
	}
	caller_paths(caller, &rpath, &runpath, origin, sizeof(origin));
	if (rpath && search(rpath, origin, file, path, sizeof(path)))
		return real_dlopen(path, mode);
	if (runpath) {
		const char *llp = secure_getenv("LD_LIBRARY_PATH");

		if (!(llp && search(llp, origin, file, path, sizeof(path))) &&
		    search(runpath, origin, file, path, sizeof(path)))
			return real_dlopen(path, mode);
	}
	return real_dlopen(file, mode);
}

static void rescan(void)
{
	if (frt_api_refused_here())
		return; /* picked up by the next transaction */
	frt_lock();
	frt_convert_allow(true); /* see lib/core/siteinit.c, case 2 */
	if (!frt_objects_sync() && frt_ops_need_update())
		frt_update_sites();
	frt_convert_allow(false);
	frt_unlock();
}

void *frt_hook_dlopen(const char *file, int mode, const void *caller)
{
	void *h;

	resolve();
	if (!real_dlopen)
		return NULL;
	frt_init();
	/*
	 * From a callback (or under the patch lock): a thread waiting for
	 * dl_order may wait for the patch lock, whose holder may wait for a
	 * grace period that waits for this callback. The next sync sees it.
	 */
	if (frt_api_refused_here())
		return open_as_caller(file, mode, caller);
	order_lock();
	__atomic_add_fetch(&frt_loads_in_flight, 1, __ATOMIC_SEQ_CST);
	frt_loader_enter();
	h = open_as_caller(file, mode, caller);
	frt_loader_leave();
	__atomic_sub_fetch(&frt_loads_in_flight, 1, __ATOMIC_SEQ_CST);
	if (h)
		rescan();
	order_unlock();
	return h;
}

/* An object's DT_STRTAB, relocated or not. */
static const char *dyn_strtab(const struct link_map *lm)
{
	for (const ElfW(Dyn) *d = lm->l_ld; d && d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_STRTAB) {
			ElfW(Addr) a = d->d_un.d_ptr;

			/* glibc relocates d_ptr in place where .dynamic is writable */
			return (const char *)(a < lm->l_addr ? a + lm->l_addr : a);
		}
	}
	return NULL;
}

/*
 * The objects a dlclose of @handle may unmap: its own and, transitively, the
 * ones it needs (each looked up with RTLD_NOLOAD, which only counts a
 * reference that is given back at once). More than that (a dependency that
 * stays loaded) costs only a pause in its ops' tracing during the dlclose.
 */
#define MAX_CLOSING 32

static size_t closing_set(void *handle, struct link_map **v)
{
	size_t n = 0;

	if (dlinfo(handle, RTLD_DI_LINKMAP, &v[0]) || !v[0])
		return 0;
	n = 1;
	for (size_t i = 0; i < n; i++) {
		const char *strtab = dyn_strtab(v[i]);

		for (const ElfW(Dyn) *d = v[i]->l_ld; strtab && d && d->d_tag != DT_NULL; d++) {
			struct link_map *dep = NULL;
			bool known = false;
			void *h;

			if (d->d_tag != DT_NEEDED || n == MAX_CLOSING)
				continue;
			h = real_dlopen(strtab + d->d_un.d_val, RTLD_NOLOAD | RTLD_LAZY);
			if (!h)
				continue;
			if (dlinfo(h, RTLD_DI_LINKMAP, &dep))
				dep = NULL;
			real_dlclose(h);
			for (size_t j = 0; j < n && dep; j++)
				known |= v[j] == dep;
			if (dep && !known)
				v[n++] = dep;
		}
	}
	return n;
}

int frt_hook_dlclose(void *handle)
{
	static unsigned long tokens;
	struct link_map *lms[MAX_CLOSING];
	struct {
		uintptr_t lo, hi, bias;
		const void *key;
		char *path;
	} c[MAX_CLOSING];
	struct frt_object *o;
	unsigned long token;
	unsigned int suspended = 0;
	size_t n;
	int ret;

	resolve();
	if (!real_dlclose)
		return -1;
	if (frt_api_refused_here()) /* from a callback: the next sync sees what went */
		return real_dlclose(handle);
	frt_init();
	order_lock();
	n = closing_set(handle, lms);
	token = __atomic_add_fetch(&tokens, MAX_CLOSING, __ATOMIC_RELAXED);
	frt_lock();
	frt_objects_sync();
	for (size_t i = 0; i < n; i++) {
		c[i].hi = 0;
		c[i].path = NULL;
		cds_list_for_each_entry (o, &frt_objects, node) {
			/* a load bias is unique among loaded objects, except 0 (the program) */
			if (lms[i]->l_addr && o->bias == lms[i]->l_addr && !o->is_main) {
				c[i].lo = o->load_lo;
				c[i].hi = o->load_hi;
				c[i].bias = o->bias;
				c[i].key = o->key;
				c[i].path = frt_strdup(o->path);
				break;
			}
		}
		if (c[i].hi)
			suspended += frt_ops_suspend(c[i].lo, c[i].hi, token + i);
	}
	if (suspended && frt_ops_suspend_apply()) {
		/* the sites could not be changed: the ops stay registered, as before */
		for (size_t i = 0; i < n; i++)
			frt_ops_resume(token + i, true, 0, 0, NULL);
	}
	frt_unload_begin();
	frt_unlock();

	frt_loader_enter();
	ret = real_dlclose(handle);
	frt_loader_leave();

	frt_unload_end(); /* with the lock, no other dlclose in the loader */
	frt_objects_sync();
	for (size_t i = 0; i < n; i++) {
		bool loaded = false;

		if (!c[i].hi)
			continue;
		cds_list_for_each_entry (o, &frt_objects, node)
			loaded |= o->key == c[i].key && o->bias == c[i].bias;
		frt_ops_resume(token + i, loaded, c[i].lo, c[i].hi, c[i].path ? c[i].path : "?");
		frt_free(c[i].path);
	}
	if (frt_ops_need_update())
		frt_update_sites();
	frt_unlock();
	order_unlock();
	return ret;
}
