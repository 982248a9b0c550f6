// SPDX-License-Identifier: GPL-2.0
/*
 * The two allocators a /dev/lalloc file can run on: lalloc itself, and
 * kmalloc for comparison, used the way a kmalloc user who needs an
 * alignment must use it: the size rounded up to a power of two at least
 * the alignment (kmalloc aligns power-of-two sizes naturally), krealloc
 * to resize, kfree to free.
 */
#include <linux/log2.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "device.h"

/* The size a kmalloc user asks for to get @l; 0 for a zero-size layout. */
static size_t kmalloc_request(struct lalloc_layout l)
{
	if (!l.size)
		return 0;
	if (l.align <= ARCH_KMALLOC_MINALIGN)
		return l.size;
	return roundup_pow_of_two(max(l.size, l.align));
}

/* What kmalloc really holds for @l: its bucket (or page order) size. */
static size_t kmalloc_usable(struct lalloc_layout l)
{
	size_t req = kmalloc_request(l);

	return req ? kmalloc_size_roundup(req) : 0;
}

static int kmalloc_backend_alloc(struct lalloc_handle *h)
{
	size_t req = kmalloc_request(h->l);

	h->origin = LALLOC_ORIGIN_KMALLOC;
	if (!req) {
		h->p = ZERO_SIZE_PTR;
		h->usable = 0;
		return 0;
	}
	if (req > KMALLOC_MAX_SIZE)
		return -ENOMEM;
	h->p = kmalloc(req, LALLOC_USER_GFP | __GFP_ZERO);
	if (!h->p)
		return -ENOMEM;
	h->usable = kmalloc_usable(h->l);
	return 0;
}

static int kmalloc_backend_resize(struct lalloc_handle *h,
				  struct lalloc_layout new, u32 *moved)
{
	size_t req = kmalloc_request(new);
	void *q;

	if (req > KMALLOC_MAX_SIZE)
		return -ENOMEM;
	if (!req) {
		kfree(h->p);
		q = ZERO_SIZE_PTR;
	} else if ((h->usable && !IS_ALIGNED((unsigned long)h->p, new.align)) ||
		   kmalloc_usable(new) < h->usable) {
		/*
		 * krealloc keeps a block that fits, whatever its alignment, and
		 * keeps a large block for a small request: either way it would
		 * hold more than the new bucket. Move to a block of the new size.
		 */
		q = kmalloc(req, LALLOC_USER_GFP);
		if (!q) {
			/* A shrink may stay where it is, still holding all of it. */
			if (new.size > h->l.size ||
			    !IS_ALIGNED((unsigned long)h->p, new.align))
				return -ENOMEM;
			*moved = 0;
			h->l = new;
			return 0;
		}
		memcpy(q, h->p, min(h->l.size, new.size));
		kfree(h->p);
	} else {
		q = krealloc(h->p, req, LALLOC_USER_GFP);
		if (!q)
			return -ENOMEM;
	}
	/* krealloc in place leaves the bucket's old bytes past the old size. */
	if (new.size > h->l.size)
		memset(q + h->l.size, 0, new.size - h->l.size);
	*moved = q != h->p;
	h->p = q;
	h->l = new;
	h->usable = kmalloc_usable(new);
	return 0;
}

/**
 * lalloc_backend_usable() - the bytes a backend will really hold for a layout
 * @f: the file, whose backend is fixed
 * @l: a valid layout
 *
 * The device charges its caps with this before allocating, so a small
 * request that the backend rounds up a long way (kmalloc's power-of-two
 * buckets for an alignment, a slab class, whole pages) is refused before
 * the memory is taken.
 *
 * Return: what lalloc_usable_size() (or the kmalloc bucket) will report.
 */
size_t lalloc_backend_usable(struct lalloc_file *f, struct lalloc_layout l)
{
	if (f->backend == LALLOC_BACKEND_KMALLOC)
		return kmalloc_usable(l);
	switch (lalloc_kind_of(l)) {
	case LALLOC_KIND_SLAB:
		return lalloc_cache_of(lalloc_padded(l))->slot_size;
	case LALLOC_KIND_PAGES:
	case LALLOC_KIND_VMALLOC:
		return PAGE_ALIGN(l.size);
	default:
		return 0;
	}
}

int lalloc_backend_alloc(struct lalloc_file *f, struct lalloc_handle *h)
{
	if (f->backend == LALLOC_BACKEND_KMALLOC)
		return kmalloc_backend_alloc(h);
	h->p = __lalloc_alloc(h->l, LALLOC_USER_GFP | __GFP_ZERO, &h->origin);
	if (!h->p)
		return -ENOMEM;
	h->usable = lalloc_usable_size(h->p, h->l);
	return 0;
}

void lalloc_backend_free(struct lalloc_file *f, struct lalloc_handle *h)
{
	if (f->backend == LALLOC_BACKEND_KMALLOC)
		kfree(h->p);
	else
		lalloc_free(h->p, h->l);
	h->p = NULL;
}

int lalloc_backend_resize(struct lalloc_file *f, struct lalloc_handle *h,
			  struct lalloc_layout new, u32 *moved)
{
	enum resize_dir dir = new.size >= h->l.size ? RESIZE_GROW : RESIZE_SHRINK;
	u32 origin = h->origin;
	void *q;

	if (f->backend == LALLOC_BACKEND_KMALLOC)
		return kmalloc_backend_resize(h, new, moved);
	/* The origin changes only if the resize happens. */
	q = lalloc_resize(h->p, h->l, new, LALLOC_USER_GFP, dir, true, &origin);
	if (!q)
		return -ENOMEM;
	h->origin = origin;
	*moved = q != h->p;
	h->p = q;
	h->l = new;
	h->usable = lalloc_usable_size(q, new);
	return 0;
}

void lalloc_backend_info(struct lalloc_file *f, struct lalloc_handle *h,
			 struct lalloc_info *info)
{
	if (f->backend == LALLOC_BACKEND_KMALLOC) {
		info->kind = LALLOC_KIND_KMALLOC;
		return;
	}
	info->kind = lalloc_kind_of(h->l);
	if (info->kind == LALLOC_KIND_SLAB) {
		struct lalloc_slab *slab = lalloc_slab_of(h->p);

		info->class_slot = slab->cache->slot_size;
		info->class_index = slab->cache - lalloc_caches;
		info->slab_order = slab->order;
	}
}
