// SPDX-License-Identifier: GPL-2.0
/*
 * Layouts with the rules of Rust's core::alloc::Layout: the alignment is a
 * power of two and the size rounded up to it fits in isize (LONG_MAX).
 */
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/log2.h>
#include <linux/overflow.h>

#include "internal.h"

/**
 * lalloc_layout_valid() - whether a layout obeys Rust's Layout rules
 * @l: the layout
 *
 * Return: true when @l.align is a power of two and @l.size rounded up to it
 * is at most LONG_MAX.
 */
bool lalloc_layout_valid(struct lalloc_layout l)
{
	return is_power_of_2(l.align) && l.size <= LONG_MAX - (l.align - 1);
}

/**
 * lalloc_layout_new() - build a layout, as Rust's Layout::from_size_align
 * @size: size in bytes, may be 0
 * @align: alignment, a power of two
 * @out: where the layout is stored on success
 *
 * Return: 0, or -EINVAL when @align is not a power of two or @size rounded
 * up to @align exceeds LONG_MAX; @out is then left untouched.
 */
int lalloc_layout_new(size_t size, size_t align, struct lalloc_layout *out)
{
	struct lalloc_layout l = { .size = size, .align = align };

	if (!lalloc_layout_valid(l))
		return -EINVAL;
	*out = l;
	return 0;
}
EXPORT_SYMBOL_GPL(lalloc_layout_new);

/**
 * lalloc_layout_pad_to_align() - round a layout's size up to its alignment
 * @l: a valid layout
 *
 * As Rust's Layout::pad_to_align: (9, 4) becomes (12, 4). A valid layout
 * cannot overflow here; an invalid one is returned unchanged.
 *
 * Return: the padded layout.
 */
struct lalloc_layout lalloc_layout_pad_to_align(struct lalloc_layout l)
{
	if (lalloc_layout_valid(l))
		l.size = lalloc_padded(l);
	return l;
}
EXPORT_SYMBOL_GPL(lalloc_layout_pad_to_align);

/**
 * lalloc_layout_array() - the layout of @n elements of layout @elem
 * @elem: the element's layout; its stride is its size padded to its alignment
 * @n: number of elements
 * @out: where the layout is stored on success
 *
 * As Rust's Layout::array: fails when @n strides overflow or exceed
 * LONG_MAX - (align - 1).
 *
 * Return: 0, or -EINVAL (@out untouched).
 */
int lalloc_layout_array(struct lalloc_layout elem, size_t n,
			struct lalloc_layout *out)
{
	size_t bytes;

	if (!lalloc_layout_valid(elem))
		return -EINVAL;
	if (check_mul_overflow(lalloc_padded(elem), n, &bytes))
		return -EINVAL;
	return lalloc_layout_new(bytes, elem.align, out);
}
EXPORT_SYMBOL_GPL(lalloc_layout_array);

/**
 * lalloc_layout_extend() - append field @b after record @a, as repr(C) does
 * @a: the record so far
 * @b: the next field
 * @out: the extended record (no trailing padding: see pad_to_align)
 * @offset: where @b starts inside it; may be NULL
 *
 * As Rust's Layout::extend: the offset is @a's size padded to @b's
 * alignment, the alignment is the larger of the two.
 *
 * Return: 0, or -EINVAL on overflow or an invalid input (@out and @offset
 * untouched).
 */
int lalloc_layout_extend(struct lalloc_layout a, struct lalloc_layout b,
			 struct lalloc_layout *out, size_t *offset)
{
	size_t off, size;
	struct lalloc_layout padded_a = { .size = a.size, .align = b.align };

	if (!lalloc_layout_valid(a) || !lalloc_layout_valid(b))
		return -EINVAL;
	/* a.size <= LONG_MAX, so padding it to b.align cannot wrap size_t. */
	off = lalloc_padded(padded_a);
	if (check_add_overflow(off, b.size, &size))
		return -EINVAL;
	if (lalloc_layout_new(size, max(a.align, b.align), out))
		return -EINVAL;
	if (offset)
		*offset = off;
	return 0;
}
EXPORT_SYMBOL_GPL(lalloc_layout_extend);
