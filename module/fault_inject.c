// SPDX-License-Identifier: GPL-2.0
/*
 * An injected failure point in every allocation that leaves the per-CPU
 * stacks (the slow path, pages, vmalloc), for testing the paths that handle
 * NULL. Controlled through /sys/kernel/debug/lalloc/fail_alloc/ like the
 * kernel's failslab (probability, interval, times, ...), and from KUnit.
 * With no fault injection in the kernel, it compiles to nothing.
 */
#include <linux/fault-inject.h>
#include <kunit/visibility.h>

#include "internal.h"

#ifdef CONFIG_FAULT_INJECTION
static DECLARE_FAULT_ATTR(lalloc_fail_attr);

/**
 * lalloc_should_fail() - whether this allocation is to fail on purpose
 * @gfp: its flags; __GFP_NOFAIL allocations never fail here
 *
 * Return: true to fail it.
 */
bool lalloc_should_fail(gfp_t gfp)
{
	if (gfp & __GFP_NOFAIL)
		return false;
	return should_fail(&lalloc_fail_attr, 1);
}

/**
 * lalloc_fault_set() - fail the next allocations that leave the CPU stacks
 * @times: how many to fail (0: stop failing)
 *
 * For tests; /sys/kernel/debug/lalloc/fail_alloc/ gives every knob.
 */
void lalloc_fault_set(int times)
{
	lalloc_fail_attr.probability = times ? 100 : 0;
	lalloc_fail_attr.interval = 1;
	lalloc_fail_attr.verbose = 0;
	atomic_set(&lalloc_fail_attr.times, times ? times : -1);
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_fault_set);

/**
 * lalloc_fault_pending() - failures lalloc_fault_set() asked for, not yet made
 *
 * Lets a test tell that the failure it injected really fired.
 *
 * Return: the failures still to come, 0 when none (or when off).
 */
int lalloc_fault_pending(void)
{
	if (!lalloc_fail_attr.probability)
		return 0;
	return atomic_read(&lalloc_fail_attr.times);
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_fault_pending);

void lalloc_fault_init(struct dentry *dir)
{
#ifdef CONFIG_FAULT_INJECTION_DEBUG_FS
	fault_create_debugfs_attr("fail_alloc", dir, &lalloc_fail_attr);
#endif
}
#else
bool lalloc_should_fail(gfp_t gfp)
{
	return false;
}

void lalloc_fault_init(struct dentry *dir)
{
}
#endif
