// SPDX-License-Identifier: GPL-2.0
/* Latency histogram and percentiles (see lathist.h). */
#include "lathist.h"

unsigned int lathist_index(uint64_t v)
{
	unsigned int e;

	if (v < LATHIST_SUB)
		return (unsigned int)v;
	e = 63 - (unsigned int)__builtin_clzll(v);	/* >= 4 */
	return LATHIST_SUB + (e - 4) * LATHIST_SUB + (unsigned int)((v >> (e - 4)) & (LATHIST_SUB - 1));
}

uint64_t lathist_upper(unsigned int i)
{
	unsigned int e, sub;

	if (i < LATHIST_SUB)
		return i;
	e = (i - LATHIST_SUB) / LATHIST_SUB + 4;
	sub = (i - LATHIST_SUB) % LATHIST_SUB;
	if (e == 63 && sub == LATHIST_SUB - 1)
		return UINT64_MAX;
	return ((uint64_t)(LATHIST_SUB + sub + 1) << (e - 4)) - 1;
}

void lathist_add(struct lathist *h, uint64_t v)
{
	h->bucket[lathist_index(v)]++;
	h->count++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

void lathist_merge(struct lathist *into, const struct lathist *h)
{
	for (unsigned int i = 0; i < LATHIST_BUCKETS; i++)
		into->bucket[i] += h->bucket[i];
	into->count += h->count;
	into->sum += h->sum;
	if (h->max > into->max)
		into->max = h->max;
}

uint64_t lathist_percentile(const struct lathist *h, double pct)
{
	uint64_t rank, seen = 0;
	double r;

	if (!h->count)
		return 0;
	/* ceil(), forgiving the rounding of pct / 100 (99.9% of 1000 is 999). */
	r = pct * (double)h->count / 100.0;
	rank = (uint64_t)r;
	if (r - (double)rank > 1e-9)
		rank++;
	if (rank < 1)
		rank = 1;
	if (rank > h->count)
		rank = h->count;
	for (unsigned int i = 0; i < LATHIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			uint64_t up = lathist_upper(i);

			return up < h->max ? up : h->max;
		}
	}
	return h->max;
}
