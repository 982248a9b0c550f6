// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency: a kthread on every online CPU allocates and frees, handing
 * half of its blocks to the next CPU's thread to free there. Every block is
 * stamped and filled, and checked at release against what the releasing
 * thread expects (its own record of owner and serial, not the block's
 * header alone): a block handed out twice is overwritten by its second
 * owner and fails the first owner's check. Every block's alignment is
 * checked. At the end nothing is lost: every cache's live count is back
 * where it started.
 */
#include <linux/kthread.h>
#include <linux/llist.h>
#include <linux/prandom.h>

#include "lalloc_test.h"

#define CONC_ROUNDS	150
#define CONC_BATCH	32
#define STAMP_MAGIC	0x1a110c5eU

struct stamp {
	struct llist_node node;
	u32 magic;
	u32 owner;
	u32 serial;
	u32 size;
	u32 align;
};

struct conc_thread {
	unsigned int id;
	struct llist_head mailbox;	/* blocks other threads pass here */
	unsigned long allocated, freed, freed_remote, bad;
};

struct conc_ctx {
	unsigned int nr;
	struct conc_thread *threads;
};

static struct lalloc_layout stamp_layout(const struct stamp *st)
{
	return L(st->size, st->align);
}

static u32 stamp_seed(u32 owner, u32 serial)
{
	return owner << 20 | serial;
}

/* The block carries @owner's stamp and, if @serial >= 0, that serial. */
static bool stamp_ok(const struct stamp *st, u32 owner, long serial)
{
	size_t body = st->size - sizeof(*st);

	return st->magic == STAMP_MAGIC && st->owner == owner &&
	       (serial < 0 || st->serial == serial) &&
	       pattern_check(st + 1, body, stamp_seed(st->owner, st->serial)) == body;
}

static void release(struct conc_thread *t, struct stamp *st, u32 owner,
		    long serial, bool remote)
{
	if (!stamp_ok(st, owner, serial))
		t->bad++;
	st->magic = 0;
	lalloc_free(st, stamp_layout(st));
	t->freed++;
	if (remote)
		t->freed_remote++;
}

/* Blocks in a mailbox come from the thread before, with odd serials. */
static void drain_mailbox(struct conc_thread *t, unsigned int nr)
{
	struct llist_node *list = llist_del_all(&t->mailbox);
	struct stamp *st, *next;

	llist_for_each_entry_safe(st, next, list, node) {
		if (!(st->serial & 1))
			t->bad++;
		release(t, st, (t->id + nr - 1) % nr, -1, true);
	}
}

static void conc_fn(void *arg, unsigned int index)
{
	struct conc_ctx *ctx = arg;
	struct conc_thread *t = &ctx->threads[index];
	struct conc_thread *peer = &ctx->threads[(index + 1) % ctx->nr];
	struct stamp *mine[CONC_BATCH];
	u32 serials[CONC_BATCH];
	struct rnd_state rnd;
	unsigned int round, i, serial = 0;

	prandom_seed_state(&rnd, t->id + 1);
	for (round = 0; round < CONC_ROUNDS; round++) {
		for (i = 0; i < CONC_BATCH; i++) {
			size_t size = sizeof(struct stamp) + prandom_u32_state(&rnd) % 2000;
			size_t align = 8UL << (prandom_u32_state(&rnd) % 4);
			struct stamp *st = lalloc_alloc(L(size, align), GFP_KERNEL);

			mine[i] = st;
			if (!st || !IS_ALIGNED((unsigned long)st, align)) {
				t->bad++;
				mine[i] = NULL;
				if (st)
					lalloc_free(st, L(size, align));
				continue;
			}
			t->allocated++;
			/* Odd serials go to the next thread: see drain_mailbox(). */
			serials[i] = (serial++ << 1) | (i & 1);
			st->magic = STAMP_MAGIC;
			st->owner = t->id;
			st->serial = serials[i];
			st->size = size;
			st->align = align;
			pattern_fill(st + 1, size - sizeof(*st), stamp_seed(t->id, serials[i]));
		}
		for (i = 0; i < CONC_BATCH; i++) {
			if (!mine[i])
				continue;
			if (i & 1)
				llist_add(&mine[i]->node, &peer->mailbox);
			else
				release(t, mine[i], t->id, serials[i], false);
		}
		drain_mailbox(t, ctx->nr);
		cond_resched();
	}
}

/*
 * What a side thread does while the CPU threads run: one call per loop,
 * until they are all done. Runs unbound, so it lands between them.
 */
struct conc_side {
	void (*step)(struct conc_side *side);
	unsigned long steps;
	struct rnd_state rnd;
	struct task_struct *task;
};

static int conc_side_fn(void *data)
{
	struct conc_side *side = data;

	while (!kthread_should_stop()) {
		side->step(side);
		side->steps++;
		cond_resched();
	}
	return 0;
}

/* A KUnit action, so a case that aborts stops its side thread too. */
static void conc_side_stop(void *data)
{
	struct conc_side *side = data;

	kthread_stop(side->task);
}

static struct conc_side *conc_side_new(struct kunit *test,
				       void (*step)(struct conc_side *side))
{
	struct conc_side *side = kunit_kzalloc(test, sizeof(*side), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, side);
	side->step = step;
	prandom_seed_state(&side->rnd, 42);
	return side;
}

/* conc_fn() on every online CPU, @side (if any) beside; checks the totals. */
static void conc_run(struct kunit *test, struct conc_side *side)
{
	struct conc_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	unsigned long allocated = 0, freed = 0, remote = 0, bad = 0;
	long live_before = lalloc_test_live_objects();
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->nr = num_online_cpus();
	ctx->threads = kunit_kcalloc(test, ctx->nr, sizeof(*ctx->threads), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->threads);
	for (i = 0; i < ctx->nr; i++) {
		ctx->threads[i].id = i;
		init_llist_head(&ctx->threads[i].mailbox);
	}
	if (side) {
		side->task = kthread_run(conc_side_fn, side, "lalloc_test_side");
		KUNIT_ASSERT_FALSE(test, IS_ERR(side->task));
		KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, conc_side_stop, side), 0);
	}
	i = lalloc_test_on_each_cpu(test, conc_fn, ctx);
	if (side)
		kunit_release_action(test, conc_side_stop, side);
	KUNIT_ASSERT_EQ(test, i, ctx->nr);

	/* Blocks handed over after their receiver finished. */
	for (i = 0; i < ctx->nr; i++)
		drain_mailbox(&ctx->threads[i], ctx->nr);
	for (i = 0; i < ctx->nr; i++) {
		allocated += ctx->threads[i].allocated;
		freed += ctx->threads[i].freed;
		remote += ctx->threads[i].freed_remote;
		bad += ctx->threads[i].bad;
	}
	KUNIT_EXPECT_EQ(test, bad, 0UL);
	KUNIT_EXPECT_EQ(test, allocated, (unsigned long)ctx->nr * CONC_ROUNDS * CONC_BATCH);
	KUNIT_EXPECT_EQ(test, freed, allocated);
	KUNIT_EXPECT_EQ(test, remote * 2, allocated);
	KUNIT_EXPECT_EQ(test, lalloc_test_live_objects(), live_before);
	kunit_info(test, "%u CPUs, %lu blocks, %lu freed by another thread, %lu side steps\n",
		   ctx->nr, allocated, remote, side ? side->steps : 0);
}

static void concurrency_all_cpus(struct kunit *test)
{
	conc_run(test, NULL);
}

/*
 * The shrinker as reclaim calls it, in batches of every size, and now and
 * then everything at once (lalloc_shrink_all(), which drains every CPU's
 * stacks), while every CPU allocates and frees. Every empty slab is kept,
 * so the threads' refills take slots from the same empty slabs the
 * shrinker is giving back. Nothing handed out twice, nothing lost, and
 * once all is freed and shrunk no page left.
 */
static void shrink_step(struct conc_side *side)
{
	struct shrink_control sc = { .gfp_mask = GFP_KERNEL };
	u32 r = prandom_u32_state(&side->rnd);

	if (r % 16 == 0) {
		lalloc_shrink_all();
		return;
	}
	if (lalloc_shrink_count(NULL, &sc) == SHRINK_EMPTY)
		return;
	sc.nr_to_scan = 1 + r % 256;
	lalloc_shrink_scan(NULL, &sc);
}

static void concurrency_shrinker(struct kunit *test)
{
	struct conc_side *side = conc_side_new(test, shrink_step);
	unsigned int kept = lalloc_empty_slabs_kept;
	struct lalloc_global_stats before, after;

	lalloc_global_stats_read(&before);
	lalloc_empty_slabs_kept = UINT_MAX;
	conc_run(test, side);
	lalloc_empty_slabs_kept = kept;
	lalloc_global_stats_read(&after);
	KUNIT_EXPECT_GT(test, side->steps, 0UL);
	KUNIT_EXPECT_GT(test, after.shrinker_scans - before.shrinker_scans, 0ULL);
	lalloc_shrink_all();
	KUNIT_EXPECT_EQ(test, lalloc_pages_held(), lalloc_quarantined_pages());
}

/*
 * latency_stats switched on and off as fast as the jump-label code allows
 * while every CPU allocates and frees. Each call decides on entry whether
 * it is timed, so no call is counted twice or timed from a start it never
 * took (which would land in the last bucket: seconds, the uptime). Then,
 * on this thread alone: with the key off nothing is counted, with it on
 * every call is, exactly once.
 */
static void latency_step(struct conc_side *side)
{
	lalloc_latency_enable(!(side->steps & 1));
}

static u64 latency_total(const u64 *bucket)
{
	u64 sum = 0;
	unsigned int k;

	for (k = 0; k < LALLOC_LATENCY_BUCKETS; k++)
		sum += bucket[k];
	return sum;
}

static void concurrency_latency_toggle(struct kunit *test)
{
	struct lalloc_latency *h0 = kunit_kzalloc(test, sizeof(*h0), GFP_KERNEL);
	struct lalloc_latency *h1 = kunit_kzalloc(test, sizeof(*h1), GFP_KERNEL);
	struct conc_side *side = conc_side_new(test, latency_step);
	struct lalloc_layout l = L(48, 16);
	const unsigned int n = 1000;
	u64 ops, allocs, frees;
	unsigned int i, pass;

	KUNIT_ASSERT_NOT_NULL(test, h0);
	KUNIT_ASSERT_NOT_NULL(test, h1);
	lalloc_latency_read(h0);
	conc_run(test, side);
	lalloc_latency_read(h1);
	KUNIT_EXPECT_GT(test, side->steps, 1UL);
	ops = (u64)num_online_cpus() * CONC_ROUNDS * CONC_BATCH;
	allocs = latency_total(h1->alloc) - latency_total(h0->alloc);
	frees = latency_total(h1->free) - latency_total(h0->free);
	KUNIT_EXPECT_LE(test, allocs, ops);
	KUNIT_EXPECT_LE(test, frees, ops);
	KUNIT_EXPECT_EQ(test, h1->alloc[LALLOC_LATENCY_BUCKETS - 1],
			h0->alloc[LALLOC_LATENCY_BUCKETS - 1]);
	KUNIT_EXPECT_EQ(test, h1->free[LALLOC_LATENCY_BUCKETS - 1],
			h0->free[LALLOC_LATENCY_BUCKETS - 1]);
	kunit_info(test, "%lu switches; %llu allocs and %llu frees of %llu timed\n",
		   side->steps, allocs, frees, ops);

	for (pass = 0; pass < 2; pass++) {
		bool on = pass;

		lalloc_latency_enable(on);
		lalloc_latency_read(h0);
		for (i = 0; i < n; i++) {
			void *p = i & 1 ? lalloc_alloc_zeroed(l, GFP_KERNEL) :
					  lalloc_alloc(l, GFP_KERNEL);

			KUNIT_ASSERT_NOT_NULL(test, p);
			lalloc_free(p, l);
		}
		lalloc_latency_read(h1);
		KUNIT_EXPECT_EQ_MSG(test, latency_total(h1->alloc) - latency_total(h0->alloc),
				    on ? (u64)n : 0ULL,
				    "allocs counted, key %s", on ? "on" : "off");
		KUNIT_EXPECT_EQ_MSG(test, latency_total(h1->free) - latency_total(h0->free),
				    on ? (u64)n : 0ULL,
				    "frees counted, key %s", on ? "on" : "off");
	}
	lalloc_latency_enable(false);
}

static struct kunit_case concurrency_cases[] = {
	KUNIT_CASE_SLOW(concurrency_all_cpus),
	KUNIT_CASE_SLOW(concurrency_shrinker),
	KUNIT_CASE_SLOW(concurrency_latency_toggle),
	{}
};

/* A case that aborts must not leave the shrinker parameter or the key changed. */
static unsigned int saved_empty_slabs_kept;

static int concurrency_init(struct kunit *test)
{
	saved_empty_slabs_kept = lalloc_empty_slabs_kept;
	return 0;
}

static void concurrency_exit(struct kunit *test)
{
	lalloc_empty_slabs_kept = saved_empty_slabs_kept;
	lalloc_latency_enable(false);
}

struct kunit_suite lalloc_concurrency_suite = {
	.name = "lalloc_concurrency",
	.init = concurrency_init,
	.exit = concurrency_exit,
	.test_cases = concurrency_cases,
};
