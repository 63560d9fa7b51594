/* SPDX-License-Identifier: MIT */
/* Writing a uftrace data directory's info file (shared by the runtime and the tool). */
#ifndef FRT_UFTRACE_INFO_H
#define FRT_UFTRACE_INFO_H

#include <stdbool.h>
#include <stddef.h>

int frt_uftrace_write_info(const char *dir, const char *exename, const char *cmdline_json,
			   int exit_status, bool have_status);
void frt_json_escape(const char *in, size_t inlen, char *out, size_t outlen);

#endif
