// SPDX-License-Identifier: GPL-2.0
/*
 * Resizing with the contract of Rust's Allocator::grow/shrink and
 * Rust-for-Linux's Allocator::realloc.
 *
 * A block stays where it is when it already satisfies the new layout: its
 * usable size covers the new size, its address meets the new alignment, and
 * the new layout is served by the same kind of allocator (slab, pages or
 * vmalloc), since lalloc_free() tells the kinds apart by the layout. Shrinks
 * prefer moving to a smaller slab class, and page blocks give their tail
 * pages back in place. A vmalloc block resized to another vmalloc size
 * keeps its pages and is mapped again (its address changes, no byte is
 * copied). Anything else moves: allocate, copy, free. On failure the old
 * block is untouched and still the caller's.
 */
#include <linux/export.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "internal.h"

/**
 * lalloc_usable_size() - the real length of a block
 * @p: the block
 * @l: its current layout
 *
 * Return: the bytes the block really has (at least @l.size), 0 for a
 * zero-size block or an invalid layout, and 0 (counted in errors_detected)
 * for a vmalloc-kind @l whose @p is not the start of a block of that many
 * pages.
 */
size_t lalloc_usable_size(const void *p, struct lalloc_layout l)
{
	size_t usable;

	switch (lalloc_kind_of(l)) {
	case LALLOC_KIND_SLAB: {
		const struct lalloc_slab *slab = lalloc_slab_of(p);

		if (unlikely(slab->dbg))
			usable = lalloc_debug_usable(slab, p);
		else
			usable = slab->cache->slot_size;
		/* The caller may use it all now: KASAN and kmemleak agree. */
		lalloc_san_usable(p, usable);
		return usable;
	}
	case LALLOC_KIND_PAGES:
		lalloc_san_usable(p, PAGE_ALIGN(l.size));
		return PAGE_ALIGN(l.size);
	case LALLOC_KIND_VMALLOC:
		/* A caller would use PAGE_ALIGN(l.size) bytes from @p. */
		if (!lalloc_vmalloc_check(p, l, "usable size"))
			return 0;
		return PAGE_ALIGN(l.size);
	default:
		return 0;
	}
}
EXPORT_SYMBOL_GPL(lalloc_usable_size);

/* Try to give @p the layout @new without moving it. */
static bool resize_in_place(void *p, struct lalloc_layout old,
			    struct lalloc_layout new, unsigned int kind,
			    enum resize_dir dir, bool *prefer_move)
{
	struct lalloc_cache *s;

	*prefer_move = false;
	if (!IS_ALIGNED((unsigned long)p, new.align))
		return false;

	switch (kind) {
	case LALLOC_KIND_SLAB:
		/* A debug slab's every change goes through debug.c: it moves. */
		if (lalloc_slab_of(p)->dbg)
			return false;
		s = lalloc_slab_of(p)->cache;
		if (new.size > s->slot_size)
			return false;
		/* A shrink into a smaller class moves to give memory back. */
		if (dir == RESIZE_SHRINK && lalloc_cache_of(lalloc_padded(new)) != s)
			*prefer_move = true;
		return true;
	case LALLOC_KIND_PAGES:
		if (dir == RESIZE_GROW)
			return PAGE_ALIGN(new.size) == PAGE_ALIGN(old.size);
		return true;	/* done in commit_in_place(): frees the tail */
	case LALLOC_KIND_VMALLOC:
		return PAGE_ALIGN(new.size) == PAGE_ALIGN(old.size);
	default:
		return false;
	}
}

static void *commit_in_place(void *p, struct lalloc_layout old,
			     struct lalloc_layout new, unsigned int kind,
			     enum resize_dir dir, bool zero_tail, gfp_t gfp)
{
	struct lalloc_cache *s;
	s64 delta = (s64)new.size - (s64)old.size;
	bool repage;

	switch (kind) {
	case LALLOC_KIND_SLAB:
		s = lalloc_slab_of(p)->cache;
		lalloc_san_obj_resize(p, new.size, s->slot_size);
		lalloc_stat_add(s, requested_bytes, delta);
		if (dir == RESIZE_GROW)
			lalloc_stat_inc(s, grow_in_place);
		else
			lalloc_stat_inc(s, shrink_in_place);
		break;
	case LALLOC_KIND_PAGES:
		/*
		 * kmemleak's record goes before the tail pages do (another
		 * owner may get them at once, and an overlapping record
		 * switches kmemleak off), and is made again only when the page
		 * count changes (a caller's kmemleak_not_leak() stays).
		 */
		repage = PAGE_ALIGN(new.size) != PAGE_ALIGN(old.size);
		if (repage)
			lalloc_san_pages_free(p);
		lalloc_large_shrink_in_place(p, old, new);
		lalloc_san_pages_resize(p, new.size, gfp, repage);
		break;
	case LALLOC_KIND_VMALLOC:
		lalloc_gstat_add(vmalloc_requested_bytes, delta);
		break;
	default:
		break;
	}
	if (zero_tail && new.size > old.size)
		memset(p + old.size, 0, new.size - old.size);
	return p;
}

/*
 * A move copies up to the whole block, and a vmalloc block may be a GiB:
 * when the caller may sleep, let others run between chunks.
 */
#define RESIZE_CHUNK	SZ_1M

static void copy_chunked(void *dst, const void *src, size_t len, gfp_t gfp)
{
	size_t n;

	if (!gfpflags_allow_blocking(gfp)) {
		memcpy(dst, src, len);
		return;
	}
	while (len) {
		n = min_t(size_t, len, RESIZE_CHUNK);
		memcpy(dst, src, n);
		dst += n;
		src += n;
		len -= n;
		if (len)
			cond_resched();
	}
}

static void zero_chunked(void *dst, size_t len, gfp_t gfp)
{
	size_t n;

	if (!gfpflags_allow_blocking(gfp)) {
		memset(dst, 0, len);
		return;
	}
	while (len) {
		n = min_t(size_t, len, RESIZE_CHUNK);
		memset(dst, 0, n);
		dst += n;
		len -= n;
		if (len)
			cond_resched();
	}
}

static void count_move(void *p, struct lalloc_layout old, enum resize_dir dir)
{
	struct lalloc_cache *s;

	if (lalloc_kind_of(old) != LALLOC_KIND_SLAB)
		return;
	s = lalloc_slab_of(p)->cache;
	if (dir == RESIZE_GROW)
		lalloc_stat_inc(s, grow_moved);
	else
		lalloc_stat_inc(s, shrink_moved);
}

/**
 * lalloc_resize() - grow or shrink, saying where a moved block came from
 * @p: the block
 * @old: its current layout
 * @new: the new layout
 * @gfp: allocation flags for a move
 * @dir: RESIZE_GROW or RESIZE_SHRINK
 * @zero_tail: zero [@old.size, @new.size) (grow_zeroed)
 * @origin: set when the block moved or was allocated; may be NULL
 *
 * Return: as lalloc_grow().
 */
void *lalloc_resize(void *p, struct lalloc_layout old, struct lalloc_layout new,
		    gfp_t gfp, enum resize_dir dir, bool zero_tail, u32 *origin)
{
	unsigned int old_kind = lalloc_kind_of(old);
	unsigned int new_kind = lalloc_kind_of(new);
	bool prefer_move = false;
	void *q;

	if (old_kind == LALLOC_KIND_INVALID || new_kind == LALLOC_KIND_INVALID ||
	    (dir == RESIZE_GROW && new.size < old.size) ||
	    (dir == RESIZE_SHRINK && new.size > old.size) ||
	    (!p && old_kind != LALLOC_KIND_ZST)) {
		lalloc_gstat_inc(invalid_layouts);
		return NULL;
	}
	/*
	 * A vmalloc-kind block is looked up before it is used: a pointer into
	 * one (or not one at all) would be copied from, zeroed past its end,
	 * remapped or freed as if it were the block.
	 */
	if (old_kind == LALLOC_KIND_VMALLOC && !lalloc_vmalloc_check(p, old, "resize"))
		return NULL;
	gfp &= ~__GFP_ZERO;
	/* A block of a cache with debug checks is checked before it is used. */
	if (old_kind == LALLOC_KIND_SLAB && lalloc_hooks_on()) {
		struct lalloc_cache *s = lalloc_cache_of(lalloc_padded(old));
		struct lalloc_slab *slab = READ_ONCE(s->debug_flags) ? NULL : lalloc_slab_of(p);

		/* The layout's cache has checks, or the block lives in a debug slab. */
		if ((READ_ONCE(s->debug_flags) || (slab && slab->dbg)) &&
		    !lalloc_debug_check_live(s, p, old))
			return NULL;
	}

	if (old_kind == LALLOC_KIND_ZST)
		return __lalloc_alloc(new, zero_tail ? gfp | __GFP_ZERO : gfp, origin);
	if (new_kind == LALLOC_KIND_ZST) {
		lalloc_free(p, old);
		if (origin)
			*origin = LALLOC_ORIGIN_ZST;
		return lalloc_zst(new.align);
	}

	if (old_kind == new_kind &&
	    resize_in_place(p, old, new, old_kind, dir, &prefer_move) &&
	    !prefer_move)
		return commit_in_place(p, old, new, old_kind, dir, zero_tail, gfp);

	/* vmalloc to vmalloc: the same pages, mapped again, nothing copied. */
	if (old_kind == LALLOC_KIND_VMALLOC && new_kind == LALLOC_KIND_VMALLOC) {
		q = lalloc_vmalloc_remap(p, old, new, gfp);
		if (q) {
			if (zero_tail && new.size > old.size)
				zero_chunked(q + old.size, new.size - old.size, gfp);
			if (origin)
				*origin = LALLOC_ORIGIN_VMALLOC;
			return q;
		}
	}

	q = __lalloc_alloc(new, gfp, origin);
	if (!q) {
		/* A shrink that wanted a smaller class may still stay put. */
		if (prefer_move)
			return commit_in_place(p, old, new, old_kind, dir, false, gfp);
		return NULL;
	}
	copy_chunked(q, p, min(old.size, new.size), gfp);
	if (zero_tail && new.size > old.size)
		zero_chunked(q + old.size, new.size - old.size, gfp);
	count_move(p, old, dir);
	lalloc_free(p, old);
	return q;
}

/**
 * lalloc_grow() - make a block larger, keeping its contents
 * @p: the block
 * @old: its current layout
 * @new: the new layout; @new.size >= @old.size, any valid alignment
 * @gfp: allocation flags for a move
 *
 * Context: as lalloc_alloc().
 * Return: the block (@p if it stayed in place), or NULL with @p untouched
 * and still owned by the caller, also when the layouts are invalid or a
 * vmalloc-kind @p is not the start of a block @old describes (counted in
 * errors_detected).
 */
void *lalloc_grow(void *p, struct lalloc_layout old, struct lalloc_layout new,
		  gfp_t gfp)
{
	return lalloc_resize(p, old, new, gfp, RESIZE_GROW, false, NULL);
}
EXPORT_SYMBOL_GPL(lalloc_grow);

/**
 * lalloc_grow_zeroed() - lalloc_grow() that zeroes the new bytes
 * @p: the block
 * @old: its current layout
 * @new: the new layout; @new.size >= @old.size
 * @gfp: allocation flags for a move
 *
 * Bytes [@old.size, @new.size) of the result are zero.
 *
 * Context: as lalloc_alloc().
 * Return: as lalloc_grow().
 */
void *lalloc_grow_zeroed(void *p, struct lalloc_layout old,
			 struct lalloc_layout new, gfp_t gfp)
{
	return lalloc_resize(p, old, new, gfp, RESIZE_GROW, true, NULL);
}
EXPORT_SYMBOL_GPL(lalloc_grow_zeroed);

/**
 * lalloc_shrink() - make a block smaller, keeping its first @new.size bytes
 * @p: the block
 * @old: its current layout
 * @new: the new layout; @new.size <= @old.size, any valid alignment
 * @gfp: allocation flags for a move
 *
 * A shrink may move the block to a smaller class to give memory back; when
 * that allocation fails and the block already fits @new, it stays in place.
 *
 * Context: as lalloc_alloc().
 * Return: as lalloc_grow().
 */
void *lalloc_shrink(void *p, struct lalloc_layout old, struct lalloc_layout new,
		    gfp_t gfp)
{
	return lalloc_resize(p, old, new, gfp, RESIZE_SHRINK, false, NULL);
}
EXPORT_SYMBOL_GPL(lalloc_shrink);

/**
 * lalloc_realloc() - allocate, resize or free in one call
 * @p: the block, or NULL
 * @old: its current layout (ignored when @p is NULL)
 * @new: the layout wanted
 * @gfp: allocation flags
 *
 * The single entry Rust-for-Linux's Allocator::realloc uses: a NULL @p or a
 * zero-size @old allocates @new; a zero-size @new frees @p and returns the
 * zero-size block of @new's alignment; otherwise grow or shrink.
 *
 * Context: as lalloc_alloc().
 * Return: the block, or NULL with @p untouched.
 */
void *lalloc_realloc(void *p, struct lalloc_layout old,
		     struct lalloc_layout new, gfp_t gfp)
{
	if (!lalloc_layout_valid(new)) {
		lalloc_gstat_inc(invalid_layouts);
		return NULL;
	}
	if (!p || !old.size)
		return lalloc_alloc(new, gfp);
	if (!lalloc_layout_valid(old)) {
		lalloc_gstat_inc(invalid_layouts);
		return NULL;
	}
	if (!new.size) {
		lalloc_free(p, old);
		return lalloc_zst(new.align);
	}
	if (new.size >= old.size)
		return lalloc_grow(p, old, new, gfp);
	return lalloc_shrink(p, old, new, gfp);
}
EXPORT_SYMBOL_GPL(lalloc_realloc);
