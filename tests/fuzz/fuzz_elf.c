// SPDX-License-Identifier: MIT
/* libFuzzer: the ELF site scanner on mutated files. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct frt_scan sc;
	char err[256];

	if (fd < 0)
		fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	if (!frt_scan_elf(fd, NULL, &sc, err, sizeof(err))) {
		for (size_t i = 0; i < sc.nsites; i++)
			if (sc.sites[i].name >= sc.names_len)
				abort(); /* a name outside the pool */
		frt_scan_free(&sc);
	}
	return 0;
}
