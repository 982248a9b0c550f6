// SPDX-License-Identifier: GPL-2.0
/*
 * The slow path: slabs and their lists, and the page allocator behind them.
 *
 * A cache's slabs sit on one of three lists (empty, partial, full) by how
 * many of their slots are out of the slab: live or parked in a per-CPU
 * stack. The lists, the slab freelists and the counts are under the cache's
 * spinlock, which only this file takes. Free slots are chained through
 * their first word, which is cleared when a slot leaves its slab: no
 * object is ever handed out holding a kernel address.
 */
#include <linux/gfp.h>
#include <linux/kmemleak.h>
#include <linux/slab.h>
#include <kunit/visibility.h>

#include "internal.h"

unsigned int lalloc_empty_slabs_kept = 1;
EXPORT_SYMBOL_IF_KUNIT(lalloc_empty_slabs_kept);

/*
 * What a slab's pages are not allocated with: zeroing (objects are zeroed
 * one by one), compound pages, zones other than the direct map. A caller's
 * __GFP_ACCOUNT stays: the slab its allocation creates is charged to its
 * memory cgroup (slab-granular accounting; other objects may share it).
 */
#define LALLOC_SLAB_GFP_DROP \
	(__GFP_ZERO | __GFP_COMP | __GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM | \
	 __GFP_MOVABLE)

/* Slab metadata and kmemleak's bookkeeping: never charged to a caller. */
#define LALLOC_META_GFP_DROP	(LALLOC_SLAB_GFP_DROP | __GFP_ACCOUNT)

static enum lalloc_slab_state slab_state(const struct lalloc_slab *slab)
{
	if (!slab->inuse)
		return LALLOC_SLAB_EMPTY;
	if (slab->inuse == slab->nr_objs)
		return LALLOC_SLAB_FULL;
	return LALLOC_SLAB_PARTIAL;
}

/* Move @slab to the list its fill level calls for. Under s->lock. */
static void slab_relist(struct lalloc_cache *s, struct lalloc_slab *slab)
{
	enum lalloc_slab_state state = slab_state(slab);

	lockdep_assert_held(&s->lock);
	if (state == slab->state)
		return;
	s->nr_slabs[slab->state]--;
	s->nr_slabs[state]++;
	list_move(&slab->list, &s->slabs[state]);
	slab->state = state;
}

/**
 * lalloc_slab_pin() - keep a slab's pages while the module is loaded
 * @slab: a slab in which a corruption was detected
 *
 * Whatever wrote where it should not may still hold a pointer into the
 * slab, so its pages must never go back to the page allocator. The caller
 * makes sure the slab never becomes empty (a quarantined slot stays
 * counted in use); this counts its pages in quarantined_bytes, once.
 *
 * Context: under the slab's cache lock.
 */
void lalloc_slab_pin(struct lalloc_slab *slab)
{
	if (slab->pinned)
		return;
	slab->pinned = true;
	atomic_long_add(1L << slab->order, &lalloc_quarantine_pages);
}

/**
 * lalloc_slab_retire() - take a slab out of service for good
 * @s: its cache
 * @slab: a slab whose freelist was found corrupted
 *
 * Its free slots cannot be found any more: none of its slots is handed out
 * again, the slab counts all of them in use from now on, and a live object
 * freed later stays in it (lalloc_flush()). Its pages are pinned.
 *
 * Context: under @s->lock.
 */
void lalloc_slab_retire(struct lalloc_cache *s, struct lalloc_slab *slab)
{
	lockdep_assert_held(&s->lock);
	slab->freelist = NULL;
	slab->inuse = slab->nr_objs;
	slab->retired = true;
	lalloc_slab_pin(slab);
	if (!list_empty(&slab->list))	/* not while lalloc_new_slab_alloc() makes it */
		slab_relist(s, slab);
}

static unsigned long detach_empty(struct lalloc_cache *s, unsigned long keep,
				  struct list_head *to_free);

/* Put a free slot back on @slab's freelist. Under s->lock. */
static void slab_push(struct lalloc_cache *s, struct lalloc_slab *slab, void *obj)
{
	/* A retired slab hands nothing out again: the slot stays in it. */
	if (unlikely(slab->retired))
		return;
	/* Already the head: a double free would make it its own next. */
	if (unlikely(obj == slab->freelist)) {
		lalloc_double_free_caught(s);
		return;
	}
	lalloc_freeptr_set(s, obj, slab->freelist);
	slab->freelist = obj;
	slab->inuse--;
	slab_relist(s, slab);
}

/* Take a free slot off @slab's freelist, wiping the freelist word. */
static void *slab_pop(struct lalloc_cache *s, struct lalloc_slab *slab)
{
	void *obj = slab->freelist;

	slab->inuse++;
	slab->freelist = lalloc_freeptr_get(s, slab, obj);
	*(void **)obj = NULL;
	/* A list that ends before the count says: a free slot's link was zeroed. */
	if (unlikely(!slab->freelist && slab->inuse < slab->nr_objs))
		lalloc_freelist_truncated(s, slab);
	return obj;
}

/**
 * lalloc_refill() - take a batch of free slots from the cache's slabs
 * @s: the cache
 * @c: this CPU's stack, under its local lock (interrupts off, or on
 *	PREEMPT_RT a pinned task holding the lock)
 *
 * Partial slabs are used before empty ones so that empty slabs stay empty
 * and can be given back.
 *
 * Return: one slot for the caller (the rest go to @c), or NULL when the
 * cache has no free slot.
 */
void *lalloc_refill(struct lalloc_cache *s, struct lalloc_cpu_cache *c)
{
	void *ret = NULL;

	spin_lock(&s->lock);
	while (!ret || c->count < s->batch) {
		struct lalloc_slab *slab;

		slab = list_first_entry_or_null(&s->slabs[LALLOC_SLAB_PARTIAL],
						struct lalloc_slab, list);
		if (!slab)
			slab = list_first_entry_or_null(&s->slabs[LALLOC_SLAB_EMPTY],
							struct lalloc_slab, list);
		if (!slab)
			break;
		while (slab->freelist && (!ret || c->count < s->batch)) {
			if (!ret)
				ret = slab_pop(s, slab);
			else
				c->objs[c->count++] = slab_pop(s, slab);
		}
		slab_relist(s, slab);
	}
	spin_unlock(&s->lock);
	return ret;
}

/**
 * lalloc_slab_take() - one free slot from the cache's slabs, or NULL
 * @s: the cache, its lock held
 *
 * The per-CPU stacks left out: for debug.c, whose caches keep none.
 *
 * Return: the slot (its slab on the right list), or NULL.
 */
void *lalloc_slab_take(struct lalloc_cache *s)
{
	struct lalloc_slab *slab;
	void *obj = NULL;

	lockdep_assert_held(&s->lock);
	while (!obj) {
		slab = list_first_entry_or_null(&s->slabs[LALLOC_SLAB_PARTIAL],
						struct lalloc_slab, list);
		if (!slab)
			slab = list_first_entry_or_null(&s->slabs[LALLOC_SLAB_EMPTY],
							struct lalloc_slab, list);
		if (!slab)
			return NULL;
		if (slab->freelist)
			obj = slab_pop(s, slab);
		slab_relist(s, slab);
	}
	return obj;
}

/**
 * lalloc_slab_put() - put a slot back on its slab's freelist
 * @s: the cache, its lock held
 * @slab: the slot's slab
 * @obj: the slot
 * @to_free: receives empty slabs beyond the number kept (lalloc_free_slabs())
 */
void lalloc_slab_put(struct lalloc_cache *s, struct lalloc_slab *slab, void *obj,
		     struct list_head *to_free)
{
	lockdep_assert_held(&s->lock);
	slab_push(s, slab, obj);
	detach_empty(s, lalloc_empty_slabs_kept, to_free);
}

static struct page *slab_pages(struct lalloc_cache *s, gfp_t gfp,
			       unsigned int *order)
{
	struct page *page;

	gfp &= ~LALLOC_SLAB_GFP_DROP;
	if (s->order > s->min_order) {
		/* The preferred order is a wish: do not reclaim hard for it. */
		page = alloc_pages((gfp | __GFP_NOWARN | __GFP_NORETRY) &
				   ~__GFP_NOFAIL, s->order);
		if (page) {
			*order = s->order;
			return page;
		}
	}
	*order = s->min_order;
	return alloc_pages(gfp, s->min_order);
}

static struct lalloc_slab *slab_create(struct lalloc_cache *s, gfp_t gfp)
{
	struct lalloc_slab *slab;
	struct page *page;
	unsigned int order, i;

	slab = kmalloc(sizeof(*slab), gfp & ~LALLOC_META_GFP_DROP);
	if (!slab)
		return NULL;
	page = slab_pages(s, gfp, &order);
	if (!page) {
		kfree(slab);
		return NULL;
	}
	slab->cache = s;
	slab->base = page_address(page);
	slab->order = order;
	slab->nr_objs = (PAGE_SIZE << order) / s->slot_size;
	slab->inuse = 0;
	slab->state = LALLOC_SLAB_EMPTY;
	slab->retired = false;
	slab->pinned = false;
	slab->detached = false;
	slab->dbg = NULL;
	slab->dbg_flags = 0;
	INIT_LIST_HEAD(&slab->list);

	/* A cache with debug checks records every slot (and poisons them). */
	if (READ_ONCE(s->debug_flags) &&
	    lalloc_debug_slab_init(s, slab, gfp & ~LALLOC_META_GFP_DROP)) {
		__free_pages(page, order);
		kfree(slab);
		return NULL;
	}
	lalloc_freelist_build(s, slab);
	for (i = 0; i < (1U << order); i++)
		set_page_private(page + i, (unsigned long)slab);

	/* KASAN: every slot red zone until it is handed out (sanitizers.c). */
	lalloc_san_slab_new(slab, gfp & ~LALLOC_META_GFP_DROP);

	lalloc_stat_inc(s, slabs_allocated);
	lalloc_gstat_inc(page_allocs[order]);
	lalloc_account_pages(1L << order);
	return slab;
}

static void slab_destroy(struct lalloc_cache *s, struct lalloc_slab *slab)
{
	struct page *page = virt_to_page(slab->base);
	unsigned int i;

	lalloc_debug_slab_exit(slab);
	/* Only module exit gives back a pinned slab. */
	if (slab->pinned)
		atomic_long_sub(1L << slab->order, &lalloc_quarantine_pages);
	for (i = 0; i < (1U << slab->order); i++)
		set_page_private(page + i, 0);
	lalloc_san_slab_destroy(slab);
	__free_pages(page, slab->order);
	lalloc_account_pages(-(1L << slab->order));
	lalloc_stat_inc(s, slabs_freed);
	lalloc_slab_free_meta(slab);
}

/**
 * lalloc_new_slab_alloc() - allocate a slab and take one slot from it
 * @s: the cache
 * @gfp: the caller's flags; the page allocator may sleep if they allow
 *
 * Context: no lalloc lock held.
 * Return: the slot, or NULL when the page allocator failed.
 */
void *lalloc_new_slab_alloc(struct lalloc_cache *s, gfp_t gfp)
{
	struct lalloc_slab *slab = slab_create(s, gfp);
	unsigned long flags;
	void *obj;

	if (!slab) {
		lalloc_stat_inc(s, failures);
		return NULL;
	}
	spin_lock_irqsave(&s->lock, flags);
	obj = slab_pop(s, slab);
	slab->state = slab_state(slab);
	list_add(&slab->list, &s->slabs[slab->state]);
	s->nr_slabs[slab->state]++;
	s->pages += 1UL << slab->order;
	s->total_objs += slab->nr_objs;
	spin_unlock_irqrestore(&s->lock, flags);
	return obj;
}

/* Detach empty slabs beyond @keep onto @to_free. Under s->lock. */
static unsigned long detach_empty(struct lalloc_cache *s, unsigned long keep,
				  struct list_head *to_free)
{
	unsigned long pages = 0;

	while (s->nr_slabs[LALLOC_SLAB_EMPTY] > keep) {
		struct lalloc_slab *slab;

		slab = list_last_entry(&s->slabs[LALLOC_SLAB_EMPTY],
				       struct lalloc_slab, list);
		list_move(&slab->list, to_free);
		slab->detached = true;	/* debug.c's lookups see it going */
		s->nr_slabs[LALLOC_SLAB_EMPTY]--;
		s->pages -= 1UL << slab->order;
		s->total_objs -= slab->nr_objs;
		pages += 1UL << slab->order;
	}
	return pages;
}

/**
 * lalloc_flush() - return the @n oldest objects of a per-CPU stack to their slabs
 * @s: the cache
 * @c: this CPU's stack, under its local lock; or the stack of a CPU that
 *	is not running, under the caller's own local lock
 * @n: how many (at most c->count)
 * @to_free: receives empty slabs beyond the number kept, for the caller to
 *	free with lalloc_free_slabs() once it has dropped its locks
 */
void lalloc_flush(struct lalloc_cache *s, struct lalloc_cpu_cache *c,
		  unsigned int n, struct list_head *to_free)
{
	unsigned int i;

	n = min(n, c->count);
	spin_lock(&s->lock);
	for (i = 0; i < n; i++) {
		void *obj = c->objs[i];

		slab_push(s, lalloc_slab_of(obj), obj);
	}
	detach_empty(s, lalloc_empty_slabs_kept, to_free);
	spin_unlock(&s->lock);

	c->count -= n;
	memmove(c->objs, c->objs + n, c->count * sizeof(c->objs[0]));
	lalloc_cpu_forget(c, c->count, n);
}

/**
 * lalloc_free_slabs() - give detached slabs back to the page allocator
 * @s: their cache
 * @slabs: a list of slabs no longer on any list of @s
 */
void lalloc_free_slabs(struct lalloc_cache *s, struct list_head *slabs)
{
	struct lalloc_slab *slab, *next;

	list_for_each_entry_safe(slab, next, slabs, list) {
		list_del(&slab->list);
		slab_destroy(s, slab);
	}
}

/**
 * lalloc_release_empty() - free a cache's empty slabs
 * @s: the cache
 * @max: at most this many pages (ULONG_MAX: all)
 *
 * Return: the number of pages given back.
 */
unsigned long lalloc_release_empty(struct lalloc_cache *s, unsigned long max)
{
	unsigned long flags, pages = 0;
	LIST_HEAD(to_free);

	spin_lock_irqsave(&s->lock, flags);
	while (pages < max && s->nr_slabs[LALLOC_SLAB_EMPTY])
		pages += detach_empty(s, s->nr_slabs[LALLOC_SLAB_EMPTY] - 1,
				      &to_free);
	spin_unlock_irqrestore(&s->lock, flags);
	lalloc_free_slabs(s, &to_free);
	return pages;
}

/*
 * What a shrink could free: pages in empty slabs, plus, for slabs kept
 * non-empty only by objects parked in per-CPU stacks (which a scan drains
 * first), an estimate of the pages those objects pin. Racy reads are fine:
 * it is a hint to the shrinker core.
 */
unsigned long lalloc_reclaimable_pages(void)
{
	unsigned long pages = 0;
	unsigned int i, cpu;

	for (i = 0; i < LALLOC_NR_CLASSES; i++) {
		struct lalloc_cache *s = &lalloc_caches[i];
		unsigned long parked = 0, partial_pages = 0, flags;
		struct lalloc_slab *slab;

		for_each_possible_cpu(cpu)
			parked += READ_ONCE(per_cpu_ptr(s->cpu, cpu)->count);
		spin_lock_irqsave(&s->lock, flags);
		list_for_each_entry(slab, &s->slabs[LALLOC_SLAB_EMPTY], list)
			pages += 1UL << slab->order;
		list_for_each_entry(slab, &s->slabs[LALLOC_SLAB_PARTIAL], list)
			partial_pages += 1UL << slab->order;
		spin_unlock_irqrestore(&s->lock, flags);
		pages += min(partial_pages,
			     DIV_ROUND_UP(parked * s->slot_size,
					  PAGE_SIZE << s->order) << s->order);
	}
	return pages;
}

/**
 * lalloc_shrink_all() - drain every CPU, then free every empty slab
 *
 * Return: pages given back to the page allocator.
 */
unsigned long lalloc_shrink_all(void)
{
	unsigned long pages = 0;
	unsigned int i;

	lalloc_drain_all();
	for (i = 0; i < LALLOC_NR_CLASSES; i++)
		pages += lalloc_release_empty(&lalloc_caches[i], ULONG_MAX);
	/* vmalloc blocks freed where sleeping was not allowed, still mapped. */
	lalloc_vmalloc_flush();
	return pages;
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_shrink_all);
