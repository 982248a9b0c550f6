/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lalloc: a Layout-aware slab allocator with the contract of Rust's
 * Allocator trait.
 *
 * A layout is a size and a power-of-two alignment, with Rust's
 * Layout::from_size_align rules. Every block is allocated, resized and freed
 * with the layout it currently has; the allocator finds the owning cache from
 * the block's address, so a block shrunk in place is freed with its new,
 * smaller layout.
 *
 * Zero-size layouts allocate nothing: they return a non-NULL, suitably aligned
 * pointer that is not canonical on x86-64, so any access faults.
 */
#ifndef _LINUX_LALLOC_H
#define _LINUX_LALLOC_H

#include <linux/gfp.h>
#include <linux/types.h>

/**
 * struct lalloc_layout - the size and alignment of a block
 * @size: bytes the caller needs; 0 is valid (a zero-size block)
 * @align: a power of two; size rounded up to it is at most LONG_MAX
 */
struct lalloc_layout {
	size_t size;
	size_t align;
};

int lalloc_layout_new(size_t size, size_t align, struct lalloc_layout *out);
int lalloc_layout_array(struct lalloc_layout elem, size_t n,
			struct lalloc_layout *out);
int lalloc_layout_extend(struct lalloc_layout a, struct lalloc_layout b,
			 struct lalloc_layout *out, size_t *offset);
struct lalloc_layout lalloc_layout_pad_to_align(struct lalloc_layout l);

void *lalloc_alloc(struct lalloc_layout l, gfp_t gfp);
void *lalloc_alloc_zeroed(struct lalloc_layout l, gfp_t gfp);
void lalloc_free(void *p, struct lalloc_layout l);
void *lalloc_grow(void *p, struct lalloc_layout old, struct lalloc_layout new,
		  gfp_t gfp);
void *lalloc_grow_zeroed(void *p, struct lalloc_layout old,
			 struct lalloc_layout new, gfp_t gfp);
void *lalloc_shrink(void *p, struct lalloc_layout old,
		    struct lalloc_layout new, gfp_t gfp);
void *lalloc_realloc(void *p, struct lalloc_layout old,
		     struct lalloc_layout new, gfp_t gfp);
size_t lalloc_usable_size(const void *p, struct lalloc_layout l);

#endif /* _LINUX_LALLOC_H */
