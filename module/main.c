// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc: module init and exit, module parameters.
 */
#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>

#include "internal.h"

struct lalloc_global_stats __percpu *lalloc_gstats;

/* /sys/kernel/debug/lalloc/: fault injection and the fast-path benchmark. */
static struct dentry *lalloc_debugfs;

/* Past this, kept slabs would be a cache of their own: the shrinker's job. */
#define LALLOC_EMPTY_SLABS_KEPT_MAX	1024

static int empty_slabs_kept_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, LALLOC_EMPTY_SLABS_KEPT_MAX);
}

static const struct kernel_param_ops empty_slabs_kept_ops = {
	.set = empty_slabs_kept_set,
	.get = param_get_uint,
};
module_param_cb(empty_slabs_kept, &empty_slabs_kept_ops, &lalloc_empty_slabs_kept, 0644);
MODULE_PARM_DESC(empty_slabs_kept,
		 "Empty slabs each cache keeps for reuse before giving them back to the page allocator, 0 to 1024 (default 1; the shrinker frees them all)");

static int __init lalloc_init(void)
{
	int ret;

	lalloc_gstats = alloc_percpu(struct lalloc_global_stats);
	if (!lalloc_gstats)
		return -ENOMEM;
	ret = lalloc_drain_init();
	if (ret)
		goto free_gstats;
	ret = lalloc_classes_init();
	if (ret)
		goto free_drain;
	ret = lalloc_cpuhp_init();
	if (ret)
		goto free_classes;
	lalloc_debugfs = debugfs_create_dir("lalloc", NULL);
	lalloc_fault_init(lalloc_debugfs);
	lalloc_bench_init(lalloc_debugfs);
	ret = lalloc_debug_init(lalloc_debugfs);
	if (ret)
		goto free_debug;
	ret = lalloc_shrinker_init();
	if (ret)
		goto free_debug;
	ret = lalloc_procfs_init();
	if (ret)
		goto free_shrinker;
	ret = lalloc_device_init();
	if (ret)
		goto free_procfs;

	pr_info("version %s loaded: %u slab classes up to %u bytes\n",
		LALLOC_VERSION, LALLOC_NR_CLASSES, LALLOC_MAX_SLOT);
	return 0;

free_procfs:
	lalloc_procfs_exit();
free_shrinker:
	lalloc_shrinker_exit();
free_debug:
	/* As at exit: no debug slab is made or freed after the RCU barrier. */
	debugfs_remove_recursive(lalloc_debugfs);
	lalloc_cpuhp_exit();
	lalloc_classes_exit();
	lalloc_drain_exit();
	lalloc_debug_exit();
	free_percpu(lalloc_gstats);
	return ret;
free_classes:
	lalloc_classes_exit();
free_drain:
	lalloc_drain_exit();
free_gstats:
	free_percpu(lalloc_gstats);
	return ret;
}

static void __exit lalloc_exit(void)
{
	lalloc_device_exit();
	lalloc_procfs_exit();
	lalloc_shrinker_exit();
	debugfs_remove_recursive(lalloc_debugfs);
	/* Deferred vmalloc frees still count in the stats freed below. */
	lalloc_vmalloc_flush();
	lalloc_cpuhp_exit();
	lalloc_classes_exit();
	lalloc_drain_exit();
	/* The checks go off once no slab is left to need them. */
	lalloc_debug_exit();
	free_percpu(lalloc_gstats);
	pr_info("version %s unloaded\n", LALLOC_VERSION);
}

module_init(lalloc_init);
module_exit(lalloc_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Layout-aware slab allocator with Rust Allocator semantics, stats and a userspace device");
MODULE_VERSION(LALLOC_VERSION);
MODULE_AUTHOR("The lalloc developers");
