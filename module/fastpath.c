// SPDX-License-Identifier: GPL-2.0
/*
 * The fast path: lalloc_alloc() and lalloc_free() for layouts that fit a
 * slab class.
 *
 * Each cache keeps, per CPU, a small stack of free objects. Alloc pops and
 * free pushes under the CPU's local_lock with interrupts off, which makes the
 * path safe from any context (process, softirq, hard irq) without atomics
 * and without writing a cache line another CPU writes. An object may be
 * freed on any CPU: the stack holds free objects of the cache, not objects
 * "of this CPU", and their slab is found from the address when they go back.
 * An empty stack is refilled from the cache's slabs and a full one flushed
 * to them (slowpath.c); only those take the cache's spinlock.
 *
 * The kernel's init_on_alloc and init_on_free apply as in SLUB: with the
 * first every object is zeroed when it is allocated, with the second when
 * it is freed, before it goes anywhere. Both are static keys: when they
 * are off the paths test nothing more than __GFP_ZERO.
 */
#include <linux/export.h>
#include <linux/sched/mm.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#include <kunit/visibility.h>

#include "internal.h"

#define LALLOC_ZST_BASE	0xdead000000000000UL

/*
 * want_init_on_alloc() and want_init_on_free(), with the branches laid out
 * for the options off whatever the kernel's default (static_branch_maybe()
 * makes a default-on option cost a jump on every call when it is off).
 */
static __always_inline bool lalloc_init_on_alloc(gfp_t gfp)
{
	return static_branch_unlikely(&init_on_alloc) ||
	       unlikely(gfp & __GFP_ZERO);
}

static __always_inline bool lalloc_init_on_free(void)
{
	return static_branch_unlikely(&init_on_free);
}

/**
 * lalloc_zst() - the pointer a zero-size layout of alignment @align gets
 * @align: a power of two
 *
 * The address is aligned to @align and non-canonical on x86-64 with 4- or
 * 5-level paging, so it is never a user or kernel mapping and any access
 * faults: addresses in [2^57, 2^64 - 2^56) are never canonical.
 *
 * Return: the zero-size block.
 */
void *lalloc_zst(size_t align)
{
	if (align >= (1UL << 57))
		return (void *)align;
	return (void *)ALIGN(LALLOC_ZST_BASE, align);
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_zst);

/* Zero-size, large, vmalloc and invalid layouts. */
static noinline void *alloc_unusual(struct lalloc_layout l, gfp_t gfp,
				    u32 *origin)
{
	if (!lalloc_layout_valid(l)) {
		lalloc_gstat_inc(invalid_layouts);
		return NULL;
	}
	if (!l.size) {
		if (origin)
			*origin = LALLOC_ORIGIN_ZST;
		return lalloc_zst(l.align);
	}
	if (lalloc_should_fail(gfp))
		return NULL;
	/* Pages and vmalloc honour __GFP_ZERO and init_on_* themselves. */
	return lalloc_large_alloc(l, gfp, origin);
}

/* Take the top of this CPU's stack. Under its local lock. */
static __always_inline void *cpu_pop(struct lalloc_cpu_cache *c, size_t size)
{
	void *obj = c->objs[--c->count];

	c->stat.fast_allocs++;
	c->stat.requested_bytes += size;
	lalloc_cpu_forget(c, c->count, 1);
	return obj;
}

/* The per-CPU stack was empty: refill it from slabs, or make a new slab. */
static noinline void *alloc_slow(struct lalloc_cache *s, size_t size,
				 gfp_t gfp, u32 *origin)
{
	struct lalloc_cpu_cache *c;
	unsigned long flags;
	void *obj;

	if (lalloc_should_fail(gfp))
		return NULL;

	local_lock_irqsave(&s->cpu->lock, flags);
	c = this_cpu_ptr(s->cpu);
	if (unlikely(c->count)) {
		/* Migrated since the miss, to a CPU whose stack has objects. */
		obj = cpu_pop(c, size);
		local_unlock_irqrestore(&s->cpu->lock, flags);
		if (origin)
			*origin = LALLOC_ORIGIN_CPU_CACHE;
		return obj;
	}
	obj = lalloc_refill(s, c);
	if (obj) {
		c->stat.slow_allocs++;
		c->stat.requested_bytes += size;
		local_unlock_irqrestore(&s->cpu->lock, flags);
		if (origin)
			*origin = LALLOC_ORIGIN_PARTIAL_SLAB;
		return obj;
	}
	local_unlock_irqrestore(&s->cpu->lock, flags);

	/* No free slot anywhere: the page allocator, with the caller's gfp. */
	obj = lalloc_new_slab_alloc(s, gfp);
	if (!obj)
		return NULL;
	lalloc_stat_inc(s, slow_allocs);
	lalloc_stat_add(s, requested_bytes, size);
	if (origin)
		*origin = LALLOC_ORIGIN_NEW_SLAB;
	return obj;
}

static __always_inline void *alloc_inline(struct lalloc_layout l, gfp_t gfp,
					  u32 *origin)
{
	size_t mask = l.align - 1, padded;
	struct lalloc_cache *s;
	struct lalloc_cpu_cache *c;
	unsigned long flags;
	void *obj;

	/* Debug kernels catch sleeping allocations in atomic context here. */
	if (IS_ENABLED(CONFIG_DEBUG_ATOMIC_SLEEP))
		might_alloc(gfp);

	/*
	 * One compare sends every unusual layout to alloc_unusual(): size 0
	 * (padded - 1 wraps), past the slab classes, and the overflow or
	 * zero alignment that pads to 0. A non-power-of-two alignment is
	 * caught by the first test.
	 */
	padded = (l.size + mask) & ~mask;
	if (unlikely((l.align & mask) || padded - 1 >= LALLOC_MAX_SLOT))
		return alloc_unusual(l, gfp, origin);

	s = lalloc_cache_of(padded);
	local_lock_irqsave(&s->cpu->lock, flags);
	c = this_cpu_ptr(s->cpu);
	if (unlikely(!c->count)) {
		local_unlock_irqrestore(&s->cpu->lock, flags);
		obj = alloc_slow(s, l.size, gfp, origin);
		if (unlikely(!obj))
			return NULL;
	} else {
		obj = cpu_pop(c, l.size);
		local_unlock_irqrestore(&s->cpu->lock, flags);
		if (origin)
			*origin = LALLOC_ORIGIN_CPU_CACHE;
	}
	/* __GFP_ZERO, or init_on_alloc: the whole slot, not just l.size. */
	if (lalloc_init_on_alloc(gfp))
		memset(obj, 0, s->slot_size);
	lalloc_san_obj_alloc(obj, l.size, s->slot_size, gfp);
	return obj;
}

/*
 * The cache of a slab layout whose cache has debug checks, else NULL; for
 * a block @p being freed, also when @p lives in a debug slab whatever
 * cache the layout names (debug.c then reports the mismatch).
 */
static struct lalloc_cache *debug_cache_of(struct lalloc_layout l, const void *p)
{
	size_t mask = l.align - 1, padded = (l.size + mask) & ~mask;
	struct lalloc_cache *s;
	struct lalloc_slab *slab;

	if ((l.align & mask) || padded - 1 >= LALLOC_MAX_SLOT)
		return NULL;
	s = lalloc_cache_of(padded);
	if (READ_ONCE(s->debug_flags))
		return s;
	if (!p)
		return NULL;
	slab = lalloc_slab_of(p);
	return slab && slab->dbg ? s : NULL;
}

/*
 * lalloc_alloc() while latency_stats or a debug check is on. Whether the
 * call is timed is decided once, here, so a switch meanwhile never pairs
 * a start with no end.
 */
static noinline void *hooked_alloc(struct lalloc_layout l, gfp_t gfp,
				   u32 *origin)
{
	bool timed = READ_ONCE(lalloc_latency_stats);
	u64 t0 = timed ? ktime_get_ns() : 0;
	struct lalloc_cache *s = debug_cache_of(l, NULL);
	void *p;

	if (s)
		p = lalloc_debug_alloc(s, l.size, gfp, origin);
	else
		p = alloc_inline(l, gfp, origin);
	if (timed)
		lalloc_latency_alloc(ktime_get_ns() - t0);
	return p;
}

/**
 * lalloc_alloc() - allocate a block for a layout
 * @l: size and alignment; size 0 gives a zero-size block
 * @gfp: allocation flags (GFP_KERNEL, GFP_ATOMIC, ... ; __GFP_ZERO zeroes)
 *
 * The block is zeroed when @gfp has __GFP_ZERO or the kernel runs with
 * init_on_alloc; otherwise it holds what its last user left there (never
 * lalloc's own bookkeeping).
 *
 * Context: any context @gfp allows, hard and soft interrupts included.
 * Blocks past 4 MiB come from vmalloc and need a @gfp that may sleep: a
 * non-blocking request for one gets NULL.
 * Return: a block aligned to @l.align holding at least @l.size bytes, or
 * NULL when memory is short or @l is not a valid layout.
 */
void *lalloc_alloc(struct lalloc_layout l, gfp_t gfp)
{
	if (lalloc_hooks_on())
		return hooked_alloc(l, gfp, NULL);
	return alloc_inline(l, gfp, NULL);
}
EXPORT_SYMBOL_GPL(lalloc_alloc);

/**
 * lalloc_alloc_zeroed() - allocate a zero-filled block for a layout
 * @l: size and alignment
 * @gfp: allocation flags
 *
 * The whole usable block (lalloc_usable_size()) is zeroed.
 *
 * Context: as lalloc_alloc().
 * Return: as lalloc_alloc().
 */
void *lalloc_alloc_zeroed(struct lalloc_layout l, gfp_t gfp)
{
	if (lalloc_hooks_on())
		return hooked_alloc(l, gfp | __GFP_ZERO, NULL);
	return alloc_inline(l, gfp | __GFP_ZERO, NULL);
}
EXPORT_SYMBOL_GPL(lalloc_alloc_zeroed);

/* lalloc_alloc() that also says where the block came from. */
void *__lalloc_alloc(struct lalloc_layout l, gfp_t gfp,
		     u32 *origin)
{
	if (lalloc_hooks_on())
		return hooked_alloc(l, gfp, origin);
	return alloc_inline(l, gfp, origin);
}
EXPORT_SYMBOL_IF_KUNIT(__lalloc_alloc);

/*
 * A free whose layout names another kind of block than @p is (a slab object
 * freed as pages, a page block as a slab object, ...). Freeing it by the
 * layout would corrupt the allocator: the block is left alone, leaked, and
 * counted. No address is printed.
 */
static noinline void free_mismatch(struct lalloc_layout l)
{
	lalloc_gstat_inc(errors_detected);
	pr_warn_ratelimited("free with a layout (size %zu, align %zu) that does not match its block; block leaked\n",
			    l.size, l.align);
}

static noinline void free_unusual(void *p, struct lalloc_layout l)
{
	switch (lalloc_kind_of(l)) {
	case LALLOC_KIND_INVALID:
		lalloc_gstat_inc(invalid_layouts);
		return;
	case LALLOC_KIND_ZST:
		return;
	case LALLOC_KIND_SLAB:	/* unreachable: slab layouts take the fast path */
		return;
	case LALLOC_KIND_PAGES:
		/* Page blocks are in the direct map, and never slab pages. */
		if (is_vmalloc_addr(p) || lalloc_slab_of(p))
			free_mismatch(l);
		else
			lalloc_large_free(p, l);
		return;
	case LALLOC_KIND_VMALLOC:
		if (!is_vmalloc_addr(p))
			free_mismatch(l);
		else
			lalloc_vmalloc_free(p, l);
		return;
	}
}

/* The per-CPU stack is full: flush a batch to the slabs, then push @p. */
static noinline void free_slow(struct lalloc_cache *s, void *p, size_t size)
{
	struct lalloc_cpu_cache *c;
	unsigned long flags;
	LIST_HEAD(to_free);

	local_lock_irqsave(&s->cpu->lock, flags);
	c = this_cpu_ptr(s->cpu);
	if (c->count >= s->cpu_limit)
		lalloc_flush(s, c, s->batch, &to_free);
	c->objs[c->count++] = p;
	c->stat.slow_frees++;
	c->stat.requested_bytes -= size;
	local_unlock_irqrestore(&s->cpu->lock, flags);

	/* Surplus empty slabs go back to the page allocator outside the locks. */
	lalloc_free_slabs(s, &to_free);
}

/* Push @p onto this CPU's stack of @s, flushing the stack if it is full. */
static __always_inline void cpu_push(struct lalloc_cache *s, void *p,
				     size_t size)
{
	struct lalloc_cpu_cache *c;
	unsigned long flags;

	local_lock_irqsave(&s->cpu->lock, flags);
	c = this_cpu_ptr(s->cpu);
	if (unlikely(c->count >= s->cpu_limit)) {
		local_unlock_irqrestore(&s->cpu->lock, flags);
		free_slow(s, p, size);
		return;
	}
	c->objs[c->count++] = p;
	c->stat.fast_frees++;
	c->stat.requested_bytes -= size;
	local_unlock_irqrestore(&s->cpu->lock, flags);
}

/*
 * init_on_free: nothing of the block outlives the free. Out of line, so
 * that the fast path keeps nothing live across the memset().
 */
static noinline void free_zeroed(struct lalloc_cache *s, void *p, size_t size)
{
	memset(p, 0, s->slot_size);
	cpu_push(s, p, size);
}

/* The fast path of lalloc_free(). */
static __always_inline void free_inline(void *p, struct lalloc_layout l)
{
	size_t mask = l.align - 1, padded;
	struct lalloc_slab *slab;
	struct lalloc_cache *s;

	padded = (l.size + mask) & ~mask;
	if (unlikely(!p || (l.align & mask) || padded - 1 >= LALLOC_MAX_SLOT)) {
		if (p)
			free_unusual(p, l);
		return;
	}

	slab = lalloc_slab_of(p);
	if (unlikely(!slab)) {
		/* A page block (its pages have no slab) freed as a slab object. */
		free_mismatch(l);
		return;
	}
	s = slab->cache;
	lalloc_san_obj_free(p, s->slot_size);
	if (lalloc_init_on_free()) {
		free_zeroed(s, p, l.size);
		return;
	}
	cpu_push(s, p, l.size);
}

/* lalloc_free() while latency_stats or a debug check is on. */
static noinline void hooked_free(void *p, struct lalloc_layout l)
{
	bool timed = READ_ONCE(lalloc_latency_stats);
	u64 t0 = timed ? ktime_get_ns() : 0;
	struct lalloc_cache *s = p ? debug_cache_of(l, p) : NULL;

	if (!s || !lalloc_debug_free(s, p, l))
		free_inline(p, l);
	if (timed)
		lalloc_latency_free(ktime_get_ns() - t0);
}

/**
 * lalloc_free() - free a block
 * @p: the block; NULL is ignored
 * @l: the layout it was allocated or last resized with
 *
 * The owning cache is found from @p's address, so a block shrunk in place
 * is freed with its new layout. An invalid @l frees nothing and is counted
 * in the invalid_layouts statistic. With the kernel's init_on_free the
 * block is zeroed first.
 *
 * Context: any context.
 */
void lalloc_free(void *p, struct lalloc_layout l)
{
	if (lalloc_hooks_on()) {
		hooked_free(p, l);
		return;
	}
	free_inline(p, l);
}
EXPORT_SYMBOL_GPL(lalloc_free);
