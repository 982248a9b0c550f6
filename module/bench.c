// SPDX-License-Identifier: GPL-2.0
/*
 * The fast path measured against SLUB, on demand: reading
 * /sys/kernel/debug/lalloc/fastpath_bench (root) times 100,000 alloc+free
 * pairs of kmalloc(64) and of lalloc's (64, 8), warm, back to back on one
 * CPU. Under scripts/vm --icount one guest ns is one instruction, so the
 * figures are exact instruction counts per pair.
 */
#include <linux/debugfs.h>
#include <linux/ktime.h>
#include <linux/preempt.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "internal.h"

#define BENCH_PAIRS	100000U

static u64 bench_kmalloc(unsigned int n)
{
	u64 t0 = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < n; i++) {
		void *p = kmalloc(64, GFP_KERNEL);

		/* The compiler must not drop an allocation it sees freed at once. */
		barrier_data(p);
		kfree(p);
	}
	return ktime_get_ns() - t0;
}

static u64 bench_lalloc(unsigned int n)
{
	struct lalloc_layout l = { .size = 64, .align = 8 };
	u64 t0 = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < n; i++) {
		void *p = lalloc_alloc(l, GFP_KERNEL);

		barrier_data(p);
		lalloc_free(p, l);
	}
	return ktime_get_ns() - t0;
}

static int fastpath_bench_show(struct seq_file *m, void *v)
{
	u64 k, l;

	/* Stay on one CPU so both loops hit their own per-CPU caches. */
	migrate_disable();
	bench_kmalloc(1000);
	bench_lalloc(1000);
	k = bench_kmalloc(BENCH_PAIRS);
	l = bench_lalloc(BENCH_PAIRS);
	migrate_enable();
	seq_printf(m, "pairs %u\n", BENCH_PAIRS);
	seq_printf(m, "kmalloc_64_ns_per_pair %llu\n", div_u64(k, BENCH_PAIRS));
	seq_printf(m, "lalloc_64_8_ns_per_pair %llu\n", div_u64(l, BENCH_PAIRS));
	seq_printf(m, "lalloc_per_kmalloc_permille %llu\n", k ? div64_u64(l * 1000, k) : 0);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(fastpath_bench);

void lalloc_bench_init(struct dentry *dir)
{
	debugfs_create_file("fastpath_bench", 0400, dir, NULL, &fastpath_bench_fops);
}
