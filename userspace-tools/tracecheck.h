/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lalloc trace validator (Documentation/trace-format.rst): parses a
 * trace line by line, checks that every "r" and "f" names a live id and
 * every "a" a free one, and counts ops and live bytes. Shared by
 * lalloc-record --check and the host tests.
 */
#ifndef LALLOC_TRACECHECK_H
#define LALLOC_TRACECHECK_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct trace_check {
	uint64_t lines;		/* lines read */
	uint64_t n_alloc, n_resize, n_free;
	uint64_t live_blocks, peak_blocks;
	uint64_t live_bytes, peak_bytes;	/* requested sizes */
	uint64_t max_id;
	char error[160];	/* the first inconsistency, "" if none */
	/* live ids: open addressing, linear probing */
	struct trace_block {
		uint64_t id, size, align;
		bool used;
	} *tab;
	size_t cap, used;
};

static void trace_check_init(struct trace_check *t)
{
	memset(t, 0, sizeof(*t));
}

static void trace_check_release(struct trace_check *t)
{
	free(t->tab);
	t->tab = NULL;
	t->cap = t->used = 0;
}

static size_t trace_slot(const struct trace_check *t, uint64_t id)
{
	uint64_t h = id * 0x9e3779b97f4a7c15ull;
	size_t i = (size_t)(h ^ (h >> 31)) & (t->cap - 1);

	while (t->tab[i].used && t->tab[i].id != id)
		i = (i + 1) & (t->cap - 1);
	return i;
}

static bool trace_grow(struct trace_check *t)
{
	struct trace_block *old = t->tab;
	size_t old_cap = t->cap;

	t->cap = old_cap ? 2 * old_cap : 1024;
	t->tab = calloc(t->cap, sizeof(*t->tab));
	if (!t->tab) {
		t->tab = old;
		t->cap = old_cap;
		return false;
	}
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].used)
			t->tab[trace_slot(t, old[i].id)] = old[i];
	free(old);
	return true;
}

/* Removal by backward shift keeps probe chains unbroken. */
static void trace_remove(struct trace_check *t, size_t i)
{
	size_t mask = t->cap - 1;

	for (size_t j = (i + 1) & mask; t->tab[j].used; j = (j + 1) & mask) {
		uint64_t h = t->tab[j].id * 0x9e3779b97f4a7c15ull;
		size_t home = (size_t)(h ^ (h >> 31)) & mask;

		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->tab[i] = t->tab[j];
			i = j;
		}
	}
	t->tab[i].used = false;
	t->used--;
}

static bool trace_fail(struct trace_check *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#include <stdarg.h>
static bool trace_fail(struct trace_check *t, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(t->error, sizeof(t->error), "line %llu: ",
			 (unsigned long long)t->lines);

	va_start(ap, fmt);
	vsnprintf(t->error + n, sizeof(t->error) - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

/* A decimal u64 field ending at a space or the end; advances *s. */
static bool trace_num(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (x > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return false;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	if (*p && *p != ' ')
		return false;
	*v = x;
	*s = p;
	return true;
}

/*
 * Feeds one line (without its newline). Returns false at the first error
 * (then t->error says what); later lines are then not checked.
 */
static bool trace_check_line(struct trace_check *t, const char *line)
{
	uint64_t v[3];
	int n = 0, min, max;
	const char *s = line;
	char kind;
	size_t i;

	if (t->error[0])
		return false;
	t->lines++;
	if (t->lines == 1) {
		if (strcmp(line, "# lalloc-trace v1"))
			return trace_fail(t, "not a lalloc trace: first line must be '# lalloc-trace v1'");
		return true;
	}
	if (!*line || *line == '#')
		return true;
	kind = *s++;
	switch (kind) {
	case 'a': min = max = 3; break;
	case 'r': min = 2; max = 3; break;
	case 'f': min = max = 1; break;
	default:
		return trace_fail(t, "unknown op '%c'", kind);
	}
	while (*s == ' ' && n < 3) {
		s++;
		if (!trace_num(&s, &v[n]))
			return trace_fail(t, "field %d is not a decimal u64", n + 1);
		n++;
	}
	if (*s)
		return trace_fail(t, "malformed line (fields are separated by single spaces)");
	if (n < min || n > max)
		return trace_fail(t, "'%c' takes %d%s fields, not %d", kind, min,
				  max > min ? " or 3" : "", n);
	if ((kind == 'a' || n == 3) && (v[n - 1] == 0 || (v[n - 1] & (v[n - 1] - 1))))
		return trace_fail(t, "alignment %llu is not a power of two",
				  (unsigned long long)v[n - 1]);
	if (t->cap == 0 && !trace_grow(t))
		return trace_fail(t, "out of memory");
	i = trace_slot(t, v[0]);
	if (kind == 'a') {
		if (t->tab[i].used)
			return trace_fail(t, "'a' of id %llu, which is live",
					  (unsigned long long)v[0]);
		if (2 * (t->used + 1) > t->cap) {
			if (!trace_grow(t))
				return trace_fail(t, "out of memory");
			i = trace_slot(t, v[0]);
		}
		t->tab[i] = (struct trace_block){ v[0], v[1], v[2], true };
		t->used++;
		t->n_alloc++;
		t->live_blocks++;
		t->live_bytes += v[1];
		if (v[0] > t->max_id)
			t->max_id = v[0];
	} else {
		if (!t->tab[i].used)
			return trace_fail(t, "'%c' of id %llu, which is not live", kind,
					  (unsigned long long)v[0]);
		t->live_bytes -= t->tab[i].size;
		if (kind == 'r') {
			t->tab[i].size = v[1];
			if (n == 3)
				t->tab[i].align = v[2];
			t->live_bytes += v[1];
			t->n_resize++;
		} else {
			trace_remove(t, i);
			t->n_free++;
			t->live_blocks--;
		}
	}
	if (t->live_bytes > t->peak_bytes)
		t->peak_bytes = t->live_bytes;
	if (t->live_blocks > t->peak_blocks)
		t->peak_blocks = t->live_blocks;
	return true;
}

/* The end of the trace: an empty input is not a trace. */
static bool trace_check_end(struct trace_check *t)
{
	if (t->error[0])
		return false;
	if (t->lines == 0)
		return trace_fail(t, "empty: not a lalloc trace");
	return true;
}

/* Checks a whole trace held in memory (the tests' malformed ones). */
static inline bool trace_check_buf(struct trace_check *t, const char *buf)
{
	char line[512];

	while (*buf) {
		const char *nl = strchr(buf, '\n');
		size_t len = nl ? (size_t)(nl - buf) : strlen(buf);

		if (len >= sizeof(line)) {
			t->lines++;
			return trace_fail(t, "line too long");
		}
		memcpy(line, buf, len);
		line[len] = 0;
		if (!trace_check_line(t, line))
			return false;
		buf += len + (nl ? 1 : 0);
	}
	return trace_check_end(t);
}

#endif /* LALLOC_TRACECHECK_H */
