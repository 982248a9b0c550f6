// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc_torture: a torture test of lalloc's exported API, in the style of
 * locktorture. Not KUnit: a module of its own, loaded for a run.
 *
 * For @duration seconds, @threads kthreads per online CPU allocate, resize
 * and free blocks of random layouts through every entry point of
 * <linux/lalloc.h>; a hard-irq hrtimer (a softirq one on PREEMPT_RT, which
 * allows no allocation in hard irq context) and a softirq timer per CPU do
 * the same with GFP_ATOMIC; blocks change hands between threads and from and to
 * interrupt context through llists; a thread runs the kernel's shrinkers
 * through /proc/sys/vm/drop_caches; another takes a non-boot CPU offline
 * and back every @hotplug seconds.
 *
 * Every block holds a pattern derived from its owner and serial number,
 * checked byte for byte before each resize and free and after each resize
 * (the kept prefix; the zeroed tail of a grow_zeroed); zeroed allocations
 * must read zero; alignment and usable size are checked on every block.
 *
 * The run happens in a kthread: module init starts it and returns. At the
 * end every block is freed and one summary line is printed:
 *
 *   lalloc-torture: ops N errors E irq_ops I hotplug H
 *
 * rmmod stops a run early (the summary is still printed). The guest script
 * userspace-tools/tests/torture.sh waits for the line and checks that
 * lalloc's statistics are back at their baseline.
 */
#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/lalloc.h>
#include <linux/llist.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/timer.h>

static int duration = 30;
module_param(duration, int, 0444);
MODULE_PARM_DESC(duration, "seconds to run (1..86400, default 30)");

static int threads = 1;
module_param(threads, int, 0444);
MODULE_PARM_DESC(threads, "worker kthreads per online CPU (1..16, default 1)");

static int hotplug = 3;
module_param(hotplug, int, 0444);
MODULE_PARM_DESC(hotplug, "seconds between offline/online cycles of one non-boot CPU (0: off, default 3)");

static bool irq = true;
module_param(irq, bool, 0444);
MODULE_PARM_DESC(irq, "GFP_ATOMIC work from a hard-irq hrtimer and a softirq timer on each CPU (default on)");

static bool shrink = true;
module_param(shrink, bool, 0444);
MODULE_PARM_DESC(shrink, "run the kernel's shrinkers (drop_caches) every 250 ms (default on)");

static ulong seed;
module_param(seed, ulong, 0444);
MODULE_PARM_DESC(seed, "random seed (0: pick one; the seed used is logged)");

static bool inject;
module_param(inject, bool, 0444);
MODULE_PARM_DESC(inject, "mark the worker kthreads for fault injection (make-it-fail; with failslab, fail_page_alloc or lalloc's fail_alloc on task-filter their allocations fail), a NULL then being no error (default off)");

#define NR_SLOTS	128		/* blocks a worker holds at most */
#define WORKER_BUDGET	(16 * SZ_1M)	/* bytes a worker holds at most */
#define MAX_BIG		(6 * SZ_1M)	/* largest block, a vmalloc-kind one */
#define NR_IRQ_SLOTS	8		/* blocks each timer holds at most */
#define IRQ_MAX		(256 * SZ_1K)	/* largest block made in softirq context */
#define HARDIRQ_MAX	(64 * SZ_1K)	/* largest block made in hard irq context */
#define IRQ_CHECK	(64 * SZ_1K)	/* see irq_drain() */
#define HRT_PERIOD_NS	(2 * NSEC_PER_MSEC)
#define MAX_REPORTS	20		/* errors described in the log */
#define MAX_NOMEM_NOTES	5		/* tolerated NULLs described in the log */

/* A live block and what it must hold. */
struct tblock {
	struct llist_node node;		/* on an inbox or a to_irq list */
	void *p;
	struct lalloc_layout l;
	u32 owner;			/* worker index, or 0x8000 + irq ring */
	u32 serial;
};

struct worker {
	struct task_struct *task;
	unsigned int id;
	int cpu;
	u64 rng;
	u32 serial;
	size_t live_bytes;
	struct tblock *slot[NR_SLOTS];
	struct llist_head inbox;	/* blocks handed to this worker */
};

/* The interrupt-context side of one CPU. */
struct irq_ring {
	u64 rng;
	u32 serial;
	u32 owner;
	bool hard;
	struct tblock *slot[NR_IRQ_SLOTS];
};

struct cpu_irq {
	struct hrtimer hrt;
	struct timer_list timer;
	struct irq_ring hring, sring;
	struct llist_head to_irq;	/* blocks workers hand over to be freed */
	bool armed;			/* timers set up, to be cancelled */
};

static struct worker *workers;
static unsigned int nr_workers;
static struct cpu_irq *irqs;		/* indexed by CPU number */
static struct task_struct *main_task, *hotplug_task, *shrink_task;
static int hotplug_cpu = -1;
static bool stopping;			/* READ_ONCE/WRITE_ONCE */

static atomic64_t n_ops, n_errors, n_irq_ops, n_hotplug;
static atomic64_t n_nomem, n_atomic_nomem, n_handoffs, n_to_irq;
static atomic64_t n_shrinks, n_hotplug_refused;

/* xorshift64*: per worker or per ring, never shared. */
static u64 rnd(u64 *s)
{
	u64 x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static u64 rnd_below(u64 *s, u64 n)
{
	return n ? rnd(s) % n : 0;
}

/* The pattern: 8 bytes at a time, little-endian, from (owner, serial). */
static u64 tb_key(const struct tblock *b)
{
	return (((u64)b->owner << 32) | b->serial) * 0x9e3779b97f4a7c15ULL + 1;
}

static u64 pat_word(u64 key, size_t w)
{
	u64 x = key ^ ((u64)w * 0xbf58476d1ce4e5b9ULL);

	x ^= x >> 31;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 29;
	return x;
}

static u8 pat_byte(u64 key, size_t i)
{
	return (u8)(pat_word(key, i >> 3) >> (8 * (i & 7)));
}

static void pat_fill(u8 *b, size_t from, size_t to, u64 key)
{
	size_t i = from;

	for (; i < to && (i & 7); i++)
		b[i] = pat_byte(key, i);
	if (IS_ALIGNED((unsigned long)b, 8))
		for (; i + 8 <= to; i += 8)
			*(u64 *)(b + i) = pat_word(key, i >> 3);
	for (; i < to; i++)
		b[i] = pat_byte(key, i);
}

/* The first byte in [from, to) that is not the pattern, or to. */
static size_t pat_check(const u8 *b, size_t from, size_t to, u64 key)
{
	size_t i = from;

	for (; i < to && (i & 7); i++)
		if (b[i] != pat_byte(key, i))
			return i;
	if (IS_ALIGNED((unsigned long)b, 8))
		for (; i + 8 <= to; i += 8)
			if (*(const u64 *)(b + i) != pat_word(key, i >> 3))
				break;
	for (; i < to; i++)
		if (b[i] != pat_byte(key, i))
			return i;
	return to;
}

static void report(const char *what, const struct tblock *b, size_t at,
		   size_t extra)
{
	if (atomic64_inc_return(&n_errors) > MAX_REPORTS)
		return;
	pr_err("%s: block %p layout (size %zu, align %zu) owner %#x serial %u at %zu (%zu), seed %lu\n",
	       what, b->p, b->l.size, b->l.align, b->owner, b->serial, at,
	       extra, seed);
}

/* Alignment, usable size and the pattern over [from, to); false if bad. */
static bool tb_check(const struct tblock *b, size_t from, size_t to,
		     const char *when)
{
	size_t usable, bad;

	if (!b->p) {
		report(when, b, 0, 0);
		return false;
	}
	if (!IS_ALIGNED((unsigned long)b->p, b->l.align)) {
		report("misaligned block", b, 0, b->l.align);
		return false;
	}
	usable = lalloc_usable_size(b->p, b->l);
	if (b->l.size ? usable < b->l.size : usable != 0) {
		report("usable size wrong", b, usable, b->l.size);
		return false;
	}
	bad = pat_check(b->p, from, min(to, b->l.size), tb_key(b));
	if (bad < min(to, b->l.size)) {
		report(when, b, bad, ((const u8 *)b->p)[bad]);
		return false;
	}
	return true;
}

static bool tb_verify(const struct tblock *b, const char *when)
{
	return tb_check(b, 0, b->l.size, when);
}

/*
 * A NULL from a valid request: with a gfp that may sleep, a slab-sized
 * block must be served (an error) unless failures are injected; page and
 * vmalloc blocks may fail under fragmentation or pressure, and GFP_ATOMIC
 * requests may always fail.
 */
static void note_null(struct lalloc_layout l, bool atomic, const char *what)
{
	struct tblock b = { .l = l };

	if (atomic)
		atomic64_inc(&n_atomic_nomem);
	else if (!inject && l.size && l.size <= 16 * SZ_1K && l.align <= 4096)
		report(what, &b, 0, 0);
	else if (atomic64_inc_return(&n_nomem) <= MAX_NOMEM_NOTES)
		pr_info("%s: NULL for layout (size %zu, align %zu), GFP_KERNEL\n",
			what, l.size, l.align);
}

/* A random layout: mostly 0..64 KiB, sometimes pages, rarely vmalloc. */
static struct lalloc_layout gen_layout(u64 *rng, bool atomic, size_t cap)
{
	struct lalloc_layout l;
	unsigned int r = rnd_below(rng, 128), shift;

	if (r < 6)
		l.size = 0;
	else if (r < 118)
		l.size = 1 + rnd_below(rng, 1ULL << rnd_below(rng, 17));
	else if (r < 126 || atomic)
		/* Every page order about as often: a 4 MiB one is costly. */
		l.size = SZ_32K + rnd_below(rng, (atomic ? cap : SZ_4M) >>
					    rnd_below(rng, 8));
	else
		l.size = SZ_4M + 1 + rnd_below(rng, MAX_BIG - SZ_4M);
	l.size = min(l.size, cap);
	shift = rnd_below(rng, 4) ? rnd_below(rng, 7) : rnd_below(rng, 17);
	l.align = 1UL << shift;
	return l;
}

static struct tblock *tb_new(gfp_t gfp)
{
	return kmalloc(sizeof(struct tblock), gfp);
}

/* Allocate a block for @b->l, one of the three ways; false on NULL. */
static bool tb_alloc(struct tblock *b, u64 *rng, gfp_t gfp, bool atomic)
{
	unsigned int how = rnd_below(rng, 4);
	size_t bad;

	if (how == 0)
		b->p = lalloc_realloc(NULL, b->l, b->l, gfp);
	else if (how == 1)
		b->p = lalloc_alloc_zeroed(b->l, gfp);
	else
		b->p = lalloc_alloc(b->l, gfp);
	if (!b->p) {
		note_null(b->l, atomic, "allocation failed");
		return false;
	}
	if (!IS_ALIGNED((unsigned long)b->p, b->l.align)) {
		report("misaligned new block", b, 0, b->l.align);
	} else if (how == 1 && b->l.size) {
		bad = memchr_inv(b->p, 0, b->l.size) ?
		      (u8 *)memchr_inv(b->p, 0, b->l.size) - (u8 *)b->p : b->l.size;
		if (bad < b->l.size)
			report("zeroed block not zero", b, bad, ((u8 *)b->p)[bad]);
	}
	pat_fill(b->p, 0, b->l.size, tb_key(b));
	return true;
}

static void tb_free(struct tblock *b)
{
	lalloc_free(b->p, b->l);
	kfree(b);
}

/*
 * Resize @b to a random layout by grow, grow_zeroed, shrink or realloc,
 * checking the block before and after; on NULL the old block must be
 * intact. @cap caps the new size. Returns the API calls made.
 */
static unsigned int tb_resize(struct tblock *b, u64 *rng, gfp_t gfp,
			      bool atomic, size_t cap)
{
	struct lalloc_layout old = b->l, new;
	unsigned int how = rnd_below(rng, 4);
	size_t keep, bad;
	void *q;

	if (!tb_verify(b, "corrupted before resize"))
		return 0;
	new = gen_layout(rng, atomic, cap);
	if (how <= 1) {			/* grow, grow_zeroed */
		new.size = min(old.size + new.size, max(cap, old.size));
		q = how ? lalloc_grow_zeroed(b->p, old, new, gfp) :
			  lalloc_grow(b->p, old, new, gfp);
	} else if (how == 2) {		/* shrink */
		new.size = rnd_below(rng, old.size + 1);
		q = lalloc_shrink(b->p, old, new, gfp);
	} else {
		q = lalloc_realloc(b->p, old, new, gfp);
	}
	if (!q) {
		note_null(new, atomic, "resize failed");
		tb_verify(b, "block changed by a failed resize");
		return 1;
	}
	b->p = q;
	b->l = new;
	keep = min(old.size, new.size);
	if (!tb_check(b, 0, keep, "prefix lost in resize"))
		return 1;
	if (how == 1 && new.size > old.size) {
		bad = memchr_inv((u8 *)q + old.size, 0, new.size - old.size) ?
		      (u8 *)memchr_inv((u8 *)q + old.size, 0, new.size - old.size) -
		      (u8 *)q : new.size;
		if (bad < new.size)
			report("grown tail not zero", b, bad, ((u8 *)q)[bad]);
	}
	pat_fill(q, keep, new.size, tb_key(b));
	return 1;
}

/* --- interrupt context ------------------------------------------------ */

static void irq_ring_step(struct irq_ring *r)
{
	unsigned int i = rnd_below(&r->rng, NR_IRQ_SLOTS), op;
	size_t cap = r->hard ? HARDIRQ_MAX : IRQ_MAX;
	struct tblock *b = r->slot[i];

	if (r->hard ? !in_hardirq() : !in_serving_softirq()) {
		struct tblock none = { .owner = r->owner };

		report("timer not in the expected context", &none, 0, 0);
	}
	if (!b) {
		b = tb_new(GFP_ATOMIC);
		if (!b)
			return;
		b->l = gen_layout(&r->rng, true, cap);
		b->owner = r->owner;
		b->serial = r->serial++;
		atomic64_inc(&n_irq_ops);
		if (tb_alloc(b, &r->rng, GFP_ATOMIC, true))
			r->slot[i] = b;
		else
			kfree(b);
		return;
	}
	op = rnd_below(&r->rng, 8);
	if (op < 3) {
		tb_verify(b, "corrupted before free");
		tb_free(b);
		r->slot[i] = NULL;
		atomic64_inc(&n_irq_ops);
	} else if (op < 6) {
		atomic64_add(tb_resize(b, &r->rng, GFP_ATOMIC, true, cap),
			     &n_irq_ops);
	} else if (nr_workers) {
		/* Allocated here, freed by a worker. */
		if (!tb_verify(b, "corrupted before handoff"))
			return;
		r->slot[i] = NULL;
		llist_add(&b->node,
			  &workers[rnd_below(&r->rng, nr_workers)].inbox);
		atomic64_inc(&n_handoffs);
	}
}

static void irq_ring_empty(struct irq_ring *r)
{
	unsigned int i;

	for (i = 0; i < NR_IRQ_SLOTS; i++) {
		if (!r->slot[i])
			continue;
		tb_verify(r->slot[i], "corrupted before free");
		tb_free(r->slot[i]);
		r->slot[i] = NULL;
	}
}

/*
 * Free what workers handed over (vmalloc-kind blocks too: their unmap is
 * deferred). The worker checked each block in full just before; here the
 * first and last IRQ_CHECK bytes are checked again, which keeps a
 * many-megabyte block from holding the CPU in the softirq for long.
 */
static void irq_drain(struct llist_head *list)
{
	struct llist_node *n = llist_del_all(list);
	struct tblock *b, *t;

	llist_for_each_entry_safe(b, t, n, node) {
		if (b->l.size <= 2 * IRQ_CHECK) {
			tb_verify(b, "corrupted before free");
		} else {
			tb_check(b, 0, IRQ_CHECK, "corrupted before free");
			tb_check(b, b->l.size - IRQ_CHECK, b->l.size,
				 "corrupted before free");
		}
		tb_free(b);
		atomic64_inc(&n_irq_ops);
	}
}

static enum hrtimer_restart torture_hrtimer(struct hrtimer *t)
{
	struct cpu_irq *c = container_of(t, struct cpu_irq, hrt);

	if (READ_ONCE(stopping))
		return HRTIMER_NORESTART;
	irq_ring_step(&c->hring);
	hrtimer_forward_now(t, ns_to_ktime(HRT_PERIOD_NS));
	return HRTIMER_RESTART;
}

static void torture_timer(struct timer_list *t)
{
	struct cpu_irq *c = from_timer(c, t, timer);

	if (READ_ONCE(stopping))
		return;
	irq_ring_step(&c->sring);
	irq_ring_step(&c->sring);
	irq_drain(&c->to_irq);
	mod_timer(t, jiffies + 1);
}

/*
 * PREEMPT_RT allows no allocation in hard-irq context (the locks are
 * sleeping locks): there the hrtimer expires in softirq context instead.
 */
#define TORTURE_HRT_MODE	(IS_ENABLED(CONFIG_PREEMPT_RT) ? \
				 HRTIMER_MODE_REL_PINNED : HRTIMER_MODE_REL_PINNED_HARD)

/* On the CPU itself: pinned timers arm on the CPU they are started on. */
static void irq_start_here(void *data)
{
	struct cpu_irq *c = data;

	hrtimer_start(&c->hrt, ns_to_ktime(HRT_PERIOD_NS), TORTURE_HRT_MODE);
	mod_timer(&c->timer, jiffies + 1);
}

/* --- workers ---------------------------------------------------------- */

static void worker_take(struct worker *w, struct tblock *b)
{
	unsigned int i = rnd_below(&w->rng, NR_SLOTS);

	/* Keep it (to resize and free later) when there is room, else free. */
	if (!tb_verify(b, "corrupted in handoff") || w->slot[i] ||
	    w->live_bytes + b->l.size > WORKER_BUDGET) {
		tb_free(b);
	} else {
		w->slot[i] = b;
		w->live_bytes += b->l.size;
	}
	atomic64_inc(&n_ops);
}

static void worker_drain(struct worker *w)
{
	struct llist_node *n = llist_del_all(&w->inbox);
	struct tblock *b, *t;

	llist_for_each_entry_safe(b, t, n, node)
		worker_take(w, b);
}

static void worker_step(struct worker *w)
{
	unsigned int i = rnd_below(&w->rng, NR_SLOTS), op;
	struct tblock *b = w->slot[i];
	size_t room = WORKER_BUDGET - w->live_bytes;
	struct worker *to;

	if (!b) {
		b = tb_new(GFP_KERNEL);
		if (!b)
			return;
		b->l = gen_layout(&w->rng, false, room);
		b->owner = w->id;
		b->serial = w->serial++;
		atomic64_inc(&n_ops);
		if (tb_alloc(b, &w->rng, GFP_KERNEL, false)) {
			w->slot[i] = b;
			w->live_bytes += b->l.size;
		} else {
			kfree(b);
		}
		return;
	}
	op = rnd_below(&w->rng, 16);
	if (op < 4) {
		tb_verify(b, "corrupted before free");
		w->live_bytes -= b->l.size;
		tb_free(b);
		w->slot[i] = NULL;
		atomic64_inc(&n_ops);
	} else if (op < 12) {
		w->live_bytes -= b->l.size;
		atomic64_add(tb_resize(b, &w->rng, GFP_KERNEL, false,
				       room + b->l.size), &n_ops);
		w->live_bytes += b->l.size;
	} else if (op < 13 || (op < 14 && !irqs)) {
		/* To another worker, often on another CPU. */
		if (!tb_verify(b, "corrupted before handoff"))
			return;
		to = &workers[rnd_below(&w->rng, nr_workers)];
		w->slot[i] = NULL;
		w->live_bytes -= b->l.size;
		llist_add(&b->node, &to->inbox);
		atomic64_inc(&n_handoffs);
	} else if (op < 14) {
		/* To a softirq timer, to be freed there. */
		if (!tb_verify(b, "corrupted before handoff"))
			return;
		w->slot[i] = NULL;
		w->live_bytes -= b->l.size;
		llist_add(&b->node, &irqs[workers[rnd_below(&w->rng, nr_workers)].cpu].to_irq);
		atomic64_inc(&n_to_irq);
	} else {
		tb_verify(b, "corrupted at rest");
	}
}

static int worker_fn(void *data)
{
	struct worker *w = data;
	unsigned int i;

#ifdef CONFIG_FAULT_INJECTION
	/* Only the workers' calls: not the timers', teardown's or the kernel's. */
	current->make_it_fail = inject;
#endif
	while (!READ_ONCE(stopping) && !kthread_should_stop()) {
		worker_drain(w);
		for (i = 0; i < 16; i++) {
			worker_step(w);
			cond_resched();
		}
	}
	for (i = 0; i < NR_SLOTS; i++) {
		if (!w->slot[i])
			continue;
		tb_verify(w->slot[i], "corrupted before free");
		tb_free(w->slot[i]);
		w->slot[i] = NULL;
	}
	w->live_bytes = 0;
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

/* --- the shrinker and CPU hotplug ------------------------------------- */

static int write_drop_caches(const char *val)
{
	struct file *f = filp_open("/proc/sys/vm/drop_caches", O_WRONLY, 0);
	loff_t pos = 0;
	ssize_t n;

	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_write(f, val, strlen(val), &pos);
	filp_close(f, NULL);
	return n < 0 ? n : 0;
}

/*
 * The real shrinker path: drop_caches=2 runs every shrinker, lalloc's
 * count_objects/scan_objects among them. (lalloc's own scan entry points
 * are exported for KUnit only.) drop_caches=4 first silences the kernel's
 * log line for each write, for the rest of the boot.
 */
static int shrink_fn(void *unused)
{
	int err = write_drop_caches("4");

	if (err)
		pr_warn("drop_caches: error %d; no shrinker runs\n", err);
	while (!err && !kthread_should_stop()) {
		err = write_drop_caches("2");
		if (err)
			pr_err("drop_caches: error %d\n", err);
		else
			atomic64_inc(&n_shrinks);
		schedule_timeout_interruptible(HZ / 4);
	}
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

/* Workers of @cpu went elsewhere when it went offline: bring them back. */
static void rebind_workers(int cpu)
{
	unsigned int i;

	for (i = 0; i < nr_workers; i++)
		if (workers[i].cpu == cpu)
			set_cpus_allowed_ptr(workers[i].task, cpumask_of(cpu));
}

static void sleep_or_stop(unsigned long timeout)
{
	unsigned long end = jiffies + timeout;

	while (!kthread_should_stop() && time_before(jiffies, end))
		schedule_timeout_interruptible(min(end - jiffies, (unsigned long)HZ / 10));
}

static int hotplug_fn(void *unused)
{
	int err;

	while (!kthread_should_stop()) {
		sleep_or_stop(hotplug * HZ);
		if (kthread_should_stop())
			break;
		err = remove_cpu(hotplug_cpu);
		if (err) {
			atomic64_inc(&n_hotplug_refused);
			continue;
		}
		/* Offline for a moment while the timers run elsewhere. */
		schedule_timeout_uninterruptible(HZ / 5);
		err = add_cpu(hotplug_cpu);
		while (err) {
			struct tblock none = { .owner = hotplug_cpu };

			report("add_cpu failed", &none, 0, -err);
			schedule_timeout_uninterruptible(HZ);
			err = add_cpu(hotplug_cpu);
		}
		rebind_workers(hotplug_cpu);
		atomic64_inc(&n_hotplug);
	}
	return 0;
}

/* --- the run ---------------------------------------------------------- */

static void end_thread(struct task_struct **t)
{
	if (!*t)
		return;
	kthread_stop(*t);
	put_task_struct(*t);
	*t = NULL;
}

static struct task_struct *new_thread(int (*fn)(void *), void *data,
				      const char *name, unsigned int n)
{
	struct task_struct *t = kthread_create(fn, data, "%s/%u", name, n);

	if (IS_ERR(t))
		return NULL;
	get_task_struct(t);
	return t;
}

/* Stop everything, free every block left, in this order. */
static void torture_teardown(void)
{
	unsigned int i;
	int cpu;

	WRITE_ONCE(stopping, true);
	end_thread(&hotplug_task);
	end_thread(&shrink_task);
	if (irqs) {
		for_each_possible_cpu(cpu) {
			if (!irqs[cpu].armed)
				continue;
			hrtimer_cancel(&irqs[cpu].hrt);
			del_timer_sync(&irqs[cpu].timer);
		}
	}
	for (i = 0; i < nr_workers; i++)
		end_thread(&workers[i].task);
	/* Workers are gone: their inboxes and the to_irq lists are ours. */
	for (i = 0; i < nr_workers; i++)
		worker_drain(&workers[i]);
	if (irqs) {
		for_each_possible_cpu(cpu) {
			irq_ring_empty(&irqs[cpu].hring);
			irq_ring_empty(&irqs[cpu].sring);
			irq_drain(&irqs[cpu].to_irq);
		}
	}
	/* The hand-offs above may have kept blocks in worker slots. */
	for (i = 0; i < nr_workers; i++) {
		unsigned int s;

		for (s = 0; s < NR_SLOTS; s++) {
			if (!workers[i].slot[s])
				continue;
			tb_verify(workers[i].slot[s], "corrupted before free");
			tb_free(workers[i].slot[s]);
			workers[i].slot[s] = NULL;
		}
	}
}

static void torture_summary(void);

static int main_fn(void *unused)
{
	unsigned long end = jiffies + duration * HZ;

	while (!kthread_should_stop() && time_before(jiffies, end))
		schedule_timeout_interruptible(min(end - jiffies, (unsigned long)HZ));
	torture_teardown();
	torture_summary();
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ);
	return 0;
}

static void torture_free(void)
{
	kfree(workers);
	workers = NULL;
	kfree(irqs);
	irqs = NULL;
}

static int __init lalloc_torture_init(void)
{
	unsigned int per = 0, i, cpu;
	u64 s;

	if (duration < 1 || duration > 86400 || threads < 1 || threads > 16 ||
	    hotplug < 0 || hotplug > 3600)
		return -EINVAL;
	/* make-it-fail exists only with the kernel's fault injection. */
	if (inject && !IS_ENABLED(CONFIG_FAULT_INJECTION))
		return -EOPNOTSUPP;
	if (!seed)
		seed = get_random_u32() | 1;
	s = seed;

	cpus_read_lock();
	nr_workers = threads * num_online_cpus();
	workers = kcalloc(nr_workers, sizeof(*workers), GFP_KERNEL);
	if (irq)
		irqs = kcalloc(nr_cpu_ids, sizeof(*irqs), GFP_KERNEL);
	if (!workers || (irq && !irqs)) {
		cpus_read_unlock();
		torture_free();
		return -ENOMEM;
	}
	i = 0;
	for_each_online_cpu(cpu) {
		for (per = 0; per < threads && i < nr_workers; per++, i++) {
			workers[i].id = i;
			workers[i].cpu = cpu;
			workers[i].rng = s ^ (0x9e3779b97f4a7c15ULL * (i + 1));
			init_llist_head(&workers[i].inbox);
		}
		if (cpu)
			hotplug_cpu = cpu;	/* the last non-boot CPU */
	}
	cpus_read_unlock();
	nr_workers = i;

	for (i = 0; i < nr_workers; i++) {
		workers[i].task = new_thread(worker_fn, &workers[i],
					     "lalloc_torture", i);
		if (!workers[i].task)
			goto fail;
		set_cpus_allowed_ptr(workers[i].task, cpumask_of(workers[i].cpu));
	}
	if (hotplug && hotplug_cpu > 0) {
		hotplug_task = new_thread(hotplug_fn, NULL, "lalloc_torture_hp", hotplug_cpu);
		if (!hotplug_task)
			goto fail;
	}
	if (shrink) {
		shrink_task = new_thread(shrink_fn, NULL, "lalloc_torture_shrink", 0);
		if (!shrink_task)
			goto fail;
	}
	main_task = new_thread(main_fn, NULL, "lalloc_torture_main", 0);
	if (!main_task)
		goto fail;

	pr_info("seed %lu duration %d s, %u workers on %u CPUs, hotplug %d s (CPU %d), irq %d, shrink %d\n",
		seed, duration, nr_workers, num_online_cpus(), hotplug,
		hotplug_cpu, irq, shrink);
	if (irqs) {
		for_each_online_cpu(cpu) {
			struct cpu_irq *c = &irqs[cpu];

			c->hring = (struct irq_ring){ .owner = 0x8000 + 2 * cpu,
				.hard = !IS_ENABLED(CONFIG_PREEMPT_RT),
				.rng = s ^ (0xd1b54a32d192ed03ULL * (2 * cpu + 1)) };
			c->sring = (struct irq_ring){ .owner = 0x8001 + 2 * cpu,
				.rng = s ^ (0xd1b54a32d192ed03ULL * (2 * cpu + 2)) };
			init_llist_head(&c->to_irq);
			hrtimer_init(&c->hrt, CLOCK_MONOTONIC, TORTURE_HRT_MODE);
			c->hrt.function = torture_hrtimer;
			timer_setup(&c->timer, torture_timer, TIMER_PINNED);
			c->armed = true;
		}
	}
	for (i = 0; i < nr_workers; i++)
		wake_up_process(workers[i].task);
	if (irqs) {
		cpus_read_lock();
		for_each_online_cpu(cpu)
			if (irqs[cpu].armed)
				smp_call_function_single(cpu, irq_start_here,
							 &irqs[cpu], 1);
		cpus_read_unlock();
	}
	if (hotplug_task)
		wake_up_process(hotplug_task);
	if (shrink_task)
		wake_up_process(shrink_task);
	wake_up_process(main_task);
	return 0;

fail:
	/* Nothing was woken: kthread_stop() on a new thread just ends it. */
	WRITE_ONCE(stopping, true);
	end_thread(&shrink_task);
	end_thread(&hotplug_task);
	for (i = 0; i < nr_workers; i++)
		end_thread(&workers[i].task);
	torture_free();
	return -ENOMEM;
}

static void __exit lalloc_torture_exit(void)
{
	/* Ends a run early; either way main_fn() has torn down and summed up. */
	end_thread(&main_task);
	torture_free();
}

module_init(lalloc_torture_init);
module_exit(lalloc_torture_exit);

/*
 * The summary line's prefix is part of the format scripts parse, not
 * pr_fmt's, so it is printed without pr_fmt.
 */
#undef pr_fmt
#define pr_fmt(fmt) fmt

static void torture_summary(void)
{
	pr_info("lalloc_torture: nomem %lld atomic_nomem %lld handoffs %lld to_irq %lld shrinker_runs %lld hotplug_refused %lld seed %lu\n",
		atomic64_read(&n_nomem), atomic64_read(&n_atomic_nomem),
		atomic64_read(&n_handoffs), atomic64_read(&n_to_irq),
		atomic64_read(&n_shrinks), atomic64_read(&n_hotplug_refused),
		seed);
	pr_info("lalloc-torture: ops %lld errors %lld irq_ops %lld hotplug %lld\n",
		atomic64_read(&n_ops), atomic64_read(&n_errors),
		atomic64_read(&n_irq_ops), atomic64_read(&n_hotplug));
}

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lalloc torture test: random layouts, every context, CPU hotplug");
MODULE_VERSION(LALLOC_VERSION);
