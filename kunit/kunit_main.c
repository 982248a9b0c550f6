// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc_kunit: lalloc's KUnit suites, run at insmod on a kernel with
 * CONFIG_KUNIT. Results: the console, and /sys/kernel/debug/kunit/.
 */
#include <linux/module.h>

#include "lalloc_test.h"

kunit_test_suites(&lalloc_layout_suite, &lalloc_alloc_suite,
		  &lalloc_resize_suite, &lalloc_context_suite,
		  &lalloc_concurrency_suite, &lalloc_shrinker_suite,
		  &lalloc_stats_suite, &lalloc_large_suite,
		  &lalloc_large_context_suite, &lalloc_hotplug_suite,
		  &lalloc_freelist_suite, &lalloc_debug_suite,
		  &lalloc_kmemleak_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for lalloc");
LALLOC_IMPORT_KUNIT_NS();
