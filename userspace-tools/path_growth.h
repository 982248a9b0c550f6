/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lalloc-path: growth strategies and the plan of reallocations a Vec makes
 * when N elements are pushed, shrunk to fit, then truncated and shrunk.
 */
#ifndef PATH_GROWTH_H
#define PATH_GROWTH_H

#include <stddef.h>
#include <stdint.h>

enum growth_kind { GROWTH_RAWVEC, GROWTH_PLUS1, GROWTH_FACTOR };

struct growth {
	enum growth_kind kind;
	double factor;		/* GROWTH_FACTOR: > 1 */
};

enum step_op { OP_ALLOC, OP_GROW, OP_SHRINK, OP_FREE };
enum step_phase { PHASE_PUSH, PHASE_SHRINK, PHASE_CYCLES, NR_PHASES };

/* One reallocation of the Vec's buffer. */
struct plan_step {
	enum step_op op;
	enum step_phase phase;
	uint32_t cycle;		/* PHASE_CYCLES: 1..K */
	uint64_t len;		/* elements in the Vec when it reallocates */
	uint64_t pushed;	/* elements pushed so far (the x axis) */
	uint64_t old_cap, new_cap;
	uint64_t old_bytes, new_bytes;
	uint64_t fill;		/* elements written after the step (pushes it makes room for) */
};

struct plan {
	struct growth growth;
	uint64_t elem, align, count;
	uint32_t cycles;
	size_t nr, room;
	struct plan_step *steps;	/* mmap'ed: kept out of the malloc heap */
};

/* "rawvec", "+1" or a factor > 1 ("1.5"); 0 or -1. */
int growth_parse(const char *s, struct growth *g);
const char *growth_name(const struct growth *g, char *buf, size_t len);

/* RawVec's min_non_zero_cap: 8 for 1-byte elements, 4 up to 1024 bytes, else 1. */
uint64_t rawvec_min_cap(uint64_t elem);
/* The capacity a full Vec of capacity @cap grows to when it needs @needed. */
uint64_t growth_next(const struct growth *g, uint64_t cap, uint64_t needed, uint64_t elem);
/* The buffer's size in bytes for @cap elements, as Layout::array (0 for 0). */
uint64_t layout_bytes(uint64_t cap, uint64_t elem);

/* Builds the plan: 0, or -1 (out of memory, size overflow). */
int plan_build(struct plan *p, const struct growth *g, uint64_t elem, uint64_t align,
	       uint64_t count, uint32_t cycles);
void plan_free(struct plan *p);

/*
 * Zeroed memory from mmap, never from malloc: what lalloc-path keeps stays
 * out of the heap the userspace half's child inherits.
 */
void *path_map(size_t bytes);
void *path_remap(void *old, size_t old_bytes, size_t new_bytes);

const char *op_name(enum step_op op);
const char *phase_name(enum step_phase ph);

#endif /* PATH_GROWTH_H */
