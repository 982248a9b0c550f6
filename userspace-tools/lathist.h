/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A latency histogram for percentiles: exact below 16 ns, then 16 buckets
 * per power of two (at most 1/16 = 6.25% above the true value).
 */
#ifndef LALLOC_LATHIST_H
#define LALLOC_LATHIST_H

#include <stdint.h>

#define LATHIST_SUB	16
#define LATHIST_BUCKETS	(LATHIST_SUB + 60 * LATHIST_SUB)

struct lathist {
	uint64_t count, sum, max;
	uint64_t bucket[LATHIST_BUCKETS];
};

unsigned int lathist_index(uint64_t v);
/* The largest value that lands in bucket @i. */
uint64_t lathist_upper(unsigned int i);
void lathist_add(struct lathist *h, uint64_t v);
void lathist_merge(struct lathist *into, const struct lathist *h);
/*
 * The value at or below which @pct percent of the samples lie (nearest
 * rank), as its bucket's upper bound capped at the largest sample; 0 when
 * empty.
 */
uint64_t lathist_percentile(const struct lathist *h, double pct);

#endif /* LALLOC_LATHIST_H */
