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
 * Larger: vmalloc. Modules cannot ask vmalloc for an alignment, but a
 * huge-page vmalloc of at least PMD_SIZE is PMD-aligned when it gets huge
 * pages: alignments up to PMD_SIZE are served that way and checked, larger
 * ones (and a huge vmalloc that fell back to small pages) give NULL.
 */
#include <linux/gfp.h>
#include <linux/kmemleak.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>

#include "internal.h"

/*
 * What the caller's gfp may not say about lalloc's pages, as for slabs
 * (slowpath.c): no compound pages (blocks are split or mapped page by page),
 * no zone choice, and never movable: lalloc cannot migrate its pages.
 * __GFP_ZERO stays: the page allocator zeroes the pages.
 */
#define LALLOC_LARGE_GFP_DROP \
	(__GFP_COMP | __GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM | __GFP_MOVABLE)

static unsigned long size_pages(size_t size)
{
	return PAGE_ALIGN(size) >> PAGE_SHIFT;
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
	/* Scanned for pointers, never reported: see slab_create(). */
	kmemleak_alloc(p, npages << PAGE_SHIFT, 0, gfp & ~(__GFP_ZERO | __GFP_ACCOUNT));
	lalloc_gstat_inc(large_allocs);
	lalloc_gstat_inc(page_allocs[order]);
	lalloc_gstat_add(large_pages, npages);
	lalloc_account_pages(npages);
	lalloc_gstat_add(large_requested_bytes, l.size);
	return p;
}

/**
 * lalloc_vmalloc_alloc() - a block too large for the page allocator
 * @l: the layout
 * @gfp: allocation flags
 *
 * Return: the block, or NULL (also when the alignment cannot be met).
 */
void *lalloc_vmalloc_alloc(struct lalloc_layout l, gfp_t gfp)
{
	void *p;

	if (l.align <= PAGE_SIZE)
		p = __vmalloc(l.size, gfp);
	else if (l.align <= PMD_SIZE && l.size >= PMD_SIZE)
		p = vmalloc_huge(l.size, gfp);
	else
		return NULL;
	if (!p)
		return NULL;
	if (!IS_ALIGNED((unsigned long)p, l.align)) {
		vfree(p);
		return NULL;
	}
	lalloc_gstat_inc(vmalloc_allocs);
	lalloc_gstat_add(vmalloc_bytes, PAGE_ALIGN(l.size));
	lalloc_account_pages(PAGE_ALIGN(l.size) >> PAGE_SHIFT);
	lalloc_gstat_add(vmalloc_requested_bytes, l.size);
	return p;
}

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
 */
void lalloc_large_free(void *p, struct lalloc_layout l)
{
	unsigned long npages = size_pages(l.size);

	kmemleak_free(p);
	free_page_range(virt_to_page(p), 0, npages);
	lalloc_gstat_inc(large_frees);
	lalloc_gstat_add(large_pages, -(s64)npages);
	lalloc_account_pages(-(long)npages);
	lalloc_gstat_add(large_requested_bytes, -(s64)l.size);
}

/**
 * lalloc_vmalloc_free() - free a block from lalloc_vmalloc_alloc()
 * @p: the block
 * @l: its current layout
 */
void lalloc_vmalloc_free(void *p, struct lalloc_layout l)
{
	vfree(p);
	lalloc_gstat_inc(vmalloc_frees);
	lalloc_gstat_add(vmalloc_bytes, -(s64)PAGE_ALIGN(l.size));
	lalloc_account_pages(-(long)(PAGE_ALIGN(l.size) >> PAGE_SHIFT));
	lalloc_gstat_add(vmalloc_requested_bytes, -(s64)l.size);
}

/**
 * lalloc_large_shrink_in_place() - shrink a page block by freeing its tail
 * @p: the block
 * @old: its layout, of kind LALLOC_KIND_PAGES
 * @new: a smaller layout, also of kind LALLOC_KIND_PAGES
 *
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
		/* kmemleak tracks the block by its start: re-register it shorter. */
		kmemleak_free(p);
		free_page_range(virt_to_page(p), new_pages, old_pages);
		kmemleak_alloc(p, new_pages << PAGE_SHIFT, 0, GFP_ATOMIC);
		lalloc_gstat_add(large_pages, -(s64)(old_pages - new_pages));
		lalloc_account_pages(-(long)(old_pages - new_pages));
	}
	lalloc_gstat_add(large_requested_bytes, (s64)new.size - (s64)old.size);
	return true;
}
