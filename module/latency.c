// SPDX-License-Identifier: GPL-2.0
/*
 * Optional latency histograms of lalloc_alloc() and lalloc_free(): log2
 * buckets of nanoseconds, per CPU. Off by default; then the entry points
 * pay one patched-out jump (a static key), nothing else. Switched at run
 * time: echo 1 > /sys/module/lalloc/parameters/latency_stats
 *
 * A stats reset (lalloc_stats_reset()) empties the histograms the way it
 * zeroes the counters: it records the sums as a baseline that reads
 * subtract, under a seqcount, so no per-CPU word is written by another CPU.
 */
#include <linux/jump_label.h>
#include <linux/log2.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/seqlock.h>
#include <linux/slab.h>

#include "internal.h"

DEFINE_STATIC_KEY_FALSE(lalloc_latency_key);

struct lalloc_latency {
	u64 alloc[LALLOC_LATENCY_BUCKETS];
	u64 free[LALLOC_LATENCY_BUCKETS];
};

static DEFINE_PER_CPU(struct lalloc_latency, lalloc_latency);
static DEFINE_MUTEX(latency_reset_lock);
static seqcount_mutex_t latency_seq = SEQCNT_MUTEX_ZERO(latency_seq, &latency_reset_lock);
static struct lalloc_latency latency_base, latency_next;
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

static void latency_sum(struct lalloc_latency *sum)
{
	unsigned int cpu, k;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		for (k = 0; k < LALLOC_LATENCY_BUCKETS; k++) {
			sum->alloc[k] += READ_ONCE(per_cpu(lalloc_latency, cpu).alloc[k]);
			sum->free[k] += READ_ONCE(per_cpu(lalloc_latency, cpu).free[k]);
		}
	}
}

/**
 * lalloc_latency_reset() - empty the latency histograms
 *
 * Context: process context (takes a mutex).
 */
void lalloc_latency_reset(void)
{
	mutex_lock(&latency_reset_lock);
	latency_sum(&latency_next);
	write_seqcount_begin(&latency_seq);
	latency_base = latency_next;
	write_seqcount_end(&latency_seq);
	mutex_unlock(&latency_reset_lock);
}

/* "bucket_ns alloc free" rows; bucket k counts [2^k, 2^(k+1)) ns. */
int lalloc_latency_show(struct seq_file *m, void *v)
{
	struct lalloc_latency *base, *sum;
	unsigned int seq, k;

	base = kmalloc(sizeof(*base), GFP_KERNEL);
	sum = kmalloc(sizeof(*sum), GFP_KERNEL);
	if (!base || !sum) {
		kfree(base);
		kfree(sum);
		return -ENOMEM;
	}
	/* The baseline first, whole, then the sums: none below it. */
	do {
		seq = read_seqcount_begin(&latency_seq);
		*base = latency_base;
	} while (read_seqcount_retry(&latency_seq, seq));
	latency_sum(sum);

	seq_printf(m, "# enabled %d\n# ns_from alloc free\n", latency_stats);
	for (k = 0; k < LALLOC_LATENCY_BUCKETS; k++)
		seq_printf(m, "%llu %llu %llu\n", k ? 1ULL << k : 0ULL,
			   sum->alloc[k] - base->alloc[k],
			   sum->free[k] - base->free[k]);
	kfree(base);
	kfree(sum);
	return 0;
}
