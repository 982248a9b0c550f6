// SPDX-License-Identifier: GPL-2.0
/*
 * Atomic contexts: GFP_ATOMIC allocations and frees from a hard-irq
 * hrtimer, a softirq timer, and with interrupts off; page and vmalloc-kind
 * blocks allocated, resized and freed there too.
 */
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/hrtimer.h>
#include <linux/irqflags.h>
#include <linux/kthread.h>
#include <linux/sizes.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/vmalloc.h>

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

/*
 * PREEMPT_RT allows no allocation in hard irq context or with interrupts
 * disabled (lalloc's locks sleep there, as kmalloc's do): those cases
 * are the contract of the other kernels only.
 */
#define SKIP_ON_RT(test) do {						\
	if (IS_ENABLED(CONFIG_PREEMPT_RT))				\
		kunit_skip(test, "not an allowed context on PREEMPT_RT");	\
} while (0)

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
	struct ctx_run *run;

	SKIP_ON_RT(test);
	run = kunit_kzalloc(test, sizeof(*run), GFP_KERNEL);
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

	SKIP_ON_RT(test);
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

/*
 * Page and vmalloc-kind blocks where sleeping is not allowed. GFP_ATOMIC
 * page blocks are served, grown, shrunk and reallocated; whatever needs a
 * new vmalloc-kind block gives NULL (counted as a failure) and leaves the
 * block alone; vmalloc-kind blocks made in process context resize in place,
 * shrink into pages and are freed, their unmap deferred. Once the deferred
 * frees are flushed, every count is back where it started.
 */
#define LCTX_ROUNDS	16
#define LCTX_VM_ROUNDS	4	/* rounds that get two vmalloc-kind blocks */
#define LCTX_VM_SIZE	(5 * SZ_1M)

enum lctx_kind { LCTX_HARDIRQ, LCTX_SOFTIRQ, LCTX_IRQS_OFF, LCTX_SPINLOCK };

struct lctx_run {
	struct hrtimer hrt;
	struct timer_list timer;
	struct completion done;
	enum lctx_kind kind;
	int cpu;			/* where the timer fires and the loop runs */
	struct task_struct *loop;	/* process-context allocations on @cpu */
	void *vm[LCTX_VM_ROUNDS][2];	/* made in process context */
	unsigned int round;
	unsigned int bad;		/* checks that failed ... */
	unsigned int bad_line;		/* ... the first of them */
	unsigned int nulls;		/* vmalloc-only requests, expected to fail */
	unsigned int in_ctx;		/* rounds that ran in the context asked for */
	unsigned int over_loop;		/* rounds that interrupted the loop */
};

static const struct lalloc_layout lctx_vm = { LCTX_VM_SIZE, PAGE_SIZE };

#define LCTX_CHECK(run, cond) do {				\
	struct lctx_run *__run = (run);				\
								\
	if (!(cond) && !__run->bad++)				\
		__run->bad_line = __LINE__;			\
} while (0)

/* The first 64 bytes and the last byte of a block. */
static void lctx_mark(u8 *p, size_t size, u32 seed)
{
	pattern_fill(p, 64, seed);
	p[size - 1] = (u8)seed;
}

static bool lctx_head(const u8 *p, u32 seed)
{
	return pattern_check(p, 64, seed) == 64;
}

static bool lctx_marked(const u8 *p, size_t size, u32 seed)
{
	return lctx_head(p, seed) && p[size - 1] == (u8)seed;
}

/* A request only vmalloc could serve: NULL here, and @p stays as it was. */
static void lctx_expect_null(struct lctx_run *run, void *r,
			     struct lalloc_layout l)
{
	run->nulls++;
	LCTX_CHECK(run, !r);
	lalloc_free(r, l);
}

static void lctx_pages(struct lctx_run *run, size_t align, u32 seed)
{
	struct lalloc_layout a = L(100 * 1024, align), b = L(200 * 1024, align);
	struct lalloc_layout c = L(50 * 1024, align), d = L(120 * 1024, align);
	u8 *p, *q;

	p = lalloc_alloc(a, GFP_ATOMIC);
	LCTX_CHECK(run, p && IS_ALIGNED((unsigned long)p, align));
	if (!p)
		return;
	lctx_mark(p, a.size, seed);
	q = lalloc_grow(p, a, b, GFP_ATOMIC);
	LCTX_CHECK(run, q);
	if (!q) {
		lalloc_free(p, a);
		return;
	}
	LCTX_CHECK(run, IS_ALIGNED((unsigned long)q, align) && lctx_head(q, seed));
	p = lalloc_shrink(q, b, c, GFP_ATOMIC);
	LCTX_CHECK(run, p);
	if (!p) {
		lalloc_free(q, b);
		return;
	}
	LCTX_CHECK(run, IS_ALIGNED((unsigned long)p, align) && lctx_head(p, seed));
	q = lalloc_realloc(p, c, d, GFP_ATOMIC);
	LCTX_CHECK(run, q);
	if (!q) {
		lalloc_free(p, c);
		return;
	}
	LCTX_CHECK(run, IS_ALIGNED((unsigned long)q, align) && lctx_head(q, seed));
	lctx_mark(q, d.size, seed + 1);
	lctx_expect_null(run, lalloc_grow(q, d, lctx_vm, GFP_ATOMIC), lctx_vm);
	lctx_expect_null(run, lalloc_realloc(q, d, lctx_vm, GFP_ATOMIC), lctx_vm);
	LCTX_CHECK(run, lctx_marked(q, d.size, seed + 1));
	lalloc_free(q, d);
}

static void lctx_vmalloc(struct lctx_run *run, u32 seed)
{
	struct lalloc_layout less = L(LCTX_VM_SIZE - 64, PAGE_SIZE);
	struct lalloc_layout fewer = L(LCTX_VM_SIZE - 2 * PAGE_SIZE, PAGE_SIZE);
	struct lalloc_layout more = L(LCTX_VM_SIZE + SZ_1M, PAGE_SIZE);
	struct lalloc_layout pages = L(100 * 1024, PAGE_SIZE);
	u8 *a, *b, *q;

	lctx_expect_null(run, lalloc_alloc(lctx_vm, GFP_ATOMIC), lctx_vm);
	if (run->round >= LCTX_VM_ROUNDS)
		return;
	a = run->vm[run->round][0];
	b = run->vm[run->round][1];
	run->vm[run->round][0] = NULL;
	run->vm[run->round][1] = NULL;

	/* The same pages: in place, nothing to allocate. */
	q = lalloc_shrink(a, lctx_vm, less, GFP_ATOMIC);
	LCTX_CHECK(run, q == a);
	q = lalloc_grow(a, less, lctx_vm, GFP_ATOMIC);
	LCTX_CHECK(run, q == a);
	/* Fewer or more pages: a new vmalloc-kind block, not from here. */
	lctx_expect_null(run, lalloc_shrink(a, lctx_vm, fewer, GFP_ATOMIC), fewer);
	lctx_expect_null(run, lalloc_grow(a, lctx_vm, more, GFP_ATOMIC), more);
	lctx_expect_null(run, lalloc_realloc(a, lctx_vm, more, GFP_ATOMIC), more);
	LCTX_CHECK(run, lctx_marked(a, LCTX_VM_SIZE, seed));
	/* Into a page block: served, and the vmalloc-kind block freed. */
	q = lalloc_shrink(a, lctx_vm, pages, GFP_ATOMIC);
	LCTX_CHECK(run, q && !is_vmalloc_addr(q) && lctx_head(q, seed));
	if (q)
		lalloc_free(q, pages);
	else
		lalloc_free(a, lctx_vm);
	LCTX_CHECK(run, lctx_marked(b, LCTX_VM_SIZE, seed));
	lalloc_free(b, lctx_vm);
}

static void lctx_round(struct lctx_run *run)
{
	bool in_ctx;

	switch (run->kind) {
	case LCTX_HARDIRQ:
		in_ctx = in_hardirq();
		break;
	case LCTX_SOFTIRQ:
		in_ctx = in_serving_softirq();
		break;
	case LCTX_IRQS_OFF:
		in_ctx = irqs_disabled();
		break;
	default:
		in_ctx = !preemptible();
		break;
	}
	if (in_ctx)
		run->in_ctx++;
	if (run->loop && current == run->loop)
		run->over_loop++;
	lctx_pages(run, PAGE_SIZE, run->round);
	lctx_pages(run, SZ_64K, run->round + 1);
	lctx_vmalloc(run, run->round);
}

/*
 * Allocations in process context on the timer's CPU, so the timer rounds
 * interrupt lalloc at work rather than an idle CPU.
 */
static int lctx_loop_fn(void *arg)
{
	unsigned int i = 0;

	while (!kthread_should_stop()) {
		struct lalloc_layout l = (i & 7) ? L(100 * 1024, SZ_64K) : lctx_vm;
		u8 *p = lalloc_alloc(l, GFP_KERNEL);

		if (p) {
			lctx_mark(p, l.size, i);
			lalloc_free(p, l);
		}
		i++;
		cond_resched();
	}
	return 0;
}

static enum hrtimer_restart lctx_hrtimer_fn(struct hrtimer *t)
{
	struct lctx_run *run = container_of(t, struct lctx_run, hrt);

	lctx_round(run);
	if (++run->round < LCTX_ROUNDS) {
		hrtimer_forward_now(t, ns_to_ktime(NSEC_PER_MSEC));
		return HRTIMER_RESTART;
	}
	complete(&run->done);
	return HRTIMER_NORESTART;
}

static void lctx_timer_fn(struct timer_list *t)
{
	struct lctx_run *run = from_timer(run, t, timer);

	lctx_round(run);
	/* TIMER_PINNED: re-armed on this CPU. */
	if (++run->round < LCTX_ROUNDS)
		mod_timer(t, jiffies + 1);
	else
		complete(&run->done);
}

/* On @run->cpu, by IPI: a pinned hrtimer stays on the CPU that starts it. */
static void lctx_start_hrtimer(void *arg)
{
	struct lctx_run *run = arg;

	hrtimer_start(&run->hrt, ns_to_ktime(NSEC_PER_MSEC),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

static void lctx_run_kind(struct kunit *test, enum lctx_kind kind)
{
	static DEFINE_SPINLOCK(lock);
	struct lctx_run *run = kunit_kzalloc(test, sizeof(*run), GFP_KERNEL);
	struct lalloc_global_stats g0, g1;
	unsigned long held0, flags;
	unsigned int r, i;

	KUNIT_ASSERT_NOT_NULL(test, run);
	run->kind = kind;
	run->cpu = cpumask_last(cpu_online_mask);
	init_completion(&run->done);

	lalloc_vmalloc_flush();
	lalloc_shrink_all();
	lalloc_global_stats_read(&g0);
	held0 = lalloc_pages_held();
	for (r = 0; r < LCTX_VM_ROUNDS; r++) {
		for (i = 0; i < 2; i++) {
			run->vm[r][i] = lalloc_alloc(lctx_vm, GFP_KERNEL);
			KUNIT_ASSERT_NOT_NULL(test, run->vm[r][i]);
			lctx_mark(run->vm[r][i], LCTX_VM_SIZE, r);
		}
	}

	switch (kind) {
	case LCTX_HARDIRQ:
	case LCTX_SOFTIRQ:
		run->loop = kthread_create_on_cpu(lctx_loop_fn, run, run->cpu,
						  "lalloc_lctx/%u");
		KUNIT_ASSERT_FALSE(test, IS_ERR(run->loop));
		wake_up_process(run->loop);
		if (kind == LCTX_HARDIRQ) {
			hrtimer_init(&run->hrt, CLOCK_MONOTONIC,
				     HRTIMER_MODE_REL_PINNED_HARD);
			run->hrt.function = lctx_hrtimer_fn;
			smp_call_function_single(run->cpu, lctx_start_hrtimer, run, 1);
		} else {
			timer_setup(&run->timer, lctx_timer_fn, TIMER_PINNED);
			run->timer.expires = jiffies + 1;
			add_timer_on(&run->timer, run->cpu);
		}
		r = wait_for_completion_timeout(&run->done, 120 * HZ);
		if (kind == LCTX_HARDIRQ)
			hrtimer_cancel(&run->hrt);
		else
			del_timer_sync(&run->timer);
		kthread_stop(run->loop);
		KUNIT_ASSERT_GT(test, r, 0U);
		/* The loop never sleeps: a timer on its CPU interrupts it. */
		KUNIT_EXPECT_GT(test, run->over_loop, 0U);
		break;
	case LCTX_IRQS_OFF:
		for (run->round = 0; run->round < LCTX_ROUNDS; run->round++) {
			local_irq_save(flags);
			lctx_round(run);
			local_irq_restore(flags);
		}
		break;
	case LCTX_SPINLOCK:
		for (run->round = 0; run->round < LCTX_ROUNDS; run->round++) {
			spin_lock(&lock);
			lctx_round(run);
			spin_unlock(&lock);
		}
		break;
	}
	KUNIT_EXPECT_EQ(test, run->in_ctx, (unsigned int)LCTX_ROUNDS);
	KUNIT_EXPECT_EQ_MSG(test, run->bad, 0U, "first failed check at line %u",
			    run->bad_line);

	lalloc_vmalloc_flush();
	lalloc_shrink_all();
	lalloc_global_stats_read(&g1);
	KUNIT_EXPECT_EQ(test, g1.vmalloc_bytes, g0.vmalloc_bytes);
	KUNIT_EXPECT_EQ(test, g1.vmalloc_requested_bytes, g0.vmalloc_requested_bytes);
	KUNIT_EXPECT_EQ(test, g1.vmalloc_allocs - g0.vmalloc_allocs,
			g1.vmalloc_frees - g0.vmalloc_frees);
	KUNIT_EXPECT_EQ(test, g1.large_pages, g0.large_pages);
	KUNIT_EXPECT_EQ(test, g1.large_requested_bytes, g0.large_requested_bytes);
	KUNIT_EXPECT_EQ(test, g1.failures - g0.failures, (u64)run->nulls);
	KUNIT_EXPECT_EQ(test, lalloc_pages_held(), held0);
}

static void large_ctx_hardirq(struct kunit *test)
{
	SKIP_ON_RT(test);
	lctx_run_kind(test, LCTX_HARDIRQ);
}

static void large_ctx_softirq(struct kunit *test)
{
	lctx_run_kind(test, LCTX_SOFTIRQ);
}

static void large_ctx_irqs_off(struct kunit *test)
{
	SKIP_ON_RT(test);
	lctx_run_kind(test, LCTX_IRQS_OFF);
}

static void large_ctx_spinlock(struct kunit *test)
{
	lctx_run_kind(test, LCTX_SPINLOCK);
}

static struct kunit_case large_ctx_cases[] = {
	KUNIT_CASE_SLOW(large_ctx_hardirq),
	KUNIT_CASE_SLOW(large_ctx_softirq),
	KUNIT_CASE(large_ctx_irqs_off),
	KUNIT_CASE(large_ctx_spinlock),
	{}
};

struct kunit_suite lalloc_large_context_suite = {
	.name = "lalloc_large_context",
	.test_cases = large_ctx_cases,
};
