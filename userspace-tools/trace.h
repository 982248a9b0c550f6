/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lalloc traces (Documentation/stress.rst, "Trace format"): one op per line,
 *   a ID SIZE ALIGN     allocate block ID
 *   r ID SIZE [ALIGN]   resize (realloc) block ID; ALIGN defaults to the block's
 *   f ID                free block ID
 * fields separated by one space or tab, '#' comments and blank lines allowed.
 * Plain or gzip-compressed files are read the same way.
 */
#ifndef LALLOC_TRACE_H
#define LALLOC_TRACE_H

#include <stdbool.h>
#include <stdint.h>

struct trace_op {
	char kind;		/* 'a', 'r' or 'f' */
	bool has_align;
	uint64_t id, size, align;
};

/*
 * Parses one line (its '\n' or "\r\n" ending optional): 1 and *op for an
 * op, 0 for a comment or blank line, -1 with *err saying why when malformed.
 */
int trace_parse_line(const char *line, struct trace_op *op, const char **err);

struct trace_reader;

/* NULL with *err set (errno's text) when the file cannot be opened. */
struct trace_reader *trace_open(const char *path, const char **err);
/*
 * The next op: 1 and *op, 0 at the end, -1 with *err when a line is
 * malformed or the file cannot be read. *lineno is the line's number.
 */
int trace_next(struct trace_reader *r, struct trace_op *op, unsigned long *lineno,
	       const char **err);
void trace_close(struct trace_reader *r);

#endif /* LALLOC_TRACE_H */
