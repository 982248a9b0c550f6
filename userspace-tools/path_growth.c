// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc-path: growth math. RawVec::grow_amortized picks
 * max(2 * cap, needed), at least min_non_zero_cap(elem); shrink_to_fit
 * resizes to the length (to nothing for an empty Vec).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "path_growth.h"

int growth_parse(const char *s, struct growth *g)
{
	char *end;
	double f;

	if (!strcmp(s, "rawvec")) {
		*g = (struct growth){ .kind = GROWTH_RAWVEC };
		return 0;
	}
	if (!strcmp(s, "+1")) {
		*g = (struct growth){ .kind = GROWTH_PLUS1 };
		return 0;
	}
	if (!(*s >= '0' && *s <= '9'))
		return -1;
	f = strtod(s, &end);
	if (end == s || *end || !(f > 1.0) || f > 16.0)
		return -1;
	*g = (struct growth){ .kind = GROWTH_FACTOR, .factor = f };
	return 0;
}

const char *growth_name(const struct growth *g, char *buf, size_t len)
{
	switch (g->kind) {
	case GROWTH_RAWVEC: snprintf(buf, len, "rawvec"); break;
	case GROWTH_PLUS1: snprintf(buf, len, "+1"); break;
	case GROWTH_FACTOR: snprintf(buf, len, "%g", g->factor); break;
	}
	return buf;
}

uint64_t rawvec_min_cap(uint64_t elem)
{
	return elem == 1 ? 8 : elem <= 1024 ? 4 : 1;
}

static uint64_t max3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a > b ? a : b;

	return m > c ? m : c;
}

uint64_t growth_next(const struct growth *g, uint64_t cap, uint64_t needed, uint64_t elem)
{
	switch (g->kind) {
	case GROWTH_RAWVEC:
		return max3(cap * 2, needed, rawvec_min_cap(elem));
	case GROWTH_PLUS1:
		return max3(cap + 1, needed, 1);
	case GROWTH_FACTOR:
		return max3((uint64_t)ceil((double)cap * g->factor), cap + 1, needed);
	}
	return needed;
}

uint64_t layout_bytes(uint64_t cap, uint64_t elem)
{
	return cap * elem;
}

const char *op_name(enum step_op op)
{
	static const char *const n[] = { "alloc", "grow", "shrink", "free" };

	return n[op];
}

const char *phase_name(enum step_phase ph)
{
	static const char *const n[] = { "push", "shrink_to_fit", "cycles" };

	return ph < NR_PHASES ? n[ph] : "?";
}

void *path_map(size_t bytes)
{
	void *p = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void *path_remap(void *old, size_t old_bytes, size_t new_bytes)
{
	void *p;

	if (!old)
		return path_map(new_bytes);
	p = mremap(old, old_bytes, new_bytes, MREMAP_MAYMOVE);
	return p == MAP_FAILED ? NULL : p;
}

static int plan_add(struct plan *p, const struct plan_step *s)
{
	if (p->nr == p->room) {
		size_t nroom = p->room ? p->room * 2 : 64;
		void *n = path_remap(p->steps, p->room * sizeof(*s), nroom * sizeof(*s));

		if (!n)
			return -1;
		p->steps = n;
		p->room = nroom;
	}
	p->steps[p->nr++] = *s;
	return 0;
}

static int plan_resize(struct plan *p, enum step_phase ph, uint32_t cycle,
		       uint64_t len, uint64_t pushed, uint64_t *cap, uint64_t new_cap,
		       uint64_t fill)
{
	struct plan_step s = {
		.phase = ph, .cycle = cycle, .len = len, .pushed = pushed,
		.old_cap = *cap, .new_cap = new_cap,
		.old_bytes = layout_bytes(*cap, p->elem),
		.new_bytes = layout_bytes(new_cap, p->elem), .fill = fill,
	};

	s.op = !*cap ? OP_ALLOC : !new_cap ? OP_FREE : new_cap > *cap ? OP_GROW : OP_SHRINK;
	*cap = new_cap;
	return plan_add(p, &s);
}

int plan_build(struct plan *p, const struct growth *g, uint64_t elem, uint64_t align,
	       uint64_t count, uint32_t cycles)
{
	uint64_t cap = 0, len = 0;

	*p = (struct plan){ .growth = *g, .elem = elem, .align = align, .count = count,
			    .cycles = cycles };
	if (!elem || count > (1ULL << 40) / elem)
		return -1;
	/* push: a full Vec grows, then the pushes fill what it made room for. */
	while (len < count) {
		uint64_t c = growth_next(g, cap, len + 1, elem);
		uint64_t fill = (c < count ? c : count) - len;

		if (plan_resize(p, PHASE_PUSH, 0, len, len, &cap, c, fill))
			return -1;
		len += fill;
	}
	if (cap > len && plan_resize(p, PHASE_SHRINK, 0, len, count, &cap, len, 0))
		return -1;
	for (uint32_t k = 1; k <= cycles; k++) {
		len /= 2;	/* truncate(len / 2) */
		if (cap > len &&
		    plan_resize(p, PHASE_CYCLES, k, len, count, &cap, len, 0))
			return -1;
	}
	return 0;
}

void plan_free(struct plan *p)
{
	if (p->steps)
		munmap(p->steps, p->room * sizeof(*p->steps));
	p->steps = NULL;
	p->nr = p->room = 0;
}
