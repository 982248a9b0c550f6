// SPDX-License-Identifier: GPL-2.0
/*
 * Under memory pressure, empty slabs go back to the page allocator. The
 * per-CPU stacks are drained first on a scan, so that slabs whose last
 * objects were only parked there become empty too.
 */
#include <linux/shrinker.h>
#include <kunit/visibility.h>

#include "internal.h"

/* Reachable from KUnit, which checks what the kernel would call. */
unsigned long lalloc_shrink_count(struct shrinker *shrink,
				  struct shrink_control *sc)
{
	unsigned long pages = lalloc_reclaimable_pages();

	return pages ? pages : SHRINK_EMPTY;
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_shrink_count);

unsigned long lalloc_shrink_scan(struct shrinker *shrink,
				 struct shrink_control *sc)
{
	unsigned long freed = 0;
	unsigned int i;

	lalloc_gstat_inc(shrinker_scans);
	/* Reclaim may run under the CPU hotplug lock: no lalloc_drain_all(). */
	lalloc_drain_online();
	for (i = 0; i < LALLOC_NR_CLASSES && freed < sc->nr_to_scan; i++)
		freed += lalloc_release_empty(&lalloc_caches[i],
					      sc->nr_to_scan - freed);
	lalloc_gstat_add(shrinker_pages, freed);
	return freed ? freed : SHRINK_STOP;
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_shrink_scan);

#if LALLOC_DYNAMIC_SHRINKER
static struct shrinker *lalloc_shrinker;

int lalloc_shrinker_init(void)
{
	lalloc_shrinker = shrinker_alloc(0, "lalloc");
	if (!lalloc_shrinker)
		return -ENOMEM;
	lalloc_shrinker->count_objects = lalloc_shrink_count;
	lalloc_shrinker->scan_objects = lalloc_shrink_scan;
	shrinker_register(lalloc_shrinker);
	return 0;
}

void lalloc_shrinker_exit(void)
{
	shrinker_free(lalloc_shrinker);
}
#else
static struct shrinker lalloc_shrinker = {
	.count_objects = lalloc_shrink_count,
	.scan_objects = lalloc_shrink_scan,
	.seeks = DEFAULT_SEEKS,
};

int lalloc_shrinker_init(void)
{
	return register_shrinker(&lalloc_shrinker, "lalloc");
}

void lalloc_shrinker_exit(void)
{
	unregister_shrinker(&lalloc_shrinker);
}
#endif
