// SPDX-License-Identifier: MIT
/*
 * An object's symbol table as uftrace writes it into <module>.sym: its PLT
 * entries ('P', one per .rela.plt slot, named by the dynamic symbol they
 * bind) up to "__dynsym_end", then every defined function with a size ('T'
 * global, 'w' weak, 't' local) up to "__func_end", sorted by address. A
 * reader takes each symbol's size as the distance to the next line, so
 * functions that are not traced still end the ones before them, and
 * uftrace's replay-time filters (-F NAME@plt, -Z SIZE) see what they see in
 * uftrace's own data. Read from the file, outside any transaction.
 */
#include <errno.h>
#include <gelf.h>
#include <stdbool.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "elf_scan.h"

static int add(struct frt_elf_syms *t, uint64_t addr, char type, const char *name)
{
	size_t len = strlen(name) + 1;

	if (frt_grow((void **)&t->v, &t->cap, t->n + 1, sizeof(*t->v)) ||
	    frt_grow((void **)&t->names, &t->names_cap, t->names_len + len, 1))
		return -ENOMEM;
	t->v[t->n++] = (struct frt_elf_sym){addr, (uint32_t)t->names_len, type};
	memcpy(t->names + t->names_len, name, len);
	t->names_len += len;
	return 0;
}

/* PLT entries first, then functions; each by address */
static int cmp_sym(const void *a, const void *b)
{
	const struct frt_elf_sym *x = a, *y = b;
	int px = x->type == 'P', py = y->type == 'P';

	if (px != py)
		return py - px;
	return x->addr < y->addr ? -1 : x->addr > y->addr ? 1 : 0;
}

/* ... and among aliases: global, local, weak, then the symbol table's order */
static int cmp_sym_alias(const void *a, const void *b)
{
	const struct frt_elf_sym *x = a, *y = b;
	int c = cmp_sym(a, b);

	if (c)
		return c;
	if (x->type != y->type)
		return x->type - y->type;
	return x->name < y->name ? -1 : x->name > y->name;
}

struct plt_layout {
	Elf_Scn *rela; /* .rela.plt */
	GElf_Shdr rsh;
	Elf_Data *d, *dd; /* the relocations, their symbol table */
	GElf_Shdr dsh;
	uint64_t base, ent; /* PLT entry i is at base + i * ent */
	uint64_t lo, hi;    /* .plt and .plt.sec */
};

/* The PLT entry of .rela.plt slot i: after a header in .plt, none in .plt.sec. */
static bool plt_layout(Elf *elf, struct plt_layout *l)
{
	Elf_Scn *scn = NULL, *dyn;
	GElf_Shdr sh, plt = {0}, sec = {0};
	size_t shstr;

	memset(l, 0, sizeof(*l));
	if (elf_getshdrstrndx(elf, &shstr))
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstr, sh.sh_name)))
			continue;
		if (!strcmp(name, ".rela.plt") && sh.sh_type == SHT_RELA) {
			l->rela = scn;
			l->rsh = sh;
		} else if (!strcmp(name, ".plt")) {
			plt = sh;
		} else if (!strcmp(name, ".plt.sec")) {
			sec = sh;
		}
	}
	if (!l->rela || !l->rsh.sh_entsize || (!plt.sh_size && !sec.sh_size))
		return false;
	if (sec.sh_size) {
		l->base = sec.sh_addr;
		l->ent = sec.sh_entsize ? sec.sh_entsize : ARCH_PLT_ENTRY_SIZE;
	} else {
		l->base = plt.sh_addr + ARCH_PLT_HEADER_SIZE;
		l->ent = ARCH_PLT_ENTRY_SIZE;
	}
	l->lo = plt.sh_size ? plt.sh_addr : sec.sh_addr;
	l->hi = plt.sh_size ? plt.sh_addr + plt.sh_size : sec.sh_addr + sec.sh_size;
	if (sec.sh_size && plt.sh_size) {
		if (sec.sh_addr < l->lo)
			l->lo = sec.sh_addr;
		if (sec.sh_addr + sec.sh_size > l->hi)
			l->hi = sec.sh_addr + sec.sh_size;
	}
	l->d = elf_getdata(l->rela, NULL);
	dyn = elf_getscn(elf, l->rsh.sh_link);
	l->dd = dyn && gelf_getshdr(dyn, &l->dsh) ? elf_getdata(dyn, NULL) : NULL;
	return l->d && l->dd;
}

static int add_plt(Elf *elf, struct frt_elf_syms *t, uint64_t *end)
{
	struct plt_layout l;
	size_t n;

	if (!plt_layout(elf, &l))
		return 0;
	n = l.rsh.sh_size / l.rsh.sh_entsize;
	for (size_t i = 0; i < n; i++) {
		GElf_Rela r;
		GElf_Sym s;
		const char *name;
		int ret;

		if (!gelf_getrela(l.d, (int)i, &r))
			break;
		if (!GELF_R_SYM(r.r_info) || !gelf_getsym(l.dd, (int)GELF_R_SYM(r.r_info), &s))
			continue; /* IRELATIVE: a slot without a name */
		name = elf_strptr(elf, l.dsh.sh_link, s.st_name);
		if (!name || !*name)
			continue;
		ret = add(t, l.base + i * l.ent, 'P', name);
		if (ret)
			return ret;
		*end = l.base + (i + 1) * l.ent;
	}
	return 0;
}

static int plt_name(struct frt_elf_plt *p, const char *s, uint32_t *off)
{
	size_t len = strlen(s) + 1;

	if (frt_grow((void **)&p->names, &p->names_cap, p->names_len + len, 1))
		return -ENOMEM;
	*off = (uint32_t)p->names_len;
	memcpy(p->names + p->names_len, s, len);
	p->names_len += len;
	return 0;
}

int frt_elf_plt_read(int fd, unsigned int jump_slot, struct frt_elf_plt *p)
{
	struct plt_layout l;
	Elf *elf;
	int ret = 0;
	uint32_t empty;

	memset(p, 0, sizeof(*p));
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -EINVAL;
	ret = plt_name(p, "", &empty);
	if (!ret && plt_layout(elf, &l)) {
		size_t n = l.rsh.sh_size / l.rsh.sh_entsize;

		p->plt_lo = l.lo;
		p->plt_hi = l.hi;
		for (size_t i = 0; i < n && !ret; i++) {
			struct frt_elf_plt_slot slot = {0};
			const char *name;
			GElf_Rela r;
			GElf_Sym s;

			if (!gelf_getrela(l.d, (int)i, &r))
				break;
			if (GELF_R_TYPE(r.r_info) != jump_slot || !GELF_R_SYM(r.r_info) ||
			    !gelf_getsym(l.dd, (int)GELF_R_SYM(r.r_info), &s))
				continue;
			name = elf_strptr(elf, l.dsh.sh_link, s.st_name);
			if (!name || !*name)
				continue;
			slot.got = r.r_offset;
			slot.plt = l.base + i * l.ent;
			ret = plt_name(p, name, &slot.name);
			if (!ret && frt_grow((void **)&p->v, &p->cap, p->n + 1, sizeof(*p->v)))
				ret = -ENOMEM;
			if (!ret)
				p->v[p->n++] = slot;
		}
	}
	elf_end(elf);
	if (ret)
		frt_elf_plt_free(p);
	return ret;
}

void frt_elf_plt_free(struct frt_elf_plt *p)
{
	frt_free(p->v);
	frt_free(p->names);
	memset(p, 0, sizeof(*p));
}

static int add_funcs(Elf *elf, struct frt_elf_syms *t, uint64_t *end)
{
	Elf_Scn *scn = NULL, *symtab = NULL, *dynsym = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB)
			symtab = scn;
		else if (sh.sh_type == SHT_DYNSYM)
			dynsym = scn;
	}
	scn = symtab ? symtab : dynsym;
	if (!scn || !gelf_getshdr(scn, &sh) || !sh.sh_entsize)
		return 0;

	Elf_Data *d = elf_getdata(scn, NULL);
	size_t n = sh.sh_size / sh.sh_entsize;

	for (size_t i = 1; d && i < n; i++) {
		GElf_Sym s;
		const char *name;
		int type, bind, ret;

		if (!gelf_getsym(d, (int)i, &s))
			break;
		type = GELF_ST_TYPE(s.st_info);
		bind = GELF_ST_BIND(s.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF ||
		    !s.st_size)
			continue;
		name = elf_strptr(elf, sh.sh_link, s.st_name);
		if (!name || !*name)
			continue;
		ret = add(t, s.st_value,
			  bind == STB_GLOBAL ? 'T'
			  : bind == STB_WEAK ? 'w'
					     : 't',
			  name);
		if (ret)
			return ret;
		if (s.st_value + s.st_size > *end)
			*end = s.st_value + s.st_size;
	}
	return 0;
}

/* One symbol per address and kind (aliases: one name, the table's first after sorting). */
static void dedup(struct frt_elf_syms *t)
{
	size_t w = 0;

	for (size_t i = 0; i < t->n; i++)
		if (!w || cmp_sym(&t->v[w - 1], &t->v[i]))
			t->v[w++] = t->v[i];
	t->n = w;
	t->nplt = 0;
	while (t->nplt < t->n && t->v[t->nplt].type == 'P')
		t->nplt++;
}

int frt_elf_syms_read(int fd, struct frt_elf_syms *t)
{
	Elf *elf;
	uint64_t plt_end = 0, func_end = 0;
	int ret;

	memset(t, 0, sizeof(*t));
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -EINVAL;
	ret = add_plt(elf, t, &plt_end);
	if (!ret)
		ret = add_funcs(elf, t, &func_end);
	elf_end(elf);
	if (ret) {
		frt_elf_syms_free(t);
		return ret;
	}
	frt_sort(t->v, t->n, sizeof(*t->v), cmp_sym_alias);
	dedup(t);
	t->plt_end = plt_end;
	t->func_end = func_end;
	return 0;
}

void frt_elf_syms_free(struct frt_elf_syms *t)
{
	frt_free(t->v);
	frt_free(t->names);
	memset(t, 0, sizeof(*t));
}
