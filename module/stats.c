// SPDX-License-Identifier: GPL-2.0
/*
 * Reading the counters: every CPU's copy summed. Writers never share a cache
 * line, so a read is a walk over the possible CPUs and nothing else.
 *
 * Counters (allocs, frees, slabs allocated, ...) can be reset; gauges (live
 * objects and bytes, pages held) cannot. A reset does not touch the per-CPU
 * counters: it records their sums as a baseline that reads subtract, so
 * gauges derived from the raw sums stay exact.
 *
 * What a read guarantees, with allocations running on every CPU:
 *
 * - A counter is never below its baseline. The baselines change under
 *   base_seq, a seqcount tied to the reset mutex: a reader copies the
 *   baseline it subtracts whole (retrying if a reset wrote it meanwhile)
 *   and only then sums the per-CPU words. Every per-CPU word only grows,
 *   and the baseline was summed from the same words before the reader's
 *   copy, so each word the reader adds is at least what the baseline holds.
 * - active_objs is never negative: the frees are summed over every CPU
 *   first, the allocations after (smp_rmb() between). A free counted in the
 *   first pass happened after its allocation, which the second pass, later,
 *   counts too.
 * - A double free that a slab refused (slab_push()) was counted as a free by
 *   the per-CPU stack that took it (frees count calls, and only grow); the
 *   slab counts it again in refused_frees, which active_objs adds back, so
 *   the live objects stay exact. requested_bytes is not corrected: the
 *   refused free's size is not known at the slab, so it reads lower by that
 *   size, as after any free naming more than was asked.
 * - Byte and page gauges are signed per-CPU sums: a block allocated on a
 *   CPU already summed and freed on one not yet summed makes a sum too small
 *   by its size, below zero when little is live. Reads clamp them at zero.
 */
#include <linux/export.h>
#include <linux/mutex.h>
#include <linux/seqlock.h>
#include <kunit/visibility.h>

#include "internal.h"

static DEFINE_MUTEX(lalloc_reset_lock);
static seqcount_mutex_t base_seq = SEQCNT_MUTEX_ZERO(base_seq, &lalloc_reset_lock);
static struct lalloc_cpu_stats cache_base[LALLOC_NR_CLASSES];
static struct lalloc_global_stats global_base;
/* A reset's new baselines, summed outside base_seq's write section. */
static struct lalloc_cpu_stats cache_next[LALLOC_NR_CLASSES];

atomic_long_t lalloc_held_pages = ATOMIC_LONG_INIT(0);
/* Pages of slabs kept out of service for a detected corruption. */
atomic_long_t lalloc_quarantine_pages = ATOMIC_LONG_INIT(0);
static atomic_long_t held_pages_hwm = ATOMIC_LONG_INIT(0);
static atomic_long_t requested_hwm = ATOMIC_LONG_INIT(0);

static void atomic_long_max(atomic_long_t *max, long v)
{
	long cur = atomic_long_read(max);

	while (v > cur && !atomic_long_try_cmpxchg(max, &cur, v))
		;
}

/**
 * lalloc_account_pages() - pages taken from (+) or given back to (-) the kernel
 * @delta: page count
 *
 * Called on the slow paths only, so the high-water mark is exact.
 */
void lalloc_account_pages(long delta)
{
	long now = atomic_long_add_return(delta, &lalloc_held_pages);

	if (delta > 0)
		atomic_long_max(&held_pages_hwm, now);
}

/*
 * Both counter structs are arrays of 64-bit words in disguise: summing and
 * subtracting baselines go word by word. Gauges are signed words; two's
 * complement makes the same additions right for them.
 */
#define NR_WORDS(type)	(sizeof(type) / sizeof(u64))

static void add_words(void *dst, const void *src, size_t n)
{
	u64 *d = dst;
	const u64 *v = src;
	size_t i;

	for (i = 0; i < n; i++)
		d[i] += READ_ONCE(v[i]);
}

static void sub_words(void *dst, const void *src, size_t n)
{
	u64 *d = dst;
	const u64 *v = src;
	size_t i;

	for (i = 0; i < n; i++)
		d[i] -= v[i];
}

static void cache_stats_pass(struct lalloc_cache *s, struct lalloc_cpu_stats *sum)
{
	unsigned int cpu;

	BUILD_BUG_ON(sizeof(*sum) % sizeof(u64));
	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu)
		add_words(sum, &per_cpu_ptr(s->cpu, cpu)->stat, NR_WORDS(*sum));
}

/* Raw sums, frees taken before allocations: allocs >= frees. */
static void cache_stats_raw(struct lalloc_cache *s, struct lalloc_cpu_stats *sum)
{
	struct lalloc_cpu_stats frees;

	cache_stats_pass(s, &frees);
	smp_rmb();	/* frees summed before allocs */
	cache_stats_pass(s, sum);
	sum->fast_frees = frees.fast_frees;
	sum->slow_frees = frees.slow_frees;
	sum->refused_frees = frees.refused_frees;
}

static void global_stats_pass(struct lalloc_global_stats *sum)
{
	unsigned int cpu;

	BUILD_BUG_ON(sizeof(*sum) % sizeof(u64));
	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu)
		add_words(sum, per_cpu_ptr(lalloc_gstats, cpu), NR_WORDS(*sum));
}

static void global_stats_raw(struct lalloc_global_stats *sum)
{
	struct lalloc_global_stats frees;

	global_stats_pass(&frees);
	smp_rmb();	/* frees summed before allocs */
	global_stats_pass(sum);
	sum->large_frees = frees.large_frees;
	sum->vmalloc_frees = frees.vmalloc_frees;
}

static s64 clamp_gauge(s64 v)
{
	return max_t(s64, v, 0);
}

/**
 * lalloc_cache_stats_read() - a cache's counters summed over all CPUs
 * @s: the cache
 * @sum: filled in; counters since the last reset, requested_bytes live
 *	 (never negative: see the top of stats.c)
 */
void lalloc_cache_stats_read(struct lalloc_cache *s, struct lalloc_cpu_stats *sum)
{
	struct lalloc_cpu_stats base;
	unsigned int seq;

	do {
		seq = read_seqcount_begin(&base_seq);
		base = cache_base[s - lalloc_caches];
	} while (read_seqcount_retry(&base_seq, seq));
	cache_stats_raw(s, sum);
	sub_words(sum, &base, NR_WORDS(*sum));
	sum->requested_bytes = clamp_gauge(sum->requested_bytes);
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_cache_stats_read);

static void global_clamp(struct lalloc_global_stats *g)
{
	g->large_pages = clamp_gauge(g->large_pages);
	g->large_requested_bytes = clamp_gauge(g->large_requested_bytes);
	g->vmalloc_bytes = clamp_gauge(g->vmalloc_bytes);
	g->vmalloc_requested_bytes = clamp_gauge(g->vmalloc_requested_bytes);
}

/**
 * lalloc_global_stats_read() - the global counters summed over all CPUs
 * @sum: filled in; counters since the last reset, gauges live (never
 *	 negative: see the top of stats.c)
 */
void lalloc_global_stats_read(struct lalloc_global_stats *sum)
{
	struct lalloc_global_stats base;
	unsigned int seq;

	do {
		seq = read_seqcount_begin(&base_seq);
		base = global_base;
	} while (read_seqcount_retry(&base_seq, seq));
	global_stats_raw(sum);
	sub_words(sum, &base, NR_WORDS(*sum));
	global_clamp(sum);
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_global_stats_read);

/*
 * Live objects of a cache from raw sums, never reset, never negative. A
 * free its slab refused (a double free) freed nothing: added back. It is
 * summed with the frees, and counted after the free it refuses, so adding
 * it never takes the result below zero.
 */
static u64 cache_active(const struct lalloc_cpu_stats *raw)
{
	return raw->fast_allocs + raw->slow_allocs + raw->refused_frees -
	       raw->fast_frees - raw->slow_frees;
}

/* requested_bytes of lalloc_stats, summed now. */
static u64 requested_now(void)
{
	struct lalloc_global_stats g;
	struct lalloc_cpu_stats c;
	u64 sum = 0;
	unsigned int i;

	for (i = 0; i < LALLOC_NR_CLASSES; i++) {
		cache_stats_pass(&lalloc_caches[i], &c);
		sum += clamp_gauge(c.requested_bytes);
	}
	global_stats_pass(&g);
	global_clamp(&g);
	return sum + g.large_requested_bytes + g.vmalloc_requested_bytes;
}

/**
 * lalloc_stats_reset() - zero every counter that is not a live gauge
 *
 * Counters restart from zero, per cache and globally; live gauges
 * (active_objs, the byte figures) are left as they are. Both high-water
 * marks restart from the current values. Reads running meanwhile see
 * either the old baselines or the new ones, never a mix.
 *
 * Context: process context (takes a mutex).
 */
void lalloc_stats_reset(void)
{
	struct lalloc_global_stats gnext;
	unsigned int i;

	mutex_lock(&lalloc_reset_lock);
	/* A gauge's baseline stays zero: reads see it whole. */
	for (i = 0; i < LALLOC_NR_CLASSES; i++) {
		cache_stats_pass(&lalloc_caches[i], &cache_next[i]);
		cache_next[i].requested_bytes = 0;
	}
	global_stats_pass(&gnext);
	gnext.large_pages = 0;
	gnext.large_requested_bytes = 0;
	gnext.vmalloc_bytes = 0;
	gnext.vmalloc_requested_bytes = 0;

	write_seqcount_begin(&base_seq);
	memcpy(cache_base, cache_next, sizeof(cache_base));
	global_base = gnext;
	write_seqcount_end(&base_seq);

	atomic_long_set(&held_pages_hwm, atomic_long_read(&lalloc_held_pages));
	atomic_long_set(&requested_hwm, requested_now());
	mutex_unlock(&lalloc_reset_lock);
	lalloc_latency_reset();
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_stats_reset);

/**
 * lalloc_cache_record() - one cache's figures, as userspace sees them
 * @s: the cache
 * @r: filled in
 */
void lalloc_cache_record(struct lalloc_cache *s, struct lalloc_cache_stats *r)
{
	struct lalloc_cpu_stats c, raw;
	unsigned long flags;

	memset(r, 0, sizeof(*r));
	lalloc_cache_stats_read(s, &c);
	r->index = s - lalloc_caches;
	r->slot_size = s->slot_size;
	r->align = 1U << __ffs(s->slot_size);
	r->objs_per_slab = s->objs_per_slab;
	r->order = s->order;
	r->cpu_limit = s->cpu_limit;

	spin_lock_irqsave(&s->lock, flags);
	r->slabs_empty = s->nr_slabs[LALLOC_SLAB_EMPTY];
	r->slabs_partial = s->nr_slabs[LALLOC_SLAB_PARTIAL];
	r->slabs_full = s->nr_slabs[LALLOC_SLAB_FULL];
	r->pages = s->pages;
	r->total_objs = s->total_objs;
	spin_unlock_irqrestore(&s->lock, flags);

	cache_stats_raw(s, &raw);
	r->active_objs = cache_active(&raw);
	r->fast_allocs = c.fast_allocs;
	r->fast_frees = c.fast_frees;
	r->slow_allocs = c.slow_allocs;
	r->slow_frees = c.slow_frees;
	r->allocs = c.fast_allocs + c.slow_allocs;
	r->frees = c.fast_frees + c.slow_frees;
	r->slabs_allocated = c.slabs_allocated;
	r->slabs_freed = c.slabs_freed;
	r->grow_in_place = c.grow_in_place;
	r->grow_moved = c.grow_moved;
	r->shrink_in_place = c.shrink_in_place;
	r->shrink_moved = c.shrink_moved;
	r->failures = c.failures;
	r->requested_bytes = c.requested_bytes;
	r->reserved_bytes = r->active_objs * s->slot_size;
	r->held_bytes = r->pages << PAGE_SHIFT;
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_cache_record);

/**
 * lalloc_pages_held() - pages lalloc holds from the page allocator and vmalloc
 *
 * Return: pages in slabs, page blocks and vmalloc blocks.
 */
unsigned long lalloc_pages_held(void)
{
	return atomic_long_read(&lalloc_held_pages);
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_pages_held);

/**
 * lalloc_quarantined_pages() - pages of slabs a detected corruption retired
 *
 * Such a slab is never given back: a stale pointer may still write to it.
 * They are part of lalloc_pages_held().
 *
 * Return: the pages.
 */
unsigned long lalloc_quarantined_pages(void)
{
	return atomic_long_read(&lalloc_quarantine_pages);
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_quarantined_pages);

/**
 * lalloc_stats_fill() - the global figures, as userspace sees them
 * @st: filled in, except its caches array fields
 *
 * requested_bytes_hwm is sampled: the highest requested_bytes any call of
 * this function computed since the last reset (which restarts it from the
 * value then). Peaks between two reads are missed.
 */
void lalloc_stats_fill(struct lalloc_stats *st)
{
	struct lalloc_global_stats g, raw;
	u64 slots_total = 0, slot_pages = 0, slab_active = 0;
	unsigned int i;

	lalloc_global_stats_read(&g);
	for (i = 0; i < LALLOC_NR_CLASSES; i++) {
		struct lalloc_cache_stats r;

		lalloc_cache_record(&lalloc_caches[i], &r);
		st->requested_bytes += r.requested_bytes;
		st->reserved_bytes += r.reserved_bytes;
		slab_active += r.active_objs;
		st->allocs += r.allocs;
		st->frees += r.frees;
		st->fast_allocs += r.fast_allocs;
		st->slow_allocs += r.slow_allocs;
		slots_total += r.total_objs;
		slot_pages += r.pages;
	}
	st->slab_bytes = slot_pages << PAGE_SHIFT;
	st->large_bytes = (u64)g.large_pages << PAGE_SHIFT;
	st->vmalloc_bytes = g.vmalloc_bytes;
	st->requested_bytes += g.large_requested_bytes + g.vmalloc_requested_bytes;
	st->reserved_bytes += st->large_bytes + st->vmalloc_bytes;
	/* Live blocks from the raw sums, which a reset leaves alone. */
	global_stats_raw(&raw);
	st->active_objs = slab_active + (raw.large_allocs - raw.large_frees) +
			  (raw.vmalloc_allocs - raw.vmalloc_frees);
	st->held_bytes = (u64)atomic_long_read(&lalloc_held_pages) << PAGE_SHIFT;
	atomic_long_max(&requested_hwm, st->requested_bytes);
	st->requested_bytes_hwm = atomic_long_read(&requested_hwm);
	st->held_bytes_hwm = (u64)atomic_long_read(&held_pages_hwm) << PAGE_SHIFT;
	st->allocs += g.large_allocs + g.vmalloc_allocs;
	st->frees += g.large_frees + g.vmalloc_frees;
	st->large_allocs = g.large_allocs;
	st->large_frees = g.large_frees;
	st->vmalloc_allocs = g.vmalloc_allocs;
	st->vmalloc_frees = g.vmalloc_frees;
	for (i = 0; i < ARRAY_SIZE(st->page_allocs); i++)
		st->page_allocs[i] = g.page_allocs[i];
	st->shrinker_scans = g.shrinker_scans;
	st->shrinker_pages = g.shrinker_pages;
	st->invalid_layouts = g.invalid_layouts;
	st->failures = g.failures;
	st->errors_detected = g.errors_detected + g.invalid_layouts;
	st->freelist_corruptions = g.freelist_corruptions;
	st->debug_double_frees = g.debug_double_frees;
	st->debug_foreign_frees = g.debug_foreign_frees;
	st->debug_layout_mismatches = g.debug_layout_mismatches;
	st->debug_redzone_overwrites = g.debug_redzone_overwrites;
	st->debug_poison_overwrites = g.debug_poison_overwrites;
	st->quarantined_bytes = (u64)atomic_long_read(&lalloc_quarantine_pages) << PAGE_SHIFT;
	st->fragmentation_permille = lalloc_permille(st->reserved_bytes, st->requested_bytes);
	st->utilisation_permille = lalloc_permille(slab_active, slots_total);
	st->fast_hit_permille = lalloc_permille(st->fast_allocs, st->fast_allocs + st->slow_allocs);
	lalloc_device_stats(st);
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_stats_fill);
