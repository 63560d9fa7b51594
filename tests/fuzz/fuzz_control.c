// SPDX-License-Identifier: MIT
/*
 * libFuzzer: the control protocol, against the real runtime compiled into
 * this binary: each input is a batch of request lines, answered to
 * /dev/null. Tracer switches really happen (this binary has no sites of its
 * own, the data directory is under /tmp).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "tracer.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	setenv("FTRACE_RT_OUTPUT", "/tmp/ftrace_rt-fuzz.data", 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int null = -1;
	char *buf = malloc(size + 1), *line = buf;

	if (null < 0)
		null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	memcpy(buf, data, size);
	buf[size] = 0;
	for (size_t i = 0; i <= size; i++) {
		if (i == size || buf[i] == '\n') {
			size_t len = (size_t)(buf + i - line);

			buf[i] = 0;
			if (len < 65536)
				frt_control_request(line, len, null);
			line = buf + i + 1;
		}
	}
	free(buf);
	return 0;
}
