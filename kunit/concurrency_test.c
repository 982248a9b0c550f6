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

static void concurrency_all_cpus(struct kunit *test)
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
	KUNIT_ASSERT_EQ(test, lalloc_test_on_each_cpu(test, conc_fn, ctx), ctx->nr);

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
	kunit_info(test, "%u CPUs, %lu blocks, %lu freed by another thread\n",
		   ctx->nr, allocated, remote);
}

static struct kunit_case concurrency_cases[] = {
	KUNIT_CASE_SLOW(concurrency_all_cpus),
	{}
};

struct kunit_suite lalloc_concurrency_suite = {
	.name = "lalloc_concurrency",
	.test_cases = concurrency_cases,
};
