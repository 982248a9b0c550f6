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
#include <kunit/visibility.h>
#include <linux/jump_label.h>
#include <linux/kstrtox.h>
#include <linux/log2.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/seqlock.h>
#include <linux/slab.h>

#include "internal.h"

/*
 * The entry points' detour to their hooked versions, counted: one count
 * while latency_stats is on, one while any cache has debug checks.
 */
DEFINE_STATIC_KEY_FALSE(lalloc_hooks_key);

static DEFINE_PER_CPU(struct lalloc_latency, lalloc_latency);
static DEFINE_MUTEX(latency_reset_lock);
static seqcount_mutex_t latency_seq = SEQCNT_MUTEX_ZERO(latency_seq, &latency_reset_lock);
static struct lalloc_latency latency_base, latency_next;
bool lalloc_latency_stats;
/* The parameter and the key change together, whoever switches them. */
static DEFINE_MUTEX(latency_switch_lock);

/**
 * lalloc_latency_enable() - start or stop keeping the latency histograms
 * @on: true to start
 *
 * Safe while other CPUs allocate: each call decides once, on entry,
 * whether it is timed, so a switch never pairs a start with no end.
 *
 * Context: process context (takes a mutex and the jump-label lock).
 */
void lalloc_latency_enable(bool on)
{
	mutex_lock(&latency_switch_lock);
	if (on != lalloc_latency_stats) {
		WRITE_ONCE(lalloc_latency_stats, on);
		if (on)
			static_branch_inc(&lalloc_hooks_key);
		else
			static_branch_dec(&lalloc_hooks_key);
	}
	mutex_unlock(&latency_switch_lock);
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_latency_enable);

static int latency_stats_set(const char *val, const struct kernel_param *kp)
{
	bool on = true;	/* a bare "latency_stats" at load, as param_set_bool() */
	int ret = val ? kstrtobool(val, &on) : 0;

	if (ret)
		return ret;
	lalloc_latency_enable(on);
	return 0;
}

static const struct kernel_param_ops latency_stats_ops = {
	.set = latency_stats_set,
	.get = param_get_bool,
};
module_param_cb(latency_stats, &latency_stats_ops, &lalloc_latency_stats, 0644);
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

/**
 * lalloc_latency_read() - the histograms since the last reset
 * @hist: filled with the counts of each bucket
 *
 * Context: process context (on PREEMPT_RT a reader of a seqcount_mutex_t
 * may take the mutex).
 */
void lalloc_latency_read(struct lalloc_latency *hist)
{
	struct lalloc_latency *base = &latency_base;
	unsigned int seq, cpu, k;

	/* The baseline first, whole, then the sums: none below it. */
	do {
		seq = read_seqcount_begin(&latency_seq);
		for (k = 0; k < LALLOC_LATENCY_BUCKETS; k++) {
			hist->alloc[k] = -base->alloc[k];
			hist->free[k] = -base->free[k];
		}
	} while (read_seqcount_retry(&latency_seq, seq));
	for_each_possible_cpu(cpu) {
		for (k = 0; k < LALLOC_LATENCY_BUCKETS; k++) {
			hist->alloc[k] += READ_ONCE(per_cpu(lalloc_latency, cpu).alloc[k]);
			hist->free[k] += READ_ONCE(per_cpu(lalloc_latency, cpu).free[k]);
		}
	}
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_latency_read);

/* "bucket_ns alloc free" rows; bucket k counts [2^k, 2^(k+1)) ns. */
int lalloc_latency_show(struct seq_file *m, void *v)
{
	struct lalloc_latency *hist = kmalloc(sizeof(*hist), GFP_KERNEL);
	unsigned int k;

	if (!hist)
		return -ENOMEM;
	lalloc_latency_read(hist);
	seq_printf(m, "# enabled %d\n# ns_from alloc free\n", READ_ONCE(lalloc_latency_stats));
	for (k = 0; k < LALLOC_LATENCY_BUCKETS; k++)
		seq_printf(m, "%llu %llu %llu\n", k ? 1ULL << k : 0ULL,
			   hist->alloc[k], hist->free[k]);
	kfree(hist);
	return 0;
}
