// SPDX-License-Identifier: GPL-2.0
/*
 * What KASAN and kmemleak know of lalloc's blocks.
 *
 * lalloc's slabs and page blocks are pages from the page allocator, which
 * the kernel's sanitizers see only as whole pages: to KASAN a slab is one
 * accessible area, to kmemleak nothing at all. These hooks tell them about
 * each object instead, as SLUB's do:
 *
 * - KASAN (generic mode, the debug kernel's): a new slab's slots are red
 *   zone, an allocated object is accessible up to its requested size (the
 *   last granule partly), the rest of its slot stays red zone, and a freed
 *   slot is marked freed. A use after free or an overflow inside a lalloc
 *   slab is then a KASAN report like one in a kmalloc slab. Page blocks are
 *   accessible up to their size and red zone to the end of their last page.
 *   lalloc_usable_size() opens the block up to its usable size, as ksize()
 *   does for kmalloc. vmalloc-kind blocks are left to the kernel: without
 *   CONFIG_KASAN_VMALLOC their shadow is a read-only zero page.
 * - kmemleak: each allocated object is registered and reported when nothing
 *   points to it; free slots are not registered, so what they still hold
 *   never hides another block's leak.
 *
 * The shadow is written with kasan_poison(), which the kernel exports (GPL)
 * for its KASAN tests but declares in mm/kasan/kasan.h, out of a module's
 * reach; its prototype and the shadow values are repeated here, from the
 * 6.12 kernel, the one KASAN kernel lalloc is tested on (a kernel that
 * changes them needs its own values in compat.h). The files that
 * touch free slots and red zones on purpose (the allocator's core) are
 * built without KASAN instrumentation, as mm/slub.c is (see Kbuild).
 *
 * Kernels with neither sanitizer compile these hooks to nothing.
 */
#include <linux/kasan.h>
#include <linux/kmemleak.h>

#include "internal.h"

#if IS_ENABLED(CONFIG_KASAN_GENERIC) || IS_ENABLED(CONFIG_DEBUG_KMEMLEAK)

#ifdef CONFIG_KASAN_GENERIC
/* mm/kasan/kasan.h */
void kasan_poison(const void *addr, size_t size, u8 value, bool init);
#define LALLOC_KASAN_GRANULE	8	/* KASAN_GRANULE_SIZE in generic mode */
#define LALLOC_KASAN_PAGE_REDZONE	0xFE	/* KASAN_PAGE_REDZONE */
#define LALLOC_KASAN_SLAB_REDZONE	0xFC	/* KASAN_SLAB_REDZONE */
#define LALLOC_KASAN_SLAB_FREE		0xFB	/* KASAN_SLAB_FREE */

/*
 * [@p, @p + @size) accessible, [@p + @size rounded up to a granule,
 * @p + @limit) poisoned with @redzone. @p and @limit are granule-aligned:
 * slots are multiples of 8 bytes from a page boundary.
 */
static void shadow_mark(const void *p, size_t size, size_t limit, u8 redzone)
{
	size_t full = round_down(size, LALLOC_KASAN_GRANULE);
	size_t end = round_up(size, LALLOC_KASAN_GRANULE);

	if (full)
		kasan_poison(p, full, 0, false);
	/* A partly accessible granule holds how many of its bytes are. */
	if (end != full)
		kasan_poison(p + full, LALLOC_KASAN_GRANULE, size - full, false);
	if (limit > end)
		kasan_poison(p + end, limit - end, redzone, false);
}

static void shadow_poison(const void *p, size_t size, u8 value)
{
	kasan_poison(p, size, value, false);
}
#else
#define LALLOC_KASAN_PAGE_REDZONE	0
#define LALLOC_KASAN_SLAB_REDZONE	0
#define LALLOC_KASAN_SLAB_FREE		0
static void shadow_mark(const void *p, size_t size, size_t limit, u8 redzone)
{
}

static void shadow_poison(const void *p, size_t size, u8 value)
{
}
#endif

#ifdef CONFIG_DEBUG_KMEMLEAK
/*
 * kmemleak scans the struct page of every page in use, and the page
 * allocator hands pages out with their previous owner's words still in
 * them: a page that was a SLUB slab keeps its freelist pointer in ->index,
 * an address inside the very memory lalloc now hands out, which kmemleak
 * then counts as a reference to the lalloc block there. The words an owner
 * may use are cleared (->private only where lalloc does not use it).
 */
static void page_words_clear(struct page *page, unsigned long nr,
			     bool private)
{
	for (; nr; nr--, page++) {
		INIT_LIST_HEAD(&page->lru);
		page->index = 0;
		if (private)
			set_page_private(page, 0);
	}
}
#else
static void page_words_clear(struct page *page, unsigned long nr,
			     bool private)
{
}
#endif

/**
 * lalloc_san_slab_new() - a new slab: every slot red zone, nothing live
 * @slab: the slab, its base and order set
 * @gfp: flags for kmemleak's bookkeeping
 */
void lalloc_san_slab_new(struct lalloc_slab *slab, gfp_t gfp)
{
	/* Its pages' ->private name @slab, which kmemleak may see. */
	page_words_clear(virt_to_page(slab->base), 1UL << slab->order, false);
	/*
	 * kmemleak scans @slab (a kmalloc block) from its RCU head on: the
	 * words before point into the slab itself (->base is slot 0, a
	 * one-object slab's only object) and would hide that object's leak.
	 * Its list links name other slabs, which their pages name anyway.
	 * Without memory for the record, kmemleak scans it all, as before.
	 */
	kmemleak_scan_area(&slab->rcu,
			   sizeof(*slab) - offsetof(struct lalloc_slab, rcu), gfp);
	shadow_poison(slab->base, PAGE_SIZE << slab->order,
		      LALLOC_KASAN_SLAB_REDZONE);
}

/**
 * lalloc_san_slab_destroy() - a slab's pages about to go back
 * @slab: the slab
 *
 * Only module exit gives back a slab with live objects (a caller's leak,
 * or quarantined ones): their kmemleak records must not outlive the pages.
 * Records of slots not live are unknown to kmemleak, which ignores them.
 */
void lalloc_san_slab_destroy(struct lalloc_slab *slab)
{
	unsigned int i;

	if (!IS_ENABLED(CONFIG_DEBUG_KMEMLEAK) || !slab->inuse)
		return;
	for (i = 0; i < slab->nr_objs; i++)
		kmemleak_free(slab->base + i * slab->cache->slot_size);
}

/**
 * lalloc_san_obj_alloc() - a slab object handed out
 * @obj: the object, at the start of its slot
 * @size: the size asked for
 * @slot_size: its slot's size
 * @gfp: the caller's flags, for kmemleak's record
 */
void lalloc_san_obj_alloc(void *obj, size_t size, size_t slot_size, gfp_t gfp)
{
	shadow_mark(obj, size, slot_size, LALLOC_KASAN_SLAB_REDZONE);
	/*
	 * The whole slot, once, as SLUB records a kmalloc object: a resize in
	 * place or a usable-size query then leaves kmemleak's record (its
	 * backtrace, a caller's kmemleak_not_leak()) alone, and two threads
	 * asking for one object's usable size never race on it.
	 */
	kmemleak_alloc(obj, slot_size, 1, gfp);
}

/**
 * lalloc_san_obj_free() - a slab object freed
 * @obj: the object
 * @slot_size: its slot's size
 */
void lalloc_san_obj_free(void *obj, size_t slot_size)
{
	kmemleak_free(obj);
	shadow_poison(obj, slot_size, LALLOC_KASAN_SLAB_FREE);
}

/**
 * lalloc_san_obj_forget() - a live object quarantined by a debug check
 * @obj: the object
 *
 * It stays allocated for good and unreachable to anyone: not a leak.
 */
void lalloc_san_obj_forget(void *obj)
{
	kmemleak_free(obj);
}

/**
 * lalloc_san_obj_resize() - a slab object resized in place
 * @obj: the object
 * @size: its new size
 * @slot_size: its slot's size
 *
 * KASAN's boundary moves; kmemleak's record already spans the slot.
 */
void lalloc_san_obj_resize(void *obj, size_t size, size_t slot_size)
{
	shadow_mark(obj, size, slot_size, LALLOC_KASAN_SLAB_REDZONE);
}

/**
 * lalloc_san_pages_alloc() - a page block handed out
 * @p: the block
 * @size: its size
 * @gfp: the caller's flags, for kmemleak's record
 *
 * kmemleak sees the block's pages whole: they are what it holds.
 */
void lalloc_san_pages_alloc(void *p, size_t size, gfp_t gfp)
{
	page_words_clear(virt_to_page(p), PAGE_ALIGN(size) >> PAGE_SHIFT, true);
	shadow_mark(p, size, PAGE_ALIGN(size), LALLOC_KASAN_PAGE_REDZONE);
	kmemleak_alloc(p, PAGE_ALIGN(size), 1, gfp);
}

/**
 * lalloc_san_pages_free() - a page block's pages about to go back
 * @p: the block
 *
 * Before any page goes: once back, another owner may have it at once.
 * KASAN's shadow of freed pages is the page allocator's to set.
 */
void lalloc_san_pages_free(void *p)
{
	kmemleak_free(p);
}

/**
 * lalloc_san_pages_resize() - a page block resized in place
 * @p: the block
 * @size: its new size
 * @gfp: the caller's flags, for kmemleak's record
 * @repaged: whether its page count changed (lalloc_san_pages_free() was
 *	called before its tail went): kmemleak records it again
 */
void lalloc_san_pages_resize(void *p, size_t size, gfp_t gfp, bool repaged)
{
	shadow_mark(p, size, PAGE_ALIGN(size), LALLOC_KASAN_PAGE_REDZONE);
	if (repaged)
		kmemleak_alloc(p, PAGE_ALIGN(size), 1, gfp);
}

/**
 * lalloc_san_usable() - a block's owner asked for its usable size
 * @p: the block (slab or pages)
 * @usable: its usable size, all of which the owner may now use
 *
 * Context: any. Only KASAN's shadow changes: kmemleak's record already
 * spans the slot (or the pages).
 */
void lalloc_san_usable(const void *p, size_t usable)
{
	shadow_mark(p, usable, usable, 0);
}

#endif /* CONFIG_KASAN_GENERIC || CONFIG_DEBUG_KMEMLEAK */
