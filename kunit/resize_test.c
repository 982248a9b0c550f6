// SPDX-License-Identifier: GPL-2.0
/*
 * grow/shrink/realloc: contents kept through random chains that change the
 * alignment, in-place rules, zeroing, zero-size blocks, and failures (by
 * fault injection) that leave the old block intact.
 */
#include <linux/prandom.h>
#include <linux/string.h>

#include "lalloc_test.h"

static struct lalloc_layout random_layout(struct rnd_state *rnd)
{
	static const size_t tops[] = { 64, 512, 4096, 40000, 200000 };
	size_t top = tops[prandom_u32_state(rnd) % ARRAY_SIZE(tops)];
	unsigned int shift = prandom_u32_state(rnd) % 14;	/* up to 8 KiB */

	return L(prandom_u32_state(rnd) % top, 1UL << shift);
}

enum chain_op { OP_GROW, OP_GROW_ZEROED, OP_SHRINK, OP_REALLOC, NR_OPS };

static void resize_random_chains(struct kunit *test)
{
	struct rnd_state rnd;
	unsigned int chain, step;

	prandom_seed_state(&rnd, 0x1a110c);
	for (chain = 0; chain < 200; chain++) {
		struct lalloc_layout cur = random_layout(&rnd);
		u32 seed = chain;
		u8 *p = lalloc_alloc(cur, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, p);
		pattern_fill(p, cur.size, seed);
		for (step = 0; step < 12; step++) {
			struct lalloc_layout next = random_layout(&rnd);
			enum chain_op op = prandom_u32_state(&rnd) % NR_OPS;
			size_t keep;
			u8 *q;

			if (op == OP_SHRINK)
				next.size %= cur.size + 1;
			if ((op == OP_GROW || op == OP_GROW_ZEROED) && next.size < cur.size)
				next.size = cur.size + next.size;
			switch (op) {
			case OP_GROW:
				q = lalloc_grow(p, cur, next, GFP_KERNEL);
				break;
			case OP_GROW_ZEROED:
				q = lalloc_grow_zeroed(p, cur, next, GFP_KERNEL);
				break;
			case OP_SHRINK:
				q = lalloc_shrink(p, cur, next, GFP_KERNEL);
				break;
			default:
				q = lalloc_realloc(p, cur, next, GFP_KERNEL);
				break;
			}
			KUNIT_ASSERT_NOT_NULL_MSG(test, q, "op %d (%zu,%zu)->(%zu,%zu)",
						  op, cur.size, cur.align, next.size, next.align);
			KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)q, next.align));
			keep = min(cur.size, next.size);
			KUNIT_EXPECT_EQ_MSG(test, pattern_check(q, keep, seed), keep,
					    "op %d (%zu,%zu)->(%zu,%zu)", op, cur.size,
					    cur.align, next.size, next.align);
			if (op == OP_GROW_ZEROED && next.size > cur.size)
				KUNIT_EXPECT_NULL(test, memchr_inv(q + cur.size, 0,
								   next.size - cur.size));
			KUNIT_EXPECT_GE(test, lalloc_usable_size(q, next), next.size);
			/* Refill, so the next step checks every byte again. */
			seed = seed * 31 + step;
			pattern_fill(q, next.size, seed);
			p = q;
			cur = next;
		}
		lalloc_free(p, cur);
	}
}

static void resize_in_place(struct kunit *test)
{
	struct lalloc_layout a = L(97, 8), b = L(104, 8), c = L(8, 8);
	struct lalloc_layout pa = L(20 * PAGE_SIZE, 8), pb = L(12 * PAGE_SIZE, 8);
	struct lalloc_global_stats g0, g1;
	u8 *p, *q;

	/* 97 and 104 share the 104-byte class: the grow stays put. */
	p = lalloc_alloc(a, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	pattern_fill(p, a.size, 1);
	q = lalloc_grow(p, a, b, GFP_KERNEL);
	KUNIT_EXPECT_PTR_EQ(test, p, q);
	KUNIT_EXPECT_EQ(test, pattern_check(q, a.size, 1), a.size);
	/* A shrink to a much smaller class moves to give the slot back. */
	p = lalloc_shrink(q, b, c, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_PTR_NE(test, p, q);
	KUNIT_EXPECT_EQ(test, lalloc_usable_size(p, c), 8UL);
	KUNIT_EXPECT_EQ(test, pattern_check(p, c.size, 1), c.size);
	lalloc_free(p, c);

	/* A page block shrinks in place, freeing its tail pages. */
	p = lalloc_alloc(pa, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	pattern_fill(p, pa.size, 2);
	lalloc_global_stats_read(&g0);
	q = lalloc_shrink(p, pa, pb, GFP_KERNEL);
	lalloc_global_stats_read(&g1);
	KUNIT_EXPECT_PTR_EQ(test, p, q);
	KUNIT_EXPECT_EQ(test, g0.large_pages - g1.large_pages, 8LL);
	KUNIT_EXPECT_EQ(test, pattern_check(q, pb.size, 2), pb.size);
	/* It is freed with the layout it was last resized to. */
	lalloc_free(q, pb);
	lalloc_global_stats_read(&g1);
	KUNIT_EXPECT_EQ(test, g1.large_pages, g0.large_pages - 20);
}

/* An alignment the block does not meet forces a move, even when it fits. */
static void resize_align_change(struct kunit *test)
{
	struct lalloc_layout a = L(48, 16), b = L(48, 4096);
	u8 *p = lalloc_alloc(a, GFP_KERNEL), *q;

	KUNIT_ASSERT_NOT_NULL(test, p);
	pattern_fill(p, a.size, 5);
	q = lalloc_realloc(p, a, b, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)q, 4096));
	KUNIT_EXPECT_EQ(test, pattern_check(q, b.size, 5), b.size);
	/* And back down: a smaller alignment, same size. */
	p = lalloc_realloc(q, b, a, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, pattern_check(p, a.size, 5), a.size);
	lalloc_free(p, a);
}

static void resize_zero_size(struct kunit *test)
{
	struct lalloc_layout z = L(0, 64), a = L(200, 64);
	u8 *zst = lalloc_alloc(z, GFP_KERNEL), *p;

	/* Growing a zero-size block allocates; grow_zeroed zeroes it all. */
	p = lalloc_grow_zeroed(zst, z, a, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_PTR_NE(test, p, zst);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, a.size));
	/* Shrinking to size 0 frees and gives the zero-size block. */
	KUNIT_EXPECT_PTR_EQ(test, lalloc_shrink(p, a, L(0, 8), GFP_KERNEL),
			    lalloc_zst(8));
	/* realloc: NULL allocates, size 0 frees. */
	p = lalloc_realloc(NULL, L(0, 1), a, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_PTR_EQ(test, lalloc_realloc(p, a, L(0, 32), GFP_KERNEL),
			    lalloc_zst(32));
	KUNIT_EXPECT_PTR_EQ(test, lalloc_realloc(zst, z, z, GFP_KERNEL), zst);
}

/*
 * Rust's Allocator contract: a block "fits" every layout of its alignment
 * whose size lies between the size asked for and the usable size. Freeing
 * or resizing with any such size is legal and must free, or keep, exactly
 * the block: the same slot, the same pages.
 */
static void resize_fits_usable_size(struct kunit *test)
{
	static const struct lalloc_layout ls[] = {
		{ 100, 8 }, { 3000, 64 }, { 40000, 8 }, { 100, 1 << 20 },
		{ (5 << 20) + 1, 4096 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ls); i++) {
		struct lalloc_layout l = ls[i], big, mid;
		unsigned long pages;
		long live;
		size_t usable;
		u8 *p, *q;

		lalloc_shrink_all();
		lalloc_vmalloc_flush();
		pages = lalloc_pages_held();
		live = lalloc_test_live_objects();

		p = lalloc_alloc(l, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		usable = lalloc_usable_size(p, l);
		KUNIT_EXPECT_GE(test, usable, l.size);
		big = L(usable, l.align);
		/* The usable size of a block is the same under every fitting layout. */
		KUNIT_EXPECT_EQ(test, lalloc_usable_size(p, big), usable);
		memset(p, 0x5a, l.size);

		/*
		 * The block takes its usable size in place. (A caller may also
		 * name that size without telling lalloc; requested_bytes then
		 * counts less than it should, as documented, which would skew
		 * the later suites' exact figures.)
		 */
		q = lalloc_grow(p, l, big, GFP_KERNEL);
		KUNIT_ASSERT_PTR_EQ(test, q, p);
		memset(q, 0x5a, usable);

		/* A shrink from the usable size keeps the block where it is. */
		mid = L(l.size + (usable - l.size) / 2, l.align);
		q = lalloc_shrink(q, big, mid, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, q);
		KUNIT_EXPECT_EQ(test, lalloc_usable_size(q, mid), usable);
		KUNIT_EXPECT_PTR_EQ(test, q, p);
		KUNIT_EXPECT_EQ(test, q[mid.size - 1], 0x5a);
		q = lalloc_grow(q, mid, big, GFP_KERNEL);
		KUNIT_ASSERT_PTR_EQ(test, q, p);

		/* Freed with the usable size: the slot or the pages come back. */
		lalloc_free(q, big);
		lalloc_shrink_all();
		lalloc_vmalloc_flush();
		KUNIT_EXPECT_EQ_MSG(test, lalloc_test_live_objects(), live, "layout %zu/%zu",
				    l.size, l.align);
		KUNIT_EXPECT_EQ_MSG(test, lalloc_pages_held(), pages, "layout %zu/%zu",
				    l.size, l.align);
	}
}

static void resize_bad_input(struct kunit *test)
{
	struct lalloc_layout a = L(64, 8);
	u8 *p = lalloc_alloc(a, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	pattern_fill(p, a.size, 9);
	/* grow to a smaller size, shrink to a larger, invalid layouts: NULL. */
	KUNIT_EXPECT_NULL(test, lalloc_grow(p, a, L(32, 8), GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, lalloc_shrink(p, a, L(128, 8), GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, lalloc_grow(p, a, L(128, 3), GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, lalloc_realloc(p, a, L(128, 0), GFP_KERNEL));
	KUNIT_EXPECT_NULL(test, lalloc_grow(NULL, a, L(128, 8), GFP_KERNEL));
	/* The block is untouched and still the caller's. */
	KUNIT_EXPECT_EQ(test, pattern_check(p, a.size, 9), a.size);
	lalloc_free(p, a);
}

/*
 * realloc of a block with an invalid old layout: NULL, counted as an
 * invalid layout, and the block neither freed nor moved, whatever the new
 * layout asks. The zero-size new layout, which would free the block, is
 * the one only lalloc_realloc()'s own check refuses: grow and shrink
 * refuse the others too.
 */
static void resize_realloc_invalid_old(struct kunit *test)
{
	static const struct lalloc_layout bad[] = {
		{ 64, 3 }, { 64, 0 }, { LONG_MAX, 8 }, { 64, 1UL << 63 },
	};
	static const struct lalloc_layout next[] = {
		{ 0, 8 }, { 0, 1 }, { 32, 8 }, { 64, 8 }, { 3000, 8 },
	};
	struct lalloc_stats *st0, *st1;
	struct lalloc_global_stats g0, g1;
	struct lalloc_layout a = L(64, 8);
	unsigned int i, j;
	long live0;
	u8 *p, *q;

	st0 = kunit_kzalloc(test, sizeof(*st0), GFP_KERNEL);
	st1 = kunit_kzalloc(test, sizeof(*st1), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, st0);
	KUNIT_ASSERT_NOT_NULL(test, st1);
	p = lalloc_alloc(a, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	pattern_fill(p, a.size, 11);
	live0 = lalloc_test_live_objects();
	lalloc_global_stats_read(&g0);
	lalloc_stats_fill(st0);

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		for (j = 0; j < ARRAY_SIZE(next); j++)
			KUNIT_EXPECT_NULL_MSG(test, lalloc_realloc(p, bad[i], next[j], GFP_KERNEL),
					      "(%zu,%zu)->(%zu,%zu)", bad[i].size, bad[i].align,
					      next[j].size, next[j].align);

	lalloc_global_stats_read(&g1);
	lalloc_stats_fill(st1);
	KUNIT_EXPECT_EQ(test, g1.invalid_layouts - g0.invalid_layouts,
			(u64)(ARRAY_SIZE(bad) * ARRAY_SIZE(next)));
	KUNIT_EXPECT_EQ(test, st1->errors_detected - st0->errors_detected,
			(u64)(ARRAY_SIZE(bad) * ARRAY_SIZE(next)));
	KUNIT_EXPECT_EQ(test, g1.errors_detected, g0.errors_detected);
	/* Nothing freed, moved or allocated: the block is intact and the caller's. */
	KUNIT_EXPECT_EQ(test, lalloc_test_live_objects(), live0);
	KUNIT_EXPECT_EQ(test, st1->requested_bytes, st0->requested_bytes);
	KUNIT_EXPECT_EQ(test, pattern_check(p, a.size, 11), a.size);
	q = lalloc_realloc(p, a, L(3000, 8), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_EXPECT_EQ(test, pattern_check(q, a.size, 11), a.size);
	lalloc_free(q, L(3000, 8));
	KUNIT_EXPECT_EQ(test, lalloc_test_live_objects(), live0 - 1);
}

struct fail_case {
	const char *name;
	struct lalloc_layout old, new;
};

static const struct fail_case fail_cases[] = {
	{ "slab to slab", { 64, 8 }, { 3000, 8 } },
	{ "slab to pages", { 64, 8 }, { 100000, 8 } },
	{ "pages to pages", { 50000, 8 }, { 100000, 8 } },
	{ "slab to new alignment", { 64, 8 }, { 72, 8192 } },
	{ "pages to vmalloc", { 50000, 8 }, { LALLOC_MAX_BLOCK + 1, 8 } },
};

static void fail_case_desc(const struct fail_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(fail, fail_cases, fail_case_desc);

static void resize_failure_keeps_block(struct kunit *test)
{
	const struct fail_case *c = test->param_value;
	u8 *p = lalloc_alloc(c->old, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	pattern_fill(p, c->old.size, 11);
	/* Empty the per-CPU stacks so the move has to reach the slow path. */
	lalloc_shrink_all();
	/* Each call must fail because of the injected fault, and consume it. */
	lalloc_fault_set(1);
	KUNIT_EXPECT_NULL(test, lalloc_grow(p, c->old, c->new, GFP_KERNEL));
	KUNIT_EXPECT_EQ_MSG(test, lalloc_fault_pending(), 0, "grow did not reach the fault");
	lalloc_fault_set(1);
	KUNIT_EXPECT_NULL(test, lalloc_grow_zeroed(p, c->old, c->new, GFP_KERNEL));
	KUNIT_EXPECT_EQ_MSG(test, lalloc_fault_pending(), 0, "grow_zeroed did not reach the fault");
	lalloc_fault_set(1);
	KUNIT_EXPECT_NULL(test, lalloc_realloc(p, c->old, c->new, GFP_KERNEL));
	KUNIT_EXPECT_EQ_MSG(test, lalloc_fault_pending(), 0, "realloc did not reach the fault");
	lalloc_fault_set(0);
	KUNIT_EXPECT_EQ(test, pattern_check(p, c->old.size, 11), c->old.size);
	KUNIT_EXPECT_GE(test, lalloc_usable_size(p, c->old), c->old.size);
	/* Still owned and usable: a grow without faults now succeeds. */
	p = lalloc_grow(p, c->old, c->new, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, pattern_check(p, c->old.size, 11), c->old.size);
	lalloc_free(p, c->new);
}

/* A shrink that prefers a smaller class stays in place if that fails. */
static void resize_shrink_failure_stays(struct kunit *test)
{
	struct lalloc_layout a = L(3000, 8), b = L(100, 8);
	u8 *p = lalloc_alloc(a, GFP_KERNEL), *q;

	KUNIT_ASSERT_NOT_NULL(test, p);
	pattern_fill(p, a.size, 4);
	lalloc_shrink_all();
	lalloc_fault_set(1);
	q = lalloc_shrink(p, a, b, GFP_KERNEL);
	KUNIT_EXPECT_EQ_MSG(test, lalloc_fault_pending(), 0, "shrink did not try to move");
	lalloc_fault_set(0);
	KUNIT_EXPECT_PTR_EQ(test, q, p);
	KUNIT_EXPECT_EQ(test, pattern_check(q, b.size, 4), b.size);
	lalloc_free(q, b);
}

static void resize_fault_exit(struct kunit *test)
{
	lalloc_fault_set(0);
}

static struct kunit_case resize_cases[] = {
	KUNIT_CASE(resize_random_chains),
	KUNIT_CASE(resize_in_place),
	KUNIT_CASE(resize_align_change),
	KUNIT_CASE(resize_zero_size),
	KUNIT_CASE(resize_bad_input),
	KUNIT_CASE(resize_realloc_invalid_old),
	KUNIT_CASE(resize_fits_usable_size),
	KUNIT_CASE_PARAM(resize_failure_keeps_block, fail_gen_params),
	KUNIT_CASE(resize_shrink_failure_stays),
	{}
};

struct kunit_suite lalloc_resize_suite = {
	.name = "lalloc_resize",
	.exit = resize_fault_exit,
	.test_cases = resize_cases,
};
