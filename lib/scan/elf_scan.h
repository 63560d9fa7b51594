/* SPDX-License-Identifier: MIT */
/*
 * lib/scan/: ELF sections and symbols (here), filter patterns (pattern.h), the
 * demangler (demangle.h). Which bytes make a site is asked of arch/
 * (arch_scan_site); this layer owns only the ELF side.
 *
 * Finding patch sites in one ELF object, either a file on disk or an object
 * mapped in this process (then section contents and code are read from memory,
 * already relocated by the dynamic loader).
 */
#ifndef FRT_ELF_SCAN_H
#define FRT_ELF_SCAN_H

#include <link.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"

/*
 * What scan found at a site (arch/arch.h, ARCH_SCAN_F_*), and the bits
 * lib/ adds.
 */
#define FRT_SITE_F_PAD	      ARCH_SCAN_F_PAD  /* a landing pad at the entry; the site follows it */
#define FRT_SITE_F_SLOT	      ARCH_SCAN_F_SLOT /* 8 prefix bytes ahead of the entry, 8-aligned */
#define FRT_SITE_F_SLOT_UNAL  ARCH_SCAN_F_SLOT_UNAL /* not 8-aligned: dispatched by lookup */
#define FRT_SITE_F_NONAME     0x08 /* no symbol: the name is made from the address */
#define FRT_SITE_F_ENTRY_HEUR ARCH_SCAN_F_ENTRY_HEUR /* entry guessed from the bytes */
#define FRT_SITE_F_RAW	      ARCH_SCAN_F_RAW	     /* the compiler left it RAW */

/* Why a recorded address was not taken as a site. */
enum frt_skip {
	FRT_SKIP_OUTSIDE = 0, /* not inside an executable segment */
	FRT_SKIP_BYTES,	      /* bytes are not what the layout says */
	FRT_SKIP_UNSTEPPABLE, /* a plan's atomic store would not be atomic there */
	FRT_SKIP_DUP,	      /* recorded twice */
	FRT_SKIP_NR
};

struct frt_scan_site {
	uint64_t entry;	  /* link-time address of the function entry */
	uint32_t name;	  /* offset into frt_scan.names */
	uint8_t site_off; /* site = entry + site_off (0, or after a landing pad) */
	uint8_t layout;	  /* the arch's layout number (arch_layout_name) */
	uint8_t flags;	  /* FRT_SITE_F_* */
	uint8_t state;	  /* enum arch_state now at the site */
	uint8_t n, m;	  /* patchable-function-entry N,M as found */
};

struct frt_scan {
	struct frt_scan_site *sites;
	size_t nsites, cap;
	char *names;
	size_t names_len, names_cap;
	unsigned int skipped[FRT_SKIP_NR];
	bool has_pfe, has_mcount; /* which sections were present */
	bool stripped;		  /* no .symtab */
	bool unrelocated;	  /* mapped but not yet relocated by the loader: scan again later */
	unsigned short machine;
	/* its PT_GNU_PROPERTY segment (the start of it): arch_text_prot() */
	uint8_t gnu_property[512];
	size_t gnu_property_len;
};

/* Where a mapped object's bytes are, for scanning a loaded object. */
struct frt_mem {
	uintptr_t bias;
	const ElfW(Phdr) * phdr;
	int phnum;
};

/*
 * Scan the ELF file open at @fd. With @mem, the object is this process's
 * mapping: section contents and code bytes are read from memory. Returns 0 and
 * fills @out (sites sorted by entry), or -1 with a reason in @err.
 */
int frt_scan_elf(int fd, const struct frt_mem *mem, struct frt_scan *out, char *err, size_t errlen);
void frt_scan_free(struct frt_scan *s);

const char *frt_skip_name(int why);

/* An object's symbols as uftrace's <module>.sym lists them (elf_syms.c). */
struct frt_elf_sym {
	uint64_t addr; /* link-time address */
	uint32_t name; /* offset into frt_elf_syms.names */
	char type;     /* 'P' a PLT entry, 'T' global, 'w' weak, 't' local function */
};
struct frt_elf_syms {
	struct frt_elf_sym *v; /* the PLT entries (nplt), then the functions; each by address */
	size_t n, cap, nplt;
	char *names;
	size_t names_len, names_cap;
	uint64_t plt_end;  /* the end of the last PLT entry ("__dynsym_end"), 0 if none */
	uint64_t func_end; /* the end of the last function ("__func_end"), 0 if none */
};

/* Read the symbols of the ELF file open at @fd: 0, or a negative errno. */
int frt_elf_syms_read(int fd, struct frt_elf_syms *t);
void frt_elf_syms_free(struct frt_elf_syms *t);

/* One .rela.plt slot of an object: link-time addresses, the symbol it binds. */
struct frt_elf_plt_slot {
	uint64_t got;  /* the GOT word the PLT entry jumps through */
	uint64_t plt;  /* the PLT entry (what the .sym file names NAME@plt) */
	uint32_t name; /* offset into frt_elf_plt.names */
};

struct frt_elf_plt {
	struct frt_elf_plt_slot *v; /* in .rela.plt order; IRELATIVE slots left out */
	size_t n, cap;
	char *names; /* starts with "" (offset 0) */
	size_t names_len, names_cap;
	uint64_t plt_lo, plt_hi; /* .plt and .plt.sec: where an unbound slot points */
};

/*
 * Read the PLT slots of the ELF file open at @fd (relocation type @jump_slot):
 * 0, or a negative errno; none found is not an error.
 */
int frt_elf_plt_read(int fd, unsigned int jump_slot, struct frt_elf_plt *p);
void frt_elf_plt_free(struct frt_elf_plt *p);

#endif
