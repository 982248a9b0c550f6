/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line argument checks the tools share: a one-line complaint and
 * exit 2, and a number within bounds. A tool defines CLI_PROG, its name,
 * before including this.
 */
#ifndef LALLOC_CLIARGS_H
#define LALLOC_CLIARGS_H

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef CLI_PROG
#error "define CLI_PROG, the tool's name, before including cliargs.h"
#endif

/* "PROG: <fmt with arg> (--help lists the options)", then exit 2. */
static inline void bad_arg(const char *fmt, const char *arg)
{
	fprintf(stderr, CLI_PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (--help lists the options)\n");
	exit(2);
}

/* @s as a number in [min, max], or bad_arg() naming @what. */
static inline uint64_t num(const char *s, const char *what, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (!*s || *end || errno || *s == '-' || v < min || v > max) {
		char msg[128];

		snprintf(msg, sizeof(msg), "%s: '%%s' is not a number from %" PRIu64 " to %" PRIu64,
			 what, min, max);
		bad_arg(msg, s);
	}
	return v;
}

#endif /* LALLOC_CLIARGS_H */
