// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation: alignment, usable size and zeroing over a grid of layouts,
 * the size-class bounds, zero-size blocks, large and vmalloc blocks, and
 * invalid layouts.
 */
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "lalloc_test.h"

/* Sizes 0..64 KiB: every power of two, its neighbours, and a few in between. */
static size_t grid_sizes[64];
static unsigned int nr_grid_sizes;

static void make_grid_sizes(void)
{
	size_t p;

	if (nr_grid_sizes)
		return;
	grid_sizes[nr_grid_sizes++] = 0;
	for (p = 1; p <= 65536; p <<= 1) {
		grid_sizes[nr_grid_sizes++] = p;
		if (p > 2)
			grid_sizes[nr_grid_sizes++] = p - 1;
		if (p >= 8)
			grid_sizes[nr_grid_sizes++] = p + p / 2 + 1;
	}
}

struct grid_param {
	unsigned int align_shift;	/* 1 .. 2 MiB */
	bool zeroed;
};

static const struct grid_param grid_params[] = {
	{ 0, false }, { 0, true },
	{ 1, false }, { 1, true },
	{ 2, false }, { 2, true },
	{ 3, false }, { 3, true },
	{ 4, false }, { 4, true },
	{ 5, false }, { 5, true },
	{ 6, false }, { 6, true },
	{ 7, false }, { 7, true },
	{ 8, false }, { 8, true },
	{ 9, false }, { 9, true },
	{ 10, false }, { 10, true },
	{ 11, false }, { 11, true },
	{ 12, false }, { 12, true },
	{ 13, false }, { 13, true },
	{ 14, false }, { 14, true },
	{ 15, false }, { 15, true },
	{ 16, false }, { 16, true },
	{ 17, false }, { 17, true },
	{ 18, false }, { 18, true },
	{ 19, false }, { 19, true },
	{ 20, false }, { 20, true },
	{ 21, false }, { 21, true },
};

static void grid_param_desc(const struct grid_param *p, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "align 1<<%u%s", p->align_shift,
		 p->zeroed ? " zeroed" : "");
}

KUNIT_ARRAY_PARAM(grid, grid_params, grid_param_desc);

#define GRID_BLOCKS	3

/*
 * Fill each of @nr live blocks of one layout over its whole usable size
 * with a byte of its own, in one order and then the other, and check
 * every block after each pass: a usable size that reaches past the slot overwrites a neighbour
 * (blocks allocated one after another sit next to each other in a slab),
 * and whichever way the addresses run, one pass fills the victim first.
 */
static void grid_check_neighbours(struct kunit *test, u8 **p, unsigned int nr,
				  size_t usable, size_t size)
{
	unsigned int pass, k, at;

	for (pass = 0; pass < 2; pass++) {
		for (k = 0; k < nr; k++) {
			at = pass ? nr - 1 - k : k;
			memset(p[at], 0x11 * (at + 1 + pass * nr), usable);
		}
		for (k = 0; k < nr; k++)
			KUNIT_EXPECT_NULL_MSG(test,
					      memchr_inv(p[k], 0x11 * (k + 1 + pass * nr), usable),
					      "size %zu: block %u of %u overwritten (pass %u)",
					      size, k, nr, pass);
	}
}

static void alloc_grid(struct kunit *test)
{
	const struct grid_param *param = test->param_value;
	size_t align = 1UL << param->align_shift;
	unsigned int i, k;

	make_grid_sizes();
	for (i = 0; i < nr_grid_sizes; i++) {
		struct lalloc_layout l = L(grid_sizes[i], align);
		u8 *p[GRID_BLOCKS];
		size_t usable = 0;

		for (k = 0; k < GRID_BLOCKS; k++) {
			p[k] = param->zeroed ? lalloc_alloc_zeroed(l, GFP_KERNEL) :
					       lalloc_alloc(l, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL_MSG(test, p[k], "size %zu", l.size);
			KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)p[k], align),
					      "size %zu at %lx", l.size, (unsigned long)p[k]);
			usable = lalloc_usable_size(p[k], l);
			KUNIT_EXPECT_GE_MSG(test, usable, l.size, "size %zu", l.size);
			if (param->zeroed && l.size)
				KUNIT_EXPECT_NULL_MSG(test, memchr_inv(p[k], 0, usable),
						      "size %zu not zeroed", l.size);
		}
		/* The whole usable block is the caller's to write, and no more. */
		if (l.size)
			grid_check_neighbours(test, p, GRID_BLOCKS, usable, l.size);
		for (k = 0; k < GRID_BLOCKS; k++)
			lalloc_free(p[k], l);
	}
}

/* Many live blocks of one layout: distinct, aligned, and not overlapping. */
static void alloc_many_distinct(struct kunit *test)
{
	static const struct lalloc_layout layouts[] = {
		{ 8, 8 }, { 24, 8 }, { 64, 64 }, { 100, 4 }, { 320, 64 },
		{ 1000, 8 }, { 3000, 1024 }, { 20000, 8 }, { 40000, 8 },
	};
	const unsigned int n = 200;
	void **ptrs = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	unsigned int i, j;

	KUNIT_ASSERT_NOT_NULL(test, ptrs);
	for (j = 0; j < ARRAY_SIZE(layouts); j++) {
		struct lalloc_layout l = layouts[j];

		for (i = 0; i < n; i++) {
			ptrs[i] = lalloc_alloc(l, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, ptrs[i]);
			KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)ptrs[i], l.align));
			pattern_fill(ptrs[i], l.size, i);
		}
		for (i = 0; i < n; i++) {
			KUNIT_EXPECT_EQ_MSG(test, pattern_check(ptrs[i], l.size, i), l.size,
					    "layout (%zu, %zu) block %u overwritten",
					    l.size, l.align, i);
			lalloc_free(ptrs[i], l);
		}
	}
}

/*
 * The class bounds: at most 12.5% over the padded size from 128 bytes on,
 * a slot that is a multiple of the alignment, and an over-aligned small
 * layout costing its alignment, as kmalloc would.
 */
static void alloc_class_bounds(struct kunit *test)
{
	size_t size, shift;

	for (size = 1; size <= LALLOC_MAX_SLOT; size += (size < 2048 ? 1 : 7)) {
		for (shift = 0; shift <= 12; shift += 3) {
			struct lalloc_layout l = L(size, 1UL << shift);
			size_t padded = lalloc_padded(l);
			void *p = lalloc_alloc(l, GFP_KERNEL);
			size_t usable;

			KUNIT_ASSERT_NOT_NULL(test, p);
			usable = lalloc_usable_size(p, l);
			KUNIT_EXPECT_EQ(test, usable % l.align, 0UL);
			if (padded >= 128)
				KUNIT_EXPECT_LE_MSG(test, usable * 8, padded * 9,
						    "size %zu align %zu", size, l.align);
			else
				KUNIT_EXPECT_LT(test, usable - padded, 8UL);
			lalloc_free(p, l);
		}
	}
}

static void alloc_class_examples(struct kunit *test)
{
	static const struct { size_t size, align, usable; } cases[] = {
		{ 320, 64, 320 },	/* kmalloc: 512 */
		{ 130, 64, 192 },	/* kmalloc: 256 */
		{ 1, 4096, 4096 },	/* over-aligned: the alignment, as kmalloc */
		{ 100, 2048, 2048 },
		{ 4097, 8, 4608 },	/* kmalloc: 8192 */
		{ 9000, 8, 9216 },	/* kmalloc: 16384 */
		{ 40000, 8, 40960 },	/* exact pages; kmalloc: 65536 */
		{ 100, 65536, 4096 },	/* one page at a 64 KiB boundary */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct lalloc_layout l = L(cases[i].size, cases[i].align);
		void *p = lalloc_alloc(l, GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_EQ_MSG(test, lalloc_usable_size(p, l), cases[i].usable,
				    "size %zu align %zu", l.size, l.align);
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)p, l.align));
		lalloc_free(p, l);
	}
}

/* Not canonical with 5-level paging, hence not with 4-level either. */
static bool non_canonical(const void *p)
{
	long v = (long)p;

	return ((v << 7) >> 7) != v;
}

static void alloc_zero_size(struct kunit *test)
{
	unsigned int shift;

	for (shift = 0; shift < BITS_PER_LONG; shift++) {
		struct lalloc_layout l = L(0, 1UL << shift);
		void *p = lalloc_alloc(l, GFP_KERNEL);
		void *q = lalloc_alloc_zeroed(l, GFP_ATOMIC);

		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_PTR_EQ(test, p, q);
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)p, l.align));
		KUNIT_EXPECT_TRUE_MSG(test, non_canonical(p), "align 1<<%u: %lx",
				      shift, (unsigned long)p);
		KUNIT_EXPECT_EQ(test, lalloc_usable_size(p, l), 0UL);
		lalloc_free(p, l);
	}
}

static void alloc_invalid_layouts(struct kunit *test)
{
	static const struct lalloc_layout bad[] = {
		{ 8, 0 }, { 0, 0 }, { 8, 3 }, { 64, 48 }, { LONG_MAX, 2 },
		{ SIZE_MAX, 1 }, { SIZE_MAX - 6, 8 }, { 1, 1UL << 63 },
	};
	struct lalloc_global_stats before, after;
	unsigned int i;

	lalloc_global_stats_read(&before);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		KUNIT_EXPECT_NULL(test, lalloc_alloc(bad[i], GFP_KERNEL));
		KUNIT_EXPECT_NULL(test, lalloc_alloc_zeroed(bad[i], GFP_KERNEL));
		/* Freeing with an invalid layout frees nothing and is counted. */
		lalloc_free((void *)lalloc_zst(8), bad[i]);
	}
	lalloc_global_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.invalid_layouts - before.invalid_layouts,
			3ULL * ARRAY_SIZE(bad));
	lalloc_free(NULL, L(64, 8));	/* NULL is ignored, as kfree(NULL) */
}

static void alloc_exact_pages(struct kunit *test)
{
	struct lalloc_global_stats before, during, after;
	struct lalloc_layout l = L(10 * PAGE_SIZE - 100, 16 * PAGE_SIZE);
	u8 *p;

	lalloc_global_stats_read(&before);
	p = lalloc_alloc_zeroed(l, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)p, l.align));
	KUNIT_EXPECT_EQ(test, lalloc_usable_size(p, l), 10 * PAGE_SIZE);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, 10 * PAGE_SIZE));
	lalloc_global_stats_read(&during);
	/* Ten pages held, not the sixteen the alignment was allocated at. */
	KUNIT_EXPECT_EQ(test, during.large_pages - before.large_pages, 10LL);
	pattern_fill(p, 10 * PAGE_SIZE, 3);
	lalloc_free(p, l);
	lalloc_global_stats_read(&after);
	KUNIT_EXPECT_EQ(test, after.large_pages, before.large_pages);
	KUNIT_EXPECT_EQ(test, after.large_frees - before.large_frees, 1ULL);
}

/* Past the largest page block: vmalloc, aligned or NULL, never a WARN. */
static void alloc_vmalloc(struct kunit *test)
{
	static const size_t aligns[] = { 1, 64, PAGE_SIZE, PMD_SIZE,
					 2 * PMD_SIZE, LALLOC_MAX_BLOCK, 1UL << 40 };
	size_t size = LALLOC_MAX_BLOCK + 3 * PAGE_SIZE + 5;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(aligns); i++) {
		struct lalloc_layout l = L(size, aligns[i]);
		u8 *p = lalloc_alloc(l, GFP_KERNEL | __GFP_NOWARN);

		if (aligns[i] <= PAGE_SIZE) {
			KUNIT_ASSERT_NOT_NULL(test, p);
			KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(p));
		}
		if (!p)
			continue;
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)p, l.align));
		KUNIT_EXPECT_GE(test, lalloc_usable_size(p, l), size);
		p[0] = 1;
		p[size - 1] = 2;
		lalloc_free(p, l);
	}
	/* Alignments up to the largest page block are always served below it. */
	for (i = 0; i < ARRAY_SIZE(aligns); i++) {
		struct lalloc_layout l = L(PAGE_SIZE, aligns[i]);
		void *p;

		if (aligns[i] > LALLOC_MAX_BLOCK)
			break;
		p = lalloc_alloc(l, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_TRUE(test, IS_ALIGNED((unsigned long)p, l.align));
		lalloc_free(p, l);
	}
}

/* A size no memory can hold fails cleanly. */
static void alloc_huge_fails(struct kunit *test)
{
	struct lalloc_layout l = L(1UL << 46, 8);

	KUNIT_EXPECT_NULL(test, lalloc_alloc(l, GFP_KERNEL | __GFP_NOWARN));
}

static void alloc_origin(struct kunit *test)
{
	struct lalloc_layout l = L(777, 8);
	u32 origin = LALLOC_ORIGIN_NONE;
	void *p;

	lalloc_shrink_all();
	p = __lalloc_alloc(l, GFP_KERNEL, &origin);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, origin, LALLOC_ORIGIN_NEW_SLAB);
	lalloc_free(p, l);
	p = __lalloc_alloc(L(40000, 8), GFP_KERNEL, &origin);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, origin, LALLOC_ORIGIN_PAGES);
	lalloc_free(p, L(40000, 8));
	p = __lalloc_alloc(L(0, 8), GFP_KERNEL, &origin);
	KUNIT_EXPECT_EQ(test, origin, LALLOC_ORIGIN_ZST);
}

/* A free whose layout names the wrong kind of block is refused and counted. */
static void alloc_wrong_kind_free(struct kunit *test)
{
	struct lalloc_layout slab = L(64, 8), pages = L(40000, 8);
	struct lalloc_layout vm = L(LALLOC_MAX_BLOCK + 1, 8);
	struct lalloc_global_stats g0, g1;
	void *s = lalloc_alloc(slab, GFP_KERNEL);
	void *p = lalloc_alloc(pages, GFP_KERNEL);
	void *v = lalloc_alloc(vm, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, v);
	pattern_fill(s, slab.size, 1);
	pattern_fill(p, pages.size, 2);
	lalloc_global_stats_read(&g0);
	lalloc_free(p, slab);	/* page block as a slab object */
	lalloc_free(s, pages);	/* slab object as a page block */
	lalloc_free(v, pages);	/* vmalloc block as a page block */
	lalloc_free(p, vm);	/* page block as a vmalloc block */
	lalloc_global_stats_read(&g1);
	KUNIT_EXPECT_EQ(test, g1.errors_detected - g0.errors_detected, 4ULL);
	KUNIT_EXPECT_EQ(test, g1.large_frees, g0.large_frees);
	KUNIT_EXPECT_EQ(test, g1.vmalloc_frees, g0.vmalloc_frees);
	/* Nothing was corrupted: the blocks are intact and free normally. */
	KUNIT_EXPECT_EQ(test, pattern_check(s, slab.size, 1), slab.size);
	KUNIT_EXPECT_EQ(test, pattern_check(p, pages.size, 2), pages.size);
	lalloc_free(s, slab);
	lalloc_free(p, pages);
	lalloc_free(v, vm);
}

#define INIT_OBJS	512

/* A kernel-half address: what a neighbour's address in a slot would be. */
static bool kernel_half(unsigned long v)
{
	return (long)v < 0;
}

/*
 * Fresh objects from new and partial slabs carry nothing of the freelist:
 * their first word is never the address of another slot. (Only the first
 * word: without init_on_alloc the rest of a fresh slab is what the page
 * allocator left there.)
 */
static void alloc_no_freelist_address(struct kunit *test)
{
	struct lalloc_layout l = L(64, 8);
	void **p = kunit_kcalloc(test, INIT_OBJS, sizeof(void *), GFP_KERNEL);
	unsigned int i, leaked = 0;

	KUNIT_ASSERT_NOT_NULL(test, p);
	lalloc_shrink_all();
	for (i = 0; i < INIT_OBJS; i++) {
		p[i] = lalloc_alloc(l, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		if (kernel_half(*(unsigned long *)p[i]))
			leaked++;
	}
	KUNIT_EXPECT_EQ_MSG(test, leaked, 0U,
			    "%u of %u fresh objects begin with a kernel address",
			    leaked, INIT_OBJS);
	for (i = 0; i < INIT_OBJS; i++)
		lalloc_free(p[i], l);
}

static const struct lalloc_layout init_layouts[] = {
	{ 8, 8 }, { 64, 8 }, { 100, 4 }, { 1000, 8 }, { 4097, 64 },
};

/*
 * Fill @n objects of @l, free them (most go back to their slabs through
 * full per-CPU stacks), allocate @n again and count those that are not all
 * zero; with @reused_only, only objects that a previous user filled count.
 */
static void refill_check_zero(struct kunit *test, struct lalloc_layout l,
			      unsigned int n, bool reused_only,
			      unsigned int *dirty, unsigned int *reused)
{
	void **p = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	void **q = kunit_kcalloc(test, n, sizeof(void *), GFP_KERNEL);
	unsigned int i, j;
	size_t usable;

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, q);
	for (i = 0; i < n; i++) {
		p[i] = lalloc_alloc(l, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
		usable = lalloc_usable_size(p[i], l);
		memset(p[i], 0xa5, usable);
	}
	for (i = 0; i < n; i++)
		lalloc_free(p[i], l);
	for (i = 0; i < n; i++) {
		bool was_used = false;

		q[i] = lalloc_alloc(l, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, q[i]);
		for (j = 0; j < n && !was_used; j++)
			was_used = q[i] == p[j];
		if (was_used)
			(*reused)++;
		if (reused_only && !was_used)
			continue;
		usable = lalloc_usable_size(q[i], l);
		if (memchr_inv(q[i], 0, usable))
			(*dirty)++;
	}
	for (i = 0; i < n; i++)
		lalloc_free(q[i], l);
	kunit_kfree(test, p);
	kunit_kfree(test, q);
}

/* init_on_alloc: every object reads zero, whatever its last user wrote. */
static void alloc_init_on_alloc(struct kunit *test)
{
	unsigned int i, dirty = 0, reused = 0;

	if (!want_init_on_alloc(0))
		kunit_skip(test, "init_on_alloc is off (boot with init_on_alloc=1)");
	for (i = 0; i < ARRAY_SIZE(init_layouts); i++)
		refill_check_zero(test, init_layouts[i], 200, false, &dirty, &reused);
	KUNIT_EXPECT_GT(test, reused, 0U);
	KUNIT_EXPECT_EQ_MSG(test, dirty, 0U, "%u objects not zeroed", dirty);
}

/*
 * init_on_free: a freed object is zeroed at once (checked where it is
 * parked on this CPU's stack), and every reused object reads zero.
 */
static void alloc_init_on_free(struct kunit *test)
{
	struct lalloc_layout l = L(256, 8);
	unsigned int i, dirty = 0, reused = 0;
	size_t usable;
	void *p, *stale;

	if (!want_init_on_free())
		kunit_skip(test, "init_on_free is off (boot with init_on_free=1)");
	for (i = 0; i < ARRAY_SIZE(init_layouts); i++)
		refill_check_zero(test, init_layouts[i], 200, true, &dirty, &reused);
	KUNIT_EXPECT_GT(test, reused, 0U);
	KUNIT_EXPECT_EQ_MSG(test, dirty, 0U, "%u reused objects not zeroed", dirty);

	/* Stay on one CPU: the freed object stays on its stack, untouched. */
	migrate_disable();
	lalloc_shrink_all();
	p = lalloc_alloc(l, GFP_KERNEL);
	if (p) {
		usable = lalloc_usable_size(p, l);
		memset(p, 0xa5, usable);
		lalloc_free(p, l);
		/* The freed slot itself: KASAN rightly calls this a use after free. */
		LALLOC_TEST_STRAY(stale = memchr_inv(p, 0, usable));
		KUNIT_EXPECT_NULL(test, stale);
	}
	migrate_enable();
	KUNIT_EXPECT_NOT_NULL(test, p);
}

static struct kunit_case alloc_cases[] = {
	KUNIT_CASE(alloc_wrong_kind_free),
	KUNIT_CASE_PARAM(alloc_grid, grid_gen_params),
	KUNIT_CASE(alloc_many_distinct),
	KUNIT_CASE(alloc_class_bounds),
	KUNIT_CASE(alloc_class_examples),
	KUNIT_CASE(alloc_zero_size),
	KUNIT_CASE(alloc_invalid_layouts),
	KUNIT_CASE(alloc_exact_pages),
	KUNIT_CASE(alloc_vmalloc),
	KUNIT_CASE(alloc_huge_fails),
	KUNIT_CASE(alloc_origin),
	KUNIT_CASE(alloc_no_freelist_address),
	KUNIT_CASE(alloc_init_on_alloc),
	KUNIT_CASE(alloc_init_on_free),
	{}
};

struct kunit_suite lalloc_alloc_suite = {
	.name = "lalloc_alloc",
	.test_cases = alloc_cases,
};
