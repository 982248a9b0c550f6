// SPDX-License-Identifier: GPL-2.0
/*
 * Statistics: a known sequence of operations moves every counter by
 * exactly the expected amount, per cache and globally, and the counts stay
 * exact when every CPU allocates and frees at once.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/smp.h>

#include "lalloc_test.h"

static struct lalloc_stats *stats_snapshot(struct kunit *test)
{
	struct lalloc_stats *st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, st);
	lalloc_stats_fill(st);
	return st;
}

/* Live objects of a cache, from a record. */
static u64 cache_live(struct lalloc_cache *s)
{
	struct lalloc_cache_stats r;

	lalloc_cache_record(s, &r);
	return r.active_objs;
}

static void stats_known_sequence(struct kunit *test)
{
	struct lalloc_layout l = L(100, 8), big = L(20 * PAGE_SIZE + 1, 8);
	struct lalloc_cache *s = lalloc_cache_of(104);
	struct lalloc_cache_stats c0, c1;
	struct lalloc_stats *g0, *g1;
	void *p[40], *q;
	int i;

	/* A quiet start: nothing cached per CPU, every counter at zero. */
	lalloc_shrink_all();
	lalloc_stats_reset();
	lalloc_cache_record(s, &c0);
	g0 = stats_snapshot(test);
	KUNIT_EXPECT_EQ(test, c0.allocs, 0ULL);
	KUNIT_EXPECT_EQ(test, g0->allocs, 0ULL);
	for (i = 0; i < 40; i++) {
		p[i] = lalloc_alloc(l, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	q = lalloc_alloc(big, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	lalloc_cache_record(s, &c1);
	g1 = stats_snapshot(test);

	KUNIT_EXPECT_EQ(test, c1.allocs - c0.allocs, 40ULL);
	KUNIT_EXPECT_EQ(test, c1.frees - c0.frees, 0ULL);
	KUNIT_EXPECT_EQ(test, c1.active_objs - c0.active_objs, 40ULL);
	KUNIT_EXPECT_EQ(test, c1.requested_bytes - c0.requested_bytes, 4000ULL);
	KUNIT_EXPECT_EQ(test, c1.reserved_bytes - c0.reserved_bytes, 40ULL * 104);
	/* Counted against the 40 this test made, not against each other. */
	KUNIT_EXPECT_EQ(test, c1.allocs, 40ULL);
	KUNIT_EXPECT_EQ(test, c1.fast_allocs + c1.slow_allocs, 40ULL);
	KUNIT_EXPECT_GE(test, c1.slow_allocs, 1ULL);	/* the drained stack missed */
	KUNIT_EXPECT_EQ(test, g1->allocs, 41ULL);
	KUNIT_EXPECT_EQ(test, g1->fast_allocs + g1->slow_allocs, 40ULL);
	KUNIT_EXPECT_GE(test, c1.total_objs, c1.active_objs);
	KUNIT_EXPECT_EQ(test, g1->allocs - g0->allocs, 41ULL);
	KUNIT_EXPECT_EQ(test, g1->active_objs - g0->active_objs, 41ULL);
	KUNIT_EXPECT_EQ(test, g1->large_allocs - g0->large_allocs, 1ULL);
	KUNIT_EXPECT_EQ(test, g1->large_bytes - g0->large_bytes, 21 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, g1->requested_bytes - g0->requested_bytes,
			4000ULL + big.size);
	KUNIT_EXPECT_EQ(test, g1->reserved_bytes - g0->reserved_bytes,
			40ULL * 104 + 21 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, g1->held_bytes,
			g1->slab_bytes + g1->large_bytes + g1->vmalloc_bytes);
	KUNIT_EXPECT_GE(test, g1->held_bytes_hwm, g1->held_bytes);

	/* Resize in place and moved, then free: back to the start. */
	p[0] = lalloc_grow(p[0], l, L(104, 8), GFP_KERNEL);
	p[1] = lalloc_grow(p[1], l, L(2000, 8), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, p[0]);
	KUNIT_ASSERT_NOT_NULL(test, p[1]);
	lalloc_cache_record(s, &c1);
	KUNIT_EXPECT_EQ(test, c1.grow_in_place - c0.grow_in_place, 1ULL);
	KUNIT_EXPECT_EQ(test, c1.grow_moved - c0.grow_moved, 1ULL);
	KUNIT_EXPECT_EQ(test, c1.requested_bytes - c0.requested_bytes, 38 * 100ULL + 104);
	lalloc_free(p[0], L(104, 8));
	lalloc_free(p[1], L(2000, 8));
	for (i = 2; i < 40; i++)
		lalloc_free(p[i], l);
	lalloc_free(q, big);
	lalloc_cache_record(s, &c1);
	g1 = stats_snapshot(test);
	KUNIT_EXPECT_EQ(test, c1.active_objs, c0.active_objs);
	KUNIT_EXPECT_EQ(test, c1.requested_bytes, c0.requested_bytes);
	KUNIT_EXPECT_EQ(test, c1.frees - c0.frees, 40ULL);
	KUNIT_EXPECT_EQ(test, g1->active_objs, g0->active_objs);
	KUNIT_EXPECT_EQ(test, g1->requested_bytes, g0->requested_bytes);
	KUNIT_EXPECT_EQ(test, g1->large_bytes, g0->large_bytes);
	KUNIT_EXPECT_EQ(test, g1->frees - g0->frees, 42ULL);
}

/* A reset clears counters, never gauges. */
static void stats_reset_keeps_gauges(struct kunit *test)
{
	struct lalloc_layout l = L(700, 8);
	struct lalloc_stats *g;
	void *p[10];
	int i;

	for (i = 0; i < 10; i++) {
		p[i] = lalloc_alloc(l, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	lalloc_stats_reset();
	g = stats_snapshot(test);
	KUNIT_EXPECT_EQ(test, g->allocs, 0ULL);
	KUNIT_EXPECT_EQ(test, g->frees, 0ULL);
	KUNIT_EXPECT_GE(test, g->active_objs, 10ULL);
	KUNIT_EXPECT_GE(test, g->requested_bytes, 7000ULL);
	for (i = 0; i < 10; i++)
		lalloc_free(p[i], l);
	g = stats_snapshot(test);
	KUNIT_EXPECT_EQ(test, g->frees, 10ULL);
	KUNIT_EXPECT_EQ(test, g->allocs, 0ULL);
}

/*
 * A reset with slab objects, a page block and a vmalloc block live: every
 * gauge as before, every counter (global and per cache) at zero, the
 * frees after it counted from zero, and both high-water marks restarted
 * from the values at the reset.
 */
static void stats_reset_large_vmalloc(struct kunit *test)
{
	struct lalloc_layout l = L(700, 8), big = L(100 * 1024, 8);
	struct lalloc_layout huge = L(5 * 1024 * 1024, 8);
	struct lalloc_cache *s = lalloc_cache_of(lalloc_padded(l));
	struct lalloc_cache_stats c0, c1;
	struct lalloc_stats *g0, *g1, *g2;
	void *p[10], *q, *v;
	unsigned int i;

	lalloc_shrink_all();
	for (i = 0; i < 10; i++) {
		p[i] = lalloc_alloc(l, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	q = lalloc_alloc(big, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, q);
	v = lalloc_alloc(huge, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_ASSERT_TRUE(test, is_vmalloc_addr(v));
	lalloc_cache_record(s, &c0);
	g0 = stats_snapshot(test);
	lalloc_stats_reset();
	lalloc_cache_record(s, &c1);
	g1 = stats_snapshot(test);

	/* Gauges: untouched. */
	KUNIT_EXPECT_EQ(test, g1->active_objs, g0->active_objs);
	KUNIT_EXPECT_EQ(test, g1->requested_bytes, g0->requested_bytes);
	KUNIT_EXPECT_EQ(test, g1->reserved_bytes, g0->reserved_bytes);
	KUNIT_EXPECT_EQ(test, g1->held_bytes, g0->held_bytes);
	KUNIT_EXPECT_EQ(test, g1->large_bytes, g0->large_bytes);
	KUNIT_EXPECT_EQ(test, g1->vmalloc_bytes, g0->vmalloc_bytes);
	KUNIT_EXPECT_GE(test, g1->large_bytes, (u64)PAGE_ALIGN(big.size));
	KUNIT_EXPECT_GE(test, g1->vmalloc_bytes, (u64)huge.size);
	KUNIT_EXPECT_EQ(test, c1.active_objs, c0.active_objs);
	KUNIT_EXPECT_EQ(test, c1.requested_bytes, c0.requested_bytes);
	KUNIT_EXPECT_GE(test, c1.requested_bytes, 7000ULL);
	/* Counters: zero, globally and in the cache. */
	KUNIT_EXPECT_EQ(test, g1->allocs, 0ULL);
	KUNIT_EXPECT_EQ(test, g1->frees, 0ULL);
	KUNIT_EXPECT_EQ(test, g1->fast_allocs + g1->slow_allocs, 0ULL);
	KUNIT_EXPECT_EQ(test, g1->large_allocs, 0ULL);
	KUNIT_EXPECT_EQ(test, g1->vmalloc_allocs, 0ULL);
	for (i = 0; i < ARRAY_SIZE(g1->page_allocs); i++)
		KUNIT_EXPECT_EQ(test, g1->page_allocs[i], 0ULL);
	KUNIT_EXPECT_EQ(test, c1.allocs, 0ULL);
	KUNIT_EXPECT_EQ(test, c1.frees, 0ULL);
	KUNIT_EXPECT_EQ(test, c1.slabs_allocated, 0ULL);
	KUNIT_EXPECT_EQ(test, c1.slabs_freed, 0ULL);
	/* High-water marks: restarted from the values at the reset. */
	KUNIT_EXPECT_EQ(test, g1->held_bytes_hwm, g1->held_bytes);
	KUNIT_EXPECT_EQ(test, g1->requested_bytes_hwm, g1->requested_bytes);

	/* Again, with no read between the reset and the frees. */
	lalloc_stats_reset();
	for (i = 0; i < 10; i++)
		lalloc_free(p[i], l);
	lalloc_free(q, big);
	lalloc_free(v, huge);
	g2 = stats_snapshot(test);
	lalloc_cache_record(s, &c1);
	KUNIT_EXPECT_EQ(test, g2->frees, 12ULL);
	KUNIT_EXPECT_EQ(test, g2->allocs, 0ULL);
	KUNIT_EXPECT_EQ(test, g2->large_frees, 1ULL);
	KUNIT_EXPECT_EQ(test, g2->vmalloc_frees, 1ULL);
	KUNIT_EXPECT_EQ(test, c1.frees, 10ULL);
	KUNIT_EXPECT_EQ(test, g2->active_objs, g1->active_objs - 12);
	KUNIT_EXPECT_EQ(test, g2->requested_bytes,
			g1->requested_bytes - 7000 - big.size - huge.size);
	KUNIT_EXPECT_EQ(test, g2->vmalloc_bytes, g1->vmalloc_bytes - PAGE_ALIGN(huge.size));
	/* The marks keep the peak at the reset, which no read saw after it. */
	KUNIT_EXPECT_EQ(test, g2->requested_bytes_hwm, g1->requested_bytes);
	KUNIT_EXPECT_EQ(test, g2->held_bytes_hwm, g1->held_bytes);
	KUNIT_EXPECT_LT(test, g2->held_bytes, g1->held_bytes);
	lalloc_stats_reset();
	g2 = stats_snapshot(test);
	KUNIT_EXPECT_EQ(test, g2->held_bytes_hwm, g2->held_bytes);
	KUNIT_EXPECT_EQ(test, g2->requested_bytes_hwm, g2->requested_bytes);
}

#define STATS_PER_THREAD 5000

static void stats_thread_fn(void *arg, unsigned int index)
{
	struct lalloc_layout l = L(200, 8);
	void *p[16];
	int i, j;

	for (i = 0; i < STATS_PER_THREAD / 16; i++) {
		for (j = 0; j < 16; j++)
			p[j] = lalloc_alloc(l, GFP_KERNEL);
		for (j = 0; j < 16; j++)
			lalloc_free(p[j], l);
		cond_resched();
	}
}

static void stats_exact_under_concurrency(struct kunit *test)
{
	struct lalloc_cache *s = lalloc_cache_of(200);
	struct lalloc_cache_stats c0, c1;
	unsigned int n;

	lalloc_cache_record(s, &c0);
	n = lalloc_test_on_each_cpu(test, stats_thread_fn, NULL);
	lalloc_cache_record(s, &c1);
	KUNIT_EXPECT_EQ(test, c1.allocs - c0.allocs, (u64)n * (STATS_PER_THREAD / 16) * 16);
	KUNIT_EXPECT_EQ(test, c1.frees - c0.frees, c1.allocs - c0.allocs);
	KUNIT_EXPECT_EQ(test, c1.active_objs, c0.active_objs);
	KUNIT_EXPECT_EQ(test, c1.requested_bytes, c0.requested_bytes);
}

/*
 * Reads and resets racing allocations on every CPU. Every operation is
 * announced in a shared count before it is made, so a counter read since
 * the test's first reset can never exceed the announced count, and never
 * wraps. Between two reads of one thread with no reset in between, no
 * counter decreases.
 *
 * Rounds are bounded by time as well: under emulation with more vCPUs than
 * busy host cores, 3000 rounds took 166 s (32 s at --smp 2), and a fixed
 * count then nears KUnit's 300 s timeout. Every thread makes at least
 * RACE_MIN_ROUNDS (so the resetting thread at least half as many resets).
 */
#define RACE_ROUNDS	3000
#define RACE_MIN_ROUNDS	300
#define RACE_SECONDS	15
#define RACE_BATCH	8
#define RACE_WRAP	BIT_ULL(62)
#define RACE_STALL_US	200
#define RACE_READS	16

struct race_ctx {
	struct lalloc_cache *s;
	atomic64_t allocs, frees;	/* announced, since the first reset */
	atomic_t resets_started, resets_done;
	atomic_t stall_cpu;		/* where the second thread runs, or -1 */
	unsigned long deadline;		/* jiffies: no round past the floor after it */
	atomic_t rounds;		/* made, summed over the threads */
	atomic_t bad;
	atomic64_t first_bad;		/* the first value that failed a check */
	atomic_t first_line;
};

static void race_bad(struct race_ctx *ctx, u64 v, int line)
{
	if (atomic_inc_return(&ctx->bad) == 1) {
		atomic64_set(&ctx->first_bad, v);
		atomic_set(&ctx->first_line, line);
	}
}

#define RACE_CHECK(ctx, cond, v)			\
	do {						\
		if (!(cond))				\
			race_bad(ctx, v, __LINE__);	\
	} while (0)

/* What one thread read last, and how many resets had finished before. */
struct race_seen {
	u64 allocs, frees, g_allocs, g_frees;
	int done, g_done;	/* -1: nothing read yet */
};

static void race_read(struct race_ctx *ctx, struct race_seen *prev, bool global)
{
	struct lalloc_global_stats g = {};
	struct lalloc_cache_stats r;
	int done, started;
	u64 a, f;

	done = atomic_read_acquire(&ctx->resets_done);
	if (global) {
		lalloc_cache_record(ctx->s, &r);
		lalloc_global_stats_read(&g);
	} else {
		struct lalloc_cpu_stats c;

		/* The cheap read, so most of a thread's time is in one. */
		lalloc_cache_stats_read(ctx->s, &c);
		r.allocs = c.fast_allocs + c.slow_allocs;
		r.frees = c.fast_frees + c.slow_frees;
		r.slabs_allocated = c.slabs_allocated;
	}
	smp_rmb();	/* the stats, then the announced counts */
	a = atomic64_read(&ctx->allocs);
	f = atomic64_read(&ctx->frees);
	started = atomic_read(&ctx->resets_started);

	RACE_CHECK(ctx, r.allocs <= a && r.allocs < RACE_WRAP, r.allocs);
	RACE_CHECK(ctx, r.frees <= f && r.frees < RACE_WRAP, r.frees);
	RACE_CHECK(ctx, r.slabs_allocated < RACE_WRAP, r.slabs_allocated);
	/* No reset began since the previous read began: nothing decreased. */
	if (prev->done >= 0 && started == prev->done) {
		RACE_CHECK(ctx, r.allocs >= prev->allocs, r.allocs);
		RACE_CHECK(ctx, r.frees >= prev->frees, r.frees);
	}
	prev->allocs = r.allocs;
	prev->frees = r.frees;
	prev->done = done;
	if (!global)
		return;
	RACE_CHECK(ctx, g.large_allocs <= a, g.large_allocs);
	RACE_CHECK(ctx, g.large_frees <= f, g.large_frees);
	RACE_CHECK(ctx, g.page_allocs[0] < RACE_WRAP, g.page_allocs[0]);
	if (prev->g_done >= 0 && started == prev->g_done) {
		RACE_CHECK(ctx, g.large_allocs >= prev->g_allocs, g.large_allocs);
		RACE_CHECK(ctx, g.large_frees >= prev->g_frees, g.large_frees);
	}
	prev->g_allocs = g.large_allocs;
	prev->g_frees = g.large_frees;
	prev->g_done = done;
}

/*
 * A reader interrupted for a while: an IPI that spins stretches whatever
 * window of the read it lands in to longer than a reset takes.
 */
static void race_stall(void *unused)
{
	udelay(RACE_STALL_US);
}

static void race_ops(struct race_ctx *ctx, bool large)
{
	struct lalloc_layout l = L(3000, 8), big = L(100 * 1024, 8);
	void *p[RACE_BATCH], *q = NULL;
	int j;

	for (j = 0; j < RACE_BATCH; j++) {
		atomic64_inc_return(&ctx->allocs);
		p[j] = lalloc_alloc(l, GFP_KERNEL);
	}
	if (large) {
		atomic64_inc_return(&ctx->allocs);
		q = lalloc_alloc(big, GFP_KERNEL);
	}
	for (j = 0; j < RACE_BATCH; j++) {
		atomic64_inc_return(&ctx->frees);
		lalloc_free(p[j], l);
	}
	if (q) {
		atomic64_inc_return(&ctx->frees);
		lalloc_free(q, big);
	}
}

static void race_thread_fn(void *arg, unsigned int index)
{
	struct race_ctx *ctx = arg;
	struct race_seen seen = { .done = -1, .g_done = -1 };
	int i, j, stall;

	if (index == 1)
		atomic_set_release(&ctx->stall_cpu, raw_smp_processor_id());
	for (i = 0; i < RACE_ROUNDS; i++) {
		if (i >= RACE_MIN_ROUNDS && time_after(jiffies, ctx->deadline))
			break;
		if (index == 0 && (i & 1)) {
			/* The reader stalls while this CPU allocates and resets. */
			stall = atomic_read_acquire(&ctx->stall_cpu);
			if (stall >= 0)
				smp_call_function_single(stall, race_stall, NULL, 0);
			race_ops(ctx, !(i % 16));
			atomic_inc_return(&ctx->resets_started);
			lalloc_stats_reset();
			atomic_inc_return(&ctx->resets_done);
		} else {
			race_ops(ctx, !(i % 16));
			for (j = 0; j < RACE_READS; j++)
				race_read(ctx, &seen, !j && !(i % 8));
		}
		/* A round is long under KASAN and kmemleak: let RCU's kthread in. */
		cond_resched();
	}
	atomic_add(i, &ctx->rounds);
}

static void stats_reads_race_resets(struct kunit *test)
{
	struct race_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->s = lalloc_cache_of(3000);
	atomic_set(&ctx->stall_cpu, -1);
	ctx->deadline = jiffies + RACE_SECONDS * HZ;
	lalloc_stats_reset();
	lalloc_test_on_each_cpu(test, race_thread_fn, ctx);
	kunit_info(test, "%d rounds, %d resets\n", atomic_read(&ctx->rounds),
		   atomic_read(&ctx->resets_done));
	KUNIT_EXPECT_GE(test, atomic_read(&ctx->resets_done), RACE_MIN_ROUNDS / 2);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&ctx->bad), 0,
			    "first bad value %llu (line %d)",
			    (u64)atomic64_read(&ctx->first_bad),
			    atomic_read(&ctx->first_line));
}

/*
 * Gauges under cross-CPU frees: blocks allocated on the first CPU, freed on
 * the second, the counters read on the others, each reader stalled now and
 * then by an IPI so the handoffs run while it is half way through a sum.
 * Summed in CPU order, such a sum sees the free and not the allocation; no
 * read may ever show a live count or size below zero.
 */
#define XCPU_ROUNDS	6000
#define XCPU_MIN_ROUNDS	600	/* and no more after XCPU_SECONDS, as above */
#define XCPU_SECONDS	15

struct xcpu_ctx {
	struct lalloc_cache *s;
	void *slot;		/* the block in flight, NULL when empty */
	bool slot_big;
	atomic_t done;
	atomic_t reader_cpu;	/* a reader to stall, or -1 */
	unsigned long deadline;	/* jiffies */
	atomic_t stalled;	/* the reader is in xcpu_stall() */
	atomic_t freed;		/* blocks the second CPU freed */
	atomic_t bad;
	atomic64_t first_bad;
	atomic_t first_line;
};

static const struct lalloc_layout xcpu_small = { 600, 8 };
static const struct lalloc_layout xcpu_big = { 100 * 1024, 8 };

static void xcpu_bad(struct xcpu_ctx *ctx, u64 v, int line)
{
	if (atomic_inc_return(&ctx->bad) == 1) {
		atomic64_set(&ctx->first_bad, v);
		atomic_set(&ctx->first_line, line);
	}
}

/* A u64 that is a negative count or size reads as more than 2^62. */
#define XCPU_CHECK(ctx, v)					\
	do {							\
		u64 __v = (u64)(v);				\
		if (__v >= RACE_WRAP)				\
			xcpu_bad(ctx, __v, __LINE__);		\
	} while (0)

static void xcpu_stall(void *arg)
{
	struct xcpu_ctx *ctx = arg;

	int target = atomic_read(&ctx->freed) + 1, us;

	atomic_set_release(&ctx->stalled, 1);
	/* Until the next block is allocated and freed, 10 ms at most. */
	for (us = 0; us < 10000 && atomic_read_acquire(&ctx->freed) < target; us++)
		udelay(1);
}

static void xcpu_produce(struct xcpu_ctx *ctx)
{
	int i, spins, stall;
	bool big;
	void *p;

	for (i = 0; i < XCPU_ROUNDS; i++) {
		if (i >= XCPU_MIN_ROUNDS && time_after(jiffies, ctx->deadline))
			break;
		/* Acquire: the freer's counting is done once the slot is empty. */
		for (spins = 0; smp_load_acquire(&ctx->slot); spins++) {
			cpu_relax();
			if (!(spins % 1024))
				cond_resched();
		}
		stall = atomic_read_acquire(&ctx->reader_cpu);
		if (stall >= 0 && !(i % 8)) {
			/* Allocate only once the reader is stalled. */
			atomic_set(&ctx->stalled, 0);
			smp_call_function_single(stall, xcpu_stall, ctx, 0);
			while (!atomic_read_acquire(&ctx->stalled))
				cpu_relax();
		}
		big = !(i % 16);
		p = lalloc_alloc(big ? xcpu_big : xcpu_small, GFP_KERNEL);
		if (!p) {
			xcpu_bad(ctx, 0, __LINE__);
			continue;
		}
		ctx->slot_big = big;
		/* Release: the block and its kind, to the freer. */
		smp_store_release(&ctx->slot, p);
		if (!(i % 16))
			cond_resched();
	}
	atomic_set_release(&ctx->done, 1);
}

static void xcpu_consume(struct xcpu_ctx *ctx)
{
	unsigned long spins = 0;
	void *p;

	for (;;) {
		/* Acquire: pairs with the allocator's release of the block. */
		p = smp_load_acquire(&ctx->slot);
		if (p) {
			lalloc_free(p, ctx->slot_big ? xcpu_big : xcpu_small);
			atomic_inc_return(&ctx->freed);
			/* Release: the free and its count, before the slot empties. */
			smp_store_release(&ctx->slot, NULL);
			continue;
		}
		if (atomic_read_acquire(&ctx->done) && !READ_ONCE(ctx->slot))
			break;
		cpu_relax();
		if (!(++spins % 1024))
			cond_resched();
	}
}

static void xcpu_read(struct xcpu_ctx *ctx)
{
	struct lalloc_stats *st = kzalloc(sizeof(*st), GFP_KERNEL);
	struct lalloc_global_stats g;
	struct lalloc_cache_stats r;
	struct lalloc_cpu_stats c;
	unsigned long n;

	for (n = 0; !atomic_read_acquire(&ctx->done); n++) {
		lalloc_cache_stats_read(ctx->s, &c);
		XCPU_CHECK(ctx, c.requested_bytes);
		if (n % 64)
			continue;
		cond_resched();
		lalloc_cache_record(ctx->s, &r);
		XCPU_CHECK(ctx, r.active_objs);
		XCPU_CHECK(ctx, r.requested_bytes);
		XCPU_CHECK(ctx, r.reserved_bytes);
		lalloc_global_stats_read(&g);
		XCPU_CHECK(ctx, g.large_pages);
		XCPU_CHECK(ctx, g.large_requested_bytes);
		if (st && !(n % 4096)) {
			memset(st, 0, sizeof(*st));
			lalloc_stats_fill(st);
			XCPU_CHECK(ctx, st->active_objs);
			XCPU_CHECK(ctx, st->requested_bytes);
			XCPU_CHECK(ctx, st->large_bytes);
		}
	}
	kfree(st);
}

static void xcpu_thread_fn(void *arg, unsigned int index)
{
	struct xcpu_ctx *ctx = arg;

	if (index == 0) {
		xcpu_produce(ctx);
	} else if (index == 1) {
		xcpu_consume(ctx);
	} else {
		if (index == 2)
			atomic_set_release(&ctx->reader_cpu, raw_smp_processor_id());
		xcpu_read(ctx);
	}
}

static void stats_gauges_cross_cpu_frees(struct kunit *test)
{
	struct xcpu_ctx *ctx;

	if (num_online_cpus() < 3)
		kunit_skip(test, "needs 3 CPUs: allocator, freer, reader");
	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->s = lalloc_cache_of(lalloc_padded(xcpu_small));
	atomic_set(&ctx->reader_cpu, -1);
	ctx->deadline = jiffies + XCPU_SECONDS * HZ;
	/* Nothing of this cache live elsewhere: its true live count is 0 or 1. */
	KUNIT_ASSERT_LE(test, cache_live(ctx->s), 0ULL);
	lalloc_test_on_each_cpu(test, xcpu_thread_fn, ctx);
	kunit_info(test, "%d blocks freed across CPUs\n", atomic_read(&ctx->freed));
	KUNIT_EXPECT_GE(test, atomic_read(&ctx->freed), XCPU_MIN_ROUNDS);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&ctx->bad), 0,
			    "first bad value %llu (line %d)",
			    (u64)atomic64_read(&ctx->first_bad),
			    atomic_read(&ctx->first_line));
}

static struct kunit_case stats_cases[] = {
	KUNIT_CASE(stats_known_sequence),
	KUNIT_CASE(stats_reset_keeps_gauges),
	KUNIT_CASE(stats_reset_large_vmalloc),
	KUNIT_CASE(stats_exact_under_concurrency),
	KUNIT_CASE(stats_reads_race_resets),
	KUNIT_CASE(stats_gauges_cross_cpu_frees),
	{}
};

struct kunit_suite lalloc_stats_suite = {
	.name = "lalloc_stats",
	.test_cases = stats_cases,
};
