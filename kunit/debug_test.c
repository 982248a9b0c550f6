// SPDX-License-Identifier: GPL-2.0
/*
 * The debug checks, in the style of lib/slub_kunit.c: each case switches
 * checks on for a cache of its own, makes the mistake a caller would make
 * (write past the end, write after free, free twice, free with another
 * layout, free a pointer lalloc never handed out), and checks that it is
 * detected, counted once, that the object is quarantined, and that the
 * cache goes on serving correct blocks. The reports are on the console.
 */
#include "lalloc_test.h"

struct debug_case {
	struct lalloc_cache *s[2];
};

static struct lalloc_cache *debug_on(struct kunit *test, struct lalloc_layout l,
				     unsigned int flags)
{
	struct debug_case *dc = test->priv;
	struct lalloc_cache *s = lalloc_cache_of(lalloc_padded(l));

	KUNIT_ASSERT_EQ(test, lalloc_debug_set_flags(s, flags), 0);
	dc->s[dc->s[0] ? 1 : 0] = s;
	return s;
}

static struct lalloc_global_stats stats_now(void)
{
	struct lalloc_global_stats g;

	lalloc_global_stats_read(&g);
	return g;
}

#define DELTA(after, before, field)	((after).field - (before).field)

/* @n blocks of @l, none of them @not. */
static void alloc_checked(struct kunit *test, struct lalloc_layout l, void **p,
			  unsigned int n, const void *not)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		p[i] = lalloc_alloc(l, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		KUNIT_EXPECT_PTR_NE(test, p[i], not);
	}
}

static void free_all(struct lalloc_layout l, void **p, unsigned int n)
{
	while (n--)
		lalloc_free(p[n], l);
}

static void debug_redzone_overflow(struct kunit *test)
{
	struct lalloc_layout l = L(100, 8);
	struct lalloc_global_stats before, after;
	void *p, *more[40];
	u8 *b;

	debug_on(test, l, LALLOC_DEBUG_CONSISTENCY | LALLOC_DEBUG_REDZONE);
	p = lalloc_alloc(l, GFP_KERNEL);
	b = p;
	KUNIT_ASSERT_NOT_NULL(test, p);
	/* The red zone starts right after what was asked for. */
	KUNIT_EXPECT_EQ(test, lalloc_usable_size(p, l), 100UL);
	LALLOC_TEST_STRAY(b[100] = 0x42);	/* one byte too far */
	before = stats_now();
	lalloc_free(p, l);
	after = stats_now();
	KUNIT_EXPECT_EQ(test, DELTA(after, before, debug_redzone_overwrites), 1ULL);
	KUNIT_EXPECT_EQ(test, DELTA(after, before, errors_detected), 1ULL);
	/* Quarantined: never handed out again. */
	alloc_checked(test, l, more, ARRAY_SIZE(more), p);
	free_all(l, more, ARRAY_SIZE(more));
	KUNIT_EXPECT_EQ(test, DELTA(stats_now(), after, errors_detected), 0ULL);
}

static void debug_write_after_free(struct kunit *test)
{
	struct lalloc_layout l = L(200, 8);
	struct lalloc_global_stats before, after;
	void *more[40];
	u8 *p;

	void *keep;

	debug_on(test, l, LALLOC_DEBUG_POISON);
	/* A live neighbour keeps the slab, so the stray write stays in lalloc's pages. */
	keep = lalloc_alloc(l, GFP_KERNEL);
	p = lalloc_alloc(l, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, keep);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_PTR_EQ(test, lalloc_slab_of(p), lalloc_slab_of(keep));
	lalloc_free(p, l);
	LALLOC_TEST_STRAY(p[50] = 0x42);	/* the stale pointer writes */
	before = stats_now();
	/* The slot is the next one out: its poison is checked, it is kept back. */
	alloc_checked(test, l, more, ARRAY_SIZE(more), p);
	after = stats_now();
	KUNIT_EXPECT_EQ(test, DELTA(after, before, debug_poison_overwrites), 1ULL);
	KUNIT_EXPECT_EQ(test, DELTA(after, before, errors_detected), 1ULL);
	free_all(l, more, ARRAY_SIZE(more));
	lalloc_free(keep, l);
}

static void debug_double_free(struct kunit *test)
{
	struct lalloc_layout l = L(300, 8);
	struct lalloc_global_stats before, after;
	void *p, *more[40];
	unsigned int i, j;

	debug_on(test, l, LALLOC_DEBUG_CONSISTENCY);
	p = lalloc_alloc(l, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	lalloc_free(p, l);
	before = stats_now();
	lalloc_free(p, l);
	after = stats_now();
	KUNIT_EXPECT_EQ(test, DELTA(after, before, debug_double_frees), 1ULL);
	KUNIT_EXPECT_EQ(test, DELTA(after, before, errors_detected), 1ULL);
	/* The freelist holds the slot once: no block is handed out twice. */
	alloc_checked(test, l, more, ARRAY_SIZE(more), NULL);
	for (i = 0; i < ARRAY_SIZE(more); i++)
		for (j = i + 1; j < ARRAY_SIZE(more); j++)
			KUNIT_EXPECT_PTR_NE(test, more[i], more[j]);
	free_all(l, more, ARRAY_SIZE(more));
}

static void debug_wrong_layout(struct kunit *test)
{
	struct lalloc_layout l = L(400, 8), other = L(1000, 8), smaller = L(390, 8);
	struct lalloc_global_stats before, after;
	void *p;

	debug_on(test, l, LALLOC_DEBUG_CONSISTENCY);
	debug_on(test, other, LALLOC_DEBUG_CONSISTENCY);
	p = lalloc_alloc(l, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	before = stats_now();
	lalloc_free(p, other);			/* another class */
	lalloc_free(p, smaller);		/* the same class, a size it was not given */
	KUNIT_EXPECT_NULL(test, lalloc_grow(p, smaller, L(500, 8), GFP_KERNEL));
	after = stats_now();
	KUNIT_EXPECT_EQ(test, DELTA(after, before, debug_layout_mismatches), 3ULL);
	KUNIT_EXPECT_EQ(test, DELTA(after, before, errors_detected), 3ULL);
	/* Refused, not freed: the block is still the caller's, and frees right. */
	memset(p, 0x5a, l.size);
	lalloc_free(p, l);
	KUNIT_EXPECT_EQ(test, DELTA(stats_now(), after, errors_detected), 0ULL);
}

static void debug_foreign_pointer(struct kunit *test)
{
	struct lalloc_layout l = L(500, 8);
	struct lalloc_global_stats before, after;
	void *k = kunit_kmalloc(test, 512, GFP_KERNEL);
	u8 *p;

	KUNIT_ASSERT_NOT_NULL(test, k);
	debug_on(test, l, LALLOC_DEBUG_CONSISTENCY);
	p = lalloc_alloc(l, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	before = stats_now();
	lalloc_free(k, l);			/* kmalloc's, not ours */
	lalloc_free(p + 8, l);			/* inside an object */
	lalloc_free((void *)test, l);		/* anything at all */
	after = stats_now();
	KUNIT_EXPECT_EQ(test, DELTA(after, before, debug_foreign_frees), 3ULL);
	KUNIT_EXPECT_EQ(test, DELTA(after, before, errors_detected), 3ULL);
	lalloc_free(p, l);
	KUNIT_EXPECT_EQ(test, DELTA(stats_now(), after, errors_detected), 0ULL);
}

/* U records where each object was allocated and freed. */
static void debug_user_stacks(struct kunit *test)
{
	struct lalloc_layout l = L(600, 8);
	struct lalloc_slab *slab;
	unsigned int idx;
	void *p, *keep;

	if (!IS_ENABLED(CONFIG_STACKDEPOT))
		kunit_skip(test, "needs CONFIG_STACKDEPOT");
	debug_on(test, l, LALLOC_DEBUG_CONSISTENCY | LALLOC_DEBUG_USER);
	/* A live neighbour keeps the slab and its records after the free. */
	keep = lalloc_alloc(l, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, keep);
	p = lalloc_alloc(l, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_PTR_EQ(test, lalloc_slab_of(p), lalloc_slab_of(keep));
	slab = lalloc_slab_of(p);
	KUNIT_ASSERT_NOT_NULL(test, slab->dbg);
	idx = (p - slab->base) / slab->cache->slot_size;
	KUNIT_EXPECT_NE(test, slab->dbg[idx].alloc_stack, 0U);
	KUNIT_EXPECT_EQ(test, slab->dbg[idx].free_stack, 0U);
	lalloc_free(p, l);
	KUNIT_EXPECT_NE(test, slab->dbg[idx].free_stack, 0U);
	KUNIT_EXPECT_EQ(test, slab->dbg[idx].state, (u32)LALLOC_OBJ_FREE);
	lalloc_free(p, l);			/* reported with both stacks */
	lalloc_free(keep, l);
}

/*
 * The layout names a class without checks, or the checks are only Z and
 * P: the block's own slab decides, and a layout of another class is
 * refused all the same (freeing by it would poison and relist with the
 * other class's slot size).
 */
static void debug_wrong_layout_unchecked_class(struct kunit *test)
{
	struct lalloc_layout l = L(900, 8), other = L(2000, 8);
	struct lalloc_global_stats before, after;
	void *p;

	debug_on(test, l, LALLOC_DEBUG_REDZONE | LALLOC_DEBUG_POISON);
	p = lalloc_alloc(l, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	before = stats_now();
	lalloc_free(p, other);
	KUNIT_EXPECT_NULL(test, lalloc_grow(p, other, L(3000, 8), GFP_KERNEL));
	after = stats_now();
	KUNIT_EXPECT_EQ(test, DELTA(after, before, debug_layout_mismatches), 2ULL);
	KUNIT_EXPECT_EQ(test, DELTA(after, before, errors_detected), 2ULL);
	memset(p, 0x5a, l.size);
	lalloc_free(p, l);
	KUNIT_EXPECT_EQ(test, DELTA(stats_now(), after, errors_detected), 0ULL);
}

/* validate finds a broken red zone and a write after free, and only those. */
static void debug_validate(struct kunit *test)
{
	struct lalloc_layout l = L(700, 8);
	struct lalloc_global_stats before, after;
	struct lalloc_cache *s;
	void *p[8];
	u8 *live, *freed;

	s = debug_on(test, l, LALLOC_DEBUG_CONSISTENCY | LALLOC_DEBUG_REDZONE |
				 LALLOC_DEBUG_POISON);
	alloc_checked(test, l, p, ARRAY_SIZE(p), NULL);
	KUNIT_EXPECT_EQ(test, lalloc_debug_validate(s), 0UL);
	live = p[2];
	freed = p[5];
	lalloc_free(freed, l);
	KUNIT_EXPECT_EQ(test, lalloc_debug_validate(s), 0UL);
	LALLOC_TEST_STRAY(live[700] = 1);
	LALLOC_TEST_STRAY(freed[100] = 1);
	before = stats_now();
	KUNIT_EXPECT_EQ(test, lalloc_debug_validate(s), 2UL);
	after = stats_now();
	KUNIT_EXPECT_EQ(test, DELTA(after, before, debug_redzone_overwrites), 1ULL);
	KUNIT_EXPECT_EQ(test, DELTA(after, before, debug_poison_overwrites), 1ULL);
	/* The write after free retired the slab: nothing more is taken from it. */
	KUNIT_EXPECT_TRUE(test, lalloc_slab_of(live)->retired);
	/* Found once, counted once: not again by validate, nor at the free. */
	KUNIT_EXPECT_EQ(test, lalloc_debug_validate(s), 0UL);
	lalloc_free(live, l);
	KUNIT_EXPECT_EQ(test, DELTA(stats_now(), after, errors_detected), 0ULL);
	p[2] = NULL;
	p[5] = NULL;
	free_all(l, p, ARRAY_SIZE(p));
}

/* Checks switch only on a cache with nothing live in it. */
static void debug_switch_busy(struct kunit *test)
{
	struct lalloc_layout l = L(800, 8);
	struct lalloc_cache *s = lalloc_cache_of(lalloc_padded(l));
	void *p = lalloc_alloc(l, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, lalloc_debug_set_flags(s, LALLOC_DEBUG_CONSISTENCY), -EBUSY);
	KUNIT_EXPECT_EQ(test, READ_ONCE(s->debug_flags), 0U);
	KUNIT_EXPECT_EQ(test, lalloc_debug_set_flags(s, 1U << 7), -EINVAL);
	lalloc_free(p, l);
	debug_on(test, l, LALLOC_DEBUG_CONSISTENCY);
	KUNIT_EXPECT_EQ(test, READ_ONCE(s->debug_flags), LALLOC_DEBUG_CONSISTENCY);
}

static int debug_init(struct kunit *test)
{
	test->priv = kunit_kzalloc(test, sizeof(struct debug_case), GFP_KERNEL);
	return test->priv ? 0 : -ENOMEM;
}

/* Whatever the case did, its caches are plain again for the next. */
static void debug_exit(struct kunit *test)
{
	struct debug_case *dc = test->priv;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dc->s); i++)
		if (dc->s[i])
			KUNIT_EXPECT_EQ(test, lalloc_debug_set_flags(dc->s[i], 0), 0);
}

static struct kunit_case debug_cases[] = {
	KUNIT_CASE(debug_redzone_overflow),
	KUNIT_CASE(debug_write_after_free),
	KUNIT_CASE(debug_double_free),
	KUNIT_CASE(debug_wrong_layout),
	KUNIT_CASE(debug_wrong_layout_unchecked_class),
	KUNIT_CASE(debug_foreign_pointer),
	KUNIT_CASE(debug_user_stacks),
	KUNIT_CASE(debug_validate),
	KUNIT_CASE(debug_switch_busy),
	{}
};

struct kunit_suite lalloc_debug_suite = {
	.name = "lalloc_debug",
	.init = debug_init,
	.exit = debug_exit,
	.test_cases = debug_cases,
};
