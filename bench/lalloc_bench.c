// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc_bench: lalloc measured against kmalloc/kfree and a dedicated
 * kmem_cache, in one boot. Not KUnit: a module of its own, loaded for a run.
 *
 * Reading /sys/kernel/debug/lalloc_bench/results (root) runs the workloads
 * whose names match the glob in the module parameter @only (default "*";
 * writable in /sys/module/lalloc_bench/parameters/) with iteration counts
 * multiplied by @scale (1..100, default 10), and prints a few "#" comment
 * lines (kernel release, slab options, CPUs) then one line per measurement:
 *
 *   workload<TAB>shape<TAB>allocator<TAB>metric<TAB>value
 *
 * value an unsigned decimal integer. Times come from ktime_get_ns(): under
 * scripts/vm --icount one guest ns is one instruction, so there ns_per_op
 * is an instruction count. The workloads:
 *
 * pair    alloc+free pairs back to back, warm, on one CPU; shapes "size/align"
 *         (a table below); ns_per_op, one op being one alloc and one free.
 * bulk    256 allocs then 256 frees in allocation order, several rounds, the
 *         same shapes; ns_per_op per alloc+free.
 * chain   a byte Vec grown by RawVec's rule (cap = max(2 * cap, needed, 8))
 *         one push at a time to 1M, 10M and 100M (shapes "1M", "10M",
 *         "100M"), then shrunk by halves to 4 KiB, through lalloc_grow() and
 *         lalloc_shrink() (align 8), krealloc() or kvrealloc(); ns_total,
 *         steps, moves (the block changed address), remaps (moves over the
 *         same first page: the pages mapped again, no byte copied),
 *         bytes_copied (what each other move kept: the smaller of the two
 *         sizes), peak_bytes (the largest size asked for) and
 *         failed (1 when a step returned NULL: that chain stops there; for
 *         krealloc past the page allocator's largest block it does). Only
 *         the allocator's work is timed: the bytes are never written.
 * xcpu    a kthread on one CPU allocates 64/8 blocks and hands them through
 *         a ring to a kthread on another CPU, which frees them; ns_per_op,
 *         wall clock over every object. Skipped with one CPU online.
 * memory  a live population of 20000 blocks of random layouts (fixed seed):
 *         shapes "uniform" (sizes 1..4096, align 8), "powerlaw" (sizes about
 *         1/x distributed over 1..16384, align 8) and "aligned" (over-aligned
 *         layouts); bytes_requested, pages_held (the drop of the kernel's
 *         free-page counter while the population lives) and
 *         permille_of_requested (pages_held * PAGE_SIZE * 1000 /
 *         bytes_requested). The free pages are the kernel's own counters:
 *         NR_FREE_PAGES of every zone (per-CPU differences folded in) plus
 *         the zones' per-CPU free lists (free_pages_now()). Each allocator's
 *         free slabs kept from before count as not held.
 *
 * What kmalloc is given: kmalloc aligns every block to ARCH_KMALLOC_MINALIGN
 * (8 on x86-64) and a block of a power-of-two size to its size, nothing more.
 * A caller needing a layout (size, align) with align > ARCH_KMALLOC_MINALIGN
 * must therefore ask for roundup_pow_of_two(max(size, align)), and that is
 * what kmalloc is asked for here (a 320/64 layout costs kmalloc 512 bytes; a
 * 64/4096 one, 4096); bytes_requested stays the layout's size. The
 * dedicated kmem_cache is kmem_cache_create(name, size, align, 0, NULL),
 * one per shape, destroyed after it; SLUB may merge it with a compatible
 * cache (slab_nomerge on the kernel command line stops that).
 *
 * Reading runs the workloads once per open file: the whole output is made
 * on the first read and served from a buffer after, so a reader's short
 * reads never run anything twice. Runs are serialised. A fatal signal
 * ends a run (the read fails with -EINTR), as does a failure to set one up.
 */
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/glob.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/lalloc.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>
#include <linux/vmalloc.h>
#include <linux/vmstat.h>

static char only[64] = "*";
module_param_string(only, only, sizeof(only), 0644);
MODULE_PARM_DESC(only, "comma-separated globs over the workload names to run: pair, bulk, chain, xcpu, memory (default *)");

static int scale = 10;
module_param(scale, int, 0644);
MODULE_PARM_DESC(scale, "multiplies the iteration counts (1..100, default 10)");

static int chain_max_mib = 100;
module_param(chain_max_mib, int, 0644);
MODULE_PARM_DESC(chain_max_mib, "the largest chain target run, in MiB: 1, 10 or 100 (default 100)");

#define PAIR_OPS	2000U		/* pairs per shape, times scale */
#define BULK_N		256U		/* blocks held per bulk round */
#define BULK_ROUNDS	8U		/* rounds per shape, times scale */
#define XCPU_OPS	2000U		/* objects handed over, times scale */
#define XCPU_RING	256U		/* a power of two */
#define MEM_BLOCKS	20000U		/* the memory workload's population */
#define CHAIN_FLOOR	SZ_4K		/* chains shrink down to this */

/* --- output ----------------------------------------------------------- */

/* The text a read serves: grown as lines are added. */
struct out {
	char *buf;
	size_t len, cap;
	int err;
};

static __printf(2, 3) void out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	size_t want;
	char *nbuf;
	int n;

	while (!o->err) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf ? o->buf + o->len : NULL,
			      o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->err = -EINVAL;
			return;
		}
		if (o->len + n < o->cap) {
			o->len += n;
			return;
		}
		want = max3(size_add(o->cap, o->cap), size_add(o->len, n + 1),
			    (size_t)SZ_16K);
		nbuf = krealloc(o->buf, want, GFP_KERNEL);
		if (!nbuf) {
			o->err = -ENOMEM;
			return;
		}
		o->buf = nbuf;
		o->cap = want;
	}
}

static void result(struct out *o, const char *workload, const char *shape,
		   const char *allocator, const char *metric, u64 value)
{
	out_printf(o, "%s\t%s\t%s\t%s\t%llu\n", workload, shape, allocator,
		   metric, value);
}

/* Between measurements: let others run, and stop on a fatal signal. */
static int bench_pause(void)
{
	cond_resched();
	return fatal_signal_pending(current) ? -EINTR : 0;
}

/* --- shapes and allocators -------------------------------------------- */

struct shape {
	unsigned int size, align;
};

/* pair's and bulk's shapes, duplicates dropped; filled at module load. */
static struct shape shapes[48];
static unsigned int nr_shapes;

static void add_shape(unsigned int size, unsigned int align)
{
	unsigned int i;

	for (i = 0; i < nr_shapes; i++)
		if (shapes[i].size == size && shapes[i].align == align)
			return;
	if (!WARN_ON_ONCE(nr_shapes >= ARRAY_SIZE(shapes)))
		shapes[nr_shapes++] = (struct shape){ size, align };
}

static void init_shapes(void)
{
	/* Layouts kmalloc rounds up, then sizes past kmalloc's buckets. */
	static const struct shape extra[] = {
		{ 320, 64 }, { 1536, 512 }, { 24, 256 },
		{ 260, 8 }, { 1100, 8 }, { 4100, 8 }, { 9000, 8 },
	};
	unsigned int v, i;

	for (v = 8; v <= SZ_32K; v *= 2)
		add_shape(v, 8);
	for (v = 8; v <= SZ_4K; v *= 2)
		add_shape(64, v);
	for (v = 8; v <= SZ_4K; v *= 2)
		add_shape(v, v);
	for (i = 0; i < ARRAY_SIZE(extra); i++)
		add_shape(extra[i].size, extra[i].align);
}

/*
 * What a kmalloc caller needing @align must ask for: kmalloc aligns to
 * ARCH_KMALLOC_MINALIGN, and a power-of-two size to itself (header comment).
 */
static size_t kmalloc_size_for(size_t size, size_t align)
{
	if (align <= ARCH_KMALLOC_MINALIGN)
		return size;
	return roundup_pow_of_two(max(size, align));
}

enum bench_alloc { BA_LALLOC, BA_KMALLOC, BA_KMEM_CACHE, NR_BA };

static const char * const ba_names[NR_BA] = {
	[BA_LALLOC] = "lalloc",
	[BA_KMALLOC] = "kmalloc",
	[BA_KMEM_CACHE] = "kmem_cache",
};

/* One allocator set up for one shape. */
struct bench_ctx {
	enum bench_alloc kind;
	struct lalloc_layout l;
	size_t ksize;			/* what kmalloc is asked for */
	struct kmem_cache *cache;	/* BA_KMEM_CACHE's */
	char shape[24];
};

static int ctx_init(struct bench_ctx *c, enum bench_alloc kind,
		    struct shape s)
{
	char name[40];

	*c = (struct bench_ctx){
		.kind = kind,
		.l = { .size = s.size, .align = s.align },
		.ksize = kmalloc_size_for(s.size, s.align),
	};
	snprintf(c->shape, sizeof(c->shape), "%u/%u", s.size, s.align);
	if (kind != BA_KMEM_CACHE)
		return 0;
	snprintf(name, sizeof(name), "lalloc_bench_%u_%u", s.size, s.align);
	c->cache = kmem_cache_create(name, s.size, s.align, 0, NULL);
	return c->cache ? 0 : -ENOMEM;
}

static void ctx_fini(struct bench_ctx *c)
{
	kmem_cache_destroy(c->cache);
	c->cache = NULL;
}

static void *ctx_alloc(const struct bench_ctx *c)
{
	switch (c->kind) {
	case BA_LALLOC:
		return lalloc_alloc(c->l, GFP_KERNEL);
	case BA_KMALLOC:
		return kmalloc(c->ksize, GFP_KERNEL);
	default:
		return kmem_cache_alloc(c->cache, GFP_KERNEL);
	}
}

static void ctx_free(const struct bench_ctx *c, void *p)
{
	switch (c->kind) {
	case BA_LALLOC:
		lalloc_free(p, c->l);
		break;
	case BA_KMALLOC:
		kfree(p);
		break;
	default:
		kmem_cache_free(c->cache, p);
		break;
	}
}

/* --- pair ------------------------------------------------------------- */

/*
 * One loop per allocator, so that each timed loop holds its allocator's two
 * calls and nothing else. A NULL (not expected of these sizes) is counted
 * in *@fails and not freed.
 */
static u64 pair_lalloc(struct lalloc_layout l, unsigned int n,
		       unsigned int *fails)
{
	u64 t0 = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < n; i++) {
		void *p = lalloc_alloc(l, GFP_KERNEL);

		/* The compiler must not drop an allocation it sees freed at once. */
		barrier_data(p);
		if (unlikely(!p)) {
			(*fails)++;
			continue;
		}
		lalloc_free(p, l);
	}
	return ktime_get_ns() - t0;
}

static u64 pair_kmalloc(size_t size, unsigned int n, unsigned int *fails)
{
	u64 t0 = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < n; i++) {
		void *p = kmalloc(size, GFP_KERNEL);

		barrier_data(p);
		if (unlikely(!p)) {
			(*fails)++;
			continue;
		}
		kfree(p);
	}
	return ktime_get_ns() - t0;
}

static u64 pair_cache(struct kmem_cache *cache, unsigned int n,
		      unsigned int *fails)
{
	u64 t0 = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < n; i++) {
		void *p = kmem_cache_alloc(cache, GFP_KERNEL);

		barrier_data(p);
		if (unlikely(!p)) {
			(*fails)++;
			continue;
		}
		kmem_cache_free(cache, p);
	}
	return ktime_get_ns() - t0;
}

static u64 pair_run(const struct bench_ctx *c, unsigned int n,
		    unsigned int *fails)
{
	switch (c->kind) {
	case BA_LALLOC:
		return pair_lalloc(c->l, n, fails);
	case BA_KMALLOC:
		return pair_kmalloc(c->ksize, n, fails);
	default:
		return pair_cache(c->cache, n, fails);
	}
}

static void report_fails(struct out *o, const char *workload,
			 const struct bench_ctx *c, unsigned int fails)
{
	if (fails)
		out_printf(o, "# %s %s %s: %u allocations failed\n", workload,
			   c->shape, ba_names[c->kind], fails);
}

static int bench_pair(struct out *o, unsigned int sc)
{
	unsigned int n = PAIR_OPS * sc, s, fails;
	struct bench_ctx c;
	int a, err;
	u64 ns;

	for (s = 0; s < nr_shapes; s++) {
		for (a = 0; a < NR_BA; a++) {
			err = ctx_init(&c, a, shapes[s]);
			if (err)
				return err;
			fails = 0;
			/* On one CPU, so the loop keeps its per-CPU caches warm. */
			migrate_disable();
			pair_run(&c, max(n / 10, 100U), &fails);
			ns = pair_run(&c, n, &fails);
			migrate_enable();
			ctx_fini(&c);
			report_fails(o, "pair", &c, fails);
			result(o, "pair", c.shape, ba_names[a], "ns_per_op",
			       div_u64(ns, n));
			err = bench_pause();
			if (err)
				return err;
		}
	}
	return 0;
}

/* --- bulk ------------------------------------------------------------- */

static u64 bulk_run(const struct bench_ctx *c, void **p, unsigned int rounds,
		    unsigned int *fails)
{
	u64 t0 = ktime_get_ns();
	unsigned int r, i;

	for (r = 0; r < rounds; r++) {
		for (i = 0; i < BULK_N; i++)
			p[i] = ctx_alloc(c);
		for (i = 0; i < BULK_N; i++) {
			if (unlikely(!p[i])) {
				(*fails)++;
				continue;
			}
			ctx_free(c, p[i]);
		}
	}
	return ktime_get_ns() - t0;
}

static int bench_bulk(struct out *o, unsigned int sc)
{
	unsigned int rounds = BULK_ROUNDS * sc, s, fails;
	struct bench_ctx c;
	int a, err = 0;
	void **p;
	u64 ns;

	p = kcalloc(BULK_N, sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	for (s = 0; s < nr_shapes && !err; s++) {
		for (a = 0; a < NR_BA && !err; a++) {
			err = ctx_init(&c, a, shapes[s]);
			if (err)
				break;
			fails = 0;
			migrate_disable();
			bulk_run(&c, p, 1, &fails);
			ns = bulk_run(&c, p, rounds, &fails);
			migrate_enable();
			ctx_fini(&c);
			report_fails(o, "bulk", &c, fails);
			result(o, "bulk", c.shape, ba_names[a], "ns_per_op",
			       div_u64(ns, rounds * BULK_N));
			err = bench_pause();
		}
	}
	kfree(p);
	return err;
}

/* --- chain ------------------------------------------------------------ */

enum chain_alloc { CH_LALLOC, CH_KREALLOC, CH_KVREALLOC, NR_CH };

static const char * const ch_names[NR_CH] = {
	[CH_LALLOC] = "lalloc",
	[CH_KREALLOC] = "krealloc",
	[CH_KVREALLOC] = "kvrealloc",
};

struct chain_stats {
	u64 ns, steps, moves, remaps, copied, peak;
	bool failed;
};

/* The page behind the first byte of a block, direct-mapped or vmalloc'd. */
static struct page *first_page(const void *p)
{
	return is_vmalloc_addr(p) ? vmalloc_to_page(p) : virt_to_page(p);
}

/*
 * One step of the chain: @p (NULL at first) of @old bytes to @new bytes.
 * NULL on failure, @p then still the caller's. A failure is expected (of
 * krealloc past the page allocator's largest block) and measured: no
 * warning for it.
 */
static void *chain_step(enum chain_alloc a, void *p, size_t old, size_t new)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
	struct lalloc_layout lo = { .size = old, .align = 8 };
	struct lalloc_layout ln = { .size = new, .align = 8 };

	switch (a) {
	case CH_LALLOC:
		if (!p)
			return lalloc_alloc(ln, gfp);
		if (new >= old)
			return lalloc_grow(p, lo, ln, gfp);
		return lalloc_shrink(p, lo, ln, gfp);
	case CH_KREALLOC:
		return krealloc(p, new, gfp);
	default:
		return LALLOC_KVREALLOC(p, old, new, gfp);
	}
}

static void chain_free(enum chain_alloc a, void *p, size_t size)
{
	struct lalloc_layout l = { .size = size, .align = 8 };

	if (!p)
		return;
	if (a == CH_LALLOC)
		lalloc_free(p, l);
	else if (a == CH_KREALLOC)
		kfree(p);
	else
		kvfree(p);
}

/* Resize *@p from *@cap to @new, counting; false (and *@p kept) on NULL. */
static bool chain_to(enum chain_alloc a, void **p, size_t *cap, size_t new,
		     struct chain_stats *st)
{
	struct page *before = *p ? first_page(*p) : NULL;
	void *q = chain_step(a, *p, *cap, new);

	st->steps++;
	if (!q) {
		st->failed = true;
		return false;
	}
	/*
	 * A new address over the same first page is the old pages mapped
	 * again (a copy needs new pages while the old ones still hold the
	 * bytes); anything else copied what it kept.
	 */
	if (*p && q != *p) {
		st->moves++;
		if (first_page(q) == before)
			st->remaps++;
		else
			st->copied += min(*cap, new);
	}
	*p = q;
	*cap = new;
	st->peak = max_t(u64, st->peak, new);
	return true;
}

/*
 * A Vec<u8> pushed to @target bytes one byte at a time: each push finding
 * len == cap grows it by RawVec's rule, cap = max(2 * cap, cap + 1, 8);
 * then shrink_to() by halves down to CHAIN_FLOOR; then freed (untimed).
 */
static void chain_run(enum chain_alloc a, size_t target, struct chain_stats *st)
{
	size_t cap = 0, newcap;
	void *p = NULL;
	u64 t0;

	*st = (struct chain_stats){};
	t0 = ktime_get_ns();
	while (cap < target) {
		if (check_mul_overflow(cap, (size_t)2, &newcap))
			break;
		newcap = max3(newcap, cap + 1, (size_t)8);
		if (!chain_to(a, &p, &cap, newcap, st))
			break;
	}
	while (!st->failed && cap > CHAIN_FLOOR)
		if (!chain_to(a, &p, &cap, max_t(size_t, cap / 2, CHAIN_FLOOR), st))
			break;
	st->ns = ktime_get_ns() - t0;
	chain_free(a, p, cap);
}

static int bench_chain(struct out *o, unsigned int sc)
{
	static const struct {
		const char *name;
		size_t target;
	} targets[] = {
		{ "1M", SZ_1M }, { "10M", 10 * SZ_1M }, { "100M", 100 * SZ_1M },
	};
	struct chain_stats st;
	unsigned int t;
	int a, err;

	for (t = 0; t < ARRAY_SIZE(targets); t++) {
		if (targets[t].target > (size_t)READ_ONCE(chain_max_mib) * SZ_1M)
			break;
		for (a = 0; a < NR_CH; a++) {
			chain_run(a, targets[t].target, &st);
			result(o, "chain", targets[t].name, ch_names[a], "ns_total", st.ns);
			result(o, "chain", targets[t].name, ch_names[a], "steps", st.steps);
			result(o, "chain", targets[t].name, ch_names[a], "moves", st.moves);
			result(o, "chain", targets[t].name, ch_names[a], "remaps", st.remaps);
			result(o, "chain", targets[t].name, ch_names[a], "bytes_copied",
			       st.copied);
			result(o, "chain", targets[t].name, ch_names[a], "peak_bytes", st.peak);
			result(o, "chain", targets[t].name, ch_names[a], "failed", st.failed);
			err = bench_pause();
			if (err)
				return err;
		}
	}
	return 0;
}

/* --- xcpu ------------------------------------------------------------- */

/* A single-producer, single-consumer ring between two kthreads. */
struct xcpu {
	const struct bench_ctx *ctx;
	unsigned long n;		/* objects to hand over */
	unsigned long head;		/* written by the producer */
	unsigned long tail;		/* written by the consumer */
	bool done;			/* the producer is finished */
	unsigned long freed, fails;
	u64 t_end;
	struct completion prod_done, cons_done;
	void *ring[XCPU_RING];
};

/* Spin politely: the other side is on another CPU. */
static void xcpu_wait(unsigned int *spins)
{
	cpu_relax();
	if (!(++*spins % 256))
		cond_resched();
}

/* After the work, wait to be stopped: kthread_stop() reaps the thread. */
static int xcpu_park(void)
{
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int xcpu_producer(void *data)
{
	struct xcpu *x = data;
	unsigned long head = 0, i;
	unsigned int spins = 0;
	void *p;

	for (i = 0; i < x->n && !kthread_should_stop(); i++) {
		p = ctx_alloc(x->ctx);
		if (!p) {
			x->fails++;
			break;
		}
		/* Acquire: the consumer is done with the slot before it is refilled. */
		while (head - smp_load_acquire(&x->tail) >= XCPU_RING) {
			if (kthread_should_stop()) {
				ctx_free(x->ctx, p);
				goto out;
			}
			xcpu_wait(&spins);
		}
		x->ring[head % XCPU_RING] = p;
		/* Release: the slot is filled before the consumer sees it. */
		smp_store_release(&x->head, ++head);
	}
out:
	/* Release: after the last head. */
	smp_store_release(&x->done, true);
	complete(&x->prod_done);
	return xcpu_park();
}

static int xcpu_consumer(void *data)
{
	struct xcpu *x = data;
	unsigned long tail = 0;
	unsigned int spins = 0;

	for (;;) {
		/* Acquire: pairs with the producer's release of head. */
		if (tail == smp_load_acquire(&x->head)) {
			/* done is set after the last head: read it first. */
			if (smp_load_acquire(&x->done) && /* acquire: as head */
			    tail == smp_load_acquire(&x->head))
				break;
			if (kthread_should_stop())
				break;
			xcpu_wait(&spins);
			continue;
		}
		ctx_free(x->ctx, x->ring[tail % XCPU_RING]);
		/* Release: the slot is read before the producer refills it. */
		smp_store_release(&x->tail, ++tail);
		x->freed++;
	}
	x->t_end = ktime_get_ns();
	complete(&x->cons_done);
	return xcpu_park();
}

static struct task_struct *xcpu_thread(int (*fn)(void *), struct xcpu *x,
				       const char *name, int cpu)
{
	struct task_struct *t = kthread_create(fn, x, "lalloc_bench_%s", name);

	if (IS_ERR(t))
		return t;
	get_task_struct(t);
	kthread_bind(t, cpu);
	return t;
}

static void xcpu_end(struct task_struct *t)
{
	kthread_stop(t);
	put_task_struct(t);
}

/* Hand x->n objects from @cpu0 to @cpu1; the wall-clock ns per object. */
static int xcpu_run(struct xcpu *x, int cpu0, int cpu1, u64 *ns_per_op)
{
	struct task_struct *prod, *cons;
	unsigned long tail;
	int err = 0;
	u64 t0;

	init_completion(&x->prod_done);
	init_completion(&x->cons_done);
	prod = xcpu_thread(xcpu_producer, x, "prod", cpu0);
	if (IS_ERR(prod))
		return PTR_ERR(prod);
	cons = xcpu_thread(xcpu_consumer, x, "cons", cpu1);
	if (IS_ERR(cons)) {
		/* Never woken: kthread_stop() ends it without running it. */
		xcpu_end(prod);
		return PTR_ERR(cons);
	}
	t0 = ktime_get_ns();
	wake_up_process(cons);
	wake_up_process(prod);
	if (wait_for_completion_killable(&x->prod_done) ||
	    wait_for_completion_killable(&x->cons_done))
		err = -EINTR;
	/* Both stopped: what is left in the ring (after a signal) is ours. */
	xcpu_end(prod);
	xcpu_end(cons);
	for (tail = x->tail; tail != x->head; tail++)
		ctx_free(x->ctx, x->ring[tail % XCPU_RING]);
	if (!err)
		*ns_per_op = x->freed ? div64_u64(x->t_end - t0, x->freed) : 0;
	return err;
}

static int bench_xcpu(struct out *o, unsigned int sc)
{
	const struct shape s = { 64, 8 };
	struct bench_ctx c;
	int cpu0, cpu1, a, err = 0;
	struct xcpu *x;
	u64 ns;

	cpus_read_lock();
	cpu0 = cpumask_first(cpu_online_mask);
	cpu1 = cpumask_next(cpu0, cpu_online_mask);
	cpus_read_unlock();
	if (cpu1 >= nr_cpu_ids) {
		out_printf(o, "# xcpu skipped: one CPU\n");
		return 0;
	}
	x = kmalloc(sizeof(*x), GFP_KERNEL);
	if (!x)
		return -ENOMEM;
	for (a = 0; a < NR_BA && !err; a++) {
		err = ctx_init(&c, a, s);
		if (err)
			break;
		*x = (struct xcpu){ .ctx = &c, .n = (unsigned long)XCPU_OPS * sc };
		err = xcpu_run(x, cpu0, cpu1, &ns);
		ctx_fini(&c);
		if (err)
			break;
		report_fails(o, "xcpu", &c, x->fails);
		result(o, "xcpu", c.shape, ba_names[a], "ns_per_op", ns);
		err = bench_pause();
	}
	kfree(x);
	return err;
}

/* --- memory ----------------------------------------------------------- */

/* xorshift64*, with a fixed seed per population. */
static u64 rnd(u64 *s)
{
	u64 x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

enum mem_shape { MEM_UNIFORM, MEM_POWERLAW, MEM_ALIGNED, NR_MEM };

static const char * const mem_names[NR_MEM] = {
	[MEM_UNIFORM] = "uniform",
	[MEM_POWERLAW] = "powerlaw",
	[MEM_ALIGNED] = "aligned",
};

static struct lalloc_layout mem_layout(enum mem_shape s, u64 *rng)
{
	static const struct lalloc_layout aligned[] = {
		{ 24, 64 }, { 320, 64 }, { 1536, 512 }, { 100, 256 }, { 3000, 1024 },
	};
	struct lalloc_layout l = { .align = 8 };

	switch (s) {
	case MEM_UNIFORM:
		l.size = 1 + rnd(rng) % SZ_4K;
		break;
	case MEM_POWERLAW:
		/* Uniform below 2^k, k uniform in 0..14: density about 1/x. */
		l.size = 1 + rnd(rng) % (1UL << (rnd(rng) % 15));
		break;
	default:
		l = aligned[rnd(rng) % ARRAY_SIZE(aligned)];
		break;
	}
	return l;
}

/*
 * The pages the page allocator has to hand out: every zone's free-page
 * counter with its per-CPU differences folded in, plus the pages on the
 * zone's per-CPU free lists, which that counter counts as taken. (Plain
 * global_zone_page_state(NR_FREE_PAGES) misses both: after the chain
 * workload's frees, the per-CPU lists alone can serve thousands of pages
 * without the counter moving.) The list counts are read without their lock:
 * this is an estimate of an idle machine's memory, not a synchronised one.
 */
static unsigned long free_pages_now(void)
{
	unsigned long n = 0;
	struct zone *zone;
	int nid, z, cpu;

	for_each_online_node(nid) {
		for (z = 0; z < MAX_NR_ZONES; z++) {
			zone = &NODE_DATA(nid)->node_zones[z];
			if (!populated_zone(zone))
				continue;
			n += zone_page_state_snapshot(zone, NR_FREE_PAGES);
			for_each_possible_cpu(cpu)
				n += READ_ONCE(per_cpu_ptr(zone->per_cpu_pageset, cpu)->count);
		}
	}
	return n;
}

/* One population: allocate it all, read the counter, free it all. */
static int mem_run(struct out *o, enum mem_shape s, enum bench_alloc a,
		   void **p)
{
	unsigned long before, after, i, fails = 0;
	u64 rng = 0x9e3779b97f4a7c15ULL, requested = 0, held;
	struct lalloc_layout l;

	before = free_pages_now();
	for (i = 0; i < MEM_BLOCKS; i++) {
		l = mem_layout(s, &rng);
		requested += l.size;
		p[i] = a == BA_LALLOC ? lalloc_alloc(l, GFP_KERNEL) :
			kmalloc(kmalloc_size_for(l.size, l.align), GFP_KERNEL);
		if (!p[i])
			fails++;
		if (!(i % 1024))
			cond_resched();
	}
	after = free_pages_now();
	/* The same seed again gives each block its layout back. */
	rng = 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < MEM_BLOCKS; i++) {
		l = mem_layout(s, &rng);
		if (!p[i])
			continue;
		if (a == BA_LALLOC)
			lalloc_free(p[i], l);
		else
			kfree(p[i]);
		p[i] = NULL;
	}
	if (fails)
		out_printf(o, "# memory %s %s: %lu allocations failed\n",
			   mem_names[s], ba_names[a], fails);
	held = before > after ? before - after : 0;
	result(o, "memory", mem_names[s], ba_names[a], "bytes_requested", requested);
	result(o, "memory", mem_names[s], ba_names[a], "pages_held", held);
	result(o, "memory", mem_names[s], ba_names[a], "permille_of_requested",
	       requested ? div64_u64(held * PAGE_SIZE * 1000, requested) : 0);
	return bench_pause();
}

static int bench_memory(struct out *o, unsigned int sc)
{
	int s, err = 0;
	void **p;

	p = kvcalloc(MEM_BLOCKS, sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	/*
	 * Generic KASAN keeps freed kmalloc objects in a quarantine and gives
	 * their slabs back at its own times, during a later population's
	 * count: lalloc's populations come first, and the numbers are marked.
	 */
	if (IS_ENABLED(CONFIG_KASAN))
		out_printf(o, "# memory: KASAN: %s\n",
			   "pages_held approximate (its quarantine frees slabs at its own times)");
	for (s = 0; s < NR_MEM && !err; s++)
		err = mem_run(o, s, BA_LALLOC, p);
	for (s = 0; s < NR_MEM && !err; s++)
		err = mem_run(o, s, BA_KMALLOC, p);
	kvfree(p);
	return err;
}

/* --- the run ---------------------------------------------------------- */

static const struct {
	const char *name;
	int (*fn)(struct out *o, unsigned int sc);
} workloads[] = {
	{ "pair", bench_pair },
	{ "bulk", bench_bulk },
	{ "chain", bench_chain },
	{ "xcpu", bench_xcpu },
	{ "memory", bench_memory },
};

static DEFINE_MUTEX(bench_lock);		/* one run at a time */

static void print_header(struct out *o, const char *pat, unsigned int sc)
{
	out_printf(o, "# kernel %s\n", utsname()->release);
	out_printf(o, "# slub%s%s%s%s%s init_on_alloc=%d init_on_free=%d\n",
		   IS_ENABLED(CONFIG_SLAB_FREELIST_HARDENED) ?
		   " CONFIG_SLAB_FREELIST_HARDENED" : "",
		   IS_ENABLED(CONFIG_SLAB_FREELIST_RANDOM) ?
		   " CONFIG_SLAB_FREELIST_RANDOM" : "",
		   IS_ENABLED(CONFIG_SLAB_BUCKETS) ? " CONFIG_SLAB_BUCKETS" : "",
		   IS_ENABLED(CONFIG_INIT_ON_ALLOC_DEFAULT_ON) ?
		   " CONFIG_INIT_ON_ALLOC_DEFAULT_ON" : "",
		   IS_ENABLED(CONFIG_PREEMPT_RT) ? " CONFIG_PREEMPT_RT" : "",
		   want_init_on_alloc(0), want_init_on_free());
	out_printf(o, "# cpus %u\n", num_online_cpus());
	out_printf(o, "# only %s scale %u\n", pat, sc);
}

/* Whether @name matches one of the comma-separated globs in @pats. */
static bool selected(const char *pats, const char *name)
{
	char one[sizeof(only)];
	const char *p = pats;

	while (*p) {
		size_t n = strcspn(p, ",");

		if (n < sizeof(one)) {
			memcpy(one, p, n);
			one[n] = '\0';
			if (glob_match(one, name))
				return true;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

static int bench_run(struct out *o)
{
	char buf[sizeof(only)], *pat;
	unsigned int i;
	int sc, err;

	/* A write through sysfs may end in a newline. */
	kernel_param_lock(THIS_MODULE);
	strscpy(buf, only, sizeof(buf));
	kernel_param_unlock(THIS_MODULE);
	pat = strim(buf);
	sc = READ_ONCE(scale);
	if (sc < 1 || sc > 100)
		return -EINVAL;

	if (mutex_lock_interruptible(&bench_lock))
		return -EINTR;
	print_header(o, pat, sc);
	err = o->err;
	for (i = 0; i < ARRAY_SIZE(workloads) && !err; i++) {
		if (!selected(pat, workloads[i].name))
			continue;
		err = workloads[i].fn(o, sc);
		if (!err)
			err = o->err;
	}
	mutex_unlock(&bench_lock);
	return err;
}

/* One open file's output, made on its first read. */
struct results {
	struct mutex lock;		/* serialises this file's readers */
	bool ran;
	int err;
	struct out o;
};

static int results_open(struct inode *inode, struct file *file)
{
	struct results *r = kzalloc(sizeof(*r), GFP_KERNEL);

	if (!r)
		return -ENOMEM;
	mutex_init(&r->lock);
	file->private_data = r;
	return 0;
}

static ssize_t results_read(struct file *file, char __user *buf, size_t count,
			    loff_t *ppos)
{
	struct results *r = file->private_data;
	ssize_t ret;

	if (mutex_lock_interruptible(&r->lock))
		return -EINTR;
	if (!r->ran) {
		r->err = bench_run(&r->o);
		r->ran = true;
	}
	if (r->err)
		ret = r->err;
	else
		ret = simple_read_from_buffer(buf, count, ppos, r->o.buf, r->o.len);
	mutex_unlock(&r->lock);
	return ret;
}

static int results_release(struct inode *inode, struct file *file)
{
	struct results *r = file->private_data;

	kfree(r->o.buf);
	mutex_destroy(&r->lock);
	kfree(r);
	return 0;
}

static const struct file_operations results_fops = {
	.owner = THIS_MODULE,
	.open = results_open,
	.read = results_read,
	.release = results_release,
	.llseek = default_llseek,
};

static struct dentry *bench_dir;

static int __init lalloc_bench_init(void)
{
	struct dentry *f;

	if (scale < 1 || scale > 100)
		return -EINVAL;
	init_shapes();
	bench_dir = debugfs_create_dir("lalloc_bench", NULL);
	if (IS_ERR(bench_dir))
		return PTR_ERR(bench_dir);
	f = debugfs_create_file("results", 0400, bench_dir, NULL, &results_fops);
	if (IS_ERR(f)) {
		debugfs_remove_recursive(bench_dir);
		return PTR_ERR(f);
	}
	return 0;
}

static void __exit lalloc_bench_exit(void)
{
	debugfs_remove_recursive(bench_dir);
}

module_init(lalloc_bench_init);
module_exit(lalloc_bench_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lalloc benchmark against kmalloc and kmem_cache: pairs, bulk, resize chains, cross-CPU frees, memory held");
MODULE_VERSION(LALLOC_VERSION);
