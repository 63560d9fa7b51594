// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"

int frt_verbose;

static void vmsg(const char *fmt, va_list ap)
{
	char buf[1024];
	int saved = errno;
	int n = snprintf(buf, sizeof(buf), "ftrace_rt: ");

	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0) {
		/* nowhere to report it */
	}
	errno = saved;
}

void frt_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

void frt_info(int level, const char *fmt, ...)
{
	va_list ap;

	if (frt_verbose < level)
		return;
	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}
