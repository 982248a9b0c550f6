// SPDX-License-Identifier: GPL-2.0
/*
 * Optional latency histograms of lalloc_alloc() and lalloc_free(): log2
 * buckets of nanoseconds, per CPU. Off by default; then the entry points
 * pay one patched-out jump (a static key), nothing else. Switched at run
 * time: echo 1 > /sys/module/lalloc/parameters/latency_stats
 */
#include <linux/jump_label.h>
#include <linux/log2.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>

#include "internal.h"

DEFINE_STATIC_KEY_FALSE(lalloc_latency_key);

struct lalloc_latency {
	u64 alloc[LALLOC_LATENCY_BUCKETS];
	u64 free[LALLOC_LATENCY_BUCKETS];
};

static DEFINE_PER_CPU(struct lalloc_latency, lalloc_latency);
static bool latency_stats;

static int latency_stats_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_bool(val, kp);

	if (ret)
		return ret;
	if (latency_stats)
		static_branch_enable(&lalloc_latency_key);
	else
		static_branch_disable(&lalloc_latency_key);
	return 0;
}

static const struct kernel_param_ops latency_stats_ops = {
	.set = latency_stats_set,
	.get = param_get_bool,
};
module_param_cb(latency_stats, &latency_stats_ops, &latency_stats, 0644);
MODULE_PARM_DESC(latency_stats,
		 "Keep log2 histograms of alloc and free latency in /proc/lalloc/latency (default off)");

static unsigned int bucket(u64 ns)
{
	return min_t(unsigned int, ilog2(ns | 1), LALLOC_LATENCY_BUCKETS - 1);
}

void lalloc_latency_alloc(u64 ns)
{
	this_cpu_inc(lalloc_latency.alloc[bucket(ns)]);
}

void lalloc_latency_free(u64 ns)
{
	this_cpu_inc(lalloc_latency.free[bucket(ns)]);
}

/* "bucket_ns alloc free" rows; bucket k counts [2^k, 2^(k+1)) ns. */
int lalloc_latency_show(struct seq_file *m, void *v)
{
	unsigned int cpu, k;

	seq_printf(m, "# enabled %d\n# ns_from alloc free\n", latency_stats);
	for (k = 0; k < LALLOC_LATENCY_BUCKETS; k++) {
		u64 a = 0, f = 0;

		for_each_possible_cpu(cpu) {
			a += per_cpu(lalloc_latency, cpu).alloc[k];
			f += per_cpu(lalloc_latency, cpu).free[k];
		}
		seq_printf(m, "%llu %llu %llu\n", k ? 1ULL << k : 0ULL, a, f);
	}
	return 0;
}
