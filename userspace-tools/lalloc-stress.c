// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc-stress: the userspace stress tool that verifies every byte. Threads
 * run a random mix of alloc / grow / shrink / realloc / free / read / write
 * on /dev/lalloc, keep a pattern derived from block id, generation and seed
 * in every block and check it after every resize and before every free; or
 * replay a recorded trace (--trace) and report the peak bytes held. Exits 0
 * when every byte survived, every errno was expected and the device's live
 * gauges came back to their baseline (Documentation/stress.rst).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/lalloc.h>

#include "idmap.h"
#include "lathist.h"
#include "pattern.h"
#include "trace.h"

#define CLI_PROG "lalloc-stress"
#include "cliargs.h"

#define BUF_SIZE	(1UL << 20)	/* reads and writes go in chunks of this */
#define STRESS_MAX_SIZE	(4ULL << 20)	/* largest block the random mix asks for */

enum kind { K_ALLOC, K_FREE, K_GROW, K_SHRINK, K_REALLOC, K_READ, K_WRITE, K_BATCH, NKINDS };
static const char *const kind_names[NKINDS] = {
	"alloc", "free", "grow", "shrink", "realloc", "read", "write", "batch",
};

enum dist { DIST_UNIFORM, DIST_POWERLAW, DIST_ALIGNED };
static const char *const dist_names[] = { "uniform", "powerlaw", "aligned" };

/* ---- options ---- */

static struct {
	unsigned int threads, files, batch, max_live, sample;
	bool threads_given, json, compare;
	double duration;
	uint64_t ops, seed;
	enum dist dist;
	uint32_t backend;
	const char *trace;
} opt = { .files = 1, .batch = 1, .max_live = 256, .sample = 1 };

/* ---- shared state ---- */

static atomic_bool stop;
static atomic_int failed;		/* verification failures and unexpected errnos */
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static const char *errname(int e)
{
	static _Thread_local char buf[16];

	switch (e) {
	case ENOMEM: return "ENOMEM";
	case EDQUOT: return "EDQUOT";
	case ENOSPC: return "ENOSPC";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case E2BIG: return "E2BIG";
	case ERANGE: return "ERANGE";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case ENOTTY: return "ENOTTY";
	case EINTR: return "EINTR";
	case EILSEQ: return "EILSEQ";
	}
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

/* A failure of the run: printed once per thread, stops every thread. */
static void failure(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&print_lock);
	fprintf(stderr, "lalloc-stress: FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (seed %" PRIu64 ")\n", opt.seed);
	pthread_mutex_unlock(&print_lock);
	atomic_fetch_add(&failed, 1);
	atomic_store(&stop, true);
}

/* ---- one thread's view of the device ---- */

struct block {
	uint64_t id;		/* unique in the run: the pattern's id */
	uint64_t tid;		/* the trace's id (replay) */
	uint64_t size, align, usable;
	uint32_t handle, gen;
};

struct kindstat {
	struct lathist lat;	/* one sample per ioctl */
	uint64_t batched;	/* entries run inside BATCH calls */
};

struct ctx {
	int fd, idx;
	uint64_t rng, next_id;
	unsigned char *buf;
	bool e2big_expected;	/* replay: the program asked for it */
	struct kindstat ks[NKINDS];
	uint64_t capped[4];	/* ENOMEM, EDQUOT, ENOSPC, E2BIG */
	uint64_t ops, live, bytes;
	/* for the progress line, read by the main thread */
	atomic_uint_fast64_t p_ops, p_live, p_bytes, p_capped;
};

static void ctx_init(struct ctx *c, int fd, int idx, uint64_t seed)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->idx = idx;
	c->rng = seed;
	c->next_id = (uint64_t)idx << 40;
	c->buf = malloc(BUF_SIZE);
	if (!c->buf) {
		fprintf(stderr, "lalloc-stress: out of memory\n");
		exit(1);
	}
}

static void ctx_progress(struct ctx *c)
{
	atomic_store_explicit(&c->p_ops, c->ops, memory_order_relaxed);
	atomic_store_explicit(&c->p_live, c->live, memory_order_relaxed);
	atomic_store_explicit(&c->p_bytes, c->bytes, memory_order_relaxed);
	atomic_store_explicit(&c->p_capped, c->capped[0] + c->capped[1] + c->capped[2] +
			      c->capped[3], memory_order_relaxed);
}

/* splitmix64: each thread's own sequence from the seed and its index. */
static uint64_t rnd(struct ctx *c)
{
	uint64_t z = (c->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(struct ctx *c, uint64_t n)
{
	return n ? rnd(c) % n : 0;
}

/* One timed ioctl: 0 or -errno. */
static int dev(struct ctx *c, enum kind k, unsigned long cmd, void *arg)
{
	uint64_t t0 = now_ns();
	int ret = ioctl(c->fd, cmd, arg) ? -errno : 0;

	lathist_add(&c->ks[k].lat, now_ns() - t0);
	return ret;
}

/* The caps and the allocator running dry: expected, counted. */
static bool expected(struct ctx *c, int err)
{
	switch (-err) {
	case ENOMEM: c->capped[0]++; return true;
	case EDQUOT: c->capped[1]++; return true;
	case ENOSPC: c->capped[2]++; return true;
	case E2BIG:
		if (!c->e2big_expected)
			return false;
		c->capped[3]++;
		return true;
	}
	return false;
}

static void unexpected(struct ctx *c, const char *op, const struct block *b, uint64_t size,
		       uint64_t align, int err)
{
	failure("%s of block id=%" PRIu64 " (handle %u, size %" PRIu64 " -> %" PRIu64
		", align %" PRIu64 "): %s, not an errno this op may return here (thread %d)",
		op, b->id, b->handle, b->size, size, align, errname(-err), c->idx);
}

/* Checks that [off, off + len) of @b holds its pattern (or zeros). */
static int check_range(struct ctx *c, const struct block *b, uint64_t off, uint64_t len,
		       bool zero, const char *op)
{
	uint64_t key = pattern_key(opt.seed, b->id, b->gen);

	while (len) {
		size_t n = len < BUF_SIZE ? (size_t)len : BUF_SIZE;
		struct lalloc_rw_args a = {
			.handle = b->handle, .offset = off, .len = n,
			.buf = (uint64_t)(uintptr_t)c->buf,
		};
		int ret = dev(c, K_READ, LALLOC_IOC_READ, &a);
		long bad;

		if (ret) {
			unexpected(c, "READ", b, b->size, b->align, ret);
			return -1;
		}
		bad = zero ? zero_mismatch(c->buf, n) : pattern_mismatch(c->buf, off, n, key);
		if (bad >= 0) {
			uint64_t pos = off + (uint64_t)bad;

			failure("data loss in block id=%" PRIu64 " (handle %u, size %" PRIu64
				", align %" PRIu64 ", generation %u%s%" PRIu64 ") after %s: byte %"
				PRIu64 " is 0x%02x, expected 0x%02x (thread %d)",
				b->id, b->handle, b->size, b->align, b->gen,
				opt.trace ? ", trace id " : "", opt.trace ? b->tid : 0, op, pos,
				c->buf[bad], zero ? 0 : pattern_byte(key, pos), c->idx);
			return -1;
		}
		off += n;
		len -= n;
	}
	return 0;
}

/* Writes @b's pattern into [off, off + len). */
static int write_range(struct ctx *c, const struct block *b, uint64_t off, uint64_t len)
{
	uint64_t key = pattern_key(opt.seed, b->id, b->gen);

	while (len) {
		size_t n = len < BUF_SIZE ? (size_t)len : BUF_SIZE;
		struct lalloc_rw_args a = {
			.handle = b->handle, .offset = off, .len = n,
			.buf = (uint64_t)(uintptr_t)c->buf,
		};
		int ret;

		pattern_fill(c->buf, off, n, key);
		ret = dev(c, K_WRITE, LALLOC_IOC_WRITE, &a);
		if (ret) {
			unexpected(c, "WRITE", b, b->size, b->align, ret);
			return -1;
		}
		off += n;
		len -= n;
	}
	return 0;
}

/* A block just allocated (handle, usable set): it reads as zero, then gets its pattern. */
static int born(struct ctx *c, struct block *b, const char *op)
{
	c->live++;
	c->bytes += b->size;
	if (check_range(c, b, 0, b->size, true, op))
		return -1;
	return write_range(c, b, 0, b->size);
}

/* ALLOC of b->size, b->align: 0, 1 when refused at a cap, -1 on failure. */
static int blk_alloc(struct ctx *c, struct block *b)
{
	struct lalloc_alloc_args a = { .size = b->size, .align = b->align };
	int ret;

	b->id = c->next_id++;
	b->gen = 0;
	b->handle = 0;
	ret = dev(c, K_ALLOC, LALLOC_IOC_ALLOC, &a);
	if (ret) {
		if (expected(c, ret))
			return 1;
		unexpected(c, "ALLOC", b, b->size, b->align, ret);
		return -1;
	}
	b->handle = a.handle;
	b->usable = a.usable;
	if (a.usable < b->size) {
		failure("ALLOC of %" PRIu64 " bytes returned usable size %" PRIu64, b->size,
			(uint64_t)a.usable);
		return -1;
	}
	return born(c, b, "alloc") ? -1 : 0;
}

/*
 * GROW, SHRINK or REALLOC @b to @size, @align: the kept prefix must hold
 * the pattern and the grown part zeros; a refused resize leaves the block
 * as it was. 0, 1 when refused at a cap, -1 on failure.
 */
static int blk_resize(struct ctx *c, struct block *b, enum kind k, uint64_t size, uint64_t align)
{
	static const unsigned long cmds[NKINDS] = {
		[K_GROW] = LALLOC_IOC_GROW, [K_SHRINK] = LALLOC_IOC_SHRINK,
		[K_REALLOC] = LALLOC_IOC_REALLOC,
	};
	struct lalloc_resize_args a = { .handle = b->handle, .size = size, .align = align };
	uint64_t old = b->size, kept = size < old ? size : old;
	int ret = dev(c, k, cmds[k], &a);

	if (ret) {
		if (!expected(c, ret)) {
			unexpected(c, kind_names[k], b, size, align, ret);
			return -1;
		}
		/* "On error the block keeps its old size, alignment and contents." */
		return check_range(c, b, 0, old, false, "a refused resize") ? -1 : 1;
	}
	b->size = size;
	b->align = align;
	b->usable = a.usable;
	c->bytes += size - old;
	if (a.usable < size) {
		failure("%s to %" PRIu64 " bytes returned usable size %" PRIu64, kind_names[k],
			size, (uint64_t)a.usable);
		return -1;
	}
	if (check_range(c, b, 0, kept, false, kind_names[k]) ||
	    check_range(c, b, kept, size - kept, true, kind_names[k]))
		return -1;
	return write_range(c, b, kept, size - kept);
}

/* Checks every byte of @b, then FREEs it. */
static int blk_free(struct ctx *c, struct block *b)
{
	struct lalloc_handle_args a = { .handle = b->handle };
	int ret;

	if (check_range(c, b, 0, b->size, false, "the check before free"))
		return -1;
	ret = dev(c, K_FREE, LALLOC_IOC_FREE, &a);
	if (ret) {
		unexpected(c, "FREE", b, b->size, b->align, ret);
		return -1;
	}
	c->live--;
	c->bytes -= b->size;
	return 0;
}

/* ---- the random mix ---- */

struct worker {
	struct ctx c;
	pthread_t thread;
	uint64_t ops_target;	/* 0: until stopped */
	struct block *blocks;
	size_t n;
};

static uint64_t pow2(unsigned int e)
{
	return 1ULL << e;
}

static void layout(struct ctx *c, uint64_t *size, uint64_t *align)
{
	switch (opt.dist) {
	case DIST_UNIFORM:
		*size = rnd_below(c, 8193);
		*align = pow2((unsigned int)rnd_below(c, 5));
		break;
	case DIST_POWERLAW: {
		/* Pareto, alpha 1.1, from 8 bytes: most blocks small, a few of megabytes. */
		double u = ((double)(rnd(c) >> 11) + 1.0) / 9007199254740993.0;
		double s = 8.0 / pow(u, 1.0 / 1.1);
		uint64_t r = rnd_below(c, 8);

		*size = s >= (double)STRESS_MAX_SIZE ? STRESS_MAX_SIZE : (uint64_t)s;
		*align = r == 0 ? 1 : r <= 2 ? 16 : 8;
		break;
	}
	case DIST_ALIGNED: {
		/* Over-aligned: 64 B to 64 KiB, one in sixteen up to 1 MiB. */
		unsigned int e = rnd_below(c, 16) ? 6 + (unsigned int)rnd_below(c, 11) :
				 17 + (unsigned int)rnd_below(c, 4);

		*align = pow2(e);
		*size = e <= 16 ? rnd_below(c, 2 * *align) + 1 : rnd_below(c, 65536);
		break;
	}
	}
}

/* Takes @k random blocks to the end of the array. */
static void pick_tail(struct worker *w, size_t k)
{
	for (size_t j = 0; j < k; j++) {
		size_t i = (size_t)rnd_below(&w->c, w->n - j), last = w->n - 1 - j;
		struct block t = w->blocks[i];

		w->blocks[i] = w->blocks[last];
		w->blocks[last] = t;
	}
}

static int do_alloc(struct worker *w)
{
	struct ctx *c = &w->c;
	size_t k = opt.batch, room = opt.max_live - w->n;
	struct lalloc_batch_op ops[64];

	if (k > room)
		k = room;
	if (k <= 1) {
		struct block *b = &w->blocks[w->n];
		int ret;

		layout(c, &b->size, &b->align);
		ret = blk_alloc(c, b);
		w->n += ret == 0;
		return ret < 0 ? -1 : 0;
	}
	memset(ops, 0, sizeof(ops));
	for (size_t j = 0; j < k; j++) {
		uint64_t size, align;

		layout(c, &size, &align);
		ops[j].op = LALLOC_OP_ALLOC;
		ops[j].size = size;
		ops[j].align = align;
	}
	{
		struct lalloc_batch_args a = {
			.ops = (uint64_t)(uintptr_t)ops, .count = (uint32_t)k, .op_size = sizeof(ops[0]),
		};
		int ret = dev(c, K_BATCH, LALLOC_IOC_BATCH, &a);

		c->ks[K_ALLOC].batched += k;
		if (ret) {
			struct block none = { .size = 0 };

			unexpected(c, "BATCH of ALLOCs", &none, 0, 0, ret);
			return -1;
		}
	}
	for (size_t j = 0; j < k; j++) {
		struct block *b = &w->blocks[w->n];

		b->id = c->next_id++;
		b->gen = 0;
		b->size = ops[j].size;
		b->align = ops[j].align;
		b->handle = 0;
		if (ops[j].result) {
			if (expected(c, ops[j].result))
				continue;
			unexpected(c, "ALLOC in a BATCH", b, b->size, b->align, ops[j].result);
			return -1;
		}
		b->handle = ops[j].handle;
		b->usable = ops[j].value;
		w->n++;
		if (born(c, b, "alloc in a BATCH"))
			return -1;
	}
	return 0;
}

static int do_free(struct worker *w)
{
	struct ctx *c = &w->c;
	size_t k = opt.batch < w->n ? opt.batch : w->n;
	struct lalloc_batch_op ops[64];
	struct lalloc_batch_args a = {
		.ops = (uint64_t)(uintptr_t)ops, .count = (uint32_t)k, .op_size = sizeof(ops[0]),
	};
	int ret;

	pick_tail(w, k);
	if (k <= 1) {
		if (blk_free(c, &w->blocks[w->n - 1]))
			return -1;
		w->n--;
		return 0;
	}
	memset(ops, 0, sizeof(ops));
	for (size_t j = 0; j < k; j++) {
		struct block *b = &w->blocks[w->n - k + j];

		if (check_range(c, b, 0, b->size, false, "the check before free"))
			return -1;
		ops[j].op = LALLOC_OP_FREE;
		ops[j].handle = b->handle;
	}
	ret = dev(c, K_BATCH, LALLOC_IOC_BATCH, &a);
	c->ks[K_FREE].batched += k;
	for (size_t j = 0; j < k; j++) {
		struct block *b = &w->blocks[w->n - k + j];
		int r = ret ? ret : ops[j].result;

		if (r) {
			unexpected(c, ret ? "BATCH of FREEs" : "FREE in a BATCH", b, b->size,
				   b->align, r);
			return -1;
		}
		c->live--;
		c->bytes -= b->size;
	}
	w->n -= k;
	return 0;
}

static int step(struct worker *w)
{
	struct ctx *c = &w->c;
	unsigned int r = (unsigned int)rnd_below(c, 100);
	struct block *b;
	uint64_t size, align;

	if (!w->n || (r < 25 && w->n < opt.max_live))
		return do_alloc(w);
	if (r < 45)
		return do_free(w);
	b = &w->blocks[rnd_below(c, w->n)];
	align = b->align;
	if (r < 57) {
		uint64_t dummy;

		if (rnd_below(c, 8) == 0)
			layout(c, &dummy, &align);
		if (b->size >= STRESS_MAX_SIZE)
			return blk_resize(c, b, K_SHRINK, b->size / 2, align) < 0 ? -1 : 0;
		size = b->size + 1 + rnd_below(c, b->size + 64);
		if (size > STRESS_MAX_SIZE)
			size = STRESS_MAX_SIZE;
		return blk_resize(c, b, K_GROW, size, align) < 0 ? -1 : 0;
	}
	if (r < 67) {
		uint64_t dummy;

		if (rnd_below(c, 8) == 0)
			layout(c, &dummy, &align);
		return blk_resize(c, b, K_SHRINK, rnd_below(c, b->size + 1), align) < 0 ? -1 : 0;
	}
	if (r < 80) {
		layout(c, &size, &align);
		return blk_resize(c, b, K_REALLOC, size, align) < 0 ? -1 : 0;
	}
	if (r < 92) {
		uint64_t off = rnd_below(c, b->size + 1);

		return check_range(c, b, off, rnd_below(c, b->size - off + 1), false, "read");
	}
	b->gen++;
	return write_range(c, b, 0, b->size);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	while (!atomic_load_explicit(&stop, memory_order_relaxed) &&
	       (!w->ops_target || w->c.ops < w->ops_target)) {
		if (step(w))
			break;
		w->c.ops++;
		ctx_progress(&w->c);
	}
	/* Every block is checked and freed, also after a failure elsewhere. */
	while (w->n && !blk_free(&w->c, &w->blocks[w->n - 1]))
		w->n--;
	ctx_progress(&w->c);
	return NULL;
}

/* ---- trace replay ---- */

/* The peaks of one replay, over every thread's samples. */
struct peaks {
	_Atomic int64_t device, held;
	atomic_int trace_error;		/* exit 2: the trace itself is wrong */
};

struct replayer {
	struct ctx c;
	pthread_t thread;
	int nthreads;
	uint32_t backend;
	struct peaks *peaks;
	struct lalloc_stats base;
	struct idmap map;
	struct block *blocks;
	uint32_t *free_slots;
	size_t n, cap, nfree;
	uint64_t skipped;	/* ops on blocks whose ALLOC was refused */
};

static void atomic_max(_Atomic int64_t *p, int64_t v)
{
	int64_t cur = atomic_load(p);

	while (v > cur && !atomic_compare_exchange_weak(p, &cur, v))
		;
}

static int read_stats(int fd, struct lalloc_stats *st)
{
	memset(st, 0, sizeof(*st));
	return ioctl(fd, LALLOC_IOC_STATS, st) ? -errno : 0;
}

/*
 * What the backend holds now, over the baseline: lalloc's slab and large
 * pages (held_bytes); for kmalloc, its buckets (device_bytes).
 */
static void sample(struct replayer *r)
{
	struct lalloc_stats st;
	int64_t device, held;

	if (read_stats(r->c.fd, &st)) {
		failure("STATS: %s", errname(errno));
		return;
	}
	device = (int64_t)(st.device_bytes - r->base.device_bytes);
	held = r->backend == LALLOC_BACKEND_KMALLOC ? device :
	       (int64_t)(st.held_bytes - r->base.held_bytes);
	atomic_max(&r->peaks->device, device);
	atomic_max(&r->peaks->held, held);
}

static void trace_error(struct replayer *r, unsigned long line, const char *why)
{
	pthread_mutex_lock(&print_lock);
	if (!atomic_fetch_add(&r->peaks->trace_error, 1))
		fprintf(stderr, "lalloc-stress: %s:%lu: %s\n", opt.trace, line, why);
	pthread_mutex_unlock(&print_lock);
	atomic_store(&stop, true);
}

static struct block *new_slot(struct replayer *r, uint32_t *slot)
{
	if (r->nfree) {
		*slot = r->free_slots[--r->nfree];
		return &r->blocks[*slot];
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 1024;
		struct block *b = realloc(r->blocks, cap * sizeof(*b));
		uint32_t *f = realloc(r->free_slots, cap * sizeof(*f));

		if (!b || !f) {
			fprintf(stderr, "lalloc-stress: out of memory\n");
			exit(1);
		}
		r->blocks = b;
		r->free_slots = f;
		r->cap = cap;
	}
	*slot = (uint32_t)r->n;
	return &r->blocks[r->n++];
}

static int replay_op(struct replayer *r, const struct trace_op *op, unsigned long line)
{
	uint32_t *slot = idmap_get(&r->map, op->id), s;
	struct block *b;
	int ret;

	if (op->kind == 'a') {
		if (slot) {
			trace_error(r, line, "ALLOC of an id that is live");
			return -1;
		}
		b = new_slot(r, &s);
		b->tid = op->id;
		b->size = op->size;
		b->align = op->align;
		ret = blk_alloc(&r->c, b);
		if (ret < 0)
			return -1;
		if (ret)
			b->handle = 0;	/* refused: later ops on the id are skipped */
		if (!idmap_put(&r->map, op->id, s)) {
			fprintf(stderr, "lalloc-stress: out of memory\n");
			exit(1);
		}
		return 0;
	}
	if (!slot) {
		trace_error(r, line, op->kind == 'r' ? "resize of an id that is not live" :
				     "free of an id that is not live");
		return -1;
	}
	b = &r->blocks[*slot];
	if (op->kind == 'r') {
		if (!b->handle) {
			r->skipped++;
			return 0;
		}
		return blk_resize(&r->c, b, K_REALLOC, op->size,
				  op->has_align ? op->align : b->align) < 0 ? -1 : 0;
	}
	if (b->handle && blk_free(&r->c, b))
		return -1;
	if (!b->handle)
		r->skipped++;
	r->free_slots[r->nfree++] = *slot;
	idmap_del(&r->map, op->id);
	return 0;
}

static void *replay_main(void *arg)
{
	struct replayer *r = arg;
	struct trace_reader *tr;
	struct trace_op op;
	unsigned long line;
	const char *err;
	int ret;

	tr = trace_open(opt.trace, &err);
	if (!tr) {
		trace_error(r, 0, err);
		return NULL;
	}
	sample(r);
	while (!atomic_load_explicit(&stop, memory_order_relaxed) &&
	       (ret = trace_next(tr, &op, &line, &err)) != 0) {
		if (ret < 0) {
			trace_error(r, line, err);
			break;
		}
		if (op.id % (uint64_t)r->nthreads != (uint64_t)r->c.idx)
			continue;
		if (replay_op(r, &op, line))
			break;
		r->c.ops++;
		if (r->c.ops % opt.sample == 0)
			sample(r);
		ctx_progress(&r->c);
		if (opt.ops && r->c.ops >= opt.ops)
			break;
	}
	sample(r);
	trace_close(tr);
	/* What the program left live is checked and freed too. */
	for (size_t i = 0; i <= r->map.mask && r->map.slots; i++) {
		struct block *b;

		if (!r->map.slots[i].used)
			continue;
		b = &r->blocks[r->map.slots[i].value];
		if (b->handle && blk_free(&r->c, b))
			break;
	}
	idmap_destroy(&r->map);
	ctx_progress(&r->c);
	return NULL;
}

/* ---- running ---- */

struct result {
	uint32_t backend;
	double elapsed;
	uint64_t ops, capped[4];
	struct kindstat ks[NKINDS];
	int64_t peak_device, peak_held;
	uint64_t skipped;
};

static atomic_int running;

static void add_ctx(struct result *res, const struct ctx *c)
{
	res->ops += c->ops;
	for (int i = 0; i < 4; i++)
		res->capped[i] += c->capped[i];
	for (int k = 0; k < NKINDS; k++) {
		lathist_merge(&res->ks[k].lat, &c->ks[k].lat);
		res->ks[k].batched += c->ks[k].batched;
	}
}

static uint64_t kind_count(const struct kindstat *k)
{
	return k->lat.count + k->batched;
}

static int open_dev(void)
{
	int fd = open(LALLOC_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		fprintf(stderr, "lalloc-stress: %s: no such device: load the module: insmod lalloc.ko\n",
			LALLOC_DEVICE);
		exit(3);
	}
	if (fd < 0) {
		fprintf(stderr, "lalloc-stress: %s: %s\n", LALLOC_DEVICE, strerror(errno));
		exit(1);
	}
	return fd;
}

static int open_file(uint32_t backend)
{
	struct lalloc_backend_args a = { .backend = backend };
	int fd = open_dev();

	if (ioctl(fd, LALLOC_IOC_SET_BACKEND, &a)) {
		fprintf(stderr, "lalloc-stress: SET_BACKEND: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

static void human(char *buf, size_t len, double v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

/*
 * Waits for the threads (running counts them), stopping them at the
 * deadline, with a progress line about once a second on a TTY.
 */
static double monitor(struct ctx *const *cs, int n)
{
	bool tty = !opt.json && isatty(STDOUT_FILENO);
	uint64_t start = now_ns(), next = start + 1000000000ULL, last_ops = 0, last_t = start;
	const struct timespec tick = { .tv_nsec = 50 * 1000000L };

	while (atomic_load(&running)) {
		uint64_t t = now_ns();

		nanosleep(&tick, NULL);
		if (opt.duration > 0 && (double)(t - start) / 1e9 >= opt.duration)
			atomic_store(&stop, true);
		if (tty && t >= next) {
			uint64_t ops = 0, live = 0, bytes = 0, capped = 0;
			char b[32];

			for (int i = 0; i < n; i++) {
				ops += atomic_load_explicit(&cs[i]->p_ops, memory_order_relaxed);
				live += atomic_load_explicit(&cs[i]->p_live, memory_order_relaxed);
				bytes += atomic_load_explicit(&cs[i]->p_bytes, memory_order_relaxed);
				capped += atomic_load_explicit(&cs[i]->p_capped, memory_order_relaxed);
			}
			human(b, sizeof(b), (double)bytes);
			printf("\r%6.1f s  %9.0f ops/s  %7" PRIu64 " live  %10s  %" PRIu64
			       " capped  %d errors ", (double)(t - start) / 1e9,
			       (double)(ops - last_ops) * 1e9 / (double)(t - last_t), live, b, capped,
			       atomic_load(&failed));
			fflush(stdout);
			last_ops = ops;
			last_t = t;
			next += 1000000000ULL;
		}
	}
	if (tty && now_ns() >= start + 1000000000ULL)
		printf("\n");
	return (double)(now_ns() - start) / 1e9;
}

static void *worker_thread(void *arg)
{
	worker_main(arg);
	atomic_fetch_sub(&running, 1);
	return NULL;
}

static void *replay_thread(void *arg)
{
	replay_main(arg);
	atomic_fetch_sub(&running, 1);
	return NULL;
}

static void run_stress(struct result *res)
{
	unsigned int t, nt = opt.threads;
	struct worker *ws = calloc(nt, sizeof(*ws));
	struct ctx **cs = calloc(nt, sizeof(*cs));
	int *fds = calloc(opt.files, sizeof(*fds));

	if (!ws || !cs || !fds) {
		fprintf(stderr, "lalloc-stress: out of memory\n");
		exit(1);
	}
	res->backend = opt.backend;
	for (unsigned int f = 0; f < opt.files; f++)
		fds[f] = open_file(opt.backend);
	atomic_store(&running, (int)nt);
	for (t = 0; t < nt; t++) {
		struct worker *w = &ws[t];

		ctx_init(&w->c, fds[t % opt.files], (int)t, opt.seed ^ ((uint64_t)t * 0xd1b54a32d192ed03ULL));
		w->blocks = calloc(opt.max_live, sizeof(*w->blocks));
		if (!w->blocks) {
			fprintf(stderr, "lalloc-stress: out of memory\n");
			exit(1);
		}
		if (opt.ops)
			w->ops_target = opt.ops / nt + (t < opt.ops % nt);
		cs[t] = &w->c;
	}
	for (t = 0; t < nt; t++) {
		if (ws[t].ops_target == 0 && opt.ops) {
			atomic_fetch_sub(&running, 1);	/* fewer ops than threads */
			ws[t].thread = 0;
			continue;
		}
		errno = pthread_create(&ws[t].thread, NULL, worker_thread, &ws[t]);
		if (errno) {
			perror("lalloc-stress: pthread_create");
			exit(1);
		}
	}
	res->elapsed = monitor(cs, (int)nt);
	for (t = 0; t < nt; t++) {
		if (ws[t].ops_target || !opt.ops)
			pthread_join(ws[t].thread, NULL);
		add_ctx(res, &ws[t].c);
		free(ws[t].blocks);
		free(ws[t].c.buf);
	}
	for (unsigned int f = 0; f < opt.files; f++)
		close(fds[f]);
	free(fds);
	free(cs);
	free(ws);
}

static bool run_replay(uint32_t backend, struct result *res)
{
	unsigned int t, nt = opt.threads;
	struct replayer *rs = calloc(nt, sizeof(*rs));
	struct ctx **cs = calloc(nt, sizeof(*cs));
	int *fds = calloc(opt.files, sizeof(*fds));
	struct peaks peaks = { .device = 0 };

	if (!rs || !cs || !fds) {
		fprintf(stderr, "lalloc-stress: out of memory\n");
		exit(1);
	}
	atomic_store(&stop, false);
	res->backend = backend;
	for (unsigned int f = 0; f < opt.files; f++)
		fds[f] = open_file(backend);
	atomic_store(&running, (int)nt);
	for (t = 0; t < nt; t++) {
		struct replayer *r = &rs[t];

		ctx_init(&r->c, fds[t % opt.files], (int)t, opt.seed);
		r->c.e2big_expected = true;
		r->nthreads = (int)nt;
		r->backend = backend;
		r->peaks = &peaks;
		idmap_init(&r->map);
		cs[t] = &r->c;
	}
	/* Every file's baseline before any thread allocates. */
	for (t = 0; t < nt; t++)
		if (read_stats(rs[t].c.fd, &rs[t].base)) {
			perror("lalloc-stress: STATS");
			exit(1);
		}
	for (t = 0; t < nt; t++) {
		errno = pthread_create(&rs[t].thread, NULL, replay_thread, &rs[t]);
		if (errno) {
			perror("lalloc-stress: pthread_create");
			exit(1);
		}
	}
	res->elapsed = monitor(cs, (int)nt);
	for (t = 0; t < nt; t++) {
		pthread_join(rs[t].thread, NULL);
		add_ctx(res, &rs[t].c);
		res->skipped += rs[t].skipped;
		free(rs[t].blocks);
		free(rs[t].free_slots);
		free(rs[t].c.buf);
	}
	res->peak_device = atomic_load(&peaks.device);
	res->peak_held = atomic_load(&peaks.held);
	for (unsigned int f = 0; f < opt.files; f++)
		close(fds[f]);
	free(fds);
	free(cs);
	free(rs);
	return atomic_load(&peaks.trace_error) == 0;
}

/* ---- reporting ---- */

static const char *backend_name(uint32_t b)
{
	return b == LALLOC_BACKEND_KMALLOC ? "kmalloc" : "lalloc";
}

static const char *const capped_names[4] = { "ENOMEM", "EDQUOT", "ENOSPC", "E2BIG" };

static void print_text(const struct result *res)
{
	char d[32], h[32];

	printf("%s: %" PRIu64 " ops in %.1f s, %.0f ops/s; refused at the caps:",
	       backend_name(res->backend), res->ops, res->elapsed,
	       res->elapsed > 0 ? (double)res->ops / res->elapsed : 0.0);
	for (int i = 0; i < 4; i++)
		printf(" %s %" PRIu64, capped_names[i], res->capped[i]);
	printf("\n%-8s %10s %10s %10s %9s %9s %9s\n", "op", "calls", "batched", "ops/s",
	       "p50 ns", "p99 ns", "p99.9 ns");
	for (int k = 0; k < NKINDS; k++) {
		const struct kindstat *s = &res->ks[k];

		printf("%-8s %10" PRIu64 " %10" PRIu64 " %10.0f %9" PRIu64 " %9" PRIu64 " %9" PRIu64 "\n",
		       kind_names[k], s->lat.count, s->batched,
		       res->elapsed > 0 ? (double)kind_count(s) / res->elapsed : 0.0,
		       lathist_percentile(&s->lat, 50), lathist_percentile(&s->lat, 99),
		       lathist_percentile(&s->lat, 99.9));
	}
	if (opt.trace) {
		human(d, sizeof(d), (double)res->peak_device);
		human(h, sizeof(h), (double)res->peak_held);
		printf("peak device_bytes %" PRId64 " (%s), peak held bytes %" PRId64
		       " (%s); %" PRIu64 " ops skipped (their ALLOC was refused)\n",
		       res->peak_device, d, res->peak_held, h, res->skipped);
	}
}

static void print_json_result(const struct result *res)
{
	printf("{\"backend\":\"%s\",\"elapsed_s\":%.3f,\"ops\":%" PRIu64 ",\"ops_per_s\":%.1f",
	       backend_name(res->backend), res->elapsed, res->ops,
	       res->elapsed > 0 ? (double)res->ops / res->elapsed : 0.0);
	printf(",\"capped\":{");
	for (int i = 0; i < 4; i++)
		printf("%s\"%s\":%" PRIu64, i ? "," : "", capped_names[i], res->capped[i]);
	printf("},\"kinds\":{");
	for (int k = 0; k < NKINDS; k++) {
		const struct kindstat *s = &res->ks[k];

		printf("%s\"%s\":{\"calls\":%" PRIu64 ",\"batched\":%" PRIu64 ",\"ops_per_s\":%.1f"
		       ",\"p50_ns\":%" PRIu64 ",\"p99_ns\":%" PRIu64 ",\"p999_ns\":%" PRIu64 "}",
		       k ? "," : "", kind_names[k], s->lat.count, s->batched,
		       res->elapsed > 0 ? (double)kind_count(s) / res->elapsed : 0.0,
		       lathist_percentile(&s->lat, 50), lathist_percentile(&s->lat, 99),
		       lathist_percentile(&s->lat, 99.9));
	}
	printf("}");
	if (opt.trace)
		printf(",\"peak_device_bytes\":%" PRId64 ",\"peak_held_bytes\":%" PRId64
		       ",\"skipped\":%" PRIu64, res->peak_device, res->peak_held, res->skipped);
	printf("}");
}

/* The four live gauges, before the run and after every file was closed. */
static const struct { const char *name; size_t off; } gauges[] = {
	{ "active_objs", offsetof(struct lalloc_stats, active_objs) },
	{ "requested_bytes", offsetof(struct lalloc_stats, requested_bytes) },
	{ "device_bytes", offsetof(struct lalloc_stats, device_bytes) },
	{ "open_files", offsetof(struct lalloc_stats, open_files) },
};

static uint64_t gauge(const struct lalloc_stats *st, int i)
{
	uint64_t v;

	memcpy(&v, (const char *)st + gauges[i].off, sizeof(v));
	return v;
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lalloc-stress [OPTIONS]\n"
		"Stress /dev/lalloc with threads running a random mix of alloc, grow, shrink,\n"
		"realloc, free, read and write, checking every byte of every block; or replay\n"
		"a trace and report the peak bytes held. Root, lalloc loaded.\n\n"
		"  -t, --threads N       threads (default: online CPUs; 1 with --trace)\n"
		"  -f, --files N         open files the threads share (default 1)\n"
		"  -d, --duration S      run S seconds (default 10 unless --ops)\n"
		"  -n, --ops N           stop after N ops in all (replay: per thread)\n"
		"  -s, --seed N          seed (default: from the clock; printed)\n"
		"  -D, --dist NAME       uniform, powerlaw or aligned (default uniform)\n"
		"  -b, --batch N         group allocs and frees N to a BATCH (1..64, default 1)\n"
		"  -l, --max-live N      live blocks per thread (default 256)\n"
		"  -B, --backend NAME    lalloc (default) or kmalloc\n"
		"  -T, --trace FILE      replay FILE (plain or .gz) instead of the random mix\n"
		"  -c, --compare         with --trace: replay on lalloc, then kmalloc; print the ratio\n"
		"  -k, --sample K        with --trace: sample the stats every K ops (default 1)\n"
		"  -j, --json            one JSON document on stdout\n"
		"  -V, --version         print the version\n"
		"  -h, --help            this text\n\n"
		"Exit: 0 pass, 1 data loss / unexpected errno / stats off their baseline,\n"
		"2 bad arguments or trace, 3 no %s.\n", LALLOC_DEVICE);
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "files", required_argument, NULL, 'f' },
		{ "duration", required_argument, NULL, 'd' },
		{ "ops", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "dist", required_argument, NULL, 'D' },
		{ "batch", required_argument, NULL, 'b' },
		{ "max-live", required_argument, NULL, 'l' },
		{ "backend", required_argument, NULL, 'B' },
		{ "trace", required_argument, NULL, 'T' },
		{ "compare", no_argument, NULL, 'c' },
		{ "sample", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool seeded = false;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:f:d:n:s:D:b:l:B:T:ck:jVh", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			opt.threads = (unsigned int)num(optarg, "--threads", 1, 1024);
			opt.threads_given = true;
			break;
		case 'f': opt.files = (unsigned int)num(optarg, "--files", 1, 1024); break;
		case 'd': {
			char *end;

			errno = 0;
			opt.duration = strtod(optarg, &end);
			if (!*optarg || *end || errno || !(opt.duration > 0) || opt.duration > 1e7)
				bad_arg("--duration: '%s' is not a positive number of seconds", optarg);
			break;
		}
		case 'n': opt.ops = num(optarg, "--ops", 1, UINT64_MAX); break;
		case 's': opt.seed = num(optarg, "--seed", 0, UINT64_MAX); seeded = true; break;
		case 'D':
			for (c = 0; c < 3 && strcmp(optarg, dist_names[c]); c++)
				;
			if (c == 3)
				bad_arg("--dist: '%s' is not uniform, powerlaw or aligned", optarg);
			opt.dist = (enum dist)c;
			break;
		case 'b': opt.batch = (unsigned int)num(optarg, "--batch", 1, 64); break;
		case 'l': opt.max_live = (unsigned int)num(optarg, "--max-live", 1, 1 << 20); break;
		case 'B':
			if (!strcmp(optarg, "kmalloc"))
				opt.backend = LALLOC_BACKEND_KMALLOC;
			else if (!strcmp(optarg, "lalloc"))
				opt.backend = LALLOC_BACKEND_LALLOC;
			else
				bad_arg("--backend: '%s' is not lalloc or kmalloc", optarg);
			break;
		case 'T': opt.trace = optarg; break;
		case 'c': opt.compare = true; break;
		case 'k': opt.sample = (unsigned int)num(optarg, "--sample", 1, 1U << 30); break;
		case 'j': opt.json = true; break;
		case 'V': printf("lalloc-stress " LALLOC_VERSION "\n"); exit(0);
		case 'h': usage(stdout); exit(0);
		case ':': bad_arg("option '%s' needs a value", argv[optind - 1]); break;
		default: bad_arg("unknown option '%s'", argv[optind - 1]); break;
		}
	}
	if (optind < argc)
		bad_arg("unexpected argument '%s'", argv[optind]);
	if (opt.compare && !opt.trace)
		bad_arg("%s--compare needs --trace", "");
	if (!opt.threads_given) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		opt.threads = opt.trace ? 1 : n > 0 ? (unsigned int)n : 1;
	}
	if (!opt.duration && !opt.ops && !opt.trace)
		opt.duration = 10;
	if (!seeded)
		opt.seed = now_ns() ^ ((uint64_t)getpid() << 32);
}

int main(int argc, char **argv)
{
	struct lalloc_stats before, after;
	struct result res[2];
	int nres = 0, statfd, baseline_ok = 1, trace_ok = 1;

	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	statfd = open_dev();
	if (read_stats(statfd, &before)) {
		perror("lalloc-stress: STATS");
		return 1;
	}
	if (!opt.json)
		printf("lalloc-stress " LALLOC_VERSION ": seed %" PRIu64 ", %u thread%s, %u file%s, %s\n",
		       opt.seed, opt.threads, opt.threads == 1 ? "" : "s", opt.files,
		       opt.files == 1 ? "" : "s",
		       opt.trace ? opt.trace : dist_names[opt.dist]);
	memset(res, 0, sizeof(res));
	if (!opt.trace) {
		run_stress(&res[nres++]);
	} else if (opt.compare) {
		trace_ok = run_replay(LALLOC_BACKEND_LALLOC, &res[nres++]);
		if (trace_ok && !atomic_load(&failed))
			trace_ok = run_replay(LALLOC_BACKEND_KMALLOC, &res[nres++]);
	} else {
		trace_ok = run_replay(opt.backend, &res[nres++]);
	}
	if (read_stats(statfd, &after)) {
		perror("lalloc-stress: STATS");
		return 1;
	}
	for (int i = 0; i < 4; i++)
		baseline_ok &= gauge(&before, i) == gauge(&after, i);

	if (opt.json) {
		printf("{\"version\":\"%s\",\"seed\":%" PRIu64 ",\"threads\":%u,\"files\":%u,"
		       "\"mode\":\"%s\",\"dist\":\"%s\",\"batch\":%u,\"runs\":[",
		       LALLOC_VERSION, opt.seed, opt.threads, opt.files,
		       opt.trace ? "trace" : "mix", opt.trace ? "" : dist_names[opt.dist], opt.batch);
		for (int i = 0; i < nres; i++) {
			printf(i ? "," : "");
			print_json_result(&res[i]);
		}
		printf("]");
		if (opt.compare && nres == 2)
			printf(",\"held_ratio\":%.4f,\"device_ratio\":%.4f",
			       res[1].peak_held > 0 ? (double)res[0].peak_held / (double)res[1].peak_held : 0.0,
			       res[1].peak_device > 0 ? (double)res[0].peak_device / (double)res[1].peak_device : 0.0);
		printf(",\"baseline\":{");
		for (int i = 0; i < 4; i++)
			printf("%s\"%s\":[%" PRIu64 ",%" PRIu64 "]", i ? "," : "", gauges[i].name,
			       gauge(&before, i), gauge(&after, i));
		printf(",\"ok\":%s},\"failures\":%d,\"result\":\"%s\"}\n",
		       baseline_ok ? "true" : "false", atomic_load(&failed),
		       !trace_ok ? "trace-error" : atomic_load(&failed) || !baseline_ok ? "fail" : "pass");
	} else {
		for (int i = 0; i < nres; i++)
			print_text(&res[i]);
		if (opt.compare && nres == 2 && res[1].peak_held > 0)
			printf("held bytes lalloc/kmalloc: %.3f (device_bytes: %.3f)\n",
			       (double)res[0].peak_held / (double)res[1].peak_held,
			       res[1].peak_device > 0 ?
			       (double)res[0].peak_device / (double)res[1].peak_device : 0.0);
		printf("baseline:");
		for (int i = 0; i < 4; i++)
			printf(" %s %" PRIu64 "->%" PRIu64, gauges[i].name, gauge(&before, i),
			       gauge(&after, i));
		printf(": %s\n", baseline_ok ? "ok" : "NOT BACK");
	}
	if (!baseline_ok)
		fprintf(stderr, "lalloc-stress: FAIL: the device's live gauges are not back at their baseline (seed %" PRIu64 ")\n",
			opt.seed);
	close(statfd);
	if (!trace_ok)
		return 2;
	if (atomic_load(&failed) || !baseline_ok) {
		if (!opt.json)
			printf("FAIL\n");
		return 1;
	}
	if (!opt.json)
		printf("PASS\n");
	return 0;
}
