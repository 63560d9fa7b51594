// SPDX-License-Identifier: MIT
/*
 * The table of loaded objects and their sites, kept in step with the dynamic
 * loader: every sync walks dl_iterate_phdr, scans objects it has not seen and
 * drops those that are gone. Readers (the lookup dispatcher) walk the list
 * under RCU; writers hold frt_lock.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>
#include <urcu/rculist.h>

#include "alloc.h"
#include "log.h"
#include "objects.h"
#include "init.h"
#include "lock.h"
#include "siteinit.h"
#include "veneer.h"
#include "ops.h"
#include "elf_scan.h"
#include "arch.h"

struct cds_list_head frt_objects = CDS_LIST_HEAD_INIT(frt_objects);
int frt_list_fd = -1;
static frt_object_notifier notifier;

void frt_objects_notify(frt_object_notifier fn)
{
	__atomic_store_n(&notifier, fn, __ATOMIC_RELEASE);
}
/* sites that were calling the trampoline when their object was unloaded */
unsigned long frt_sites_enabled_unloaded;

struct seen {
	char *path;
	uintptr_t bias;
	const ElfW(Phdr) * phdr;
	int phnum;
	bool first;
	uint64_t ident;
};

struct seen_list {
	struct seen *v;
	size_t n, cap;
	unsigned long long subs; /* objects the loader has unloaded so far */
	int err;
};

/*
 * An object is known by where it is (program headers, bias) and by what it
 * is (its name and program headers, hashed). When a dlclose and a dlopen both
 * happened since the last sync (the hooks keep that from happening, see
 * loader.c, but a dlclose can bypass them), the range of the object that went
 * can hold the one that came: the same place with another ident is a new
 * object. The same file mapped again at the same place has the same ident;
 * then the bytes tell (see reloaded()).
 */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ ((const uint8_t *)p)[i]) * 0x100000001b3ULL;
	return h;
}

static int collect(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct seen_list *l = arg;
	(void)size;

	if (frt_grow((void **)&l->v, &l->cap, l->n + 1, sizeof(*l->v))) {
		l->err = -ENOMEM;
		return 1;
	}
	l->v[l->n] = (struct seen){frt_strdup(info->dlpi_name ? info->dlpi_name : ""),
				   info->dlpi_addr,
				   info->dlpi_phdr,
				   info->dlpi_phnum,
				   l->n == 0,
				   0};
	l->subs = info->dlpi_subs;
	if (!l->v[l->n].path) {
		l->err = -ENOMEM;
		return 1;
	}
	l->v[l->n].ident = fnv(fnv(0xcbf29ce484222325ULL, l->v[l->n].path, strlen(l->v[l->n].path)),
			       info->dlpi_phdr, info->dlpi_phnum * sizeof(*info->dlpi_phdr));
	l->n++;
	return 0;
}

/* Does the slot hold the NOPs the compiler left there? */
ARCH_TEXT_ACCESS bool frt_slot_pristine(const struct frt_site *s)
{
	const uint8_t *p = (const uint8_t *)frt_site_slot(s);
	size_t n = 0;

	while (n < ARCH_SLOT_SIZE) {
		size_t l = arch_nop_len(p + n, ARCH_SLOT_SIZE - n);

		if (!l)
			return false;
		n += l;
	}
	return true;
}

/*
 * Is @o, the same file at the same place, a new mapping of it (the old one
 * unloaded behind the hooks)? A fresh mapping has the compiler's bytes where
 * our records say we wrote: a CALL we put at a site, a NOP run we rewrote,
 * an ops pointer we stored in a slot. A debugger's breakpoint on a site we
 * enabled is not the compiler's bytes, so it does not count.
 */
ARCH_TEXT_ACCESS static bool reloaded(const struct frt_object *o)
{
	for (size_t i = 0; i < o->nsites; i++) {
		const struct frt_site *s = &o->sites[i];
		int now = arch_site_state((const uint8_t *)s->addr, ARCH_SITE_SIZE, s->addr, NULL);

		if (s->state == ARCH_ST_ON && (now == ARCH_ST_OFF || now == ARCH_ST_RAW))
			return true;
		if (s->state == ARCH_ST_OFF && (s->flags & FRT_SITE_F_RAW) && now == ARCH_ST_RAW)
			return true;
		if (s->ops && frt_site_has_slot(s) && frt_slot_pristine(s))
			return true;
	}
	return false;
}

static bool holds(const struct seen *s, const void *addr)
{
	uintptr_t a = (uintptr_t)addr;

	for (int i = 0; i < s->phnum; i++)
		if (s->phdr[i].p_type == PT_LOAD && a >= s->bias + s->phdr[i].p_vaddr &&
		    a < s->bias + s->phdr[i].p_vaddr + s->phdr[i].p_memsz)
			return true;
	return false;
}

/* The runtime never traces itself or the libraries it runs on. */
static bool excluded(const struct seen *s)
{
	const void *own[] = {(const void *)frt_init, (const void *)elf_version,
			     (const void *)urcu_bp_synchronize_rcu, (const void *)write,
			     (const void *)dlsym};
	unsigned long vdso = getauxval(AT_SYSINFO_EHDR);

	if (vdso && holds(s, (const void *)vdso))
		return true;
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (holds(s, own[i]))
			return true;
	return false;
}

static unsigned int free_idx(void)
{
	unsigned int idx = 0;
	struct frt_object *o;

again:
	cds_list_for_each_entry (o, &frt_objects, node) {
		if (o->idx == idx) {
			idx++;
			goto again;
		}
	}
	return idx;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static void object_free(struct frt_object *o)
{
	frt_veneer_free(o);
	frt_free(o->sites);
	frt_free(o->names);
	frt_free(o->path);
	frt_free(o->name);
	frt_free(o);
}

/* NULL with *later set: the loader has not relocated it yet, scan it at a later sync */
static struct frt_object *object_new(const struct seen *s, bool *later)
{
	char err[256], exe[4096];
	const char *open_path = s->path;
	struct frt_mem mem = {s->bias, s->phdr, s->phnum};
	struct frt_scan sc;
	struct frt_object *o;
	uintptr_t pmask = ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
	int fd;

	o = frt_calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->bias = s->bias;
	o->key = s->phdr;
	o->ident = s->ident;
	o->map_start = UINTPTR_MAX;
	o->load_lo = UINTPTR_MAX;
	for (int i = 0; i < s->phnum; i++) {
		const ElfW(Phdr) *p = &s->phdr[i];

		if (p->p_type != PT_LOAD)
			continue;
		if (s->bias + p->p_vaddr < o->load_lo)
			o->load_lo = s->bias + p->p_vaddr;
		if (s->bias + p->p_vaddr + p->p_memsz > o->load_hi)
			o->load_hi = s->bias + p->p_vaddr + p->p_memsz;
		if (s->bias + (p->p_vaddr & pmask) < o->map_start)
			o->map_start = s->bias + (p->p_vaddr & pmask);
		if ((p->p_flags & PF_X) && s->bias + p->p_vaddr + p->p_memsz > o->map_end)
			o->map_end = s->bias + p->p_vaddr + p->p_memsz;
	}
	o->is_main = s->first && !*s->path;
	o->path = frt_strdup(s->path);
	if (o->is_main) {
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		exe[n > 0 ? n : 0] = 0;
		open_path = "/proc/self/exe";
		frt_free(o->path);
		o->path = frt_strdup(n > 0 ? exe : "main");
	}
	o->name = o->path ? frt_strdup(base_name(o->path)) : NULL;
	if (!o->path || !o->name) {
		object_free(o);
		return NULL;
	}
	o->idx = free_idx();
	if (!*open_path)
		return o; /* nameless object: nothing to read */
	fd = open(open_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		frt_info(1, "%s: cannot open: %s", o->path, strerror(errno));
		return o;
	}
	if (frt_scan_elf(fd, &mem, &sc, err, sizeof(err))) {
		close(fd);
		if (sc.unrelocated) {
			*later = true;
			object_free(o);
			return NULL;
		}
		frt_info(1, "%s: skipped: %s", o->path, err);
		return o;
	}
	close(fd);
	o->text_prot = arch_text_prot(sc.gnu_property, sc.gnu_property_len);
	if (sc.nsites) {
		o->sites = frt_calloc(sc.nsites, sizeof(*o->sites));
		if (!o->sites) {
			frt_scan_free(&sc);
			frt_msg("%s: out of memory; not traced", o->path);
			return o;
		}
		for (size_t i = 0; i < sc.nsites; i++) {
			const struct frt_scan_site *ss = &sc.sites[i];
			struct frt_site *st = &o->sites[i];

			st->addr = s->bias + ss->entry + ss->site_off;
			st->name = ss->name;
			st->layout = ss->layout;
			st->flags = ss->flags;
			st->state = ss->state;
			st->entry_off = ss->site_off;
		}
		o->nsites = sc.nsites;
		o->names = sc.names;
		o->names_len = sc.names_len;
		sc.names = NULL;
		o->lo = o->sites[0].addr;
		o->hi = o->sites[o->nsites - 1].addr + ARCH_SITE_SIZE;
	}
	for (int i = 0; i < FRT_SKIP_NR; i++) {
		o->nskipped += sc.skipped[i];
		if (sc.skipped[i])
			frt_info(1, "%s: %u records skipped: %s", o->path, sc.skipped[i],
				 frt_skip_name(i));
	}
	frt_scan_free(&sc);
	frt_info(2, "%s: %zu sites%s", o->path, o->nsites,
		 o->text_prot ? ", code pages guarded" : "");
	return o;
}

/* Objects without sites are kept too (without memory for sites), so they are not rescanned. */
int frt_objects_sync(void)
{
	static unsigned long long last_subs;
	struct seen_list l = {0};
	struct frt_object *o, *tmp;
	CDS_LIST_HEAD(gone);
	bool any_gone = false, unloads, new_ok;
	int ret = 0;

	dl_iterate_phdr(collect, &l);
	if (l.err) {
		ret = l.err;
		goto out;
	}
	unloads = l.subs != last_subs; /* else every place still holds what it held */
	last_subs = l.subs;
	/* another thread's dlopen may still unmap what it mapped: its rescan adds them */
	new_ok = frt_in_loader_here() || !__atomic_load_n(&frt_loads_in_flight, __ATOMIC_SEQ_CST);
	cds_list_for_each_entry (o, &frt_objects, node)
		o->seen = false;
	for (size_t i = 0; i < l.n; i++) {
		bool known = false;

		cds_list_for_each_entry (o, &frt_objects, node) {
			if (o->key != l.v[i].phdr || o->bias != l.v[i].bias || o->seen)
				continue;
			if (o->ident == l.v[i].ident && !(unloads && reloaded(o)))
				o->seen = known = true;
			else
				frt_info(1, "%s: another mapping took its place", o->path);
			break;
		}
		if (known || !new_ok || excluded(&l.v[i]))
			continue;
		bool later = false;

		o = object_new(&l.v[i], &later);
		if (!o) {
			if (!later)
				ret = -ENOMEM;
			continue;
		}
		o->seen = true;
		if (o->nsites) {
			frt_convert_runs(o);
			if (frt_veneer_setup(o)) {
				frt_msg("%s: no veneer within call range; its %zu sites are not "
					"traced",
					o->path, o->nsites);
				o->nsites = 0;
			}
		}
		cds_list_add_tail_rcu(&o->node, &frt_objects);
		frt_object_notifier fn = __atomic_load_n(&notifier, __ATOMIC_ACQUIRE);

		if (fn)
			fn(o); /* before any record of its functions */
		frt_ops_object_added(o);
		if (frt_list_fd >= 0)
			frt_list_object(frt_list_fd, o);
	}
	cds_list_for_each_entry_safe (o, tmp, &frt_objects, node) {
		if (o->seen)
			continue;
		cds_list_del_rcu(&o->node);
		/* the exit summary counts them: they were traced */
		for (size_t i = 0; i < o->nsites; i++)
			frt_sites_enabled_unloaded += o->sites[i].state == ARCH_ST_ON;
		cds_list_add(&o->node, &gone); /* no reader can reach it after the grace period */
		any_gone = true;
	}
	cds_list_for_each_entry (o, &gone, node)
		frt_ops_object_removed(o, &gone);
	if (any_gone) {
		frt_synchronize();
		cds_list_for_each_entry_safe (o, tmp, &gone, node) {
			frt_info(2, "%s: unloaded", o->path);
			object_free(o);
		}
	}
out:
	for (size_t i = 0; i < l.n; i++)
		frt_free(l.v[i].path);
	frt_free(l.v);
	return ret;
}

static int site_cmp(const void *key, const void *elem)
{
	uintptr_t a = *(const uintptr_t *)key, b = ((const struct frt_site *)elem)->addr;

	return a < b ? -1 : a > b;
}

/* The site of @o at @a (sites are sorted by address); the hot path's is lib/dispatch/lookup.c. */
static struct frt_site *site_at(struct frt_object *o, uintptr_t a)
{
	return bsearch(&a, o->sites, o->nsites, sizeof(*o->sites), site_cmp);
}

/* A site by its address or its function's entry. */
struct frt_site *frt_site_by_ip(uintptr_t ip, struct frt_object **op)
{
	struct frt_object *o = frt_objects_find(ip);
	struct frt_site *s;

	if (!o)
		o = frt_objects_find(ip + ARCH_PAD_SIZE);
	if (!o)
		return NULL;
	s = site_at(o, ip);
	if (!s)
		s = site_at(o, ip + ARCH_PAD_SIZE);
	if (s && frt_site_entry(s) != ip && s->addr != ip)
		s = NULL;
	if (op)
		*op = o;
	return s;
}

void frt_objects_counts(unsigned long *objects, unsigned long *sites, unsigned long *enabled,
			unsigned long *skipped, unsigned long *unaligned, unsigned long *bytes)
{
	struct frt_object *o;

	*objects = *sites = *enabled = *skipped = *unaligned = *bytes = 0;
	cds_list_for_each_entry (o, &frt_objects, node) {
		if (!o->nsites && !o->nskipped)
			continue;
		(*objects)++;
		*bytes += o->nsites * sizeof(*o->sites) + o->names_len;
		*skipped += o->nskipped + o->nunconverted;
		for (size_t i = 0; i < o->nsites; i++) {
			const struct frt_site *s = &o->sites[i];

			if (s->state == ARCH_ST_RAW)
				continue;
			(*sites)++;
			*enabled += s->state == ARCH_ST_ON;
			*unaligned += !frt_site_has_slot(s);
		}
	}
}

void frt_list_object(int fd, const struct frt_object *o)
{
	for (size_t i = 0; i < o->nsites; i++) {
		const struct frt_site *s = &o->sites[i];
		char line[1024];
		int n = snprintf(line, sizeof(line), "%s %s %#lx %s %s%s%s\n", o->name,
				 frt_site_name(o, s), frt_site_entry(s),
				 arch_layout_name(s->layout),
				 frt_site_has_slot(s)		     ? "slot"
				 : (s->flags & FRT_SITE_F_SLOT_UNAL) ? "slot-unaligned"
								     : "noslot",
				 (s->flags & FRT_SITE_F_PAD) ? " " ARCH_PAD_NAME : "",
				 s->state == ARCH_ST_RAW ? " unconverted" : "");

		if (n > (int)sizeof(line) - 1)
			n = sizeof(line) - 1;
		if (write(fd, line, (size_t)n) < 0)
			return;
	}
}

/*
 * Is @a in the code of an object the loader has loaded (the stacktrace
 * trigger's test for a return address)? Objects the runtime does not list
 * (its own dependencies, libc) too: the loader's _dl_find_object, lock-free
 * and async-signal-safe (glibc 2.35). Called through the vector-saving
 * thunk from lib/dispatch. Returns 1 or 0.
 */
uintptr_t frt_pc_is_code(uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t d)
{
	(void)b, (void)c, (void)d;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
	struct dl_find_object r;

	if (_dl_find_object((void *)a, &r) == 0)
		return a >= (uintptr_t)r.dlfo_map_start && a < (uintptr_t)r.dlfo_map_end;
	return 0;
#else
	struct frt_object *o;

	cds_list_for_each_entry_rcu (o, &frt_objects, node)
		if (a >= o->map_start && a < o->map_end)
			return 1;
	return 0;
#endif
}
