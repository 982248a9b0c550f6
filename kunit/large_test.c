// SPDX-License-Identifier: GPL-2.0
/*
 * Blocks past the slab classes: vmalloc-kind blocks meet every alignment up
 * to the largest page block at every size, and what lalloc counts for them
 * is what the kernel really gave; the page path takes no zone or movability
 * from the caller.
 */
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/sizes.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>

#include "lalloc_test.h"

/*
 * Free pages the kernel has: the buddy lists plus the per-CPU page lists,
 * which take and give back pages in batches (counting only the buddy lists
 * would see a batch more or less than what an allocation took).
 */
static unsigned long free_pages_now(void)
{
	unsigned long free = global_zone_page_state(NR_FREE_PAGES);
	int nid, z, cpu;

	for_each_online_node(nid) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &NODE_DATA(nid)->node_zones[z];

			if (!populated_zone(zone))
				continue;
			for_each_online_cpu(cpu)
				free += READ_ONCE(per_cpu_ptr(zone->per_cpu_pageset, cpu)->count);
		}
	}
	return free;
}

/*
 * What a vmalloc-kind block may cost beyond its pages: a page-table page
 * per 2 MiB and the levels above, the page array (kmalloc'd, a power-of-two
 * number of pages), and some for the descriptor, the vmap area, kmemleak's
 * bookkeeping, the page allocator's per-CPU lists and whatever the other
 * CPUs take meanwhile: the free pages are the whole system's. 32 of those
 * were seen short by 26 at --smp 4; 128 still catch the regression this
 * guards against, a huge-page vmalloc rounding a block up to 2 MiB (256
 * pages or more past every size here but 64 MiB).
 */
static unsigned long vblock_slack(size_t size)
{
	unsigned long nr = PAGE_ALIGN(size) >> PAGE_SHIFT;

	return (size >> PMD_SHIFT) + 4 +
	       (1UL << get_order(nr * sizeof(struct page *))) + 128;
}

static const size_t grid_sizes[] = {
	SZ_4M + 1, SZ_4M + SZ_1M, SZ_8M + SZ_4K, 17 * SZ_1M, SZ_64M,
};

/*
 * Every power-of-two alignment from a page to LALLOC_MAX_BLOCK at sizes
 * past it: served, aligned, writable end to end, counted as exactly its
 * pages, and taking no more than that from the kernel.
 */
static void large_align_grid(struct kunit *test)
{
	long margin = LONG_MAX;
	unsigned int i;
	size_t align;

	for (i = 0; i < ARRAY_SIZE(grid_sizes); i++) {
		for (align = PAGE_SIZE; align <= LALLOC_MAX_BLOCK; align <<= 1) {
			struct lalloc_layout l = L(grid_sizes[i], align);
			unsigned long pages = PAGE_ALIGN(l.size) >> PAGE_SHIFT;
			struct lalloc_global_stats g0, g1, g2;
			unsigned long held0;
			long free0, taken;
			u8 *p;

			lalloc_vmalloc_flush();
			lalloc_global_stats_read(&g0);
			held0 = lalloc_pages_held();
			free0 = free_pages_now();

			p = lalloc_alloc(l, GFP_KERNEL);
			taken = free0 - (long)free_pages_now();
			KUNIT_ASSERT_NOT_NULL_MSG(test, p, "size %zu align %zu",
						  l.size, l.align);
			KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(p));
			KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)p, align),
					      "size %zu align %zu", l.size, l.align);
			p[0] = 0x5a;
			p[l.size - 1] = 0xa5;
			KUNIT_EXPECT_EQ(test, p[0] + p[l.size - 1], 0xff);

			lalloc_global_stats_read(&g1);
			KUNIT_EXPECT_EQ_MSG(test, g1.vmalloc_bytes - g0.vmalloc_bytes,
					    (s64)PAGE_ALIGN(l.size),
					    "size %zu align %zu", l.size, l.align);
			KUNIT_EXPECT_EQ(test, lalloc_pages_held() - held0, pages);
			/* What the kernel gave: the huge-vmalloc regression check. */
			KUNIT_EXPECT_LE_MSG(test, taken, (long)(pages + vblock_slack(l.size)),
					    "size %zu align %zu: %ld pages taken, %lu counted",
					    l.size, l.align, taken, pages);
			margin = min(margin, (long)(pages + vblock_slack(l.size)) - taken);

			lalloc_free(p, l);
			lalloc_vmalloc_flush();
			lalloc_global_stats_read(&g2);
			KUNIT_EXPECT_EQ(test, g2.vmalloc_bytes, g0.vmalloc_bytes);
			KUNIT_EXPECT_EQ(test, g2.vmalloc_requested_bytes,
					g0.vmalloc_requested_bytes);
			KUNIT_EXPECT_EQ(test, lalloc_pages_held(), held0);
		}
	}
	kunit_info(test, "smallest margin under the pages allowed: %ld\n", margin);
}

/* A non-blocking request only vmalloc could serve: NULL, counted. */
static void large_vmalloc_nonblocking(struct kunit *test)
{
	static const gfp_t gfps[] = { GFP_ATOMIC, GFP_NOWAIT, GFP_KERNEL & ~__GFP_DIRECT_RECLAIM };
	struct lalloc_layout l = L(SZ_4M + SZ_1M, PAGE_SIZE);
	struct lalloc_global_stats g0, g1;
	unsigned int i;

	lalloc_global_stats_read(&g0);
	for (i = 0; i < ARRAY_SIZE(gfps); i++)
		KUNIT_EXPECT_NULL(test, lalloc_alloc(l, gfps[i]));
	lalloc_global_stats_read(&g1);
	KUNIT_EXPECT_EQ(test, g1.failures - g0.failures, (u64)ARRAY_SIZE(gfps));
	KUNIT_EXPECT_EQ(test, g1.vmalloc_allocs, g0.vmalloc_allocs);
	KUNIT_EXPECT_EQ(test, g1.vmalloc_bytes, g0.vmalloc_bytes);
}

/* __GFP_ZERO reaches the pages of a vmalloc-kind block. */
static void large_vmalloc_zeroed(struct kunit *test)
{
	struct lalloc_layout l = L(SZ_8M + 3 * SZ_4K + 5, SZ_64K);
	u8 *p;

	p = lalloc_alloc_zeroed(l, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, lalloc_usable_size(p, l)));
	lalloc_free(p, l);
	lalloc_vmalloc_flush();
}

/* A pattern of @p's own offsets, so a page mapped at the wrong place shows. */
static void fill_offsets(u32 *p, size_t size)
{
	size_t i;

	for (i = 0; i < size / 4; i++)
		p[i] = i ^ 0x5a5a5a5a;
}

static size_t first_bad_offset(const u32 *p, size_t size)
{
	size_t i;

	for (i = 0; i < size / 4; i++)
		if (p[i] != (i ^ 0x5a5a5a5a))
			return i * 4;
	return SIZE_MAX;
}

/*
 * A vmalloc-kind block grown and shrunk within the vmalloc kind keeps its
 * pages: mapped again, nothing copied, the contents in order, the new
 * alignment met, grow_zeroed's tail zero, and lalloc's pages and the
 * kernel's free pages back where they were after the free.
 */
static void large_vmalloc_remap(struct kunit *test)
{
	static const struct lalloc_layout chain[] = {
		{ SZ_8M, SZ_4K }, { SZ_16M + SZ_4K, SZ_64K }, { 40 * SZ_1M + 3, SZ_4M },
		{ SZ_16M + 5, SZ_1M }, { SZ_4M + 1, SZ_2M }, { SZ_32M, SZ_4K },
	};
	struct lalloc_global_stats g0, g1;
	unsigned long held0 = lalloc_pages_held(), free0;
	struct lalloc_layout cur = chain[0];
	unsigned int i;
	u8 *p;

	lalloc_vmalloc_flush();
	free0 = free_pages_now();
	p = lalloc_alloc(cur, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	fill_offsets((u32 *)p, cur.size);
	for (i = 1; i < ARRAY_SIZE(chain); i++) {
		struct lalloc_layout next = chain[i];
		size_t keep = min(cur.size, next.size) & ~(size_t)3, bad;
		bool zeroed = i % 2;
		u8 *q;

		lalloc_global_stats_read(&g0);
		if (next.size > cur.size)
			q = zeroed ? lalloc_grow_zeroed(p, cur, next, GFP_KERNEL) :
				     lalloc_grow(p, cur, next, GFP_KERNEL);
		else
			q = lalloc_shrink(p, cur, next, GFP_KERNEL);
		lalloc_global_stats_read(&g1);
		KUNIT_ASSERT_NOT_NULL_MSG(test, q, "step %u", i);
		KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED((unsigned long)q, next.align),
				      "step %u", i);
		/* Remapped: no vmalloc block made or freed, exactly the pages counted. */
		KUNIT_EXPECT_EQ_MSG(test, g1.vmalloc_allocs, g0.vmalloc_allocs, "step %u", i);
		KUNIT_EXPECT_EQ_MSG(test, g1.vmalloc_frees, g0.vmalloc_frees, "step %u", i);
		KUNIT_EXPECT_EQ_MSG(test, g1.vmalloc_bytes - g0.vmalloc_bytes,
				    (s64)PAGE_ALIGN(next.size) - (s64)PAGE_ALIGN(cur.size),
				    "step %u", i);
		bad = first_bad_offset((u32 *)q, keep);
		KUNIT_EXPECT_EQ_MSG(test, bad, SIZE_MAX, "step %u: byte %zu", i, bad);
		if (zeroed && next.size > cur.size)
			KUNIT_EXPECT_NULL_MSG(test,
					      memchr_inv(q + cur.size, 0, next.size - cur.size),
					      "step %u: grown tail not zero", i);
		p = q;
		cur = next;
		fill_offsets((u32 *)p, cur.size);
	}
	lalloc_free(p, cur);
	lalloc_vmalloc_flush();
	KUNIT_EXPECT_EQ(test, lalloc_pages_held(), held0);
	/* The kernel got every page back (page tables and bookkeeping aside). */
	KUNIT_EXPECT_LE(test, free0, free_pages_now() + vblock_slack(SZ_64M));
}

/*
 * A vmalloc-kind free whose layout or pointer does not match a block of
 * lalloc's, with no debug checks: a layout of fewer or more pages, a
 * pointer into the block's second megabyte, pointers into its first page
 * that are not page-aligned (they find the block's descriptor; vunmap()
 * would WARN on them and the pages be freed still mapped), a vmalloc
 * buffer lalloc never handed out. lalloc_vmalloc_free() refuses each,
 * counts it, and leaks nothing: the block stays mapped and counted, its
 * bytes intact, and freed with its own layout it goes back whole.
 */
/*
 * After @errors refused calls on the vmalloc-kind block @p of layout @l:
 * each was counted, none freed or moved anything, and the block's bytes
 * (filled by fill_offsets()) are as they were. @g1 and @held1 are from
 * before the calls. Asserted first: a block a wrong call freed must not be
 * freed again by the caller's test.
 */
static void expect_vblock_untouched(struct kunit *test, const u32 *p,
				    struct lalloc_layout l, u64 errors,
				    const struct lalloc_global_stats *g1,
				    unsigned long held1)
{
	struct lalloc_global_stats g2;

	lalloc_vmalloc_flush();
	lalloc_global_stats_read(&g2);
	KUNIT_ASSERT_EQ(test, g2.errors_detected - g1->errors_detected, errors);
	KUNIT_ASSERT_EQ(test, g2.vmalloc_frees, g1->vmalloc_frees);
	KUNIT_EXPECT_EQ(test, g2.invalid_layouts, g1->invalid_layouts);
	KUNIT_EXPECT_EQ(test, g2.vmalloc_bytes, g1->vmalloc_bytes);
	KUNIT_EXPECT_EQ(test, g2.vmalloc_requested_bytes, g1->vmalloc_requested_bytes);
	KUNIT_EXPECT_EQ(test, lalloc_pages_held(), held1);
	KUNIT_EXPECT_EQ(test, first_bad_offset(p, l.size), SIZE_MAX);
}

static void large_vmalloc_free_mismatch(struct kunit *test)
{
	struct lalloc_layout l = L(SZ_8M + SZ_4K, SZ_64K);
	static const struct lalloc_layout wrong[] = {
		{ SZ_8M, SZ_64K }, { SZ_8M + 2 * SZ_4K, SZ_64K }, { SZ_16M, SZ_4K },
	};
	struct lalloc_global_stats g0, g1, g2;
	unsigned long held0, held1;
	void *foreign;
	unsigned int i;
	u32 *p;

	lalloc_vmalloc_flush();
	lalloc_global_stats_read(&g0);
	held0 = lalloc_pages_held();
	p = lalloc_alloc(l, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_TRUE(test, is_vmalloc_addr(p));
	fill_offsets(p, l.size);
	foreign = vmalloc(2 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, foreign);
	held1 = lalloc_pages_held();
	lalloc_global_stats_read(&g1);

	for (i = 0; i < ARRAY_SIZE(wrong); i++)
		lalloc_free(p, wrong[i]);
	lalloc_free((u8 *)p + SZ_1M, l);
	lalloc_free((u8 *)p + 8, l);
	lalloc_free((u8 *)p + PAGE_SIZE - 4, l);
	lalloc_free(foreign, l);
	expect_vblock_untouched(test, p, l, ARRAY_SIZE(wrong) + 4, &g1, held1);
	lalloc_global_stats_read(&g2);
	fill_offsets(p, l.size);	/* still mapped, still writable */
	vfree(foreign);

	lalloc_free(p, l);
	lalloc_vmalloc_flush();
	lalloc_global_stats_read(&g1);
	KUNIT_EXPECT_EQ(test, g1.vmalloc_frees - g2.vmalloc_frees, 1ULL);
	KUNIT_EXPECT_EQ(test, g1.errors_detected, g2.errors_detected);
	KUNIT_EXPECT_EQ(test, g1.vmalloc_bytes, g0.vmalloc_bytes);
	KUNIT_EXPECT_EQ(test, g1.vmalloc_requested_bytes, g0.vmalloc_requested_bytes);
	KUNIT_EXPECT_EQ(test, lalloc_pages_held(), held0);
}

/*
 * A vmalloc-kind block freed twice: in process context, and from a context
 * that cannot sleep (the unmap deferred to the work item, the block still
 * mapped), each second free before or after the first has finished; and a
 * foreign vmalloc buffer whose first page's ->private is its owner's (TTM
 * keeps an order there). Each mistake is refused and counted, nothing is
 * freed twice, and nothing of the foreign page is read as lalloc's.
 */
static void large_vmalloc_double_free(struct kunit *test)
{
	struct lalloc_layout l = L(SZ_4M + SZ_64K, PAGE_SIZE);
	static DEFINE_SPINLOCK(atomic_section);
	struct lalloc_global_stats g0, g1;
	unsigned long held0;
	struct page *page;
	void *p, *foreign;

	lalloc_vmalloc_flush();
	lalloc_global_stats_read(&g0);
	held0 = lalloc_pages_held();

	p = lalloc_alloc(l, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	lalloc_free(p, l);
	lalloc_free(p, l);		/* unmapped already */

	p = lalloc_alloc(l, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	/* A spinlock, not interrupts off: lalloc's contract on PREEMPT_RT. */
	spin_lock(&atomic_section);
	lalloc_free(p, l);		/* deferred: still mapped */
	lalloc_free(p, l);
	spin_unlock(&atomic_section);
	lalloc_free(p, l);		/* the work item may not have run yet */
	lalloc_vmalloc_flush();

	foreign = vmalloc(2 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, foreign);
	page = vmalloc_to_page(foreign);
	set_page_private(page, 3);	/* an owner's word, not a descriptor */
	lalloc_free(foreign, L(2 * PAGE_SIZE + SZ_4M, PAGE_SIZE));
	set_page_private(page, 0);
	vfree(foreign);

	lalloc_global_stats_read(&g1);
	KUNIT_EXPECT_EQ(test, g1.errors_detected - g0.errors_detected, 4ULL);
	KUNIT_EXPECT_EQ(test, g1.vmalloc_frees - g0.vmalloc_frees, 2ULL);
	KUNIT_EXPECT_EQ(test, g1.vmalloc_bytes, g0.vmalloc_bytes);
	KUNIT_EXPECT_EQ(test, g1.vmalloc_requested_bytes, g0.vmalloc_requested_bytes);
	KUNIT_EXPECT_EQ(test, lalloc_pages_held(), held0);
}

/*
 * Resizes and lalloc_usable_size() of a vmalloc-kind block through a
 * pointer that is not its start (8 bytes in; a page in) or a layout of
 * another page count, with no debug checks and then with the entry points'
 * hooks on (latency_stats): each is refused and counted, before anything
 * is copied, zeroed, remapped or freed. Without the check, an in-place
 * grow_zeroed of p + 8 would write 8 bytes past the block into its guard
 * page, a remap would vunmap() p + 8 (a WARN) and free the block's pages
 * mapped, and a move would copy from past the block's end and free it.
 */
static void large_vmalloc_resize_mismatch(struct kunit *test)
{
	struct lalloc_layout l = L(SZ_8M + 100, SZ_64K);
	/* Same pages, an alignment p + 8 meets: a grow in place. */
	const struct lalloc_layout same = L(SZ_8M + SZ_4K, 8);
	const struct lalloc_layout bigger = L(SZ_16M, SZ_64K);
	const struct lalloc_layout smaller = L(SZ_8M, SZ_4K);
	const struct lalloc_layout pages = L(SZ_2M, SZ_4K);
	const struct lalloc_layout slab = L(64, 8);
	const struct lalloc_layout fewer = L(SZ_8M, SZ_64K);
	struct lalloc_global_stats g1, g2;
	unsigned long held1;
	unsigned int round, calls = 0;
	u32 *p;
	u8 *bad;

	lalloc_vmalloc_flush();
	p = lalloc_alloc(l, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	fill_offsets(p, l.size);
	held1 = lalloc_pages_held();
	lalloc_global_stats_read(&g1);

	for (round = 0; round < 2; round++) {
		unsigned int k;

		if (round)
			lalloc_latency_enable(true);
		for (k = 0; k < 2; k++) {
			bad = (u8 *)p + (k ? PAGE_SIZE : 8);
			KUNIT_EXPECT_NULL(test, lalloc_grow_zeroed(bad, l, same, GFP_KERNEL));
			KUNIT_EXPECT_NULL(test, lalloc_grow(bad, l, bigger, GFP_KERNEL));
			KUNIT_EXPECT_NULL(test, lalloc_shrink(bad, l, smaller, GFP_KERNEL));
			KUNIT_EXPECT_NULL(test, lalloc_shrink(bad, l, pages, GFP_KERNEL));
			KUNIT_EXPECT_NULL(test, lalloc_realloc(bad, l, slab, GFP_KERNEL));
			KUNIT_EXPECT_NULL(test, lalloc_realloc(bad, l, bigger, GFP_KERNEL));
			KUNIT_EXPECT_EQ(test, lalloc_usable_size(bad, l), 0UL);
			calls += 7;
		}
		/* The right pointer with a layout of fewer pages. */
		KUNIT_EXPECT_NULL(test, lalloc_grow(p, fewer, bigger, GFP_KERNEL));
		KUNIT_EXPECT_EQ(test, lalloc_usable_size(p, fewer), 0UL);
		calls += 2;
		if (round)
			lalloc_latency_enable(false);
	}
	expect_vblock_untouched(test, p, l, calls, &g1, held1);
	lalloc_global_stats_read(&g2);
	KUNIT_EXPECT_EQ(test, g2.vmalloc_allocs, g1.vmalloc_allocs);
	KUNIT_EXPECT_EQ(test, g2.large_allocs, g1.large_allocs);
	/* The block is still the caller's, whole: its own layout works. */
	KUNIT_EXPECT_EQ(test, lalloc_usable_size(p, l), (size_t)(SZ_8M + SZ_4K));
	lalloc_free(p, l);
	lalloc_vmalloc_flush();
	lalloc_global_stats_read(&g1);
	KUNIT_EXPECT_EQ(test, g1.vmalloc_frees - g2.vmalloc_frees, 1ULL);
	KUNIT_EXPECT_EQ(test, g1.errors_detected, g2.errors_detected);
}

/*
 * Zone modifiers and __GFP_MOVABLE are not the caller's to choose for page
 * blocks: GFP_DMA must not take ZONE_DMA's scarce pages for a block that
 * lalloc would then hand to anyone.
 */
static void large_pages_ignore_zone(struct kunit *test)
{
	static const struct lalloc_layout ls[] = {
		{ 100 * 1024, PAGE_SIZE }, { 100 * 1024, SZ_64K }, { SZ_4M, 8 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ls); i++) {
		void *p = lalloc_alloc(ls[i], GFP_KERNEL | __GFP_DMA | __GFP_NOWARN);

		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_NE_MSG(test, page_zonenum(virt_to_page(p)), ZONE_DMA,
				    "size %zu align %zu", ls[i].size, ls[i].align);
		lalloc_free(p, ls[i]);
		p = lalloc_alloc(ls[i], GFP_KERNEL | __GFP_MOVABLE);
		KUNIT_ASSERT_NOT_NULL(test, p);
		lalloc_free(p, ls[i]);
	}
}

static struct kunit_case large_cases[] = {
	KUNIT_CASE_SLOW(large_align_grid),
	KUNIT_CASE(large_vmalloc_nonblocking),
	KUNIT_CASE(large_vmalloc_zeroed),
	KUNIT_CASE(large_vmalloc_remap),
	KUNIT_CASE(large_vmalloc_free_mismatch),
	KUNIT_CASE(large_vmalloc_resize_mismatch),
	KUNIT_CASE(large_vmalloc_double_free),
	KUNIT_CASE(large_pages_ignore_zone),
	{}
};

struct kunit_suite lalloc_large_suite = {
	.name = "lalloc_large",
	.test_cases = large_cases,
};
