// SPDX-License-Identifier: GPL-2.0
#include <kunit/test.h>
#include <linux/lalloc.h>

static void lalloc_smoke(struct kunit *test)
{
	struct lalloc_layout l = { 64, 8 };
	void *p = lalloc_alloc(l, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	lalloc_free(p, l);
}

static struct kunit_case lalloc_cases[] = {
	KUNIT_CASE(lalloc_smoke),
	{}
};

static struct kunit_suite lalloc_suite = {
	.name = "lalloc_smoke",
	.test_cases = lalloc_cases,
};
kunit_test_suite(lalloc_suite);
MODULE_LICENSE("GPL");
