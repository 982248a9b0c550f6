// SPDX-License-Identifier: GPL-2.0
/*
 * Statistics: a known sequence of operations moves every counter by
 * exactly the expected amount, per cache and globally, and the counts stay
 * exact when every CPU allocates and frees at once.
 */
#include <linux/slab.h>

#include "lalloc_test.h"

static struct lalloc_stats *stats_snapshot(struct kunit *test)
{
	struct lalloc_stats *st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, st);
	lalloc_stats_fill(st);
	return st;
}

static void stats_known_sequence(struct kunit *test)
{
	struct lalloc_layout l = L(100, 8), big = L(20 * PAGE_SIZE + 1, 8);
	struct lalloc_cache *s = lalloc_cache_of(104);
	struct lalloc_cache_stats c0, c1;
	struct lalloc_stats *g0, *g1;
	void *p[40], *q;
	int i;

	lalloc_cache_record(s, &c0);
	g0 = stats_snapshot(test);
	for (i = 0; i < 40; i++) {
		p[i] = lalloc_alloc(l, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	q = lalloc_alloc(big, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	lalloc_cache_record(s, &c1);
	g1 = stats_snapshot(test);

	KUNIT_EXPECT_EQ(test, c1.allocs - c0.allocs, 40ULL);
	KUNIT_EXPECT_EQ(test, c1.frees - c0.frees, 0ULL);
	KUNIT_EXPECT_EQ(test, c1.active_objs - c0.active_objs, 40ULL);
	KUNIT_EXPECT_EQ(test, c1.requested_bytes - c0.requested_bytes, 4000ULL);
	KUNIT_EXPECT_EQ(test, c1.reserved_bytes - c0.reserved_bytes, 40ULL * 104);
	KUNIT_EXPECT_EQ(test, c1.fast_allocs + c1.slow_allocs, c1.allocs);
	KUNIT_EXPECT_GE(test, c1.total_objs, c1.active_objs);
	KUNIT_EXPECT_EQ(test, g1->allocs - g0->allocs, 41ULL);
	KUNIT_EXPECT_EQ(test, g1->active_objs - g0->active_objs, 41ULL);
	KUNIT_EXPECT_EQ(test, g1->large_allocs - g0->large_allocs, 1ULL);
	KUNIT_EXPECT_EQ(test, g1->large_bytes - g0->large_bytes, 21 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, g1->requested_bytes - g0->requested_bytes,
			4000ULL + big.size);
	KUNIT_EXPECT_EQ(test, g1->reserved_bytes - g0->reserved_bytes,
			40ULL * 104 + 21 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, g1->held_bytes,
			g1->slab_bytes + g1->large_bytes + g1->vmalloc_bytes);
	KUNIT_EXPECT_GE(test, g1->held_bytes_hwm, g1->held_bytes);

	/* Resize in place and moved, then free: back to the start. */
	p[0] = lalloc_grow(p[0], l, L(104, 8), GFP_KERNEL);
	p[1] = lalloc_grow(p[1], l, L(2000, 8), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p[0]);
	KUNIT_ASSERT_NOT_NULL(test, p[1]);
	lalloc_cache_record(s, &c1);
	KUNIT_EXPECT_EQ(test, c1.grow_in_place - c0.grow_in_place, 1ULL);
	KUNIT_EXPECT_EQ(test, c1.grow_moved - c0.grow_moved, 1ULL);
	KUNIT_EXPECT_EQ(test, c1.requested_bytes - c0.requested_bytes, 38 * 100ULL + 104);
	lalloc_free(p[0], L(104, 8));
	lalloc_free(p[1], L(2000, 8));
	for (i = 2; i < 40; i++)
		lalloc_free(p[i], l);
	lalloc_free(q, big);
	lalloc_cache_record(s, &c1);
	g1 = stats_snapshot(test);
	KUNIT_EXPECT_EQ(test, c1.active_objs, c0.active_objs);
	KUNIT_EXPECT_EQ(test, c1.requested_bytes, c0.requested_bytes);
	KUNIT_EXPECT_EQ(test, c1.frees - c0.frees, 40ULL);
	KUNIT_EXPECT_EQ(test, g1->active_objs, g0->active_objs);
	KUNIT_EXPECT_EQ(test, g1->requested_bytes, g0->requested_bytes);
	KUNIT_EXPECT_EQ(test, g1->large_bytes, g0->large_bytes);
	KUNIT_EXPECT_EQ(test, g1->frees - g0->frees, 42ULL);
}

/* A reset clears counters, never gauges. */
static void stats_reset_keeps_gauges(struct kunit *test)
{
	struct lalloc_layout l = L(700, 8);
	struct lalloc_stats *g;
	void *p[10];
	int i;

	for (i = 0; i < 10; i++) {
		p[i] = lalloc_alloc(l, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	lalloc_stats_reset();
	g = stats_snapshot(test);
	KUNIT_EXPECT_EQ(test, g->allocs, 0ULL);
	KUNIT_EXPECT_EQ(test, g->frees, 0ULL);
	KUNIT_EXPECT_GE(test, g->active_objs, 10ULL);
	KUNIT_EXPECT_GE(test, g->requested_bytes, 7000ULL);
	for (i = 0; i < 10; i++)
		lalloc_free(p[i], l);
	g = stats_snapshot(test);
	KUNIT_EXPECT_EQ(test, g->frees, 10ULL);
	KUNIT_EXPECT_EQ(test, g->allocs, 0ULL);
}

#define STATS_PER_THREAD 5000

static void stats_thread_fn(void *arg, unsigned int index)
{
	struct lalloc_layout l = L(200, 8);
	void *p[16];
	int i, j;

	for (i = 0; i < STATS_PER_THREAD / 16; i++) {
		for (j = 0; j < 16; j++)
			p[j] = lalloc_alloc(l, GFP_KERNEL);
		for (j = 0; j < 16; j++)
			lalloc_free(p[j], l);
	}
}

static void stats_exact_under_concurrency(struct kunit *test)
{
	struct lalloc_cache *s = lalloc_cache_of(200);
	struct lalloc_cache_stats c0, c1;
	unsigned int n;

	lalloc_cache_record(s, &c0);
	n = lalloc_test_on_each_cpu(test, stats_thread_fn, NULL);
	lalloc_cache_record(s, &c1);
	KUNIT_EXPECT_EQ(test, c1.allocs - c0.allocs, (u64)n * (STATS_PER_THREAD / 16) * 16);
	KUNIT_EXPECT_EQ(test, c1.frees - c0.frees, c1.allocs - c0.allocs);
	KUNIT_EXPECT_EQ(test, c1.active_objs, c0.active_objs);
	KUNIT_EXPECT_EQ(test, c1.requested_bytes, c0.requested_bytes);
}

static struct kunit_case stats_cases[] = {
	KUNIT_CASE(stats_known_sequence),
	KUNIT_CASE(stats_reset_keeps_gauges),
	KUNIT_CASE(stats_exact_under_concurrency),
	{}
};

struct kunit_suite lalloc_stats_suite = {
	.name = "lalloc_stats",
	.test_cases = stats_cases,
};
