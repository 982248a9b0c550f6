/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by lalloc's KUnit suites. */
#ifndef _LALLOC_TEST_H
#define _LALLOC_TEST_H

#include <kunit/test.h>
#include <linux/kasan.h>
#include <linux/lalloc.h>

#include "../module/internal.h"

extern struct kunit_suite lalloc_layout_suite;
extern struct kunit_suite lalloc_alloc_suite;
extern struct kunit_suite lalloc_resize_suite;
extern struct kunit_suite lalloc_context_suite;
extern struct kunit_suite lalloc_concurrency_suite;
extern struct kunit_suite lalloc_shrinker_suite;
extern struct kunit_suite lalloc_stats_suite;
extern struct kunit_suite lalloc_large_suite;
extern struct kunit_suite lalloc_large_context_suite;
extern struct kunit_suite lalloc_hotplug_suite;
extern struct kunit_suite lalloc_freelist_suite;
extern struct kunit_suite lalloc_debug_suite;
extern struct kunit_suite lalloc_kmemleak_suite;

/*
 * A deliberate access to bytes lalloc has not handed out (a free slot, a
 * red zone), for the tests of lalloc's own checks: KASAN sees lalloc's
 * objects (module/sanitizers.c) and would report it first.
 */
#define LALLOC_TEST_STRAY(access) do {		\
	kasan_disable_current();		\
	access;					\
	kasan_enable_current();			\
} while (0)

/*
 * Run fn(arg, index) in a kthread bound to each online CPU (index 0..N-1),
 * all started together; wait for all. Returns N.
 */
unsigned int lalloc_test_on_each_cpu(struct kunit *test,
				     void (*fn)(void *arg, unsigned int index),
				     void *arg);

/* Live slab objects over every cache: allocations minus frees. */
static inline long lalloc_test_live_objects(void)
{
	long live = 0;
	unsigned int i;

	for (i = 0; i < LALLOC_NR_CLASSES; i++) {
		struct lalloc_cpu_stats st;

		lalloc_cache_stats_read(&lalloc_caches[i], &st);
		/* A refused (double) free freed nothing. */
		live += st.fast_allocs + st.slow_allocs + st.refused_frees -
			st.fast_frees - st.slow_frees;
	}
	return live;
}

static inline struct lalloc_layout L(size_t size, size_t align)
{
	return (struct lalloc_layout){ .size = size, .align = align };
}

/*
 * A byte pattern that depends on the position and on every bit of the seed
 * (a hash, so two seeds give unrelated bytes and a block written under one
 * seed fails a check under another).
 */
static inline u8 pattern_byte(size_t i, u32 seed)
{
	u32 x = seed * 0x9e3779b1U + (u32)i * 0x85ebca6bU;

	x ^= x >> 15;
	x *= 0x2c1b3c6dU;
	x ^= x >> 12;
	return (u8)(x ^ (x >> 24));
}

static inline void pattern_fill(void *p, size_t len, u32 seed)
{
	u8 *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = pattern_byte(i, seed);
}

/* Index of the first byte that differs from the pattern, or len. */
static inline size_t pattern_check(const void *p, size_t len, u32 seed)
{
	const u8 *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != pattern_byte(i, seed))
			return i;
	return len;
}

#endif /* _LALLOC_TEST_H */
