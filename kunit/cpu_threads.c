// SPDX-License-Identifier: GPL-2.0
/*
 * A kthread bound to each online CPU, all started together, and a wait for
 * all of them: what the concurrency and stats suites run their work in.
 */
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/kthread.h>

#include "lalloc_test.h"

struct cpu_thread {
	void (*fn)(void *arg, unsigned int index);
	void *arg;
	unsigned int index;
	atomic_t *running;
	struct completion *done;
};

static int cpu_thread_fn(void *data)
{
	struct cpu_thread *t = data;

	t->fn(t->arg, t->index);
	if (atomic_dec_and_test(t->running))
		complete(t->done);
	return 0;
}

unsigned int lalloc_test_on_each_cpu(struct kunit *test,
				     void (*fn)(void *arg, unsigned int index),
				     void *arg)
{
	unsigned int nr = num_online_cpus(), i = 0, cpu;
	struct cpu_thread *threads = kunit_kcalloc(test, nr, sizeof(*threads), GFP_KERNEL);
	struct task_struct **tasks = kunit_kcalloc(test, nr, sizeof(*tasks), GFP_KERNEL);
	DECLARE_COMPLETION_ONSTACK(done);
	atomic_t running;

	KUNIT_ASSERT_NOT_NULL(test, threads);
	KUNIT_ASSERT_NOT_NULL(test, tasks);
	atomic_set(&running, nr);
	/* The test VMs never take CPUs offline: the online set stays as counted. */
	for_each_online_cpu(cpu) {
		if (i == nr)
			break;
		threads[i] = (struct cpu_thread){ fn, arg, i, &running, &done };
		tasks[i] = kthread_create_on_cpu(cpu_thread_fn, &threads[i], cpu,
						 "lalloc_test/%u");
		KUNIT_ASSERT_FALSE(test, IS_ERR(tasks[i]));
		i++;
	}
	KUNIT_ASSERT_EQ(test, i, nr);
	for (i = 0; i < nr; i++)
		wake_up_process(tasks[i]);
	wait_for_completion(&done);
	return nr;
}
