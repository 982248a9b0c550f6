// SPDX-License-Identifier: GPL-2.0
/*
 * Layout rules against the vectors of Rust's own library tests
 * (library/core/tests/alloc.rs and the Layout docs).
 */
#include "lalloc_test.h"

/* Whether size rounded up to align fits in isize, computed in 128 bits. */
static bool rust_valid(size_t size, unsigned int shift)
{
	unsigned __int128 align = (unsigned __int128)1 << shift;
	unsigned __int128 rounded = ((size + align - 1) / align) * align;

	return rounded <= (unsigned __int128)LONG_MAX;
}

/* For every align 1 << k, sizes isize::MAX + 1 - align +- 10. */
static void layout_rounded_edge(struct kunit *test)
{
	unsigned int shift;

	for (shift = 0; shift < BITS_PER_LONG; shift++) {
		size_t align = 1UL << shift;
		size_t edge = (size_t)LONG_MAX + 1 - align;
		size_t low = edge >= 10 ? edge - 10 : 0;
		size_t high = edge + 10;
		size_t size;
		struct lalloc_layout out;

		KUNIT_EXPECT_EQ(test, lalloc_layout_new(low, align, &out), 0);
		KUNIT_EXPECT_EQ(test, lalloc_layout_new(high, align, &out), -EINVAL);
		for (size = low; size <= high; size++) {
			struct lalloc_layout l = L(0xabc, 0x10);
			int ret = lalloc_layout_new(size, align, &l);

			KUNIT_EXPECT_EQ_MSG(test, ret == 0, rust_valid(size, shift),
					    "size %zu align 1<<%u", size, shift);
			if (ret) {
				/* On error the output is left alone. */
				KUNIT_EXPECT_EQ(test, l.size, 0xabcUL);
				KUNIT_EXPECT_EQ(test, l.align, 0x10UL);
			} else {
				KUNIT_EXPECT_EQ(test, l.size, size);
				KUNIT_EXPECT_EQ(test, l.align, align);
			}
		}
	}
}

static void layout_bad_align(struct kunit *test)
{
	struct lalloc_layout l;
	unsigned int shift;

	KUNIT_EXPECT_EQ(test, lalloc_layout_new(0, 0, &l), -EINVAL);
	KUNIT_EXPECT_EQ(test, lalloc_layout_new(8, 0, &l), -EINVAL);
	KUNIT_EXPECT_EQ(test, lalloc_layout_new(0, 3, &l), -EINVAL);
	KUNIT_EXPECT_EQ(test, lalloc_layout_new(8, 3, &l), -EINVAL);
	KUNIT_EXPECT_EQ(test, lalloc_layout_new(8, 24, &l), -EINVAL);
	KUNIT_EXPECT_EQ(test, lalloc_layout_new(1, 1UL << 63, &l), -EINVAL);
	/* Every (0, 1 << k) is a valid layout, 1 << 63 included. */
	for (shift = 0; shift < BITS_PER_LONG; shift++)
		KUNIT_EXPECT_EQ(test, lalloc_layout_new(0, 1UL << shift, &l), 0);
	KUNIT_EXPECT_EQ(test, l.align, 1UL << 63);
}

static void layout_pad_to_align(struct kunit *test)
{
	struct lalloc_layout l = lalloc_layout_pad_to_align(L(9, 4));

	KUNIT_EXPECT_EQ(test, l.size, 12UL);
	KUNIT_EXPECT_EQ(test, l.align, 4UL);
	l = lalloc_layout_pad_to_align(L(16, 16));
	KUNIT_EXPECT_EQ(test, l.size, 16UL);
	l = lalloc_layout_pad_to_align(L(0, 4096));
	KUNIT_EXPECT_EQ(test, l.size, 0UL);
	/* The largest valid size for an alignment pads to exactly isize::MAX + 1 - align. */
	l = lalloc_layout_pad_to_align(L(LONG_MAX - 4095, 4096));
	KUNIT_EXPECT_EQ(test, l.size, (size_t)LONG_MAX + 1 - 4096);
}

static void layout_array(struct kunit *test)
{
	struct lalloc_layout out = L(1, 1), u64l = L(8, 8);
	size_t max_n = (LONG_MAX - 7) / 8;

	KUNIT_EXPECT_EQ(test, lalloc_layout_array(u64l, 10, &out), 0);
	KUNIT_EXPECT_EQ(test, out.size, 80UL);
	KUNIT_EXPECT_EQ(test, out.align, 8UL);
	/* Rust: fails exactly when n > (isize::MAX - (align - 1)) / size. */
	KUNIT_EXPECT_EQ(test, lalloc_layout_array(u64l, max_n, &out), 0);
	KUNIT_EXPECT_EQ(test, out.size, max_n * 8);
	KUNIT_EXPECT_EQ(test, lalloc_layout_array(u64l, max_n + 1, &out), -EINVAL);
	KUNIT_EXPECT_EQ(test, out.size, max_n * 8);	/* untouched */
	KUNIT_EXPECT_EQ(test, lalloc_layout_array(u64l, SIZE_MAX, &out), -EINVAL);
	KUNIT_EXPECT_EQ(test, lalloc_layout_array(L(1, 1), LONG_MAX, &out), 0);
	KUNIT_EXPECT_EQ(test, lalloc_layout_array(L(1, 1), (size_t)LONG_MAX + 1, &out),
			-EINVAL);
	/* Zero-size elements: any count. */
	KUNIT_EXPECT_EQ(test, lalloc_layout_array(L(0, 8), SIZE_MAX, &out), 0);
	KUNIT_EXPECT_EQ(test, out.size, 0UL);
	/* The stride is the padded element: (3, 4) x 5 = 20. */
	KUNIT_EXPECT_EQ(test, lalloc_layout_array(L(3, 4), 5, &out), 0);
	KUNIT_EXPECT_EQ(test, out.size, 20UL);
	KUNIT_EXPECT_EQ(test, lalloc_layout_array(L(3, 3), 5, &out), -EINVAL);
}

/* repr(C) struct { u64, u32, u16, u32 }: offsets 0, 8, 12, 16; size 20 (24 padded). */
static void layout_extend_repr_c(struct kunit *test)
{
	static const struct { size_t size, off; } fields[] = {
		{ 8, 0 }, { 4, 8 }, { 2, 12 }, { 4, 16 },
	};
	struct lalloc_layout rec = L(0, 1);
	size_t off;
	int i;

	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		struct lalloc_layout f = L(fields[i].size, fields[i].size);

		KUNIT_ASSERT_EQ(test, lalloc_layout_extend(rec, f, &rec, &off), 0);
		KUNIT_EXPECT_EQ(test, off, fields[i].off);
	}
	KUNIT_EXPECT_EQ(test, rec.size, 20UL);
	KUNIT_EXPECT_EQ(test, rec.align, 8UL);
	KUNIT_EXPECT_EQ(test, lalloc_layout_pad_to_align(rec).size, 24UL);
}

static void layout_extend_overflow(struct kunit *test)
{
	struct lalloc_layout out = L(5, 1);
	size_t off = 77;

	KUNIT_EXPECT_EQ(test, lalloc_layout_extend(L(LONG_MAX, 1), L(1, 1), &out, &off),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, lalloc_layout_extend(L(LONG_MAX - 8, 1), L(8, 16), &out, &off),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, lalloc_layout_extend(L(1, 3), L(8, 8), &out, &off), -EINVAL);
	KUNIT_EXPECT_EQ(test, out.size, 5UL);
	KUNIT_EXPECT_EQ(test, off, 77UL);
	/* Right at the edge: fits. */
	KUNIT_EXPECT_EQ(test, lalloc_layout_extend(L(LONG_MAX - 1, 1), L(1, 1), &out, &off), 0);
	KUNIT_EXPECT_EQ(test, out.size, (size_t)LONG_MAX);
	KUNIT_EXPECT_EQ(test, off, (size_t)LONG_MAX - 1);
}

static struct kunit_case layout_cases[] = {
	KUNIT_CASE(layout_rounded_edge),
	KUNIT_CASE(layout_bad_align),
	KUNIT_CASE(layout_pad_to_align),
	KUNIT_CASE(layout_array),
	KUNIT_CASE(layout_extend_repr_c),
	KUNIT_CASE(layout_extend_overflow),
	{}
};

struct kunit_suite lalloc_layout_suite = {
	.name = "lalloc_layout",
	.test_cases = layout_cases,
};
