// SPDX-License-Identifier: GPL-2.0
/*
 * The slabs' freelists: a link that a stray write forged is caught and the
 * slab retired, not followed; with CONFIG_SLAB_FREELIST_HARDENED links are
 * stored encoded, so even a forged link into the same slab is caught; with
 * CONFIG_SLAB_FREELIST_RANDOM a new slab's slots are chained out of
 * address order. Each case works on a slab of its own: everything is
 * drained and shrunk first, and the layout's class is used by no other
 * case while it runs. A slab a case retires stays in its cache (as it
 * would in use) and is left alone by the next.
 */
#include "lalloc_test.h"

/* A class with many slots per slab (19 of 208 bytes in a page). */
static const struct lalloc_layout fl_layout = { .size = 200, .align = 8 };

/* Where a forged link points: never a slot of any slab. */
static unsigned long forged_target[64];

struct fresh_slab {
	struct lalloc_cache *s;
	struct lalloc_slab *slab;
	void *first;		/* the one object taken from it */
};

/* Slabs of @s in service: on its lists and not retired. */
static unsigned long slabs_in_service(struct lalloc_cache *s)
{
	struct lalloc_slab *slab;
	unsigned long flags, n = 0;
	unsigned int state;

	spin_lock_irqsave(&s->lock, flags);
	for (state = 0; state < LALLOC_SLAB_NR_STATES; state++)
		list_for_each_entry(slab, &s->slabs[state], list)
			n += !slab->pinned;
	spin_unlock_irqrestore(&s->lock, flags);
	return n;
}

/* A new slab of fl_layout's class with one object out and the rest free. */
static void fresh_slab(struct kunit *test, struct fresh_slab *f)
{
	f->s = lalloc_cache_of(fl_layout.size);
	lalloc_shrink_all();
	KUNIT_ASSERT_EQ_MSG(test, slabs_in_service(f->s), 0UL, "%s still has slabs",
			    f->s->name);
	f->first = lalloc_alloc(fl_layout, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->first);
	f->slab = lalloc_slab_of(f->first);
	KUNIT_ASSERT_NOT_NULL(test, f->slab);
	KUNIT_ASSERT_EQ(test, f->slab->inuse, 1U);
	KUNIT_ASSERT_GE(test, f->slab->nr_objs, 16U);
}

static void *freelist_head(struct lalloc_cache *s, struct lalloc_slab *slab)
{
	unsigned long flags;
	void *head;

	spin_lock_irqsave(&s->lock, flags);
	head = slab->freelist;
	spin_unlock_irqrestore(&s->lock, flags);
	return head;
}

enum forgery {
	FORGE_ZERO,		/* a link zeroed: the list ends early */
	FORGE_END,		/* the end of the list, encoded: a truncated list */
	FORGE_FOREIGN,		/* an address outside every slab */
	FORGE_LIVE_SLOT,	/* the slab's live object: a double allocation */
};

/*
 * Write a forged link over the freelist word of a fresh slab's first free
 * slot, then allocate: the allocation gets that slot, the link is refused,
 * counted, and the slab retired; later allocations never see the forged
 * address.
 */
static void forge_and_allocate(struct kunit *test, enum forgery forgery)
{
	struct lalloc_global_stats before, after;
	unsigned long quarantined0 = lalloc_quarantined_pages();
	unsigned int nr_later, i;
	struct fresh_slab f;
	void *head, *got, **later;
	unsigned long link;

	fresh_slab(test, &f);
	link = forgery == FORGE_ZERO ? 0 :
	       forgery == FORGE_FOREIGN ? (unsigned long)forged_target :
	       (unsigned long)f.first;
	nr_later = 2 * f.slab->nr_objs;
	later = kunit_kcalloc(test, nr_later, sizeof(*later), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, later);
	head = freelist_head(f.s, f.slab);
	KUNIT_ASSERT_NOT_NULL(test, head);

	/* The stray write (freelist.c's own, for the end of the list). */
	if (forgery == FORGE_END)
		lalloc_freeptr_set(f.s, head, NULL);
	else
		LALLOC_TEST_STRAY(*(unsigned long *)head = link);
	lalloc_global_stats_read(&before);
	got = lalloc_alloc(fl_layout, GFP_KERNEL);
	lalloc_global_stats_read(&after);

	KUNIT_EXPECT_PTR_EQ(test, got, head);
	KUNIT_EXPECT_EQ(test, *(unsigned long *)got, 0UL);	/* wiped as it left */
	KUNIT_EXPECT_EQ(test, after.freelist_corruptions - before.freelist_corruptions, 1ULL);
	KUNIT_EXPECT_EQ(test, after.errors_detected - before.errors_detected, 1ULL);
	KUNIT_EXPECT_TRUE(test, f.slab->retired);
	KUNIT_EXPECT_EQ(test, lalloc_quarantined_pages() - quarantined0, 1UL << f.slab->order);

	for (i = 0; i < nr_later; i++) {
		later[i] = lalloc_alloc(fl_layout, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, later[i]);
		KUNIT_EXPECT_NE(test, (unsigned long)later[i], link);
		KUNIT_EXPECT_PTR_NE(test, lalloc_slab_of(later[i]), f.slab);
	}
	for (i = 0; i < nr_later; i++)
		lalloc_free(later[i], fl_layout);
	/* Frees into the retired slab are taken, and kept there; it is never given back. */
	lalloc_free(got, fl_layout);
	lalloc_free(f.first, fl_layout);
	lalloc_shrink_all();
	KUNIT_EXPECT_EQ(test, slabs_in_service(f.s), 0UL);
	KUNIT_EXPECT_EQ(test, f.slab->inuse, f.slab->nr_objs);
	KUNIT_EXPECT_EQ(test, f.slab->state, LALLOC_SLAB_FULL);
	KUNIT_EXPECT_EQ(test, lalloc_quarantined_pages() - quarantined0, 1UL << f.slab->order);
}

/* A link zeroed (obj->next = NULL after free): the list ends too early. */
static void freelist_zeroed_link_caught(struct kunit *test)
{
	forge_and_allocate(test, FORGE_ZERO);
}

/*
 * A link that decodes to the end of the list while the slab's count says
 * free slots remain: the list was cut short (on a kernel without the
 * hardened encoding, a link zeroed; with it, a write that knew the key).
 * The link itself is valid, so only slab_pop()'s check against the count
 * catches it, with no debug checks on; without it the slab would stay on
 * the partial list with no free slot listed, and a refill spin on it.
 */
static void freelist_truncated_caught(struct kunit *test)
{
	forge_and_allocate(test, FORGE_END);
}

/* A link to an address outside the slab: caught on every kernel. */
static void freelist_foreign_link_caught(struct kunit *test)
{
	forge_and_allocate(test, FORGE_FOREIGN);
}

/*
 * A link to the slab's own live object, written in plain: a valid slot,
 * so without the hardened encoding it would be followed and the live
 * object handed out a second time; encoded, it decodes to an address
 * outside the slab.
 */
static void freelist_forged_slot_link_caught(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_SLAB_FREELIST_HARDENED))
		kunit_skip(test, "needs CONFIG_SLAB_FREELIST_HARDENED");
	forge_and_allocate(test, FORGE_LIVE_SLOT);
}

/*
 * The free slots on @slab's freelist, each counted once; UINT_MAX if the
 * list meets a slot twice (a loop) or runs past the slab's slots.
 */
static unsigned int freelist_length(struct lalloc_cache *s, struct lalloc_slab *slab)
{
	unsigned int n = slab->nr_objs, len = 0, idx;
	unsigned long *seen, flags;
	void *slot;

	seen = bitmap_zalloc(n, GFP_KERNEL);
	if (!seen)
		return UINT_MAX;
	spin_lock_irqsave(&s->lock, flags);
	for (slot = slab->freelist; slot; slot = lalloc_freeptr_get(s, slab, slot)) {
		idx = (slot - slab->base) / s->slot_size;
		if (len == n || __test_and_set_bit(idx, seen)) {
			len = UINT_MAX;
			break;
		}
		len++;
	}
	spin_unlock_irqrestore(&s->lock, flags);
	bitmap_free(seen);
	return len;
}

/*
 * A slot freed twice with no debug checks, the second time while it is the
 * head of its slab's freelist: its first free was drained back to the
 * slab, so the second, drained too, meets it there. Linking it again would
 * make it its own next and hand it out twice; slab_push() refuses it,
 * counts it, and the slab, its count and its list stay as they were, and
 * so do the cache's frees and live objects: the refused free is not a free.
 */
static void freelist_double_free_at_head_caught(struct kunit *test)
{
	struct lalloc_global_stats before, after;
	struct lalloc_cache_stats r0, r1;
	struct lalloc_cpu_stats c0, c1;
	unsigned int nr_later, i, j;
	struct fresh_slab f;
	void *victim, **later;
	long live0;

	fresh_slab(test, &f);
	nr_later = 2 * f.slab->nr_objs;
	later = kunit_kcalloc(test, nr_later, sizeof(*later), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, later);
	victim = lalloc_alloc(fl_layout, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, victim);
	KUNIT_ASSERT_PTR_EQ(test, lalloc_slab_of(victim), f.slab);
	/* The batch the refill parked goes back: only f.first and the victim are out. */
	lalloc_shrink_all();
	KUNIT_ASSERT_EQ(test, f.slab->inuse, 2U);

	lalloc_free(victim, fl_layout);
	lalloc_shrink_all();		/* drained: the victim is the head */
	KUNIT_ASSERT_PTR_EQ(test, freelist_head(f.s, f.slab), victim);
	KUNIT_ASSERT_EQ(test, f.slab->inuse, 1U);
	live0 = lalloc_test_live_objects();

	lalloc_cache_stats_read(f.s, &c0);
	lalloc_cache_record(f.s, &r0);
	lalloc_global_stats_read(&before);
	lalloc_free(victim, fl_layout);	/* the mistake: parked on a per-CPU stack */
	lalloc_shrink_all();		/* the drain meets it at the head */
	lalloc_global_stats_read(&after);

	/* Asserted: without the check the slab would be empty, f.first in freed pages. */
	KUNIT_ASSERT_EQ(test, after.errors_detected - before.errors_detected, 1ULL);
	KUNIT_EXPECT_EQ(test, after.debug_double_frees - before.debug_double_frees, 1ULL);
	KUNIT_EXPECT_EQ(test, after.freelist_corruptions, before.freelist_corruptions);
	KUNIT_EXPECT_EQ(test, f.slab->inuse, 1U);
	KUNIT_EXPECT_FALSE(test, f.slab->retired);
	KUNIT_EXPECT_PTR_EQ(test, freelist_head(f.s, f.slab), victim);
	KUNIT_EXPECT_EQ(test, freelist_length(f.s, f.slab), f.slab->nr_objs - 1);
	/*
	 * The per-CPU stack counted the free (a call) before the slab refused
	 * it; the refusal is counted too, and the live objects are exactly
	 * what they were, also in what userspace reads. The frees only grow.
	 */
	KUNIT_EXPECT_EQ(test, lalloc_test_live_objects(), live0);
	lalloc_cache_stats_read(f.s, &c1);
	KUNIT_EXPECT_EQ(test, c1.refused_frees - c0.refused_frees, 1ULL);
	KUNIT_EXPECT_EQ(test, c1.fast_frees + c1.slow_frees,
			c0.fast_frees + c0.slow_frees + 1);
	KUNIT_EXPECT_EQ(test, c1.fast_allocs + c1.slow_allocs,
			c0.fast_allocs + c0.slow_allocs);
	lalloc_cache_record(f.s, &r1);
	KUNIT_EXPECT_EQ(test, r1.active_objs, r0.active_objs);
	KUNIT_EXPECT_EQ(test, r1.frees, r0.frees + 1);

	/* Every slot handed out once: the victim among them, only once. */
	for (i = 0; i < nr_later; i++) {
		later[i] = lalloc_alloc(fl_layout, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, later[i]);
		KUNIT_EXPECT_PTR_NE(test, later[i], f.first);
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_PTR_NE(test, later[i], later[j]);
	}
	for (i = 0; i < nr_later; i++)
		lalloc_free(later[i], fl_layout);
	lalloc_free(f.first, fl_layout);
	lalloc_shrink_all();
	/* Its count right to the end: the slab emptied and was given back. */
	KUNIT_EXPECT_EQ(test, slabs_in_service(f.s), 0UL);
	KUNIT_EXPECT_EQ(test, lalloc_test_live_objects(), live0 - 1);
	lalloc_cache_record(f.s, &r1);
	KUNIT_EXPECT_EQ(test, r1.active_objs, r0.active_objs - 1);
	lalloc_global_stats_read(&before);
	KUNIT_EXPECT_EQ(test, before.errors_detected, after.errors_detected);
}

/* Links are stored encoded where the kernel hardens its own freelists. */
static void freelist_links_encoded(struct kunit *test)
{
	struct fresh_slab f;
	unsigned long flags, raw;
	void *head, *next;

	fresh_slab(test, &f);
	spin_lock_irqsave(&f.s->lock, flags);
	head = f.slab->freelist;
	LALLOC_TEST_STRAY(raw = *(unsigned long *)head);
	next = lalloc_freeptr_get(f.s, f.slab, head);
	spin_unlock_irqrestore(&f.s->lock, flags);
	KUNIT_ASSERT_NOT_NULL(test, next);
	if (IS_ENABLED(CONFIG_SLAB_FREELIST_HARDENED))
		KUNIT_EXPECT_NE(test, raw, (unsigned long)next);
	else
		KUNIT_EXPECT_EQ(test, raw, (unsigned long)next);
	KUNIT_EXPECT_FALSE(test, f.slab->retired);
	lalloc_free(f.first, fl_layout);
}

/*
 * A new slab's free slots, walked in freelist order: every slot once, and
 * in address order unless the kernel randomises freelists, where a
 * monotonic chain of 18 slots would be a 1 in 10^15 accident.
 */
static void freelist_order(struct kunit *test)
{
	unsigned int n, seen = 0, ascending = 0, descending = 0;
	unsigned long *visited, flags;
	struct fresh_slab f;
	void *slot, *prev = NULL;

	fresh_slab(test, &f);
	n = f.slab->nr_objs;
	visited = kunit_kcalloc(test, BITS_TO_LONGS(n), sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, visited);
	__set_bit((f.first - f.slab->base) / f.s->slot_size, visited);

	spin_lock_irqsave(&f.s->lock, flags);
	for (slot = f.slab->freelist; slot && seen < n;
	     slot = lalloc_freeptr_get(f.s, f.slab, slot)) {
		unsigned int idx = (slot - f.slab->base) / f.s->slot_size;

		if (test_and_set_bit(idx, visited))
			break;
		seen++;
		if (prev) {
			ascending += slot > prev;
			descending += slot < prev;
		}
		prev = slot;
	}
	spin_unlock_irqrestore(&f.s->lock, flags);

	KUNIT_EXPECT_EQ(test, seen, n - 1);
	KUNIT_EXPECT_FALSE(test, f.slab->retired);
	if (IS_ENABLED(CONFIG_SLAB_FREELIST_RANDOM)) {
		KUNIT_EXPECT_LT(test, ascending, n - 2);
		KUNIT_EXPECT_LT(test, descending, n - 2);
	} else {
		KUNIT_EXPECT_EQ(test, ascending, n - 2);
	}
	kunit_info(test, "%u slots: %u steps up, %u down\n", n, ascending, descending);
	lalloc_free(f.first, fl_layout);
}

static struct kunit_case freelist_cases[] = {
	KUNIT_CASE(freelist_links_encoded),
	KUNIT_CASE(freelist_order),
	KUNIT_CASE(freelist_zeroed_link_caught),
	KUNIT_CASE(freelist_foreign_link_caught),
	KUNIT_CASE(freelist_forged_slot_link_caught),
	KUNIT_CASE(freelist_double_free_at_head_caught),
	KUNIT_CASE(freelist_truncated_caught),
	{}
};

struct kunit_suite lalloc_freelist_suite = {
	.name = "lalloc_freelist",
	.test_cases = freelist_cases,
};
