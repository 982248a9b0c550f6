// SPDX-License-Identifier: GPL-2.0
/*
 * Blocks past the slab classes: the page path takes no zone or movability
 * from the caller.
 */
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/sizes.h>

#include "lalloc_test.h"

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
	KUNIT_CASE(large_pages_ignore_zone),
	{}
};

struct kunit_suite lalloc_large_suite = {
	.name = "lalloc_large",
	.test_cases = large_cases,
};
