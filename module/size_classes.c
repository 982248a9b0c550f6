// SPDX-License-Identifier: GPL-2.0
/*
 * The slab classes and the O(1) lookup from a padded size to its class.
 *
 * A layout is served by the smallest class at least as large as its size
 * rounded up to its alignment. That class's slot size is a multiple of the
 * alignment: below 128 bytes every multiple of 8 is a class, and between
 * 2^k and 2^(k+1) the classes are spaced 2^(k-3) apart, so a padded size
 * that is a multiple of an alignment larger than the spacing is itself a
 * class. Slots start at multiples of the slot size from a slab base aligned
 * to the slab's size, so every object is aligned to the largest power of
 * two dividing its slot size. Size 320 align 64 thus costs 320 bytes; a
 * layout smaller than its alignment costs exactly its alignment.
 */
#include <linux/log2.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <kunit/visibility.h>

#include "internal.h"

struct lalloc_cache lalloc_caches[LALLOC_NR_CLASSES];
EXPORT_SYMBOL_IF_KUNIT(lalloc_caches);
u8 lalloc_class_small[(LALLOC_SMALL_LIMIT >> LALLOC_SMALL_SHIFT) + 1];
EXPORT_SYMBOL_IF_KUNIT(lalloc_class_small);
u8 lalloc_class_big[(LALLOC_MAX_SLOT >> LALLOC_BIG_SHIFT) + 1];
EXPORT_SYMBOL_IF_KUNIT(lalloc_class_big);

static unsigned int class_slot_size(unsigned int idx)
{
	unsigned int k;

	if (idx < 16)
		return (idx + 1) * 8;
	/* Eight classes in (2^k, 2^(k+1)] for k = 7..14. */
	idx -= 16;
	k = 7 + idx / 8;
	return (1U << k) + (idx % 8 + 1) * (1U << (k - 3));
}

/*
 * The slab order for a slot size: the smallest order that wastes at most
 * 1/16 of the slab, relaxing to 1/8 and 1/4 when no order up to
 * LALLOC_MAX_SLAB_ORDER does; the slab must also be aligned to the slot's
 * own alignment, which any slab holding one slot is.
 */
static unsigned int class_order(unsigned int slot)
{
	static const unsigned int fractions[] = { 16, 8, 4 };
	unsigned int f, order, min_order = get_order(slot);

	for (f = 0; f < ARRAY_SIZE(fractions); f++) {
		for (order = min_order; order <= LALLOC_MAX_SLAB_ORDER; order++) {
			unsigned long bytes = PAGE_SIZE << order;

			if ((bytes % slot) * fractions[f] <= bytes)
				return order;
		}
	}
	return min_order;
}

/* Objects a CPU may keep: about 16 KiB worth, between 2 and the cap. */
static unsigned int class_cpu_limit(unsigned int slot)
{
	return clamp(16384U / slot, 2U, (unsigned int)LALLOC_CPU_CAP);
}

static void init_lookup_tables(void)
{
	unsigned int idx = 0, i;

	for (i = 0; i < ARRAY_SIZE(lalloc_class_small); i++) {
		unsigned int bytes = i << LALLOC_SMALL_SHIFT;

		while (class_slot_size(idx) < bytes)
			idx++;
		lalloc_class_small[i] = idx;
	}
	idx = 0;
	for (i = 0; i < ARRAY_SIZE(lalloc_class_big); i++) {
		unsigned int bytes = i << LALLOC_BIG_SHIFT;

		while (class_slot_size(idx) < bytes)
			idx++;
		lalloc_class_big[i] = idx;
	}
}

int lalloc_classes_init(void)
{
	unsigned int i, cpu, state;

	BUILD_BUG_ON(LALLOC_NR_CLASSES > 256);
	init_lookup_tables();

	for (i = 0; i < LALLOC_NR_CLASSES; i++) {
		struct lalloc_cache *s = &lalloc_caches[i];

		s->slot_size = class_slot_size(i);
		s->order = class_order(s->slot_size);
		s->min_order = get_order(s->slot_size);
		s->objs_per_slab = (PAGE_SIZE << s->order) / s->slot_size;
		s->cpu_limit = class_cpu_limit(s->slot_size);
		s->batch = max(1U, s->cpu_limit / 2);
		snprintf(s->name, sizeof(s->name), "lalloc-%u", s->slot_size);
		spin_lock_init(&s->lock);
		for (state = 0; state < LALLOC_SLAB_NR_STATES; state++)
			INIT_LIST_HEAD(&s->slabs[state]);

		s->cpu = alloc_percpu(struct lalloc_cpu_cache);
		if (!s->cpu)
			goto fail;
		/* Before anything can fail: the unwind drains through these locks. */
		for_each_possible_cpu(cpu)
			local_lock_init(&per_cpu_ptr(s->cpu, cpu)->lock);
		if (lalloc_freelist_init(s))
			goto fail;
	}
	WARN_ON_ONCE(class_slot_size(LALLOC_NR_CLASSES - 1) != LALLOC_MAX_SLOT);
	return 0;

fail:
	lalloc_classes_exit();
	return -ENOMEM;
}

/* Called with no user left: drains every CPU and frees every slab. */
void lalloc_classes_exit(void)
{
	unsigned int i;

	lalloc_drain_all();
	for (i = 0; i < LALLOC_NR_CLASSES; i++) {
		struct lalloc_cache *s = &lalloc_caches[i];
		LIST_HEAD(slabs);
		unsigned long leaked = 0, quarantined = 0;
		struct lalloc_slab *slab;
		int state;

		if (!s->cpu)
			continue;
		for (state = 0; state < LALLOC_SLAB_NR_STATES; state++) {
			list_for_each_entry(slab, &s->slabs[state], list) {
				if (slab->pinned)
					quarantined++;
				else
					leaked += slab->inuse;
			}
			list_splice_init(&s->slabs[state], &slabs);
			s->nr_slabs[state] = 0;
		}
		s->pages = 0;
		s->total_objs = 0;
		if (leaked)
			pr_warn("%s: %lu objects never freed; releasing their slabs\n",
				s->name, leaked);
		if (quarantined)
			pr_warn("%s: releasing %lu slabs quarantined after a detected corruption\n",
				s->name, quarantined);
		lalloc_free_slabs(s, &slabs);
		free_percpu(s->cpu);
		s->cpu = NULL;
		lalloc_freelist_exit(s);
	}
}
