// SPDX-License-Identifier: GPL-2.0
/*
 * KASAN sees inside lalloc's slabs and page blocks (module/sanitizers.c).
 *
 * In the style of mm/kasan/kasan_test.c: each case makes one bad access
 * (an overflow, a use after free) or one that must be fine, and says first
 * on the console what KASAN must report for it: "expect slab-out-of-bounds",
 * "expect none", ... A module cannot hook KASAN's reports, so the VM harness
 * checks them (scripts/vm --expect-kasan, scripts/kasan-expected): every
 * expectation met by exactly one report of that type, in order, and no
 * other report. The suite is a module of its own, built for KASAN kernels
 * only and run in a boot of its own, with kasan_multi_shot on the command
 * line (every report printed, none of them a panic_on_warn): a KASAN
 * report turns lockdep off for the rest of the boot.
 */
#include <kunit/test.h>
#include <linux/kasan.h>
#include <linux/lalloc.h>
#include <linux/module.h>

/*
 * Say what the next access must make KASAN report, for the harness, then
 * make it. KASAN also fails the KUnit case it reports in: that is how the
 * case itself sees the report come, and it is passed again when it did.
 */
#define EXPECT_KASAN(test, bug_type, access) do {			\
	struct kunit *t_ = (test);					\
	enum kunit_status was = READ_ONCE(t_->status);			\
	bool came;							\
									\
	KUNIT_ASSERT_EQ(t_, was, KUNIT_SUCCESS);			\
	pr_info("expect %s\n", bug_type);				\
	access;								\
	came = READ_ONCE(t_->status) == KUNIT_FAILURE;			\
	WRITE_ONCE(t_->status, was);					\
	KUNIT_EXPECT_TRUE_MSG(t_, came, "no KASAN report for " #access); \
} while (0)

/* An access KASAN must let through: a report would fail the case. */
#define EXPECT_NO_KASAN(access) do {					\
	pr_info("expect none\n");					\
	access;								\
} while (0)

static void read_byte(void *p, size_t off)
{
	char *c = p;

	OPTIMIZER_HIDE_VAR(c);
	(void)READ_ONCE(c[off]);
}

static void write_byte(void *p, size_t off)
{
	char *c = p;

	OPTIMIZER_HIDE_VAR(c);
	WRITE_ONCE(c[off], 0x5a);
}

static void *alloc_ok(struct kunit *test, struct lalloc_layout l)
{
	void *p = lalloc_alloc(l, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	return p;
}

/* {100, 64} lives in a 128-byte slot: bytes 100..127 are its red zone. */
static void slab_read_past_end(struct kunit *test)
{
	struct lalloc_layout l = { 100, 64 };
	void *p = alloc_ok(test, l);

	EXPECT_KASAN(test, "slab-out-of-bounds", read_byte(p, l.size));
	lalloc_free(p, l);
}

static void slab_write_in_slot_tail(struct kunit *test)
{
	struct lalloc_layout l = { 100, 64 };
	void *p = alloc_ok(test, l);

	EXPECT_KASAN(test, "slab-out-of-bounds", write_byte(p, 120));
	lalloc_free(p, l);
}

static void slab_read_after_free(struct kunit *test)
{
	struct lalloc_layout l = { 64, 8 };
	void *p = alloc_ok(test, l);

	lalloc_free(p, l);
	EXPECT_KASAN(test, "slab-use-after-free", read_byte(p, 8));
}

/* A grow that moves frees the old block: it is a use after free. */
static void slab_old_block_after_move(struct kunit *test)
{
	struct lalloc_layout l = { 64, 8 }, big = { 2000, 8 };
	void *p = alloc_ok(test, l), *q;

	q = lalloc_grow(p, l, big, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	KUNIT_ASSERT_PTR_NE(test, p, q);
	EXPECT_KASAN(test, "slab-use-after-free", read_byte(p, 0));
	lalloc_free(q, big);
}

/* A shrink in place gives the tail back: it is red zone again. */
static void slab_tail_after_shrink(struct kunit *test)
{
	struct lalloc_layout l = { 200, 8 }, small = { 196, 8 };
	void *p = alloc_ok(test, l), *q;

	q = lalloc_shrink(p, l, small, GFP_KERNEL);
	KUNIT_ASSERT_PTR_EQ(test, p, q);
	EXPECT_KASAN(test, "slab-out-of-bounds", read_byte(q, 198));
	lalloc_free(q, small);
}

/* A grow in place opens the slot up to the new size. */
static void slab_grow_in_place_is_fine(struct kunit *test)
{
	struct lalloc_layout l = { 100, 64 }, grown = { 128, 64 };
	void *p = alloc_ok(test, l), *q;

	q = lalloc_grow(p, l, grown, GFP_KERNEL);
	KUNIT_ASSERT_PTR_EQ(test, p, q);
	EXPECT_NO_KASAN(write_byte(q, grown.size - 1));
	lalloc_free(q, grown);
}

/* As ksize() for kmalloc: the usable size is the caller's once asked. */
static void slab_usable_size_is_fine(struct kunit *test)
{
	struct lalloc_layout l = { 100, 64 };
	void *p = alloc_ok(test, l);
	size_t usable = lalloc_usable_size(p, l);

	KUNIT_EXPECT_EQ(test, usable, 128);
	EXPECT_NO_KASAN(write_byte(p, usable - 1));
	lalloc_free(p, l);
}

/* A slot freed and handed out again is live up to its new size. */
static void slab_reused_slot_is_fine(struct kunit *test)
{
	struct lalloc_layout l = { 100, 64 };
	void *p = alloc_ok(test, l), *q;

	lalloc_free(p, l);
	q = alloc_ok(test, l);
	EXPECT_NO_KASAN(write_byte(q, l.size - 1));
	EXPECT_NO_KASAN(read_byte(q, 0));
	lalloc_free(q, l);
}

/* 40000 bytes: ten pages, the last one partly a red zone; 36000: nine. */
static void pages_read_past_end(struct kunit *test)
{
	struct lalloc_layout l = { 40000, 8 };
	void *p = alloc_ok(test, l);

	EXPECT_KASAN(test, "slab-out-of-bounds", read_byte(p, l.size));
	lalloc_free(p, l);
}

static void pages_tail_after_shrink(struct kunit *test)
{
	struct lalloc_layout l = { 40000, 8 }, small = { 36000, 8 };
	void *p = alloc_ok(test, l), *q;

	q = lalloc_shrink(p, l, small, GFP_KERNEL);
	KUNIT_ASSERT_PTR_EQ(test, p, q);
	EXPECT_KASAN(test, "slab-out-of-bounds", read_byte(q, small.size + 8));
	lalloc_free(q, small);
}

static void pages_read_after_free(struct kunit *test)
{
	struct lalloc_layout l = { 40000, 8 };
	void *p = alloc_ok(test, l);

	lalloc_free(p, l);
	EXPECT_KASAN(test, "use-after-free", read_byte(p, 0));
}

static void pages_whole_block_is_fine(struct kunit *test)
{
	struct lalloc_layout l = { 40000, 8 };
	void *p = alloc_ok(test, l);

	EXPECT_NO_KASAN(write_byte(p, 0));
	EXPECT_NO_KASAN(write_byte(p, l.size - 1));
	lalloc_free(p, l);
}

static struct kunit_case lalloc_kasan_cases[] = {
	KUNIT_CASE(slab_read_past_end),
	KUNIT_CASE(slab_write_in_slot_tail),
	KUNIT_CASE(slab_read_after_free),
	KUNIT_CASE(slab_old_block_after_move),
	KUNIT_CASE(slab_tail_after_shrink),
	KUNIT_CASE(slab_grow_in_place_is_fine),
	KUNIT_CASE(slab_usable_size_is_fine),
	KUNIT_CASE(slab_reused_slot_is_fine),
	KUNIT_CASE(pages_read_past_end),
	KUNIT_CASE(pages_tail_after_shrink),
	KUNIT_CASE(pages_read_after_free),
	KUNIT_CASE(pages_whole_block_is_fine),
	{}
};

static struct kunit_suite lalloc_kasan_suite = {
	.name = "lalloc_kasan",
	.test_cases = lalloc_kasan_cases,
};

kunit_test_suite(lalloc_kasan_suite);

MODULE_DESCRIPTION("lalloc: KASAN sees lalloc's objects");
MODULE_LICENSE("GPL");
