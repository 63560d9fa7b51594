// SPDX-License-Identifier: MIT
/*
 * Site discovery from __patchable_function_entries and __mcount_loc.
 *
 * The sections hold absolute addresses (the first prefix byte, or the fentry
 * NOP). For a loaded object they are read from memory, where the dynamic
 * loader has applied their relative relocations; for a file on disk
 * the relocation addends are applied here. The function entry is found from
 * symbols (.symtab, else .dynsym) and from the .eh_frame_hdr table, which
 * survives stripping; the bytes between the record and the entry must be
 * NOPs. Only then are the bytes at the site checked against the layout.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "arch.h"
#include "elf_scan.h"

#define MAX_PREFIX 64 /* largest M we accept between record and entry */

struct fsym {
	uint64_t addr, size;
	const char *name;
	int bind_rank; /* lower is preferred: global, weak, local */
};

struct reladd {
	uint64_t off;
	uint64_t val;
};

struct ctx {
	Elf *elf;
	int fd;
	const struct frt_mem *mem;
	GElf_Ehdr eh;
	GElf_Phdr *ph;
	size_t phnum;
	struct fsym *syms;
	size_t nsyms, symcap;
	uint64_t *starts;
	size_t nstarts, startcap;
	struct reladd *rels;
	size_t nrels, relcap;
	struct frt_scan *out;
	char *err;
	size_t errlen;
};

static int fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

const char *frt_skip_name(int why)
{
	static const char *const names[FRT_SKIP_NR] = {
		[FRT_SKIP_OUTSIDE] = "outside executable segments",
		[FRT_SKIP_BYTES] = "unexpected bytes",
		[FRT_SKIP_UNSTEPPABLE] = ARCH_UNSTEPPABLE_WHY,
		[FRT_SKIP_DUP] = "recorded twice",
	};
	return why >= 0 && why < FRT_SKIP_NR ? names[why] : "?";
}

/* Read @len bytes at link-time address @va; @exec requires an executable segment. */
static bool read_file_va(struct ctx *c, uint64_t va, void *buf, size_t len, bool exec);

static bool read_va(struct ctx *c, uint64_t va, void *buf, size_t len, bool exec)
{
	if (!c->mem)
		return read_file_va(c, va, buf, len, exec);
	for (int i = 0; i < c->mem->phnum; i++) {
		const ElfW(Phdr) *p = &c->mem->phdr[i];

		if (p->p_type != PT_LOAD || !(p->p_flags & PF_R))
			continue;
		if (exec && !(p->p_flags & PF_X))
			continue;
		if (va >= p->p_vaddr && va + len <= p->p_vaddr + p->p_filesz && va + len > va) {
			memcpy(buf, (const void *)(c->mem->bias + va), len);
			return true;
		}
	}
	return false;
}

/* The bytes the file holds at @va, whether scanning a file or a mapping. */
static bool read_file_va(struct ctx *c, uint64_t va, void *buf, size_t len, bool exec)
{
	for (size_t i = 0; i < c->phnum; i++) {
		const GElf_Phdr *p = &c->ph[i];

		if (p->p_type != PT_LOAD)
			continue;
		if (exec && !(p->p_flags & PF_X))
			continue;
		if (va >= p->p_vaddr && va + len <= p->p_vaddr + p->p_filesz && va + len > va)
			return pread(c->fd, buf, len, (off_t)(p->p_offset + (va - p->p_vaddr))) ==
			       (ssize_t)len;
	}
	return false;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct fsym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->bind_rank - y->bind_rank;
}

static int cmp_rel(const void *a, const void *b)
{
	const struct reladd *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static int add_start(struct ctx *c, uint64_t a)
{
	if (frt_grow((void **)&c->starts, &c->startcap, c->nstarts + 1, sizeof(*c->starts)))
		return -1;
	c->starts[c->nstarts++] = a;
	return 0;
}

static int load_symbols(struct ctx *c, Elf_Scn *scn, GElf_Shdr *sh)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t n;

	if (!d || !sh->sh_entsize)
		return 0;
	n = sh->sh_size / sh->sh_entsize;
	for (size_t i = 1; i < n; i++) {
		GElf_Sym s;
		int type;
		const char *name;

		if (!gelf_getsym(d, (int)i, &s))
			break;
		type = GELF_ST_TYPE(s.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF ||
		    !s.st_value)
			continue;
		name = elf_strptr(c->elf, sh->sh_link, s.st_name);
		if (!name || !*name)
			continue;
		if (frt_grow((void **)&c->syms, &c->symcap, c->nsyms + 1, sizeof(*c->syms)))
			return -1;
		c->syms[c->nsyms++] = (struct fsym){s.st_value, s.st_size, name,
						    GELF_ST_BIND(s.st_info) == STB_GLOBAL ? 0
						    : GELF_ST_BIND(s.st_info) == STB_WEAK ? 1
											  : 2};
		if (add_start(c, s.st_value))
			return -1;
	}
	return 0;
}

/* Function starts from the .eh_frame_hdr binary search table. */
static int load_eh_frame_hdr(struct ctx *c, uint64_t va, uint64_t size)
{
	uint8_t h[12];
	uint32_t count;
	size_t ptrsz;

	if (size < sizeof(h) || !read_va(c, va, h, sizeof(h), false))
		return 0;
	/* version 1, table as datarel|sdata4 (0x3b), count as udata4 (0x03) */
	if (h[0] != 1 || h[3] != 0x3b || h[2] != 0x03)
		return 0;
	switch (h[1] & 0x0f) {
	case 0x03:
	case 0x0b:
		ptrsz = 4;
		break;
	case 0x04:
	case 0x0c:
		ptrsz = 8;
		break;
	default:
		return 0;
	}
	if (ptrsz != 4) /* the count follows the pointer */
		return 0;
	memcpy(&count, h + 8, 4);
	if ((uint64_t)count * 8 > size - 12)
		count = (uint32_t)((size - 12) / 8);
	for (uint32_t i = 0; i < count; i++) {
		int32_t e[2];

		if (!read_va(c, va + 12 + (uint64_t)i * 8, e, sizeof(e), false))
			break;
		if (add_start(c, va + (int64_t)e[0]))
			return -1;
	}
	return 0;
}

static int load_relocs(struct ctx *c, Elf_Scn *scn, GElf_Shdr *sh)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t n;

	if (!d || !sh->sh_entsize)
		return 0;
	n = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < n; i++) {
		GElf_Rela r;

		if (!gelf_getrela(d, (int)i, &r))
			break;
		if (GELF_R_TYPE(r.r_info) != ARCH_R_RELATIVE)
			continue;
		if (frt_grow((void **)&c->rels, &c->relcap, c->nrels + 1, sizeof(*c->rels)))
			return -1;
		c->rels[c->nrels++] = (struct reladd){r.r_offset, (uint64_t)r.r_addend};
	}
	return 0;
}

static bool reloc_at(struct ctx *c, uint64_t off, uint64_t *val)
{
	size_t lo = 0, hi = c->nrels;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->rels[mid].off == off) {
			*val = c->rels[mid].val;
			return true;
		}
		if (c->rels[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* First function start >= @a, or 0. */
static uint64_t start_at_or_after(struct ctx *c, uint64_t a)
{
	size_t lo = 0, hi = c->nstarts;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->starts[mid] < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->nstarts ? c->starts[lo] : 0;
}

static const char *symbol_for(struct ctx *c, uint64_t entry)
{
	size_t lo = 0, hi = c->nsyms;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->syms[mid].addr < entry)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->nsyms && c->syms[lo].addr == entry)
		return c->syms[lo].name;
	return NULL;
}

static int add_name(struct frt_scan *s, const char *name, uint32_t *off)
{
	size_t len = strlen(name) + 1;

	if (frt_grow((void **)&s->names, &s->names_cap, s->names_len + len, 1))
		return -1;
	memcpy(s->names + s->names_len, name, len);
	*off = (uint32_t)s->names_len;
	s->names_len += len;
	return 0;
}

/* Count NOP bytes from @va, up to @max. */
static size_t nop_bytes(struct ctx *c, uint64_t va, size_t max)
{
	uint8_t b[MAX_PREFIX + 16];
	size_t have, n = 0;

	if (max > MAX_PREFIX)
		max = MAX_PREFIX;
	for (have = max + 15; have >= 1; have--)
		if (read_va(c, va, b, have, true))
			break;
	while (n < max && n < have) {
		size_t l = arch_nop_len(b + n, have - n);

		if (!l)
			break;
		n += l;
	}
	return n;
}

/* arch_scan_src: the bytes at a link-time address, in an executable segment */
static bool src_read(void *ctx, uint64_t va, void *buf, size_t len)
{
	return read_va(ctx, va, buf, len, true);
}

static bool src_read_file(void *ctx, uint64_t va, void *buf, size_t len)
{
	return read_file_va(ctx, va, buf, len, true);
}

static int add_site(struct ctx *c, uint64_t rec, bool mcount)
{
	struct frt_scan *s = c->out;
	struct frt_scan_site st = {0};
	struct arch_site_desc d;
	const struct arch_scan_src src = {src_read, c->mem ? src_read_file : NULL, c};
	uint64_t entry = 0;
	const char *name;
	char buf[64];
	int why;

	if (!mcount) {
		uint64_t start = start_at_or_after(c, rec);

		if (start && start - rec <= MAX_PREFIX &&
		    (start == rec || nop_bytes(c, rec, start - rec) >= start - rec))
			entry = start;
	}
	/* the arch finds the entry when symbols do not, the landing pad, the site and its state */
	why = arch_scan_site(&src, rec, entry, mcount ? ARCH_REC_MCOUNT : ARCH_REC_PFE, &d);
	if (why != ARCH_SKIP_NONE) {
		s->skipped[why == ARCH_SKIP_OUTSIDE ? FRT_SKIP_OUTSIDE
			   : why == ARCH_SKIP_BYTES ? FRT_SKIP_BYTES
						    : FRT_SKIP_UNSTEPPABLE]++;
		return 0;
	}
	entry = d.entry;
	st.site_off = d.site_off;
	st.layout = d.layout;
	st.flags = d.flags;
	st.state = d.state;
	st.n = d.n;
	st.m = d.m;
	st.entry = entry;
	name = symbol_for(c, entry);
	if (!name) {
		snprintf(buf, sizeof(buf), "sub_%llx", (unsigned long long)entry);
		name = buf;
		st.flags |= FRT_SITE_F_NONAME;
	}
	if (add_name(s, name, &st.name) ||
	    frt_grow((void **)&s->sites, &s->cap, s->nsites + 1, sizeof(*s->sites)))
		return fail(c, "out of memory");
	s->sites[s->nsites++] = st;
	return 0;
}

static int read_section_entries(struct ctx *c, Elf_Scn *scn, GElf_Shdr *sh, bool mcount)
{
	size_t n = sh->sh_size / 8, zeros = 0;
	Elf_Data *d = NULL;
	bool from_mem = c->mem && (sh->sh_flags & SHF_ALLOC);

	if (!from_mem) {
		d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf || d->d_size < n * 8)
			return fail(c, "cannot read section %s: %s",
				    mcount ? "__mcount_loc" : "__patchable_function_entries",
				    elf_errmsg(-1));
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t v;

		if (from_mem) {
			if (!read_va(c, sh->sh_addr + i * 8, &v, 8, false))
				return fail(c, "section at 0x%llx is not mapped",
					    (unsigned long long)sh->sh_addr);
			/*
			 * Seen between the loader mapping the object and relocating
			 * it (a sync in another thread during its dlopen): the
			 * entries are still link-time addresses.
			 */
			if (v && c->eh.e_type == ET_DYN && c->mem->bias && v < c->mem->bias) {
				c->out->unrelocated = true;
				return fail(c, "not relocated yet");
			}
			v -= c->mem->bias;
		} else {
			memcpy(&v, (const char *)d->d_buf + i * 8, 8);
			if (c->eh.e_type == ET_DYN)
				reloc_at(c, sh->sh_addr + i * 8, &v);
		}
		if (!v) {
			zeros++;
			continue;
		}
		if (add_site(c, v, mcount))
			return -1;
	}
	/* lld leaves RELA-relocated entries 0 until the loader relocates them */
	if (from_mem && n && zeros == n && c->eh.e_type == ET_DYN && c->mem->bias) {
		c->out->unrelocated = true;
		return fail(c, "not relocated yet");
	}
	return 0;
}

static int cmp_site(const void *a, const void *b)
{
	const struct frt_scan_site *x = a, *y = b;

	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

static int check_phdrs(struct ctx *c)
{
	int nload_mem = 0;
	size_t nload_file = 0;

	for (int i = 0; i < c->mem->phnum; i++) {
		const ElfW(Phdr) *m = &c->mem->phdr[i];
		bool found = false;

		if (m->p_type != PT_LOAD)
			continue;
		nload_mem++;
		for (size_t j = 0; j < c->phnum; j++)
			if (c->ph[j].p_type == PT_LOAD && c->ph[j].p_vaddr == m->p_vaddr &&
			    c->ph[j].p_memsz == m->p_memsz && c->ph[j].p_flags == m->p_flags)
				found = true;
		if (!found)
			return fail(c, "file on disk does not match the loaded object");
	}
	for (size_t j = 0; j < c->phnum; j++)
		nload_file += c->ph[j].p_type == PT_LOAD;
	if (nload_file != (size_t)nload_mem)
		return fail(c, "file on disk does not match the loaded object");
	return 0;
}

static int scan(struct ctx *c)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	Elf_Scn *symtab = NULL, *dynsym = NULL;
	GElf_Shdr symtab_sh, dynsym_sh;

	if (elf_kind(c->elf) != ELF_K_ELF)
		return fail(c, "not an ELF file");
	if (!gelf_getehdr(c->elf, &c->eh))
		return fail(c, "bad ELF header: %s", elf_errmsg(-1));
	c->out->machine = c->eh.e_machine;
	if (gelf_getclass(c->elf) != ARCH_ELF_CLASS || c->eh.e_machine != ARCH_ELF_MACHINE)
		return fail(c, "not an " ARCH_NAME " object (machine %u)", c->eh.e_machine);
	if (c->eh.e_type != ET_EXEC && c->eh.e_type != ET_DYN)
		return fail(c, "not an executable or shared object");
	if (elf_getphdrnum(c->elf, &c->phnum))
		return fail(c, "bad program headers: %s", elf_errmsg(-1));
	c->ph = frt_calloc(c->phnum ? c->phnum : 1, sizeof(*c->ph));
	if (!c->ph)
		return fail(c, "out of memory");
	for (size_t i = 0; i < c->phnum; i++)
		if (!gelf_getphdr(c->elf, (int)i, &c->ph[i]))
			return fail(c, "bad program header %zu", i);
	if (c->mem && check_phdrs(c))
		return -1;
	for (size_t i = 0; i < c->phnum; i++)
		if (c->ph[i].p_type == PT_GNU_PROPERTY) {
			Elf_Data *d = elf_getdata_rawchunk(c->elf, (int64_t)c->ph[i].p_offset,
							   c->ph[i].p_filesz, ELF_T_BYTE);

			if (d && d->d_buf) {
				c->out->gnu_property_len = d->d_size < sizeof(c->out->gnu_property)
								   ? d->d_size
								   : sizeof(c->out->gnu_property);
				memcpy(c->out->gnu_property, d->d_buf, c->out->gnu_property_len);
			}
		}

	if (elf_getshdrstrndx(c->elf, &shstrndx))
		return fail(c, "no section headers");

	/* first pass: symbols, relocations, unwind table */
	while ((scn = elf_nextscn(c->elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			return fail(c, "bad section header: %s", elf_errmsg(-1));
		name = elf_strptr(c->elf, shstrndx, sh.sh_name);
		if (!name)
			continue;
		if (sh.sh_type == SHT_SYMTAB) {
			symtab = scn;
			symtab_sh = sh;
		} else if (sh.sh_type == SHT_DYNSYM) {
			dynsym = scn;
			dynsym_sh = sh;
		} else if (sh.sh_type == SHT_RELA && !c->mem && c->eh.e_type == ET_DYN) {
			if (load_relocs(c, scn, &sh))
				return fail(c, "out of memory");
		} else if (!strcmp(name, ".eh_frame_hdr") && !c->mem) {
			if (load_eh_frame_hdr(c, sh.sh_addr, sh.sh_size))
				return fail(c, "out of memory");
		} else if (!strcmp(name, "__patchable_function_entries")) {
			c->out->has_pfe = true;
		} else if (!strcmp(name, "__mcount_loc")) {
			c->out->has_mcount = true;
		}
	}
	if (c->mem) {
		for (int i = 0; i < c->mem->phnum; i++)
			if (c->mem->phdr[i].p_type == PT_GNU_EH_FRAME &&
			    load_eh_frame_hdr(c, c->mem->phdr[i].p_vaddr, c->mem->phdr[i].p_memsz))
				return fail(c, "out of memory");
	}
	c->out->stripped = !symtab;
	if (symtab   ? load_symbols(c, symtab, &symtab_sh)
	    : dynsym ? load_symbols(c, dynsym, &dynsym_sh)
		     : 0)
		return fail(c, "out of memory");
	if (!c->out->has_pfe && !c->out->has_mcount)
		return 0;
	frt_sort(c->syms, c->nsyms, sizeof(*c->syms), cmp_sym);
	frt_sort(c->starts, c->nstarts, sizeof(*c->starts), cmp_u64);
	frt_sort(c->rels, c->nrels, sizeof(*c->rels), cmp_rel);

	/* second pass: the site records */
	scn = NULL;
	while ((scn = elf_nextscn(c->elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			return fail(c, "bad section header: %s", elf_errmsg(-1));
		name = elf_strptr(c->elf, shstrndx, sh.sh_name);
		if (!name || sh.sh_type == SHT_NOBITS)
			continue;
		if (!strcmp(name, "__patchable_function_entries")) {
			if (read_section_entries(c, scn, &sh, false))
				return -1;
		} else if (!strcmp(name, "__mcount_loc")) {
			if (read_section_entries(c, scn, &sh, true))
				return -1;
		}
	}

	/* sorted by entry, one site per entry */
	frt_sort(c->out->sites, c->out->nsites, sizeof(*c->out->sites), cmp_site);
	if (c->out->nsites) {
		size_t w = 1;

		for (size_t r = 1; r < c->out->nsites; r++) {
			if (c->out->sites[r].entry == c->out->sites[w - 1].entry) {
				c->out->skipped[FRT_SKIP_DUP]++;
				continue;
			}
			c->out->sites[w++] = c->out->sites[r];
		}
		c->out->nsites = w;
	}
	return 0;
}

int frt_scan_elf(int fd, const struct frt_mem *mem, struct frt_scan *out, char *err, size_t errlen)
{
	struct ctx c = {.fd = fd, .mem = mem, .out = out, .err = err, .errlen = errlen};
	int ret;

	memset(out, 0, sizeof(*out));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(&c, "libelf: %s", elf_errmsg(-1));
	/* ELF_C_READ rather than MMAP: a file truncated under us must not SIGBUS the host */
	c.elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!c.elf)
		return fail(&c, "cannot read ELF: %s", elf_errmsg(-1));
	ret = scan(&c);
	elf_end(c.elf);
	frt_free(c.ph);
	frt_free(c.syms);
	frt_free(c.starts);
	frt_free(c.rels);
	if (ret)
		frt_scan_free(out);
	return ret;
}

void frt_scan_free(struct frt_scan *s)
{
	frt_free(s->sites);
	frt_free(s->names);
	s->sites = NULL;
	s->names = NULL;
	s->nsites = s->cap = s->names_len = s->names_cap = 0;
}
