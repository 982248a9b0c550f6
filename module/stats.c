// SPDX-License-Identifier: GPL-2.0
/*
 * Reading the counters: every CPU's copy summed. Writers never share a cache
 * line, so a read is a walk over the possible CPUs and nothing else.
 */
#include <linux/export.h>
#include <kunit/visibility.h>

#include "internal.h"

#define SUM_FIELD(dst, src, field)	((dst)->field += (src)->field)

/**
 * lalloc_cache_stats_read() - a cache's counters summed over all CPUs
 * @s: the cache
 * @sum: filled in
 */
void lalloc_cache_stats_read(struct lalloc_cache *s,
			     struct lalloc_cpu_stats *sum)
{
	unsigned int cpu;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct lalloc_cpu_stats *c =
			&per_cpu_ptr(s->cpu, cpu)->stat;

		SUM_FIELD(sum, c, fast_allocs);
		SUM_FIELD(sum, c, fast_frees);
		SUM_FIELD(sum, c, slow_allocs);
		SUM_FIELD(sum, c, slow_frees);
		SUM_FIELD(sum, c, requested_bytes);
		SUM_FIELD(sum, c, slabs_allocated);
		SUM_FIELD(sum, c, slabs_freed);
		SUM_FIELD(sum, c, grow_in_place);
		SUM_FIELD(sum, c, grow_moved);
		SUM_FIELD(sum, c, shrink_in_place);
		SUM_FIELD(sum, c, shrink_moved);
		SUM_FIELD(sum, c, failures);
	}
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_cache_stats_read);

/**
 * lalloc_global_stats_read() - the global counters summed over all CPUs
 * @sum: filled in
 */
void lalloc_global_stats_read(struct lalloc_global_stats *sum)
{
	unsigned int cpu, order;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const struct lalloc_global_stats *g = per_cpu_ptr(lalloc_gstats, cpu);

		SUM_FIELD(sum, g, large_allocs);
		SUM_FIELD(sum, g, large_frees);
		SUM_FIELD(sum, g, large_pages);
		SUM_FIELD(sum, g, large_requested_bytes);
		SUM_FIELD(sum, g, vmalloc_allocs);
		SUM_FIELD(sum, g, vmalloc_frees);
		SUM_FIELD(sum, g, vmalloc_bytes);
		SUM_FIELD(sum, g, vmalloc_requested_bytes);
		for (order = 0; order <= LALLOC_MAX_SLAB_ORDER; order++)
			SUM_FIELD(sum, g, page_allocs[order]);
		SUM_FIELD(sum, g, shrinker_scans);
		SUM_FIELD(sum, g, shrinker_pages);
		SUM_FIELD(sum, g, invalid_layouts);
		SUM_FIELD(sum, g, failures);
	}
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_global_stats_read);

/**
 * lalloc_pages_held() - pages lalloc holds from the page allocator and vmalloc
 *
 * Return: pages in slabs, page blocks and vmalloc blocks.
 */
unsigned long lalloc_pages_held(void)
{
	struct lalloc_global_stats g;
	unsigned long pages = 0;
	unsigned int i;

	for (i = 0; i < LALLOC_NR_CLASSES; i++)
		pages += READ_ONCE(lalloc_caches[i].pages);
	lalloc_global_stats_read(&g);
	return pages + g.large_pages + (g.vmalloc_bytes >> PAGE_SHIFT);
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_pages_held);
