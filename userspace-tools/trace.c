// SPDX-License-Identifier: GPL-2.0
/* The lalloc trace parser and reader (see trace.h). */
#include "trace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define TRACE_LINE_MAX	256

/* A decimal u64 at *p, ending at a separator or the line's end. */
static bool parse_u64(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*v = x;
	return true;
}

static bool is_sep(char c)
{
	return c == ' ' || c == '\t';
}

static bool at_end(const char *s)
{
	return !*s || !strcmp(s, "\n") || !strcmp(s, "\r\n");
}

int trace_parse_line(const char *line, struct trace_op *op, const char **err)
{
	const char *s = line;
	uint64_t f[3];
	int n = 0, min, max;

	while (is_sep(*s))
		s++;
	if (at_end(s) || *s == '#')
		return 0;
	if (s != line) {
		*err = "leading whitespace";
		return -1;
	}
	switch (*s) {
	case 'a': min = 3; max = 3; break;
	case 'r': min = 2; max = 3; break;
	case 'f': min = 1; max = 1; break;
	default:
		*err = "unknown op (a, r or f)";
		return -1;
	}
	memset(op, 0, sizeof(*op));
	op->kind = *s++;
	while (!at_end(s)) {
		if (!is_sep(*s)) {
			*err = n ? "a field is not a decimal number" : "the op is not one letter";
			return -1;
		}
		s++;
		if (n == max) {
			*err = "too many fields";
			return -1;
		}
		if (!parse_u64(&s, &f[n])) {
			*err = is_sep(*s) || at_end(s) ? "empty field (one separator between fields)" :
			       "a field is not a decimal number (or past 2^64)";
			return -1;
		}
		n++;
	}
	if (n < min) {
		*err = "too few fields";
		return -1;
	}
	op->id = f[0];
	if (n > 1)
		op->size = f[1];
	if (n > 2) {
		op->align = f[2];
		op->has_align = true;
		if (!op->align || (op->align & (op->align - 1))) {
			*err = "ALIGN is not a power of two";
			return -1;
		}
	}
	return 1;
}

struct trace_reader {
	gzFile gz;
	unsigned long lineno;
	char line[TRACE_LINE_MAX + 2];
};

struct trace_reader *trace_open(const char *path, const char **err)
{
	struct trace_reader *r = calloc(1, sizeof(*r));

	if (!r) {
		*err = strerror(ENOMEM);
		return NULL;
	}
	errno = 0;
	r->gz = gzopen(path, "rb");
	if (!r->gz) {
		*err = strerror(errno ? errno : ENOMEM);
		free(r);
		return NULL;
	}
	return r;
}

int trace_next(struct trace_reader *r, struct trace_op *op, unsigned long *lineno,
	       const char **err)
{
	for (;;) {
		int ret, zerr;

		if (!gzgets(r->gz, r->line, sizeof(r->line))) {
			gzerror(r->gz, &zerr);
			*lineno = r->lineno + 1;
			if (zerr == Z_OK)
				return 0;
			/* Z_BUF_ERROR: a truncated gzip stream. */
			*err = zerr == Z_ERRNO ? strerror(errno) : gzerror(r->gz, &zerr);
			return -1;
		}
		*lineno = ++r->lineno;
		if (strlen(r->line) > TRACE_LINE_MAX && !strchr(r->line, '\n')) {
			*err = "line too long";
			return -1;
		}
		ret = trace_parse_line(r->line, op, err);
		if (ret)
			return ret;
	}
}

void trace_close(struct trace_reader *r)
{
	if (r) {
		gzclose(r->gz);
		free(r);
	}
}
