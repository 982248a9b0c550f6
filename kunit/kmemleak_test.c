// SPDX-License-Identifier: GPL-2.0
/*
 * kmemleak sees each lalloc object (module/sanitizers.c): a leaked object
 * (also one alone in its slab), page block (also one shrunk in place) or
 * vmalloc-kind block is reported, a referenced one is not, and what a free
 * slot still holds never hides another block's leak.
 *
 * The blocks are made by a kthread that then exits, so no stale copy of
 * their addresses is left on a stack kmemleak scans (the debug kernel's
 * stacks are page-allocator pages, freed with the thread); the test keeps
 * them only masked. kmemleak is driven through its debugfs file: objects
 * younger than its minimum age (5 s) are never reported, and an object is
 * reported on the second scan that finds it unreferenced.
 */
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/slab.h>
#include <linux/umh.h>
#include <linux/sizes.h>
#include <linux/vmalloc.h>

#include "lalloc_test.h"

#define KMEMLEAK_FILE	"/sys/kernel/debug/kmemleak"
#define REPORT_COPY	"/tmp/lalloc-kunit-kmemleak"
#define KMEMLEAK_MIN_AGE_MS	5000
#define REPORT_MAX	SZ_1M
#define MASK		0xa5a5a5a5a5a5a5a5UL

static const struct lalloc_layout obj_layout = { 64, 8 };
static const struct lalloc_layout pages_layout = { 40000, 8 };
/* Past the page blocks' limit, aligned to a page at most: plain vmap(). */
static const struct lalloc_layout vm_layout = { SZ_4M + SZ_64K, 8 };
/* A class whose slabs hold one object: the slab's own struct names it. */
static const struct lalloc_layout lone_layout = { 30000, 8 };
/* Half the page blocks are shrunk in place to this, by a page. */
static const struct lalloc_layout pages_shrunk = { 36000, 8 };
/*
 * The freed slots naming kmalloc blocks: a class nothing else here uses,
 * so no later allocation takes one of them back (and zeroes the pointer).
 */
static const struct lalloc_layout slot_layout = { 200, 8 };

/*
 * kmemleak is conservative: a stale copy of an address anywhere it scans
 * (a live block's uninitialised bytes) keeps that block from being
 * reported. So each kind of leak is made several times and must be seen
 * at least once; before lalloc registered objects, none ever was.
 */
#define NR_LEAKS	4

/* What the kthread made; addresses masked unless meant to be seen. */
static struct leak_set {
	unsigned long obj[NR_LEAKS];	/* lalloc objects nothing points to */
	unsigned long pages[NR_LEAKS];	/* lalloc page blocks, the same */
	unsigned long lone[NR_LEAKS];	/* objects alone in their slabs, the same */
	unsigned long vm[NR_LEAKS];	/* vmalloc-kind blocks, the same */
	unsigned long slot[NR_LEAKS];	/* freed slots, each naming a target */
	unsigned long target[NR_LEAKS];	/* kmalloc blocks named only by a freed slot */
	void *kept_obj;			/* referenced from here: not a leak */
	void *kept_target;		/* referenced only by @kept_obj */
	unsigned int page_refs;		/* struct pages naming a leak */
	int err;
	struct completion made;
} leaks;

static struct lalloc_layout page_leak_layout(unsigned int i)
{
	return i % 2 ? pages_layout : pages_shrunk;
}

static void free_leaks(void)
{
	unsigned int i;

	for (i = 0; i < NR_LEAKS; i++) {
		if (leaks.obj[i])
			lalloc_free((void *)(leaks.obj[i] ^ MASK), obj_layout);
		if (leaks.vm[i])
			lalloc_free((void *)(leaks.vm[i] ^ MASK), vm_layout);
		if (leaks.lone[i])
			lalloc_free((void *)(leaks.lone[i] ^ MASK), lone_layout);
		if (leaks.pages[i])
			lalloc_free((void *)(leaks.pages[i] ^ MASK), page_leak_layout(i));
		if (leaks.target[i])
			kfree((void *)(leaks.target[i] ^ MASK));
	}
	lalloc_free(leaks.kept_obj, obj_layout);
	kfree(leaks.kept_target);
}

/*
 * Whether a word of a struct page of [@p, @p + @size) points into it:
 * kmemleak scans every struct page in use, so such a word (a former
 * owner's, left by the page allocator) would hide the block's leak.
 */
static bool struct_pages_name(const void *p, size_t size)
{
	struct page *page = virt_to_page(p);
	unsigned long n = DIV_ROUND_UP(offset_in_page(p) + size, PAGE_SIZE);
	unsigned long lo = (unsigned long)p, hi = lo + size;
	const unsigned long *w;
	unsigned int i;

	for (; n; n--, page++) {
		w = (const unsigned long *)page;
		for (i = 0; i < sizeof(*page) / sizeof(*w); i++)
			if (w[i] >= lo && w[i] < hi)
				return true;
	}
	return false;
}

static int make_one(unsigned int i)
{
	void *obj, *lone, *pages, *shrunk, *vm, *slot, *target;

	/*
	 * Zeroed: a leak's stale contents (recycled pages of earlier slabs and
	 * blocks) may hold addresses of the other leaks, which kmemleak then
	 * rightly counts as references. Seen: 0 of 4 page blocks reported.
	 */
	obj = lalloc_alloc_zeroed(obj_layout, GFP_KERNEL);
	lone = lalloc_alloc_zeroed(lone_layout, GFP_KERNEL);
	vm = lalloc_alloc_zeroed(vm_layout, GFP_KERNEL);
	pages = lalloc_alloc_zeroed(pages_layout, GFP_KERNEL);
	/* kmemleak's record follows a shrink in place that frees a page. */
	if (pages && !(i % 2)) {
		/* In place: a page block shrinks by freeing its tail. */
		shrunk = lalloc_shrink(pages, pages_layout, pages_shrunk, GFP_KERNEL);
		if (shrunk != pages) {
			if (shrunk)
				lalloc_free(shrunk, pages_shrunk);
			else
				lalloc_free(pages, pages_layout);
			pages = NULL;
		}
	}
	slot = lalloc_alloc_zeroed(slot_layout, GFP_KERNEL);
	target = kzalloc(128, GFP_KERNEL);
	if (obj)
		leaks.obj[i] = (unsigned long)obj ^ MASK;
	if (lone)
		leaks.lone[i] = (unsigned long)lone ^ MASK;
	if (vm)
		leaks.vm[i] = (unsigned long)vm ^ MASK;
	if (pages)
		leaks.pages[i] = (unsigned long)pages ^ MASK;
	if (target)
		leaks.target[i] = (unsigned long)target ^ MASK;
	if (!obj || !lone || !vm || !pages || !slot || !target) {
		lalloc_free(slot, slot_layout);
		return -ENOMEM;
	}
	leaks.page_refs += struct_pages_name(obj, obj_layout.size) +
			   struct_pages_name(pages, page_leak_layout(i).size);
	/* Past the first word, where a free slot may keep its link. */
	((void **)slot)[1] = target;
	leaks.slot[i] = (unsigned long)slot ^ MASK;	/* freed once all are made */
	return 0;
}

static int make_leaks(void *unused)
{
	unsigned int i;

	for (i = 0; i < NR_LEAKS && !leaks.err; i++)
		leaks.err = make_one(i);
	/* Not before: the next make_one() would take the slot back. */
	for (i = 0; i < NR_LEAKS; i++)
		if (leaks.slot[i])
			lalloc_free((void *)(leaks.slot[i] ^ MASK), slot_layout);
	leaks.kept_obj = lalloc_alloc_zeroed(obj_layout, GFP_KERNEL);
	leaks.kept_target = kzalloc(128, GFP_KERNEL);
	if (!leaks.kept_obj || !leaks.kept_target)
		leaks.err = -ENOMEM;
	else
		((void **)leaks.kept_obj)[1] = leaks.kept_target;
	complete(&leaks.made);
	/* Exit only when stopped: kthread_stop() then waits for the exit. */
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

/*
 * Two scans, then kmemleak's report copied to @REPORT_COPY. kmemleak's
 * debugfs file has no write_iter or read_iter, so the kernel cannot use it
 * directly: a shell does, as an administrator would.
 */
static int kmemleak_scan_twice(void)
{
	static char *argv[] = { "/bin/sh", "-c",
		"echo scan > " KMEMLEAK_FILE " && echo scan > " KMEMLEAK_FILE
		" && cat " KMEMLEAK_FILE " > " REPORT_COPY, NULL };
	static char *envp[] = { "PATH=/bin:/sbin:/usr/bin", NULL };

	return call_usermodehelper(argv[0], argv, envp, UMH_WAIT_PROC);
}

/* The copy of kmemleak's report, NUL-terminated; vfree() it. */
static char *kmemleak_report(void)
{
	struct file *f = filp_open(REPORT_COPY, O_RDONLY, 0);
	char *buf = vzalloc(REPORT_MAX);
	loff_t pos = 0;
	size_t len = 0;
	ssize_t n;

	if (IS_ERR(f)) {
		vfree(buf);
		return NULL;
	}
	while (buf && len < REPORT_MAX - 1) {
		n = kernel_read(f, buf + len, REPORT_MAX - 1 - len, &pos);
		if (n <= 0)
			break;
		len += n;
	}
	filp_close(f, NULL);
	return buf;
}

static bool reported(const char *report, unsigned long addr)
{
	char line[48];

	snprintf(line, sizeof(line), "unreferenced object 0x%08lx ", addr);
	return strstr(report, line);
}

static unsigned int nr_reported(const char *report, const unsigned long *masked)
{
	unsigned int i, n = 0;

	for (i = 0; i < NR_LEAKS; i++)
		n += reported(report, masked[i] ^ MASK);
	return n;
}

static void kmemleak_sees_lalloc_objects(struct kunit *test)
{
	unsigned int objs, lones, vms, pages, targets, kept = 0, i;
	struct task_struct *t;
	struct file *f;
	char *report;

	if (!IS_ENABLED(CONFIG_DEBUG_KMEMLEAK))
		kunit_skip(test, "no kmemleak in this kernel");
	f = filp_open(KMEMLEAK_FILE, O_RDONLY, 0);
	if (IS_ERR(f))
		kunit_skip(test, "no " KMEMLEAK_FILE);
	filp_close(f, NULL);

	memset(&leaks, 0, sizeof(leaks));
	init_completion(&leaks.made);
	t = kthread_run(make_leaks, NULL, "lalloc-leaks");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	wait_for_completion(&leaks.made);
	/* Its exit gives its stack back to the page allocator. */
	kthread_stop(t);
	if (leaks.err) {
		free_leaks();
		KUNIT_FAIL(test, "could not make the blocks: %d", leaks.err);
		return;
	}
	msleep(KMEMLEAK_MIN_AGE_MS + 500);

	KUNIT_EXPECT_EQ(test, kmemleak_scan_twice(), 0);
	report = kmemleak_report();
	if (report) {
		objs = nr_reported(report, leaks.obj);
		pages = nr_reported(report, leaks.pages);
		lones = nr_reported(report, leaks.lone);
		vms = nr_reported(report, leaks.vm);
		targets = nr_reported(report, leaks.target);
		kunit_info(test, "reported: %u/%u objects, %u/%u lone, %u/%u page blocks, %u/%u vmalloc, %u/%u named by free slots\n",
			   objs, NR_LEAKS, lones, NR_LEAKS, pages, NR_LEAKS, vms, NR_LEAKS,
			   targets, NR_LEAKS);
		KUNIT_EXPECT_EQ_MSG(test, leaks.page_refs, 0,
				    "a struct page names a leaked block");
		KUNIT_EXPECT_GT_MSG(test, objs, 0, "a leaked lalloc object is not reported");
		KUNIT_EXPECT_GT_MSG(test, lones, 0, "a leaked one-object slab is not reported");
		KUNIT_EXPECT_GT_MSG(test, pages, 0, "a leaked lalloc page block is not reported");
		KUNIT_EXPECT_GT_MSG(test, vms, 0, "a leaked vmalloc-kind block is not reported");
		KUNIT_EXPECT_GT_MSG(test, targets, 0, "a free slot's stale pointer hides a leak");
		/* Else the check above proves nothing: the pointers are gone. */
		for (i = 0; i < NR_LEAKS; i++)
			LALLOC_TEST_STRAY(kept += ((void **)(leaks.slot[i] ^ MASK))[1] ==
					  (void *)(leaks.target[i] ^ MASK));
		KUNIT_EXPECT_EQ_MSG(test, kept, NR_LEAKS,
				    "a freed slot was taken again: it no longer names its target");
		KUNIT_EXPECT_FALSE_MSG(test, reported(report, (unsigned long)leaks.kept_obj),
				       "a referenced lalloc object is reported");
		KUNIT_EXPECT_FALSE_MSG(test, reported(report, (unsigned long)leaks.kept_target),
				       "a block a lalloc object points to is reported");
	}
	vfree(report);
	free_leaks();
	memset(&leaks, 0, sizeof(leaks));
	KUNIT_EXPECT_NOT_NULL(test, report);
}

static struct kunit_case lalloc_kmemleak_cases[] = {
	KUNIT_CASE_SLOW(kmemleak_sees_lalloc_objects),
	{}
};

struct kunit_suite lalloc_kmemleak_suite = {
	.name = "lalloc_kmemleak",
	.test_cases = lalloc_kmemleak_cases,
};
