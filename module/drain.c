// SPDX-License-Identifier: GPL-2.0
/*
 * Draining the per-CPU stacks: every object parked on them goes back to its
 * slab, so that empty slabs can return to the page allocator (shrinker,
 * unload, a change of debug checks).
 *
 * A CPU's stacks are under its local lock, which only code running on that
 * CPU may take. Each online CPU therefore drains itself, from a work item
 * bound to it on a WQ_MEM_RECLAIM workqueue, as SLUB flushes its per-CPU
 * slabs (flush_all_cpus_locked()). Not from an IPI: on PREEMPT_RT the local
 * lock and the cache lock are sleeping locks, which hard-irq context must
 * not take. The rescuer of a WQ_MEM_RECLAIM workqueue lets the shrinker wait
 * for the drain even when no new worker can be created under memory
 * pressure.
 *
 * The stacks of a CPU that went offline are flushed from the CPU hotplug
 * teardown, on a control CPU, once nothing can run there any more.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>

#include "internal.h"

static struct workqueue_struct *drain_wq;
static DEFINE_PER_CPU(struct work_struct, drain_work);
/*
 * One lalloc_drain_all() at a time: two would flush the stacks of one
 * offline CPU at once, each under its own CPU's local lock (SLUB's
 * flush_lock). Taken before the CPU hotplug lock.
 */
static DEFINE_MUTEX(drain_all_lock);

/*
 * Flush every per-CPU stack of the CPU this runs on. A work item queued
 * for a CPU that goes offline before it runs may run on another CPU: it
 * then drains that one, which is harmless, and lalloc_cpu_dead() drains
 * the CPU that died.
 */
static void drain_this_cpu(struct work_struct *unused)
{
	unsigned int i;

	for (i = 0; i < LALLOC_NR_CLASSES; i++) {
		struct lalloc_cache *s = &lalloc_caches[i];
		struct lalloc_cpu_cache *c;
		unsigned long flags;
		LIST_HEAD(to_free);

		if (!s->cpu)
			continue;
		local_lock_irqsave(&s->cpu->lock, flags);
		c = this_cpu_ptr(s->cpu);
		if (c->count)
			lalloc_flush(s, c, c->count, &to_free);
		local_unlock_irqrestore(&s->cpu->lock, flags);
		lalloc_free_slabs(s, &to_free);
	}
}

/*
 * Whether @cpu has objects parked on any stack. Racy by design, as SLUB's
 * has_cpu_slab(): an object parked after the look waits for the next
 * drain. Exact when nothing allocates or frees (module unload).
 */
static bool cpu_has_parked(unsigned int cpu)
{
	unsigned int i;

	for (i = 0; i < LALLOC_NR_CLASSES; i++) {
		struct lalloc_cache *s = &lalloc_caches[i];

		if (s->cpu && READ_ONCE(per_cpu_ptr(s->cpu, cpu)->count))
			return true;
	}
	return false;
}

/*
 * Flush the stacks of @cpu, which is not running: nothing else touches
 * them. lalloc_flush() runs under a local lock, as everywhere: ours, which
 * also gives it the context the cache lock expects (interrupts off, or on
 * PREEMPT_RT a pinned, preemptible task).
 */
static void drain_offline_cpu(unsigned int cpu)
{
	unsigned int i;

	for (i = 0; i < LALLOC_NR_CLASSES; i++) {
		struct lalloc_cache *s = &lalloc_caches[i];
		struct lalloc_cpu_cache *c;
		unsigned long flags;
		LIST_HEAD(to_free);

		if (!s->cpu)
			continue;
		c = per_cpu_ptr(s->cpu, cpu);
		if (!c->count)
			continue;
		local_lock_irqsave(&s->cpu->lock, flags);
		lalloc_flush(s, c, c->count, &to_free);
		local_unlock_irqrestore(&s->cpu->lock, flags);
		lalloc_free_slabs(s, &to_free);
	}
}

/*
 * Queue the drain on every online CPU that has objects parked, and wait
 * for it: a CPU with nothing to give back is not made to schedule a
 * worker (reclaim waits for every one it asks). Two callers at once are
 * fine: a work item still pending from the other is the drain this
 * caller waits for, and it starts after this caller asked.
 */
static void drain_online_cpus(void)
{
	unsigned int cpu;

	for_each_online_cpu(cpu)
		if (cpu_has_parked(cpu))
			queue_work_on(cpu, drain_wq, per_cpu_ptr(&drain_work, cpu));
	for_each_possible_cpu(cpu)
		flush_work(per_cpu_ptr(&drain_work, cpu));
}

/**
 * lalloc_drain_online() - empty the per-CPU stacks of every online CPU
 *
 * Takes no CPU hotplug lock, so that the shrinker may call it from reclaim
 * (which can run inside a hotplug callback that holds that lock). A CPU
 * that goes offline meanwhile is drained by lalloc_cpu_dead().
 *
 * Context: process context; sleeps until every CPU has drained.
 */
void lalloc_drain_online(void)
{
	drain_online_cpus();
}

/**
 * lalloc_drain_all() - empty the per-CPU stacks of every CPU
 *
 * Online CPUs drain their own stacks; the stacks of offline CPUs, which
 * lalloc_cpu_dead() has normally emptied already, are flushed from here.
 * The CPU hotplug lock keeps the set of online CPUs fixed meanwhile.
 *
 * Context: process context, not in reclaim; sleeps.
 */
void lalloc_drain_all(void)
{
	unsigned int cpu;

	mutex_lock(&drain_all_lock);
	cpus_read_lock();
	drain_online_cpus();
	for_each_possible_cpu(cpu)
		if (!cpu_online(cpu))
			drain_offline_cpu(cpu);
	cpus_read_unlock();
	mutex_unlock(&drain_all_lock);
}

/*
 * The teardown of a dynamic PREPARE state runs on a control CPU once the
 * CPU is dead, as SLUB's slub_cpu_dead(): objects parked on its stacks go
 * back to their slabs, and surplus empty slabs to the page allocator.
 */
static int lalloc_cpu_dead(unsigned int cpu)
{
	drain_offline_cpu(cpu);
	return 0;
}

static enum cpuhp_state lalloc_cpuhp_state;

/**
 * lalloc_drain_init() - make the workqueue the drains run on
 *
 * Return: 0 or -ENOMEM.
 */
int lalloc_drain_init(void)
{
	unsigned int cpu;

	drain_wq = alloc_workqueue("lalloc_drain", WQ_MEM_RECLAIM, 0);
	if (!drain_wq)
		return -ENOMEM;
	for_each_possible_cpu(cpu)
		INIT_WORK(per_cpu_ptr(&drain_work, cpu), drain_this_cpu);
	return 0;
}

/**
 * lalloc_drain_exit() - destroy the workqueue of lalloc_drain_init()
 *
 * Called after the last drain.
 */
void lalloc_drain_exit(void)
{
	destroy_workqueue(drain_wq);
}

/**
 * lalloc_cpuhp_init() - drain every CPU that goes offline from now on
 *
 * Return: 0, or a negative errno when no hotplug state is left.
 */
int lalloc_cpuhp_init(void)
{
	int ret;

	ret = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "lalloc:dead",
					NULL, lalloc_cpu_dead);
	if (ret < 0)
		return ret;
	lalloc_cpuhp_state = ret;
	return 0;
}

/**
 * lalloc_cpuhp_exit() - remove the hotplug callback of lalloc_cpuhp_init()
 *
 * Waits for a callback that is running; lalloc_drain_all() covers CPUs
 * that go offline after it.
 */
void lalloc_cpuhp_exit(void)
{
	cpuhp_remove_state_nocalls(lalloc_cpuhp_state);
}
