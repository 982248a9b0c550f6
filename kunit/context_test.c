// SPDX-License-Identifier: GPL-2.0
/*
 * Atomic contexts: GFP_ATOMIC allocations and frees from a hard-irq
 * hrtimer, a softirq timer, and with interrupts off.
 */
#include <linux/completion.h>
#include <linux/hrtimer.h>
#include <linux/irqflags.h>
#include <linux/timer.h>

#include "lalloc_test.h"

#define CTX_ROUNDS 64

static const struct lalloc_layout ctx_layouts[] = {
	{ 32, 8 }, { 200, 64 }, { 5000, 8 }, { 0, 16 }, { 40000, 4096 },
};

struct ctx_run {
	struct hrtimer hrt;
	struct timer_list timer;
	struct completion done;
	unsigned int round;
	unsigned int failures;	/* blocks missing, misaligned or corrupted */
	unsigned int in_irq;	/* rounds that really ran in that context */
	bool hard;
};

/* One round: allocate one block of each layout, check, free; GFP_ATOMIC. */
static void ctx_round(struct ctx_run *run)
{
	void *p[ARRAY_SIZE(ctx_layouts)];
	unsigned int i;

	if (run->hard ? in_hardirq() : in_serving_softirq())
		run->in_irq++;
	for (i = 0; i < ARRAY_SIZE(ctx_layouts); i++) {
		p[i] = lalloc_alloc(ctx_layouts[i], GFP_ATOMIC);
		if (!p[i] || !IS_ALIGNED((unsigned long)p[i], ctx_layouts[i].align))
			run->failures++;
		else if (ctx_layouts[i].size)
			pattern_fill(p[i], ctx_layouts[i].size, i + run->round);
	}
	for (i = 0; i < ARRAY_SIZE(ctx_layouts); i++) {
		if (p[i] && ctx_layouts[i].size &&
		    pattern_check(p[i], ctx_layouts[i].size, i + run->round) !=
		    ctx_layouts[i].size)
			run->failures++;
		lalloc_free(p[i], ctx_layouts[i]);
	}
}

static enum hrtimer_restart ctx_hrtimer_fn(struct hrtimer *t)
{
	struct ctx_run *run = container_of(t, struct ctx_run, hrt);

	ctx_round(run);
	if (++run->round < CTX_ROUNDS) {
		hrtimer_forward_now(t, ns_to_ktime(100 * NSEC_PER_USEC));
		return HRTIMER_RESTART;
	}
	complete(&run->done);
	return HRTIMER_NORESTART;
}

static void ctx_timer_fn(struct timer_list *t)
{
	struct ctx_run *run = from_timer(run, t, timer);

	ctx_round(run);
	if (++run->round < CTX_ROUNDS)
		mod_timer(t, jiffies + 1);
	else
		complete(&run->done);
}

static void context_hardirq_timer(struct kunit *test)
{
	struct ctx_run *run = kunit_kzalloc(test, sizeof(*run), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, run);
	init_completion(&run->done);
	run->hard = true;
	hrtimer_init(&run->hrt, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	run->hrt.function = ctx_hrtimer_fn;
	hrtimer_start(&run->hrt, ns_to_ktime(100 * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_HARD);
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&run->done, 60 * HZ), 0UL);
	hrtimer_cancel(&run->hrt);
	KUNIT_EXPECT_EQ(test, run->failures, 0U);
	KUNIT_EXPECT_EQ(test, run->in_irq, (unsigned int)CTX_ROUNDS);
}

static void context_softirq_timer(struct kunit *test)
{
	struct ctx_run *run = kunit_kzalloc(test, sizeof(*run), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, run);
	init_completion(&run->done);
	timer_setup(&run->timer, ctx_timer_fn, 0);
	mod_timer(&run->timer, jiffies + 1);
	KUNIT_ASSERT_GT(test, wait_for_completion_timeout(&run->done, 60 * HZ), 0UL);
	del_timer_sync(&run->timer);
	KUNIT_EXPECT_EQ(test, run->failures, 0U);
	KUNIT_EXPECT_EQ(test, run->in_irq, (unsigned int)CTX_ROUNDS);
}

static void context_irqs_off(struct kunit *test)
{
	struct ctx_run run = {};
	unsigned long flags;

	/* Empty the per-CPU stacks so the slow path runs with irqs off too. */
	lalloc_shrink_all();
	local_irq_save(flags);
	for (run.round = 0; run.round < CTX_ROUNDS; run.round++)
		ctx_round(&run);
	local_irq_restore(flags);
	KUNIT_EXPECT_EQ(test, run.failures, 0U);
}

static struct kunit_case context_cases[] = {
	KUNIT_CASE(context_hardirq_timer),
	KUNIT_CASE(context_softirq_timer),
	KUNIT_CASE(context_irqs_off),
	{}
};

struct kunit_suite lalloc_context_suite = {
	.name = "lalloc_context",
	.test_cases = context_cases,
};
