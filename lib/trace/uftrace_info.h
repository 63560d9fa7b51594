/* SPDX-License-Identifier: MIT */
/* Writing a uftrace data directory's info file (shared by the runtime and the tool). */
#ifndef FRT_UFTRACE_INFO_H
#define FRT_UFTRACE_INFO_H

#include <stdbool.h>
#include <stddef.h>

/*
 * @argspec, @retspec: the argument and return value specs the data was
 * recorded with (uftrace's -A and -R, each ';'-separated), NULL for none;
 * with @keep_specs those of the info file already there are kept instead.
 */
int frt_uftrace_write_info(const char *dir, const char *exename, const char *cmdline_json,
			   int exit_status, bool have_status, const char *argspec,
			   const char *retspec, bool keep_specs);
void frt_json_escape(const char *in, size_t inlen, char *out, size_t outlen);

#endif
