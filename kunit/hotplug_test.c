// SPDX-License-Identifier: GPL-2.0
/*
 * CPU hotplug: objects parked on a CPU's stacks when it goes offline go
 * back to their slabs, so the slabs they pinned can be given back, and the
 * CPU works as before once it is back.
 */
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/kthread.h>
#include <linux/sched/task.h>

#include "lalloc_test.h"

#define HP_CPU		1
#define HP_OBJS		256

static const struct lalloc_layout hp_layouts[] = {
	{ 64, 8 }, { 1024, 8 }, { 4000, 64 },
};

struct park_work {
	void *objs[ARRAY_SIZE(hp_layouts)][HP_OBJS];
	bool failed;
	struct completion done;
};

/*
 * On the CPU under test: allocate from fresh slabs, then free everything,
 * one object of every four first, so that what stays parked on this CPU's
 * stacks is spread over many slabs.
 */
static int park_fn(void *data)
{
	struct park_work *w = data;
	unsigned int i, j, pass;

	for (i = 0; i < ARRAY_SIZE(hp_layouts); i++) {
		for (j = 0; j < HP_OBJS; j++) {
			w->objs[i][j] = lalloc_alloc(hp_layouts[i], GFP_KERNEL);
			if (!w->objs[i][j])
				w->failed = true;
		}
	}
	for (i = 0; i < ARRAY_SIZE(hp_layouts); i++)
		for (pass = 0; pass < 2; pass++)
			for (j = 0; j < HP_OBJS; j++)
				if ((j % 4 != 0) == !pass)
					lalloc_free(w->objs[i][j], hp_layouts[i]);
	complete(&w->done);
	return 0;
}

/* Run park_fn() in a kthread bound to @cpu and wait until it has exited. */
static void park_on_cpu(struct kunit *test, unsigned int cpu)
{
	struct park_work *w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	struct task_struct *t;

	KUNIT_ASSERT_NOT_NULL(test, w);
	init_completion(&w->done);
	t = kthread_create_on_cpu(park_fn, w, cpu, "lalloc_hp/%u");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	get_task_struct(t);
	wake_up_process(t);
	wait_for_completion(&w->done);
	kthread_stop(t);
	put_task_struct(t);
	KUNIT_ASSERT_FALSE(test, w->failed);
}

static unsigned long parked_on(unsigned int cpu)
{
	unsigned long n = 0;
	unsigned int i;

	for (i = 0; i < LALLOC_NR_CLASSES; i++)
		n += READ_ONCE(per_cpu_ptr(lalloc_caches[i].cpu, cpu)->count);
	return n;
}

static unsigned int saved_kept;

static int hotplug_init(struct kunit *test)
{
	test->priv = NULL;
	saved_kept = lalloc_empty_slabs_kept;
	return 0;
}

/* Bring the CPU back even when an assertion ended the case early. */
static void hotplug_exit(struct kunit *test)
{
	lalloc_empty_slabs_kept = saved_kept;
	if (test->priv && add_cpu(HP_CPU))
		kunit_err(test, "could not bring CPU %u back online\n", HP_CPU);
}

static void take_cpu_down(struct kunit *test)
{
	int ret = remove_cpu(HP_CPU);

	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "remove_cpu(%u)", HP_CPU);
	test->priv = test;
}

static void bring_cpu_up(struct kunit *test)
{
	int ret;

	test->priv = NULL;
	ret = add_cpu(HP_CPU);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "add_cpu(%u)", HP_CPU);
}

static void skip_without_hotplug(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_HOTPLUG_CPU))
		kunit_skip(test, "no CONFIG_HOTPLUG_CPU");
	if (num_online_cpus() < 2 || !cpu_online(HP_CPU))
		kunit_skip(test, "needs CPU %u online and another CPU", HP_CPU);
}

/*
 * Objects parked on a CPU that goes offline: its stacks are empty once it
 * is dead, the shrinker has nothing left to count, and every page the
 * objects pinned goes back.
 */
static void hotplug_dead_cpu_drained(struct kunit *test)
{
	struct shrink_control sc = { .gfp_mask = GFP_KERNEL };
	unsigned long base;

	skip_without_hotplug(test);
	lalloc_shrink_all();
	base = lalloc_pages_held();
	KUNIT_ASSERT_EQ(test, parked_on(HP_CPU), 0UL);

	park_on_cpu(test, HP_CPU);
	KUNIT_ASSERT_GT(test, parked_on(HP_CPU), 0UL);
	KUNIT_EXPECT_GT(test, lalloc_pages_held(), base);

	take_cpu_down(test);
	KUNIT_EXPECT_EQ(test, parked_on(HP_CPU), 0UL);
	lalloc_shrink_all();
	KUNIT_EXPECT_EQ(test, lalloc_pages_held(), base);
	if (!base)
		KUNIT_EXPECT_EQ(test, lalloc_shrink_count(NULL, &sc), SHRINK_EMPTY);

	/* Back online, the CPU's stacks work as before. */
	bring_cpu_up(test);
	park_on_cpu(test, HP_CPU);
	KUNIT_EXPECT_GT(test, parked_on(HP_CPU), 0UL);
	lalloc_shrink_all();
	KUNIT_EXPECT_EQ(test, parked_on(HP_CPU), 0UL);
	KUNIT_EXPECT_EQ(test, lalloc_pages_held(), base);
}

/*
 * Without the dead callback's help: with empty_slabs_kept at its maximum
 * nothing is freed when the CPU dies, and the shrinker's own count and scan
 * give every page back.
 */
static void hotplug_shrinker_frees_dead_cpu_slabs(struct kunit *test)
{
	struct shrink_control sc = { .gfp_mask = GFP_KERNEL };
	unsigned long base, ret;

	skip_without_hotplug(test);
	lalloc_shrink_all();
	base = lalloc_pages_held();
	lalloc_empty_slabs_kept = UINT_MAX;
	park_on_cpu(test, HP_CPU);
	take_cpu_down(test);
	KUNIT_EXPECT_NE(test, lalloc_shrink_count(NULL, &sc), SHRINK_EMPTY);
	do {
		sc.nr_to_scan = 128;
		ret = lalloc_shrink_scan(NULL, &sc);
	} while (ret != SHRINK_STOP);
	KUNIT_EXPECT_EQ(test, parked_on(HP_CPU), 0UL);
	KUNIT_EXPECT_EQ(test, lalloc_pages_held(), base);
	if (!base)
		KUNIT_EXPECT_EQ(test, lalloc_shrink_count(NULL, &sc), SHRINK_EMPTY);
	bring_cpu_up(test);
}

static struct kunit_case hotplug_cases[] = {
	KUNIT_CASE(hotplug_dead_cpu_drained),
	KUNIT_CASE(hotplug_shrinker_frees_dead_cpu_slabs),
	{}
};

struct kunit_suite lalloc_hotplug_suite = {
	.name = "lalloc_hotplug",
	.init = hotplug_init,
	.exit = hotplug_exit,
	.test_cases = hotplug_cases,
};
