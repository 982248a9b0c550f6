// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/lalloc/: the statistics as text.
 *
 *   stats      0644  "name value" per line, like /proc/vmstat; writing
 *                    "reset" clears the counters and the latency
 *                    histograms, never the live gauges. Whoever opened
 *                    the file must have had CAP_SYS_ADMIN, as for the
 *                    kernel's own files acted on by writes.
 *   slabinfo   0400  /proc/slabinfo's version 2.1 format, one row a cache
 *   caches     0400  lalloc's own per-cache table, "#" header line first
 *
 * Per-cache occupancy helps an attacker groom the heap, so as the kernel's
 * own /proc/slabinfo the per-cache files are for root only.
 *   latency    0444  alloc/free latency histograms (module parameter
 *                    latency_stats=1 turns them on)
 *
 * No kernel address is ever printed.
 */
#include <linux/capability.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "internal.h"

static struct proc_dir_entry *lalloc_proc;

#define STAT(name)	seq_printf(m, #name " %llu\n", (unsigned long long)st->name)

static int stats_show(struct seq_file *m, void *v)
{
	struct lalloc_stats *st = kzalloc(sizeof(*st), GFP_KERNEL);
	unsigned int i;

	if (!st)
		return -ENOMEM;
	lalloc_stats_fill(st);
	STAT(requested_bytes);
	STAT(reserved_bytes);
	STAT(held_bytes);
	STAT(slab_bytes);
	STAT(large_bytes);
	STAT(vmalloc_bytes);
	STAT(held_bytes_hwm);
	/* Not a true high-water mark: the highest value a read computed. */
	seq_printf(m, "requested_bytes_hwm_sampled %llu\n",
		   (unsigned long long)st->requested_bytes_hwm);
	STAT(active_objs);
	STAT(allocs);
	STAT(frees);
	STAT(fast_allocs);
	STAT(slow_allocs);
	STAT(large_allocs);
	STAT(large_frees);
	STAT(vmalloc_allocs);
	STAT(vmalloc_frees);
	for (i = 0; i <= LALLOC_MAX_PAGE_ORDER && i < ARRAY_SIZE(st->page_allocs); i++)
		seq_printf(m, "page_allocs_order_%u %llu\n", i,
			   (unsigned long long)st->page_allocs[i]);
	STAT(shrinker_scans);
	STAT(shrinker_pages);
	STAT(invalid_layouts);
	STAT(failures);
	STAT(errors_detected);
	STAT(freelist_corruptions);
	STAT(quarantined_bytes);
	STAT(debug_double_frees);
	STAT(debug_foreign_frees);
	STAT(debug_layout_mismatches);
	STAT(debug_redzone_overwrites);
	STAT(debug_poison_overwrites);
	STAT(fragmentation_permille);
	STAT(utilisation_permille);
	STAT(fast_hit_permille);
	STAT(open_files);
	STAT(device_bytes);
	kfree(st);
	return 0;
}

static int stats_open(struct inode *inode, struct file *file)
{
	return single_open(file, stats_show, NULL);
}

/*
 * "reset", with one optional trailing newline, and nothing else: no other
 * byte, no NUL, no second write of the rest. The opener's credentials
 * decide, so a privileged opener can hand the fd to a helper but an fd
 * opened without CAP_SYS_ADMIN stays refused in a privileged writer.
 */
static ssize_t stats_write(struct file *file, const char __user *buf,
			   size_t count, loff_t *ppos)
{
	static const char cmd_reset[] = "reset";
	const size_t len = sizeof(cmd_reset) - 1;
	char cmd[sizeof(cmd_reset)];

	if (!file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN))
		return -EPERM;
	if (count < len || count > len + 1)
		return -EINVAL;
	if (copy_from_user(cmd, buf, count))
		return -EFAULT;
	if (memcmp(cmd, cmd_reset, len) || (count > len && cmd[len] != '\n'))
		return -EINVAL;
	lalloc_stats_reset();
	return count;
}

static const struct proc_ops stats_ops = {
	.proc_open = stats_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
	.proc_write = stats_write,
};

static void *caches_start(struct seq_file *m, loff_t *pos)
{
	return *pos <= LALLOC_NR_CLASSES ? (void *)(uintptr_t)(*pos + 1) : NULL;
}

static void *caches_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return caches_start(m, pos);
}

static void caches_stop(struct seq_file *m, void *v)
{
}

/* Row 0 is the header; row i is cache i - 1. */
static struct lalloc_cache *row_cache(void *v)
{
	unsigned long row = (uintptr_t)v - 1;

	return row ? &lalloc_caches[row - 1] : NULL;
}

static int slabinfo_show(struct seq_file *m, void *v)
{
	struct lalloc_cache *s = row_cache(v);
	struct lalloc_cache_stats r;

	if (!s) {
		seq_puts(m, "slabinfo - version: 2.1\n");
		seq_puts(m, "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n");
		return 0;
	}
	lalloc_cache_record(s, &r);
	seq_printf(m, "%-17s %6llu %6llu %6u %4u %4u : tunables %4u %4u %4u : slabdata %6llu %6llu %6u\n",
		   s->name, r.active_objs, r.total_objs, r.slot_size,
		   r.objs_per_slab, 1U << r.order, s->cpu_limit, s->batch, 0,
		   r.slabs_full + r.slabs_partial,
		   r.slabs_full + r.slabs_partial + r.slabs_empty, 0);
	return 0;
}

static const struct seq_operations slabinfo_seq_ops = {
	.start = caches_start,
	.next = caches_next,
	.stop = caches_stop,
	.show = slabinfo_show,
};

static int caches_show(struct seq_file *m, void *v)
{
	struct lalloc_cache *s = row_cache(v);
	struct lalloc_cache_stats r;
	u64 frag, util, hit;

	if (!s) {
		seq_puts(m, "# name slot align objs_per_slab order cpu_limit active_objs total_objs slabs_full slabs_partial slabs_empty pages requested_bytes reserved_bytes held_bytes fragmentation_permille utilisation_permille fast_hit_permille allocs frees fast_allocs slow_allocs fast_frees slow_frees slabs_allocated slabs_freed grow_in_place grow_moved shrink_in_place shrink_moved failures\n");
		return 0;
	}
	lalloc_cache_record(s, &r);
	frag = lalloc_permille(r.reserved_bytes, r.requested_bytes);
	util = lalloc_permille(r.active_objs, r.total_objs);
	hit = lalloc_permille(r.fast_allocs, r.allocs);
	seq_printf(m, "%s %u %u %u %u %u %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu\n",
		   s->name, r.slot_size, r.align, r.objs_per_slab, r.order,
		   r.cpu_limit, r.active_objs, r.total_objs, r.slabs_full,
		   r.slabs_partial, r.slabs_empty, r.pages, r.requested_bytes,
		   r.reserved_bytes, r.held_bytes, frag, util, hit, r.allocs,
		   r.frees, r.fast_allocs, r.slow_allocs, r.fast_frees,
		   r.slow_frees, r.slabs_allocated, r.slabs_freed,
		   r.grow_in_place, r.grow_moved, r.shrink_in_place,
		   r.shrink_moved, r.failures);
	return 0;
}

static const struct seq_operations caches_seq_ops = {
	.start = caches_start,
	.next = caches_next,
	.stop = caches_stop,
	.show = caches_show,
};

int lalloc_procfs_init(void)
{
	lalloc_proc = proc_mkdir("lalloc", NULL);
	if (!lalloc_proc)
		return -ENOMEM;
	if (!proc_create("stats", 0644, lalloc_proc, &stats_ops) ||
	    !proc_create_seq("slabinfo", 0400, lalloc_proc, &slabinfo_seq_ops) ||
	    !proc_create_seq("caches", 0400, lalloc_proc, &caches_seq_ops) ||
	    !proc_create_single("latency", 0444, lalloc_proc, lalloc_latency_show)) {
		proc_remove(lalloc_proc);
		return -ENOMEM;
	}
	return 0;
}

void lalloc_procfs_exit(void)
{
	proc_remove(lalloc_proc);
}
