// SPDX-License-Identifier: MIT
/*
 * What `record` and `list` can tell about a program before running it, so
 * that "nothing was traced" is never silent: a static binary (the runtime
 * is preloaded, which a static binary never does), an executable without
 * patchable entries (built without the flags), or one built with -pg, whose
 * mcount calls are not the NOPs the runtime patches.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf_scan.h"
#include "tool.h"

/* @prog as execvp would find it, in @buf; NULL if it is nowhere. */
const char *tool_which(const char *prog, char *buf, size_t len)
{
	const char *path = getenv("PATH");

	if (strchr(prog, '/'))
		return access(prog, F_OK) ? NULL : prog;
	if (!path)
		path = "/bin:/usr/bin";
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");

		if ((size_t)snprintf(buf, len, "%.*s%s%s", (int)n, p, n ? "/" : "", prog) < len &&
		    !access(buf, X_OK))
			return buf;
		p += n + (p[n] == ':');
	}
	return NULL;
}

/* An undefined reference to a profiling counter: code built with -pg. */
static bool calls_mcount(Elf *e)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx != SHN_UNDEF)
				continue;
			name = elf_strptr(e, sh.sh_link, sym.st_name);
			if (name && (!strcmp(name, "mcount") || !strcmp(name, "_mcount") ||
				     !strcmp(name, "__fentry__")))
				return true;
		}
	}
	return false;
}

/* DF_1_PIE in DT_FLAGS_1: a PIE executable, not a shared library. */
static bool is_pie(Elf *e)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn dyn;

			if (gelf_getdyn(data, (int)i, &dyn) && dyn.d_tag == DT_FLAGS_1 &&
			    (dyn.d_un.d_val & DF_1_PIE))
				return true;
		}
	}
	return false;
}

int tool_check_program(const char *cmd, const char *path, size_t *nsites)
{
	struct frt_scan sc = {0};
	char err[256];
	bool interp = false, static_exe, pg;
	size_t phnum = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;
	Elf *e;

	*nsites = 0;
	if (fd < 0)
		return TOOL_PROG_UNKNOWN;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF || elf_getphdrnum(e, &phnum)) {
		/* a script: its interpreter decides */
		if (e)
			elf_end(e);
		close(fd);
		return TOOL_PROG_UNKNOWN;
	}
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph))
			continue;
		interp |= ph.p_type == PT_INTERP;
	}
	GElf_Ehdr eh;

	/* no program interpreter: a static executable or static PIE, or a library */
	static_exe = !interp && gelf_getehdr(e, &eh) &&
		     (eh.e_type == ET_EXEC || (eh.e_type == ET_DYN && is_pie(e)));
	pg = calls_mcount(e);
	elf_end(e);
	if (static_exe) {
		close(fd);
		fprintf(stderr,
			"%s %s: %s is statically linked: static binaries cannot be preloaded, so "
			"nothing in it can be traced; link it dynamically (without -static)\n",
			tool_prog, cmd, path);
		return TOOL_PROG_STATIC;
	}
	ret = frt_scan_elf(fd, NULL, &sc, err, sizeof(err));
	close(fd);
	if (ret)
		return TOOL_PROG_UNKNOWN;
	*nsites = sc.nsites;
	frt_scan_free(&sc);
	if (*nsites)
		return TOOL_PROG_OK;
	if (pg)
		fprintf(stderr,
			"%s %s: %s was built with -pg: its mcount calls cannot be patched; rebuild "
			"it with $(pkg-config --cflags ftrace_rt) (%s) instead of -pg\n",
			tool_prog, cmd, path, FRT_TRACE_CFLAGS);
	else
		fprintf(stderr,
			"%s %s: %s has no traceable functions (no patchable function entries); "
			"rebuild it with $(pkg-config --cflags ftrace_rt) (%s)\n",
			tool_prog, cmd, path, FRT_TRACE_CFLAGS);
	return pg ? TOOL_PROG_PG : TOOL_PROG_NOSITES;
}
