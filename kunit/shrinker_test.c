// SPDX-License-Identifier: GPL-2.0
/*
 * Giving memory back: empty slabs beyond those kept go back at once, the
 * shrinker's count and scan release the rest, and once everything is freed
 * lalloc holds no page at all.
 */
#include "lalloc_test.h"

#define SHR_OBJS 3000

static void **alloc_population(struct kunit *test, struct lalloc_layout l)
{
	void **p = kunit_kcalloc(test, SHR_OBJS, sizeof(void *), GFP_KERNEL);
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, p);
	for (i = 0; i < SHR_OBJS; i++) {
		p[i] = lalloc_alloc(l, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	return p;
}

static void free_population(void **p, struct lalloc_layout l)
{
	unsigned int i;

	for (i = 0; i < SHR_OBJS; i++)
		lalloc_free(p[i], l);
}

static void shrinker_releases_empty_slabs(struct kunit *test)
{
	struct shrink_control sc = { .gfp_mask = GFP_KERNEL };
	struct lalloc_layout l = L(256, 8);
	unsigned long count, freed = 0, ret;
	void **p;

	lalloc_shrink_all();
	/* Keep every empty slab, so only the shrinker can give them back. */
	lalloc_empty_slabs_kept = UINT_MAX;
	p = alloc_population(test, l);
	KUNIT_EXPECT_GE(test, lalloc_pages_held(), SHR_OBJS * 256UL / PAGE_SIZE);
	free_population(p, l);

	count = lalloc_shrink_count(NULL, &sc);
	KUNIT_EXPECT_NE(test, count, SHRINK_EMPTY);
	KUNIT_EXPECT_GT(test, count, 0UL);
	/* As the kernel does: scans in batches until the shrinker stops. */
	do {
		sc.nr_to_scan = 128;
		ret = lalloc_shrink_scan(NULL, &sc);
		if (ret != SHRINK_STOP)
			freed += ret;
	} while (ret != SHRINK_STOP);

	KUNIT_EXPECT_GE(test, freed, count);
	KUNIT_EXPECT_EQ(test, lalloc_shrink_count(NULL, &sc), SHRINK_EMPTY);
	KUNIT_EXPECT_EQ(test, lalloc_pages_held(), lalloc_quarantined_pages());
}

static void shrinker_gives_back_beyond_kept(struct kunit *test)
{
	struct lalloc_layout l = L(1024, 1024);
	struct lalloc_cache *s = lalloc_cache_of(1024);
	void **p;

	lalloc_shrink_all();
	p = alloc_population(test, l);
	KUNIT_EXPECT_GT(test, READ_ONCE(s->nr_slabs[LALLOC_SLAB_FULL]), 10UL);
	free_population(p, l);
	/* Whatever the per-CPU stacks park, at most the kept empties remain. */
	KUNIT_EXPECT_LE(test, READ_ONCE(s->nr_slabs[LALLOC_SLAB_EMPTY]),
			(unsigned long)lalloc_empty_slabs_kept);
	KUNIT_EXPECT_LE(test, READ_ONCE(s->pages),
			(num_possible_cpus() * s->cpu_limit + 2) * (1UL << s->order));
}

/* Every allocator path, then every free: the page count is back to zero. */
static void shrinker_accounting_zero(struct kunit *test)
{
	static const struct lalloc_layout ls[] = {
		{ 8, 8 }, { 100, 4 }, { 4000, 64 }, { 32768, 8 }, { 40000, 8 },
		{ 100, 1 << 20 }, { LALLOC_MAX_BLOCK + 1, 8 },
	};
	void *p[ARRAY_SIZE(ls)][8];
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(ls); i++)
		for (j = 0; j < 8; j++) {
			p[i][j] = lalloc_alloc(ls[i], GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, p[i][j]);
		}
	KUNIT_EXPECT_GT(test, lalloc_pages_held(), 0UL);
	for (i = 0; i < ARRAY_SIZE(ls); i++)
		for (j = 0; j < 8; j++)
			lalloc_free(p[i][j], ls[i]);
	lalloc_shrink_all();
	KUNIT_EXPECT_EQ(test, lalloc_pages_held(), lalloc_quarantined_pages());
}

static struct kunit_case shrinker_cases[] = {
	KUNIT_CASE(shrinker_releases_empty_slabs),
	KUNIT_CASE(shrinker_gives_back_beyond_kept),
	KUNIT_CASE(shrinker_accounting_zero),
	{}
};

/* A case that changes the parameter and aborts must not leave it changed. */
static unsigned int saved_empty_slabs_kept;

static int shrinker_init(struct kunit *test)
{
	saved_empty_slabs_kept = lalloc_empty_slabs_kept;
	return 0;
}

static void shrinker_exit(struct kunit *test)
{
	lalloc_empty_slabs_kept = saved_empty_slabs_kept;
}

struct kunit_suite lalloc_shrinker_suite = {
	.name = "lalloc_shrinker",
	.init = shrinker_init,
	.exit = shrinker_exit,
	.test_cases = shrinker_cases,
};
