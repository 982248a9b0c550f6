// SPDX-License-Identifier: GPL-2.0
/*
 * Blocks past the slab classes.
 *
 * Up to the page allocator's largest block: exactly the pages the size
 * needs, not the next power of two. The block is allocated at the order its
 * size or alignment calls for, split into single pages, and the pages past
 * the size are given back at once; each page is then freed on its own, which
 * also lets a shrink give pages back in place.
 *
 * Larger: a vmap()ed block of exactly PAGE_ALIGN(size) order-0 pages.
 * Modules cannot ask vmalloc for an alignment, but vmap() with VM_IOREMAP
 * aligns the area to its size rounded up to a power of two (up to
 * IOREMAP_MAX_ORDER, 1 GiB on x86-64). A block here is larger than 4 MiB, so
 * it is at least 8 MiB-aligned: every alignment up to LALLOC_MAX_BLOCK is met
 * at every size, without relying on huge pages. Layouts aligned to a page
 * at most need no more than vmap()'s pages and do without (vmap_flags()).
 * A descriptor (the page array) is found through lalloc's own index of its
 * blocks (vblocks).
 *
 * vmap() and vunmap() sleep: a non-blocking allocation that only this path
 * could serve fails, and a free from a context that cannot sleep is handed
 * to a work item.
 */
#include <linux/gfp.h>
#include <linux/kmemleak.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>

#include "internal.h"

/*
 * What the caller's gfp may not say about lalloc's pages, as for slabs
 * (slowpath.c): no compound pages (blocks are split or mapped page by page),
 * no zone choice, and never movable: lalloc cannot migrate its pages.
 * __GFP_ZERO stays: the page allocator zeroes the pages.
 */
#define LALLOC_LARGE_GFP_DROP \
	(__GFP_COMP | __GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM | __GFP_MOVABLE)

/* Pages asked of the bulk allocator at once: it runs with interrupts off. */
#define LALLOC_BULK_PAGES	100UL

/*
 * A vmalloc-kind block's descriptor. The page array is apart so that it is
 * a power of two for a power-of-two size, which kmalloc does not round up.
 */
struct lalloc_vblock {
	size_t size;			/* the layout's size, set again at free */
	unsigned long nr_pages;		/* exactly what is held and counted */
	struct page **pages;
	/*
	 * Set only once the block is freed from a context that cannot sleep,
	 * for the work item: a pointer kept here while the block is live would
	 * be a reference to it, and kmemleak would never see it leak.
	 */
	void *addr;
	struct llist_node deferred;
	struct rcu_head rcu;		/* lookups read it under RCU */
};

/*
 * Every live vmalloc-kind block, by its address >> PAGE_SHIFT: the only way
 * from a caller's pointer to a descriptor. page_private() of a page in the
 * vmalloc space belongs to whoever mapped it (TTM keeps an order there, an
 * ioremap() has no struct page at all), so lalloc never reads it. A free
 * claims its block by taking it out, once: a second free, or a resize
 * after it, finds nothing. Taken from any context, so with interrupts off.
 */
static DEFINE_XARRAY_FLAGS(vblocks, XA_FLAGS_LOCK_IRQ);

static unsigned long vblock_index(const void *p)
{
	return (unsigned long)p >> PAGE_SHIFT;
}

static unsigned long size_pages(size_t size)
{
	return PAGE_ALIGN(size) >> PAGE_SHIFT;
}

/*
 * VM_IOREMAP only for alignments past a page, which need it. A VM_IOREMAP
 * area starts at an aligned address past a free hole in the vmalloc
 * space, and the kernel's vmap_area for that hole (which kmemleak scans
 * whole) names the block's start: kmemleak would never see it leak. A
 * page-aligned area starts where its hole does.
 */
static unsigned long vmap_flags(struct lalloc_layout l)
{
	return l.align > PAGE_SIZE ? VM_IOREMAP : 0;
}

static void free_page_range(struct page *page, unsigned long from,
			    unsigned long to)
{
	for (; from < to; from++)
		__free_page(page + from);
}

static void *pages_alloc(struct lalloc_layout l, gfp_t gfp)
{
	unsigned long npages = size_pages(l.size);
	unsigned int order = get_order(max(l.size, l.align));
	struct page *page;
	void *p;

	page = alloc_pages(gfp & ~LALLOC_LARGE_GFP_DROP, order);
	if (!page)
		return NULL;
	if (order) {
		split_page(page, order);
		free_page_range(page, npages, 1UL << order);
	}
	p = page_address(page);
	lalloc_san_pages_alloc(p, l.size, gfp & ~(__GFP_ZERO | __GFP_ACCOUNT));
	lalloc_gstat_inc(large_allocs);
	lalloc_gstat_inc(page_allocs[order]);
	lalloc_gstat_add(large_pages, npages);
	lalloc_account_pages(npages);
	lalloc_gstat_add(large_requested_bytes, l.size);
	return p;
}

/*
 * Fill @pages with @nr order-0 pages. The bulk allocator takes what it can
 * without reclaim and falls back to one page with reclaim when it has
 * nothing; asking in small batches keeps its interrupts-off stretches short
 * and gives cond_resched() a chance between them.
 */
static bool vblock_fill(struct page **pages, unsigned long nr, gfp_t gfp)
{
	unsigned long got = 0, n;

	while (got < nr) {
		n = alloc_pages_bulk_array(gfp, min(nr - got, LALLOC_BULK_PAGES),
					   pages + got);
		if (!n)
			return false;
		got += n;
		cond_resched();
	}
	return true;
}

/* Free the pages there are, the page array and the descriptor. */
static void vblock_destroy(struct lalloc_vblock *b)
{
	unsigned long i;

	for (i = 0; b->pages && i < b->nr_pages; i++)
		if (b->pages[i])
			__free_page(b->pages[i]);
	kvfree(b->pages);
	kfree_rcu(b, rcu);
}

/**
 * lalloc_vmalloc_alloc() - a block too large for the page allocator
 * @l: the layout
 * @gfp: allocation flags; must allow blocking
 *
 * Context: process context, may sleep. Non-blocking @gfp gets NULL.
 * Return: the block, or NULL (also when the alignment cannot be met).
 */
void *lalloc_vmalloc_alloc(struct lalloc_layout l, gfp_t gfp)
{
	unsigned long nr = size_pages(l.size);
	struct lalloc_vblock *b;
	unsigned int flags = 0;
	gfp_t meta_gfp;
	void *p = NULL;

	/* vmap() allocates its area and page tables with GFP_KERNEL. */
	if (!gfpflags_allow_blocking(gfp))
		return NULL;
	/* Past the memory there is, or the page count vmap() takes. */
	if (nr > totalram_pages() || nr > UINT_MAX)
		return NULL;

	/* So vmap()'s and kvmalloc()'s own GFP_KERNEL honour GFP_NOFS/NOIO. */
	if (!(gfp & __GFP_IO))
		flags = memalloc_noio_save();
	else if (!(gfp & __GFP_FS))
		flags = memalloc_nofs_save();

	/* Metadata is not the caller's memory: never charged, as for slabs. */
	meta_gfp = GFP_KERNEL | __GFP_NOWARN |
		   (gfp & (__GFP_NORETRY | __GFP_RETRY_MAYFAIL | __GFP_NOFAIL));
	b = kzalloc(sizeof(*b), meta_gfp);
	if (!b)
		goto out;
	b->nr_pages = nr;
	b->size = l.size;
	b->pages = kvcalloc(nr, sizeof(*b->pages), meta_gfp);
	if (!b->pages)
		goto free_pages;
	if (!vblock_fill(b->pages, nr, gfp & ~LALLOC_LARGE_GFP_DROP))
		goto free_pages;
	/* With VM_IOREMAP the area is aligned to its size's next power of two. */
	p = vmap(b->pages, nr, vmap_flags(l), PAGE_KERNEL);
	if (!p)
		goto free_pages;
	if (!IS_ALIGNED((unsigned long)p, l.align)) {
		vunmap(p);
		p = NULL;
		goto free_pages;
	}
	if (xa_err(xa_store_irq(&vblocks, vblock_index(p), b, meta_gfp))) {
		vunmap(p);
		p = NULL;
		goto free_pages;
	}
	/*
	 * kmemleak does not see vmap()ed pages: registered. Two references,
	 * as kmemleak_vmalloc() asks: the vm_struct vmap() made holds one,
	 * the block's owner the other (Documentation/design.rst).
	 */
	kmemleak_alloc(p, nr << PAGE_SHIFT, 2, meta_gfp);
	lalloc_gstat_inc(vmalloc_allocs);
	lalloc_gstat_add(vmalloc_bytes, nr << PAGE_SHIFT);
	lalloc_account_pages(nr);
	lalloc_gstat_add(vmalloc_requested_bytes, l.size);
	goto out;

free_pages:
	vblock_destroy(b);
out:
	if (!(gfp & __GFP_IO))
		memalloc_noio_restore(flags);
	else if (!(gfp & __GFP_FS))
		memalloc_nofs_restore(flags);
	return p;
}

/* Unmap and free a block whose descriptor is @b. May sleep. */
static void vblock_release(void *p, struct lalloc_vblock *b)
{
	unsigned long nr = b->nr_pages;

	kmemleak_free(p);
	vunmap(p);
	lalloc_gstat_inc(vmalloc_frees);
	lalloc_gstat_add(vmalloc_bytes, -(s64)(nr << PAGE_SHIFT));
	lalloc_account_pages(-(long)nr);
	lalloc_gstat_add(vmalloc_requested_bytes, -(s64)b->size);
	vblock_destroy(b);
}

/*
 * The descriptor of the live block that starts at @p and has the page
 * count of @l, or NULL: a pointer into a block, to another owner's mapping,
 * or to a block already freed. Under rcu_read_lock() (or the xarray's lock)
 * when the block may be freed meanwhile.
 */
static struct lalloc_vblock *vblock_lookup(const void *p, struct lalloc_layout l)
{
	struct lalloc_vblock *b;

	if (!is_vmalloc_addr(p) || !PAGE_ALIGNED(p))
		return NULL;
	b = xa_load(&vblocks, vblock_index(p));
	if (!b || b->nr_pages != size_pages(l.size))
		return NULL;
	return b;
}

static void vblock_refused(struct lalloc_layout l, const char *op)
{
	lalloc_gstat_inc(errors_detected);
	pr_warn_ratelimited("vmalloc %s with a pointer or layout (size %zu, align %zu) that does not match a block; block left alone\n",
			    op, l.size, l.align);
}

/**
 * lalloc_vmalloc_check() - whether @p and @l name a vmalloc-kind block
 * @p: the pointer a caller passed
 * @l: the vmalloc-kind layout it passed with it
 * @op: what the caller asked for ("free", "resize", ...), for the report
 *
 * A pointer that is not the first byte of a block of lalloc's (into one,
 * page-aligned or not, or a vmalloc() buffer of someone else's), or a
 * layout of another page count, would have the block's pages freed or
 * remapped wrongly: refused, counted in errors_detected and reported
 * (rate-limited, no address printed). The block is left as it is.
 *
 * Context: any context.
 * Return: true when the block may be used as @l says.
 */
bool lalloc_vmalloc_check(const void *p, struct lalloc_layout l, const char *op)
{
	bool ok;

	rcu_read_lock();
	ok = vblock_lookup(p, l);
	rcu_read_unlock();
	if (likely(ok))
		return true;
	vblock_refused(l, op);
	return false;
}

/**
 * lalloc_vmalloc_remap() - resize a vmalloc-kind block by remapping its pages
 * @p: the block, which lalloc_vmalloc_check() accepted with @old
 * @old: its current layout
 * @new: the new layout, also of the vmalloc kind, another page count
 * @gfp: allocation flags for the new pages; must allow blocking
 *
 * The block's pages stay where they are: a grow maps them again followed
 * by new pages, a shrink maps the first ones again and frees the rest. No
 * byte is copied, but the address changes, as a move's would. The bytes
 * past @old.size are not zeroed here.
 *
 * Context: process context, may sleep. Non-blocking @gfp gets NULL.
 * Return: the block's new address, or NULL with @p untouched (no memory
 * for the page array, the new pages or the mapping, or a mapping that
 * does not meet @new.align).
 */
void *lalloc_vmalloc_remap(void *p, struct lalloc_layout old,
			   struct lalloc_layout new, gfp_t gfp)
{
	struct lalloc_vblock *b = xa_load(&vblocks, vblock_index(p));
	unsigned long old_nr, nr = size_pages(new.size), i;
	unsigned int flags = 0;
	struct page **pages;
	gfp_t meta_gfp;
	void *q = NULL;

	/*
	 * Gone since lalloc_vmalloc_check(): a free of the block racing its
	 * resize, the caller's mistake. Refused; other interleavings of that
	 * race are not caught (the resize does not claim the block).
	 */
	if (!b)
		return NULL;
	old_nr = b->nr_pages;

	if (!gfpflags_allow_blocking(gfp))
		return NULL;
	if (nr > totalram_pages() || nr > UINT_MAX)
		return NULL;
	if (!(gfp & __GFP_IO))
		flags = memalloc_noio_save();
	else if (!(gfp & __GFP_FS))
		flags = memalloc_nofs_save();

	meta_gfp = GFP_KERNEL | __GFP_NOWARN |
		   (gfp & (__GFP_NORETRY | __GFP_RETRY_MAYFAIL | __GFP_NOFAIL));
	pages = kvcalloc(nr, sizeof(*pages), meta_gfp);
	if (!pages)
		goto out;
	memcpy(pages, b->pages, min(old_nr, nr) * sizeof(*pages));
	if (nr > old_nr &&
	    !vblock_fill(pages + old_nr, nr - old_nr, gfp & ~LALLOC_LARGE_GFP_DROP))
		goto free_new;
	q = vmap(pages, nr, vmap_flags(new), PAGE_KERNEL);
	if (q && !IS_ALIGNED((unsigned long)q, new.align)) {
		vunmap(q);
		q = NULL;
	}
	if (!q)
		goto free_new;
	if (xa_err(xa_store_irq(&vblocks, vblock_index(q), b, meta_gfp))) {
		vunmap(q);
		q = NULL;
		goto free_new;
	}

	/* The new mapping holds the bytes: the old one and its surplus go. */
	xa_erase_irq(&vblocks, vblock_index(p));
	kmemleak_free(p);
	vunmap(p);
	for (i = nr; i < old_nr; i++)
		__free_page(b->pages[i]);
	kvfree(b->pages);
	b->pages = pages;
	b->nr_pages = nr;
	b->size = new.size;
	kmemleak_alloc(q, nr << PAGE_SHIFT, 2, meta_gfp);	/* as above */
	lalloc_gstat_add(vmalloc_bytes, ((s64)nr - (s64)old_nr) << PAGE_SHIFT);
	lalloc_account_pages((long)nr - (long)old_nr);
	lalloc_gstat_add(vmalloc_requested_bytes, (s64)new.size - (s64)old.size);
	goto out;

free_new:
	for (i = old_nr; i < nr; i++)
		if (pages[i])
			__free_page(pages[i]);
	kvfree(pages);
out:
	if (!(gfp & __GFP_IO))
		memalloc_noio_restore(flags);
	else if (!(gfp & __GFP_FS))
		memalloc_nofs_restore(flags);
	return q;
}

/*
 * Frees from contexts that cannot sleep, as the kernel's vfree_deferred:
 * the descriptors (out of the index already) wait here for the work item,
 * which unmaps their blocks.
 */
static LLIST_HEAD(vblock_deferred);

static void vblock_drain(void)
{
	struct lalloc_vblock *b, *next;

	llist_for_each_entry_safe(b, next, llist_del_all(&vblock_deferred), deferred)
		vblock_release(b->addr, b);
}

static void vblock_work_fn(struct work_struct *work)
{
	vblock_drain();
}

static DECLARE_WORK(vblock_work, vblock_work_fn);

/*
 * Whether this context may sleep. Without a preempt count a held spinlock
 * is invisible, and a preemptible RCU reader is not seen by preemptible():
 * in doubt, do not.
 */
static bool can_sleep(void)
{
	if (!IS_ENABLED(CONFIG_PREEMPT_COUNT))
		return false;
	return preemptible() && !in_interrupt() && !irqs_disabled() &&
	       !rcu_preempt_depth();
}

/**
 * lalloc_vmalloc_free() - free a block from lalloc_vmalloc_alloc()
 * @p: the block
 * @l: its current layout
 *
 * A @p or @l that does not name a block (lalloc_vmalloc_check()) frees
 * nothing: reported, counted, the block leaked.
 *
 * Context: any context; where sleeping is not allowed the unmap is deferred
 * to a work item, and the block stays counted until it runs.
 */
void lalloc_vmalloc_free(void *p, struct lalloc_layout l)
{
	struct lalloc_vblock *b;
	unsigned long flags;

	/*
	 * Claimed by taking it out of the index, once: not the start of a live
	 * block of lalloc's (a second free too), or another page count, and
	 * the block is left as it is.
	 */
	xa_lock_irqsave(&vblocks, flags);
	b = vblock_lookup(p, l);
	if (b)
		__xa_erase(&vblocks, vblock_index(p));
	xa_unlock_irqrestore(&vblocks, flags);
	if (!b) {
		vblock_refused(l, "free");
		return;
	}
	b->size = l.size;
	if (can_sleep()) {
		vblock_release(p, b);
		return;
	}
	b->addr = p;
	if (llist_add(&b->deferred, &vblock_deferred))
		schedule_work(&vblock_work);
}

/**
 * lalloc_vmalloc_flush() - finish every vmalloc free deferred so far
 *
 * After it returns, every block freed before the call is unmapped and no
 * longer counted. Called at module exit, and by tests that need exact counts.
 *
 * Context: process context, may sleep.
 */
void lalloc_vmalloc_flush(void)
{
	vblock_drain();
	/* A worker that took the list before us may still be freeing it. */
	flush_work(&vblock_work);
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_vmalloc_flush);

/**
 * lalloc_large_alloc() - allocate a block past the slab classes
 * @l: a valid layout whose padded size exceeds LALLOC_MAX_SLOT
 * @gfp: allocation flags
 * @origin: where the block came from; may be NULL
 *
 * Return: the block or NULL.
 */
void *lalloc_large_alloc(struct lalloc_layout l, gfp_t gfp,
			 u32 *origin)
{
	void *p;

	/* Past the largest block, a page allocator request would only WARN. */
	if (lalloc_kind_of(l) == LALLOC_KIND_PAGES) {
		p = pages_alloc(l, gfp | __GFP_NOWARN);
		if (origin)
			*origin = LALLOC_ORIGIN_PAGES;
	} else {
		p = lalloc_vmalloc_alloc(l, gfp | __GFP_NOWARN);
		if (origin)
			*origin = LALLOC_ORIGIN_VMALLOC;
	}
	if (!p)
		lalloc_gstat_inc(failures);
	return p;
}

/**
 * lalloc_large_free() - free a block from pages_alloc()
 * @p: the block
 * @l: its current layout
 *
 * Context: any context.
 */
void lalloc_large_free(void *p, struct lalloc_layout l)
{
	unsigned long npages = size_pages(l.size);

	lalloc_san_pages_free(p);
	free_page_range(virt_to_page(p), 0, npages);
	lalloc_gstat_inc(large_frees);
	lalloc_gstat_add(large_pages, -(s64)npages);
	lalloc_account_pages(-(long)npages);
	lalloc_gstat_add(large_requested_bytes, -(s64)l.size);
}

/**
 * lalloc_large_shrink_in_place() - shrink a page block by freeing its tail
 * @p: the block
 * @old: its layout, of kind LALLOC_KIND_PAGES
 * @new: a smaller layout, also of kind LALLOC_KIND_PAGES
 *
 * Context: any context.
 * Return: true when the block now has @new's size, false when it cannot stay
 * where it is (its address does not meet @new's alignment).
 */
bool lalloc_large_shrink_in_place(void *p, struct lalloc_layout old,
				  struct lalloc_layout new)
{
	unsigned long old_pages = size_pages(old.size);
	unsigned long new_pages = size_pages(new.size);

	if (!IS_ALIGNED((unsigned long)p, new.align))
		return false;
	if (new_pages < old_pages) {
		free_page_range(virt_to_page(p), new_pages, old_pages);
		lalloc_gstat_add(large_pages, -(s64)(old_pages - new_pages));
		lalloc_account_pages(-(long)(old_pages - new_pages));
	}
	lalloc_gstat_add(large_requested_bytes, (s64)new.size - (s64)old.size);
	return true;
}
