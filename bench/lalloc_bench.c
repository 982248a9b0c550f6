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
 * trace   a real program's heap calls (Documentation/trace-format.rst)
 *         written to /sys/kernel/debug/lalloc_bench/trace (0200, root), in
 *         any number of writes; checked line by line as lalloc-record
 *         --check does (a bad line fails its write with -EINVAL, an empty
 *         trace the next run; a pr_warn names the line), at most
 *         TRACE_MAX_OPS ops and TRACE_MAX_LIVE blocks live (-E2BIG), and
 *         kept as 12 bytes per op. The last trace closed whole is the one
 *         run; the parameter @trace_name (read at open) or its first
 *         "# exe" comment's file name is the shape. Replayed once on lalloc
 *         (lalloc_alloc/lalloc_realloc/lalloc_free with each block's
 *         layout), then on kmalloc (kmalloc of what the populations ask
 *         for, krealloc, kfree), the id -> pointer map allocated before the
 *         baseline is read; after every op free_pages_now() is read.
 *         bytes_requested_peak (the peak of live bytes the trace asks for),
 *         pages_held_peak (the baseline less the low point of free pages)
 *         and permille_of_requested; the blocks live at the end are freed
 *         after. "# trace: none loaded" without a trace.
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
#include <linux/bitfield.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/glob.h>
#include <linux/hash.h>
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
MODULE_PARM_DESC(only, "comma-separated globs over the workload names to run: pair, bulk, chain, xcpu, memory, trace (default *)");

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

/* --- trace ------------------------------------------------------------ */

/*
 * A real program's heap calls (Documentation/trace-format.rst), written to
 * debugfs lalloc_bench/trace and replayed by the trace workload. The text is
 * checked line by line as it arrives, as lalloc-record --check does; each
 * block's id is turned into a slot, a dense index that the replay's map is
 * indexed by (a freed slot is taken again by the next "a"), and every op is
 * kept in 12 bytes: its size, and its slot, kind and alignment in one word.
 */
#define TRACE_MAX_OPS	(4 * SZ_1M)	/* ops in one trace: -E2BIG past it */
#define TRACE_MAX_LIVE	SZ_1M		/* blocks live at once: likewise */
#define TRACE_LINE	256		/* bytes of a line looked at */
#define TRACE_NAME	32

#define TOP_SLOT	GENMASK(21, 0)
#define TOP_KIND	GENMASK(23, 22)
#define TOP_SHIFT	GENMASK(29, 24)	/* log2 of the alignment */
static_assert(TRACE_MAX_LIVE - 1 <= TOP_SLOT);

enum { TK_ALLOC, TK_RESIZE, TK_FREE, NR_TK };

static const char trace_header[] = "# lalloc-trace v1";

struct trace {
	u32 *op;			/* TOP_* fields */
	u64 *size;			/* the size an "a" or "r" asks for */
	u32 nr_ops, cap;
	u32 nr_slots;			/* the peak of blocks live at once */
	u64 nr[NR_TK];			/* ops by kind */
	u64 peak_bytes;			/* the peak of live bytes requested */
	char name[TRACE_NAME];
};

/* A live id while the text is parsed: open addressing, linear probing. */
struct trace_id {
	u64 id, size;
	u32 slot;
	u8 shift;
	bool used;
};

/* One open file of debugfs lalloc_bench/trace: the trace being written. */
struct trace_build {
	struct mutex lock;		/* serialises this file's writers */
	struct trace *t;
	struct trace_id *tab;
	unsigned int tab_bits;
	u32 tab_used;
	u32 *free_slots;		/* freed slots, the last freed on top */
	u32 nr_free, free_cap;
	u64 live_bytes, lineno;
	char line[TRACE_LINE];
	size_t len;
	bool overlong;			/* the line is longer than line[] */
	bool named;			/* t->name is set */
	int err;
	char *chunk;			/* PAGE_SIZE bytes copied from the writer */
};

static char trace_name[TRACE_NAME];
module_param_string(trace_name, trace_name, sizeof(trace_name), 0644);
MODULE_PARM_DESC(trace_name, "the name (results' shape) of the next trace written to lalloc_bench/trace (default: its '# exe' file name)");

/* The last trace written whole, or the error it was refused with (bench_lock). */
static struct trace *trace_loaded;
static int trace_err;

static DEFINE_MUTEX(bench_lock);		/* one run at a time; trace_loaded */

static void trace_destroy(struct trace *t)
{
	if (!t)
		return;
	kvfree(t->op);
	kvfree(t->size);
	kfree(t);
}

/* @name as a results field: no tabs, spaces or newlines. */
static void trace_set_name(struct trace *t, const char *name, size_t len)
{
	size_t i;
	char c;

	len = min(len, sizeof(t->name) - 1);
	for (i = 0; i < len; i++) {
		c = name[i];
		t->name[i] = isalnum(c) || c == '.' || c == '-' || c == '+' ? c : '_';
	}
	t->name[len] = '\0';
}

static __printf(3, 4) int trace_bad(struct trace_build *b, int err,
				    const char *fmt, ...)
{
	char msg[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_warn("trace line %llu: %s\n", b->lineno, msg);
	b->err = err;
	return err;
}

/* @old (of @n elements) copied into a new array of @cap; NULL if none. */
static void *trace_grow(void *old, size_t n, size_t cap, size_t esz)
{
	void *p = kvmalloc_array(cap, esz, GFP_KERNEL | __GFP_NOWARN);

	if (!p)
		return NULL;
	if (n)
		memcpy(p, old, n * esz);	/* n <= cap: checked above */
	kvfree(old);
	return p;
}

/* The next capacity of an array of @cap, doubling, at most @max. */
static u32 trace_next_cap(u32 cap, u32 max)
{
	return min(max(2 * cap, 1024U), max);
}

static int trace_emit(struct trace_build *b, int kind, u32 slot,
		      unsigned int shift, u64 size)
{
	struct trace *t = b->t;
	u32 cap;
	u32 *op;
	u64 *sz;

	if (t->nr_ops == TRACE_MAX_OPS)
		return trace_bad(b, -E2BIG, "more than %u ops", TRACE_MAX_OPS);
	if (t->nr_ops == t->cap) {
		cap = trace_next_cap(t->cap, TRACE_MAX_OPS);
		op = kvmalloc_array(cap, sizeof(*op), GFP_KERNEL | __GFP_NOWARN);
		sz = kvmalloc_array(cap, sizeof(*sz), GFP_KERNEL | __GFP_NOWARN);
		if (!op || !sz) {
			kvfree(op);
			kvfree(sz);
			return trace_bad(b, -ENOMEM, "out of memory at %u ops", t->nr_ops);
		}
		if (t->nr_ops) {
			memcpy(op, t->op, t->nr_ops * sizeof(*op));
			memcpy(sz, t->size, t->nr_ops * sizeof(*sz));
		}
		kvfree(t->op);
		kvfree(t->size);
		t->op = op;
		t->size = sz;
		t->cap = cap;
	}
	t->op[t->nr_ops] = FIELD_PREP(TOP_SLOT, slot) | FIELD_PREP(TOP_KIND, kind) |
			   FIELD_PREP(TOP_SHIFT, shift);
	t->size[t->nr_ops] = size;
	t->nr_ops++;
	t->nr[kind]++;
	return 0;
}

static size_t trace_home(const struct trace_build *b, u64 id)
{
	return hash_64(id, b->tab_bits);
}

/* Where @id is, or the empty entry where it would go. */
static struct trace_id *trace_find(const struct trace_build *b, u64 id)
{
	size_t mask = BIT(b->tab_bits) - 1, i = trace_home(b, id);

	while (b->tab[i].used && b->tab[i].id != id)
		i = (i + 1) & mask;
	return &b->tab[i];
}

/* Room for one more live id (at most half the table used). */
static int trace_tab_reserve(struct trace_build *b)
{
	struct trace_id *old = b->tab, *e;
	size_t old_n = b->tab ? BIT(b->tab_bits) : 0, i;

	if (b->tab && 2 * (b->tab_used + 1) <= BIT(b->tab_bits))
		return 0;
	b->tab = kvcalloc(old ? 2 * old_n : 1024, sizeof(*b->tab),
			  GFP_KERNEL | __GFP_NOWARN);
	if (!b->tab) {
		b->tab = old;
		return trace_bad(b, -ENOMEM, "out of memory at %u live blocks",
				 b->tab_used);
	}
	b->tab_bits = old ? b->tab_bits + 1 : 10;
	for (i = 0; i < old_n; i++) {
		if (!old[i].used)
			continue;
		e = trace_find(b, old[i].id);
		*e = old[i];
	}
	kvfree(old);
	return 0;
}

/* Removal by backward shift keeps the probe chains unbroken. */
static void trace_tab_remove(struct trace_build *b, struct trace_id *e)
{
	size_t mask = BIT(b->tab_bits) - 1, i = e - b->tab, j, home;

	for (j = (i + 1) & mask; b->tab[j].used; j = (j + 1) & mask) {
		home = trace_home(b, b->tab[j].id);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			b->tab[i] = b->tab[j];
			i = j;
		}
	}
	b->tab[i].used = false;
	b->tab_used--;
}

/* A decimal u64 ending at a space or the end of the line; advances *@s. */
static bool trace_num(const char **s, const char *end, u64 *v)
{
	const char *p = *s;
	u64 x = 0;

	if (p == end || !isdigit(*p))
		return false;
	for (; p < end && isdigit(*p); p++)
		if (check_mul_overflow(x, 10ULL, &x) ||
		    check_add_overflow(x, (u64)(*p - '0'), &x))
			return false;
	if (p < end && *p != ' ')
		return false;
	*v = x;
	*s = p;
	return true;
}

/* One op line: "a ID SIZE ALIGN", "r ID SIZE [ALIGN]" or "f ID". */
static int trace_op(struct trace_build *b, const char *s, const char *end)
{
	int n = 0, lo, hi, kind, err;
	struct trace_id *e;
	unsigned int shift;
	u64 v[3], live;
	u32 slot;
	char k = *s++;

	switch (k) {
	case 'a':
		kind = TK_ALLOC;
		lo = 3;
		hi = 3;
		break;
	case 'r':
		kind = TK_RESIZE;
		lo = 2;
		hi = 3;
		break;
	case 'f':
		kind = TK_FREE;
		lo = 1;
		hi = 1;
		break;
	default:
		return trace_bad(b, -EINVAL, "unknown op '%c'", isprint(k) ? k : '?');
	}
	while (s < end && *s == ' ' && n < 3) {
		s++;
		if (!trace_num(&s, end, &v[n]))
			return trace_bad(b, -EINVAL, "field %d is not a decimal u64", n + 1);
		n++;
	}
	if (s != end)
		return trace_bad(b, -EINVAL,
				 "malformed line (fields are separated by single spaces)");
	if (n < lo || n > hi)
		return trace_bad(b, -EINVAL, "'%c' takes %d%s fields, not %d", k,
				 lo, hi > lo ? " or 3" : "", n);
	if (n == 3 && !is_power_of_2(v[2]))
		return trace_bad(b, -EINVAL, "alignment %llu is not a power of two", v[2]);
	shift = n == 3 ? ilog2(v[2]) : 0;
	if (kind == TK_ALLOC || !b->tab) {
		err = trace_tab_reserve(b);
		if (err)
			return err;
	}
	e = trace_find(b, v[0]);
	if (kind == TK_ALLOC) {
		if (e->used)
			return trace_bad(b, -EINVAL, "'a' of id %llu, which is live", v[0]);
		if (b->tab_used == TRACE_MAX_LIVE)
			return trace_bad(b, -E2BIG, "more than %u blocks live", TRACE_MAX_LIVE);
		if (check_add_overflow(b->live_bytes, v[1], &live))
			return trace_bad(b, -E2BIG, "live bytes requested past U64_MAX");
		slot = b->nr_free ? b->free_slots[b->nr_free - 1] : b->t->nr_slots;
		err = trace_emit(b, kind, slot, shift, v[1]);
		if (err)
			return err;
		if (b->nr_free)
			b->nr_free--;
		else
			b->t->nr_slots++;
		*e = (struct trace_id){ .id = v[0], .size = v[1], .slot = slot,
					.shift = shift, .used = true };
		b->tab_used++;
	} else {
		if (!e->used)
			return trace_bad(b, -EINVAL, "'%c' of id %llu, which is not live", k, v[0]);
		live = b->live_bytes - e->size;
		if (kind == TK_RESIZE) {
			if (check_add_overflow(live, v[1], &live))
				return trace_bad(b, -E2BIG, "live bytes requested past U64_MAX");
			if (n < 3)
				shift = e->shift;
			err = trace_emit(b, kind, e->slot, shift, v[1]);
			if (err)
				return err;
			e->size = v[1];
			e->shift = shift;
		} else {
			if (b->nr_free == b->free_cap) {
				u32 cap = trace_next_cap(b->free_cap, TRACE_MAX_LIVE);
				u32 *f = trace_grow(b->free_slots, b->nr_free, cap,
						    sizeof(*f));

				if (!f)
					return trace_bad(b, -ENOMEM, "out of memory");
				b->free_slots = f;
				b->free_cap = cap;
			}
			err = trace_emit(b, kind, e->slot, 0, 0);
			if (err)
				return err;
			b->free_slots[b->nr_free++] = e->slot;
			trace_tab_remove(b, e);
		}
	}
	b->live_bytes = live;
	b->t->peak_bytes = max(b->t->peak_bytes, live);
	return 0;
}

/* The line in b->line (b->len bytes of it looked at, without its newline). */
static int trace_line(struct trace_build *b)
{
	static const char exe[] = "# exe ";
	const char *s = b->line, *end = b->line + b->len, *base;

	b->lineno++;
	if (b->lineno == 1) {
		if (b->overlong || b->len != strlen(trace_header) ||
		    memcmp(s, trace_header, b->len))
			return trace_bad(b, -EINVAL,
					 "not a lalloc trace: the first line must be '%s'",
					 trace_header);
		return 0;
	}
	if (!b->len)
		return 0;
	if (*s == '#') {
		/* The first "# exe PATH" names the trace, unless trace_name did. */
		if (!b->named && !b->overlong && b->len > strlen(exe) &&
		    !memcmp(s, exe, strlen(exe))) {
			s += strlen(exe);
			for (base = s; s < end; s++)
				if (*s == '/')
					base = s + 1;
			if (base < end) {
				trace_set_name(b->t, base, end - base);
				b->named = true;
			}
		}
		return 0;
	}
	if (b->overlong)
		return trace_bad(b, -EINVAL, "line too long");
	return trace_op(b, s, end);
}

static int trace_open(struct inode *inode, struct file *file)
{
	struct trace_build *b;
	char *name;

	if (!(file->f_mode & FMODE_WRITE))
		return -EINVAL;
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->t = kzalloc(sizeof(*b->t), GFP_KERNEL);
	b->chunk = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!b->t || !b->chunk) {
		kfree(b->chunk);
		kfree(b->t);
		kfree(b);
		return -ENOMEM;
	}
	mutex_init(&b->lock);
	/* A write through sysfs may end in a newline. */
	kernel_param_lock(THIS_MODULE);
	strscpy(b->line, trace_name, sizeof(b->line));
	kernel_param_unlock(THIS_MODULE);
	name = strim(b->line);
	if (*name) {
		trace_set_name(b->t, name, strlen(name));
		b->named = true;
	} else {
		strscpy(b->t->name, "trace", sizeof(b->t->name));
	}
	file->private_data = b;
	return 0;
}

static ssize_t trace_write(struct file *file, const char __user *buf,
			   size_t count, loff_t *ppos)
{
	struct trace_build *b = file->private_data;
	size_t done = 0, n, i;
	ssize_t ret;
	char c;

	if (mutex_lock_interruptible(&b->lock))
		return -EINTR;
	while (!b->err && done < count) {
		n = min_t(size_t, count - done, PAGE_SIZE);
		if (copy_from_user(b->chunk, buf + done, n)) {
			b->err = -EFAULT;
			break;
		}
		for (i = 0; i < n && !b->err; i++) {
			c = b->chunk[i];
			if (c == '\n') {
				trace_line(b);
				b->len = 0;
				b->overlong = false;
			} else if (b->len < sizeof(b->line)) {
				b->line[b->len++] = c;
			} else {
				b->overlong = true;
			}
		}
		done += n;
		cond_resched();
	}
	ret = b->err ? b->err : done;
	if (!b->err)
		*ppos += done;
	mutex_unlock(&b->lock);
	return ret;
}

/* The last close: the trace replaces the loaded one, or its error does. */
static int trace_release(struct inode *inode, struct file *file)
{
	struct trace_build *b = file->private_data;
	struct trace *old, *t = b->t;

	/* A last line without its newline still counts. */
	if (!b->err && (b->len || b->overlong))
		trace_line(b);
	if (!b->err && !b->lineno)
		trace_bad(b, -EINVAL, "empty: not a lalloc trace");
	kvfree(b->tab);
	kvfree(b->free_slots);
	kfree(b->chunk);
	if (b->err) {
		trace_destroy(t);
		t = NULL;
	}
	mutex_lock(&bench_lock);
	old = trace_loaded;
	trace_loaded = t;
	trace_err = b->err;
	mutex_unlock(&bench_lock);
	trace_destroy(old);
	mutex_destroy(&b->lock);
	kfree(b);
	return 0;
}

static const struct file_operations trace_fops = {
	.owner = THIS_MODULE,
	.open = trace_open,
	.write = trace_write,
	.release = trace_release,
};

/* A block of the replay: its pointer, its layout, the size the trace asked. */
struct trace_blk {
	void *p;
	struct lalloc_layout l;
	u64 req;
	bool live;
};

/* A trace's layout as a struct lalloc_layout; false if size_t cannot hold it. */
static bool trace_layout(u64 size, unsigned int shift, struct lalloc_layout *l)
{
	if (shift >= BITS_PER_LONG)
		return false;
	l->size = size;
	l->align = (size_t)1 << shift;
	return l->size == size;
}

static void *trace_alloc(enum bench_alloc a, struct lalloc_layout l, gfp_t gfp)
{
	if (a == BA_LALLOC)
		return lalloc_alloc(l, gfp);
	if (l.size > KMALLOC_MAX_SIZE || l.align > KMALLOC_MAX_SIZE)
		return NULL;
	return kmalloc(kmalloc_size_for(l.size, l.align), gfp);
}

/*
 * @b resized to @l (allocated if its "a" failed); false, @b as it was, on
 * NULL. krealloc keeps a block where it is whenever its bucket fits the new
 * size: an alignment raised by "r ID SIZE ALIGN" may then not be honoured
 * (the bytes are never touched here; recorded traces have no such "r").
 */
static bool trace_resize(enum bench_alloc a, struct trace_blk *b,
			 struct lalloc_layout l, gfp_t gfp)
{
	void *q;

	if (a == BA_LALLOC)
		q = b->p ? lalloc_realloc(b->p, b->l, l, gfp) : lalloc_alloc(l, gfp);
	else if (l.size > KMALLOC_MAX_SIZE || l.align > KMALLOC_MAX_SIZE)
		q = NULL;
	else
		q = krealloc(b->p, kmalloc_size_for(l.size, l.align), gfp);
	if (!q)
		return false;
	b->p = q;
	b->l = l;
	return true;
}

static void trace_free_blk(enum bench_alloc a, struct trace_blk *b)
{
	if (a == BA_LALLOC) {
		if (b->p)
			lalloc_free(b->p, b->l);
	} else {
		kfree(b->p);
	}
	*b = (struct trace_blk){};
}

struct trace_res {
	u64 peak_bytes, pages, fails;
};

/*
 * One replay of @t, @blk (t->nr_slots of them, zeroed) the id -> pointer
 * map allocated before the baseline is read. After every op the kernel's
 * free pages are read: the peak of pages taken is the baseline less their
 * low point. The blocks still live at the end are freed after that.
 */
static int trace_replay(const struct trace *t, enum bench_alloc a,
			struct trace_blk *blk, struct trace_res *res)
{
	const gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
	unsigned long before, low, now;
	struct lalloc_layout l;
	struct trace_blk *b;
	u64 live = 0;
	int err = 0;
	u32 i, w;

	*res = (struct trace_res){};
	before = free_pages_now();
	low = before;
	for (i = 0; i < t->nr_ops && !err; i++) {
		w = t->op[i];
		b = &blk[FIELD_GET(TOP_SLOT, w)];
		switch (FIELD_GET(TOP_KIND, w)) {
		case TK_ALLOC:
			b->live = true;
			b->req = t->size[i];
			live += b->req;	/* the parse checked the sums */
			if (trace_layout(t->size[i], FIELD_GET(TOP_SHIFT, w), &l))
				b->p = trace_alloc(a, l, gfp);
			if (b->p)
				b->l = l;
			else
				res->fails++;
			break;
		case TK_RESIZE:
			live = live - b->req + t->size[i];
			b->req = t->size[i];
			if (!trace_layout(t->size[i], FIELD_GET(TOP_SHIFT, w), &l) ||
			    !trace_resize(a, b, l, gfp))
				res->fails++;
			break;
		default:
			live -= b->req;
			trace_free_blk(a, b);
			break;
		}
		res->peak_bytes = max(res->peak_bytes, live);
		now = free_pages_now();
		low = min(low, now);
		if (!(i % 1024))
			err = bench_pause();
	}
	res->pages = before > low ? before - low : 0;
	for (i = 0; i < t->nr_slots; i++) {
		if (blk[i].live)
			trace_free_blk(a, &blk[i]);
		if (!(i % 1024))
			cond_resched();
	}
	return err;
}

static int bench_trace(struct out *o, unsigned int sc)
{
	static const enum bench_alloc order[] = { BA_LALLOC, BA_KMALLOC };
	const struct trace *t = trace_loaded;	/* bench_lock held */
	struct trace_blk *blk;
	struct trace_res res;
	unsigned int i;
	int err = 0;

	if (trace_err)
		return trace_err;
	if (!t) {
		out_printf(o, "# trace: none loaded (write one to lalloc_bench/trace)\n");
		return 0;
	}
	out_printf(o,
		   "# trace %s: %u ops (a %llu, r %llu, f %llu), peak live %llu bytes in %u blocks\n",
		   t->name, t->nr_ops, t->nr[TK_ALLOC], t->nr[TK_RESIZE],
		   t->nr[TK_FREE], t->peak_bytes, t->nr_slots);
	if (IS_ENABLED(CONFIG_KASAN))
		out_printf(o, "# trace: KASAN: %s\n",
			   "pages_held_peak approximate (its quarantine frees slabs at its own times)");
	/* The map is allocated before either baseline: it is not counted. */
	blk = kvcalloc(max(t->nr_slots, 1U), sizeof(*blk), GFP_KERNEL);
	if (!blk)
		return -ENOMEM;
	/* lalloc first, as in bench_memory (KASAN's quarantine). */
	for (i = 0; i < ARRAY_SIZE(order) && !err; i++) {
		err = trace_replay(t, order[i], blk, &res);
		if (err)
			break;
		if (res.fails)
			out_printf(o, "# trace %s %s: %llu allocations failed\n",
				   t->name, ba_names[order[i]], res.fails);
		result(o, "trace", t->name, ba_names[order[i]],
		       "bytes_requested_peak", res.peak_bytes);
		result(o, "trace", t->name, ba_names[order[i]],
		       "pages_held_peak", res.pages);
		result(o, "trace", t->name, ba_names[order[i]],
		       "permille_of_requested", res.peak_bytes ?
		       div64_u64(res.pages * PAGE_SIZE * 1000, res.peak_bytes) : 0);
		err = bench_pause();
	}
	kvfree(blk);
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
	{ "trace", bench_trace },
};

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
	if (!IS_ERR(f))
		f = debugfs_create_file("trace", 0200, bench_dir, NULL, &trace_fops);
	if (IS_ERR(f)) {
		debugfs_remove_recursive(bench_dir);
		return PTR_ERR(f);
	}
	return 0;
}

static void __exit lalloc_bench_exit(void)
{
	debugfs_remove_recursive(bench_dir);
	trace_destroy(trace_loaded);
}

module_init(lalloc_bench_init);
module_exit(lalloc_bench_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lalloc benchmark against kmalloc and kmem_cache: pairs, bulk, resize chains, cross-CPU frees, memory held, real programs' traces");
MODULE_VERSION(LALLOC_VERSION);
