// SPDX-License-Identifier: GPL-2.0
/*
 * Slab freelists, hardened as SLUB hardens its own.
 *
 * A free slot in a slab holds the address of the next free slot in its
 * first word. With CONFIG_SLAB_FREELIST_HARDENED that word is stored as
 * next ^ (a random per cache) ^ swab(the slot's own address): an overflow
 * or a use-after-free that writes a pointer there does not get it followed,
 * and a word that decodes to anything but a slot of the same slab (or the
 * end of the list) is caught, reported once per cache and the slab taken
 * out of service. With CONFIG_SLAB_FREELIST_RANDOM a new slab chains its
 * slots in a random order (a permutation drawn per cache at load, entered
 * at a random point per slab), so neighbours in time are not neighbours in
 * memory.
 *
 * Only the slow path walks freelists; the per-CPU stacks of the fast path
 * hold their pointers outside the objects.
 */
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/swab.h>
#include <kunit/visibility.h>

#include "internal.h"

static inline unsigned long freeptr_key(const struct lalloc_cache *s,
					const void *slot)
{
	if (!IS_ENABLED(CONFIG_SLAB_FREELIST_HARDENED))
		return 0;
	return s->freeptr_random ^ swab((unsigned long)slot);
}

/**
 * lalloc_freeptr_set() - store @next as @slot's link in its slab's freelist
 * @s: the cache
 * @slot: a free slot
 * @next: the next free slot, or NULL at the end of the list
 */
void lalloc_freeptr_set(const struct lalloc_cache *s, void *slot, void *next)
{
	*(unsigned long *)slot = (unsigned long)next ^ freeptr_key(s, slot);
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_freeptr_set);

/* The freelist of @slab is broken: report it and stop using its free slots. */
static noinline void freelist_corrupt(struct lalloc_cache *s,
				      struct lalloc_slab *slab)
{
	unsigned int lost = slab->nr_objs - slab->inuse;

	lalloc_gstat_inc(errors_detected);
	lalloc_gstat_inc(freelist_corruptions);
	pr_err_ratelimited("%s: freelist corrupted (a free slot was written); %u free slots of the slab retired\n",
			   s->name, lost);
	/* Its free slots cannot be found, and what wrote there may write again. */
	lalloc_slab_retire(s, slab);
}

/**
 * lalloc_freelist_truncated() - a slab's freelist ended too early
 * @s: the cache
 * @slab: the slab, fewer slots in use than it has, and no free one listed
 *
 * A free slot's link was overwritten with zero (a write after free): the
 * remaining free slots cannot be found. Reported and the slab retired, as
 * for any other broken link.
 *
 * Context: under @s->lock.
 */
void lalloc_freelist_truncated(struct lalloc_cache *s, struct lalloc_slab *slab)
{
	freelist_corrupt(s, slab);
}

/**
 * lalloc_double_free_caught() - a free of the slot at its freelist's head
 * @s: the cache
 *
 * The slot is already free: linking it again would make it its own next,
 * handed out twice. It is left as it is. The free was counted when it was
 * pushed on a per-CPU stack (the fast path does not look); it is counted
 * again here as refused, which the stats' reads take out of the frees, so
 * the cache's frees and live objects stay exact.
 *
 * Context: under @s->lock, interrupts off (or on PREEMPT_RT, pinned).
 */
void lalloc_double_free_caught(struct lalloc_cache *s)
{
	lalloc_stat_inc(s, refused_frees);
	lalloc_gstat_inc(errors_detected);
	lalloc_gstat_inc(debug_double_frees);
	pr_err_ratelimited("%s: double free of a slot already free; ignored\n", s->name);
}

/**
 * lalloc_freeptr_get() - the slot after @slot on @slab's freelist
 * @s: the cache
 * @slab: the slab @slot is free in
 * @slot: a free slot
 *
 * A link that leads outside @slab or off a slot boundary is corruption:
 * it is reported, counted, the slab's remaining free slots are abandoned
 * and NULL is returned as if the list ended there.
 *
 * Context: under @s->lock.
 * Return: the next free slot, or NULL.
 */
void *lalloc_freeptr_get(struct lalloc_cache *s, struct lalloc_slab *slab,
			 void *slot)
{
	unsigned long next = *(unsigned long *)slot ^ freeptr_key(s, slot);
	unsigned long off = next - (unsigned long)slab->base;

	if (!next)
		return NULL;
	if (unlikely(off >= (unsigned long)slab->nr_objs * s->slot_size ||
		     off % s->slot_size)) {
		freelist_corrupt(s, slab);
		return NULL;
	}
	return (void *)next;
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_freeptr_get);

/**
 * lalloc_freelist_build() - chain every slot of a new slab
 * @s: the cache
 * @slab: the slab, its base and nr_objs set
 *
 * In address order, or with CONFIG_SLAB_FREELIST_RANDOM in the cache's
 * random order from a random starting point; a slab of a smaller order
 * than the cache's preferred one skips the indices it does not have.
 */
void lalloc_freelist_build(struct lalloc_cache *s, struct lalloc_slab *slab)
{
	unsigned int n = slab->nr_objs, i, k, idx, start;
	void *prev = NULL, *slot;

	slab->freelist = NULL;
	if (!s->random_seq) {
		for (i = n; i-- > 0; ) {
			slot = slab->base + (size_t)i * s->slot_size;
			lalloc_freeptr_set(s, slot, prev);
			prev = slot;
		}
		slab->freelist = prev;
		return;
	}
	start = get_random_u32_below(s->objs_per_slab);
	for (k = 0; k < s->objs_per_slab; k++) {
		idx = s->random_seq[(start + k) % s->objs_per_slab];
		if (idx >= n)
			continue;
		slot = slab->base + (size_t)idx * s->slot_size;
		lalloc_freeptr_set(s, slot, NULL);
		if (prev)
			lalloc_freeptr_set(s, prev, slot);
		else
			slab->freelist = slot;
		prev = slot;
	}
}

/**
 * lalloc_freelist_init() - draw a cache's freelist secrets
 * @s: the cache, its geometry set
 *
 * Return: 0, or -ENOMEM when the random order could not be allocated.
 */
int lalloc_freelist_init(struct lalloc_cache *s)
{
	unsigned int i, j;
	u16 tmp;

	s->freeptr_random = get_random_long();
	if (!IS_ENABLED(CONFIG_SLAB_FREELIST_RANDOM) || s->objs_per_slab < 2)
		return 0;
	/* u16 indices: a slab of order 5 has at most 16384 slots of 8 bytes. */
	BUILD_BUG_ON((PAGE_SIZE << LALLOC_MAX_SLAB_ORDER) / 8 > U16_MAX + 1);
	s->random_seq = kcalloc(s->objs_per_slab, sizeof(*s->random_seq), GFP_KERNEL);
	if (!s->random_seq)
		return -ENOMEM;
	for (i = 0; i < s->objs_per_slab; i++)
		s->random_seq[i] = i;
	/* Fisher-Yates. */
	for (i = s->objs_per_slab - 1; i > 0; i--) {
		j = get_random_u32_below(i + 1);
		tmp = s->random_seq[i];
		s->random_seq[i] = s->random_seq[j];
		s->random_seq[j] = tmp;
	}
	return 0;
}

/**
 * lalloc_freelist_exit() - free what lalloc_freelist_init() allocated
 * @s: the cache
 */
void lalloc_freelist_exit(struct lalloc_cache *s)
{
	kfree(s->random_seq);
	s->random_seq = NULL;
}
