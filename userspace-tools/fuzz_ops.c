// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc-fuzz's operations: each step picks one call, builds its arguments
 * (valid, or broken in one or more known ways), says what the arguments
 * make certain (struct expect), makes the call and checks the result, and
 * keeps the model of every block the worker owns byte for byte.
 *
 * A worker only ever changes blocks it owns. Calls on handles it does not
 * own use ids that cannot be live in the file: forged ids no ALLOC hands
 * out (0 and FUZZ_MAX_ID up), or stale and other files' ids checked absent
 * while the file is held exclusively (struct fuzz_file).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

#define PAGE			4096UL
/* The bytes of block contents one worker models at most. */
#define MODEL_BUDGET		(24UL << 20)
/* Blocks this large are freed as soon as they are made, not modelled. */
#define MODEL_MAX_BLOCK		(16UL << 20)
#define KERNEL_POINTER		0xffff888000000000ULL
#define NONCANONICAL_POINTER	0x8000000000000000ULL
#define CANARY			0xa5
#define INFO_MIN		4	/* offsetofend(struct lalloc_info, handle) */
#define STATS_MIN		24	/* offsetofend(struct lalloc_stats, reserved) */
#define IOC_SIZE_MAX		((1U << _IOC_SIZEBITS) - 1)
#define BATCH_OP_SIZE		sizeof(struct lalloc_batch_op)
#define BATCH_MAX_ENTRIES	16

static int ioc(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static uint64_t ptr64(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* ---- ids and files ---- */

bool id_live(struct fuzz_file *f, uint32_t id)
{
	bool live;

	if (id >= FUZZ_MAX_ID)
		return false;
	pthread_mutex_lock(&f->ids_lock);
	live = f->live[id / 8] & (1U << (id % 8));
	pthread_mutex_unlock(&f->ids_lock);
	return live;
}

void id_set(struct fuzz_file *f, uint32_t id, bool live)
{
	pthread_mutex_lock(&f->ids_lock);
	if (live)
		f->live[id / 8] |= (uint8_t)(1U << (id % 8));
	else
		f->live[id / 8] &= (uint8_t)~(1U << (id % 8));
	pthread_mutex_unlock(&f->ids_lock);
}

/* Remember a freed id, to come back as a stale handle. */
static void id_freed(struct fuzz_file *f, uint32_t id)
{
	pthread_mutex_lock(&f->ids_lock);
	f->freed[f->nfreed++ % FUZZ_FREED_RING] = id;
	pthread_mutex_unlock(&f->ids_lock);
}

/*
 * A FREE of @id with the argument struct at @uarg. The id leaves the live
 * set before the call: once the kernel has let it go, an ALLOC on another
 * thread may get it back before this call returns. It is put back if the
 * FREE fails.
 */
static int free_id(struct fuzz_file *f, int fd, uint32_t id, void *uarg)
{
	int ret;

	id_set(f, id, false);
	ret = ioc(fd, LALLOC_IOC_FREE, uarg);
	if (ret)
		id_set(f, id, true);
	else
		id_freed(f, id);
	return ret;
}

static int file_fd(struct worker *w, struct fuzz_file *f)
{
	/* Either descriptor of the same open file: a dup must work the same. */
	return f->alt_fd >= 0 && rng_chance(&w->rng, 1, 2) ? f->alt_fd : f->fd;
}

static void set_used(struct fuzz_file *f)
{
	pthread_mutex_lock(&f->ids_lock);
	f->used = true;
	pthread_mutex_unlock(&f->ids_lock);
}

/* An id no ALLOC can have handed out: 0, or past every id in use. */
static uint32_t forged_id(struct worker *w)
{
	switch (rng_below(&w->rng, 4)) {
	case 0: return 0;
	case 1: return UINT32_MAX;
	case 2: return FUZZ_MAX_ID + (uint32_t)rng_below(&w->rng, 1024);
	default: return FUZZ_MAX_ID + (uint32_t)rng_below(&w->rng, UINT32_MAX - FUZZ_MAX_ID);
	}
}

/* ---- the model ---- */

static struct block *add_block(struct worker *w, unsigned int file, uint32_t handle,
			       uint64_t size, uint64_t align, uint64_t usable)
{
	struct block *b = &w->blocks[w->nblocks];

	b->data = size ? calloc(1, size) : NULL;
	if (size && !b->data) {
		perror("lalloc-fuzz: model");
		exit(2);
	}
	b->file = file;
	b->gen = w->world->files[file].gen;
	b->handle = handle;
	b->size = size;
	b->align = align;
	b->usable = usable;
	w->model_bytes += size;
	w->nblocks++;
	return b;
}

static void drop_block(struct worker *w, struct block *b)
{
	free(b->data);
	w->model_bytes -= b->size;
	*b = w->blocks[--w->nblocks];
}

static void model_resize(struct worker *w, struct block *b, uint64_t size, uint64_t align)
{
	uint8_t *d = size ? realloc(b->data, size) : (free(b->data), NULL);

	if (size && !d) {
		perror("lalloc-fuzz: model");
		exit(2);
	}
	/* The device zeroes the grown part of every block. */
	if (size > b->size)
		memset(d + b->size, 0, size - b->size);
	w->model_bytes += size - b->size;
	b->data = d;
	b->size = size;
	b->align = align;
}

/*
 * A block of the worker's to work on, its file held shared. A block whose
 * file was reopened died with it: it is dropped and NULL returned.
 */
static struct block *pick_block(struct worker *w, struct fuzz_file **fp)
{
	struct block *b;
	struct fuzz_file *f;

	if (!w->nblocks)
		return NULL;
	b = &w->blocks[rng_below(&w->rng, w->nblocks)];
	f = &w->world->files[b->file];
	pthread_rwlock_rdlock(&f->lock);
	if (b->gen != f->gen) {
		pthread_rwlock_unlock(&f->lock);
		drop_block(w, b);
		return NULL;
	}
	*fp = f;
	return b;
}

/* ---- argument values ---- */

static uint64_t gen_size(struct worker *w)
{
	uint64_t r = rng_below(&w->rng, 100), size;

	if (r < 10)
		size = 0;
	else if (r < 40)
		size = 1 + rng_below(&w->rng, 64);
	else if (r < 70)
		size = 65 + rng_below(&w->rng, 4096 - 64);
	else if (r < 88)
		size = 4097 + rng_below(&w->rng, 65536 - 4096);
	else if (r < 97)
		size = 65537 + rng_below(&w->rng, (1 << 20) - 65536);
	else	/* past 4 MiB: the vmalloc blocks */
		size = (1 << 20) + rng_below(&w->rng, 7 << 20);
	if (w->model_bytes + size > MODEL_BUDGET)
		size = rng_below(&w->rng, 4096);
	return size;
}

static uint64_t gen_align(struct worker *w)
{
	uint64_t r = rng_below(&w->rng, 100);

	if (r < 50)
		return 1ULL << rng_below(&w->rng, 4);
	if (r < 85)
		return 1ULL << rng_below(&w->rng, 13);
	if (r < 98)
		return 1ULL << rng_below(&w->rng, 22);
	return 1ULL << (22 + rng_below(&w->rng, 8));
}

/* Sizes at and past every edge: the classes, pages, 1 GiB, isize, u64. */
static uint64_t extreme_size(struct worker *w)
{
	static const uint64_t sizes[] = {
		0, 1, 3, 7, 4095, 4097, (2 << 20) + 1, (4 << 20) + 1, 1ULL << 30,
		(1ULL << 30) + 1, 1ULL << 31, 1ULL << 62, 1ULL << 63, INT64_MAX,
		INT64_MAX - 4095, UINT64_MAX, UINT64_MAX - 1,
	};

	if (rng_chance(&w->rng, 1, 8))
		return rng_next(&w->rng);
	return sizes[rng_below(&w->rng, sizeof(sizes) / sizeof(sizes[0]))];
}

static uint64_t extreme_align(struct worker *w)
{
	static const uint64_t aligns[] = {
		0, 1, 3, 6, 12, 24, 4095, 1ULL << 12, 1ULL << 21, 1ULL << 30,
		1ULL << 40, 1ULL << 62, 1ULL << 63, UINT64_MAX, (1ULL << 63) + 1,
	};

	if (rng_chance(&w->rng, 1, 8))
		return rng_next(&w->rng);
	return aligns[rng_below(&w->rng, sizeof(aligns) / sizeof(aligns[0]))];
}

/* What a layout makes certain, as ALLOC and the resizes check it. */
static struct expect layout_expect(uint64_t size, uint64_t align)
{
	struct expect e = { 0, ERR_RESOURCE };

	if (!layout_valid(size, align)) {
		e.must |= ERR(E_INVAL);
		/* The header lists E2BIG for any size past 1 GiB too. */
		if (size > LALLOC_MAX_OBJECT_SIZE)
			e.may |= ERR(E_2BIG);
	} else if (size > LALLOC_MAX_OBJECT_SIZE) {
		e.must |= ERR(E_2BIG);
	}
	return e;
}

/* A length for a READ or WRITE window of at most @avail bytes. */
static uint64_t gen_len(struct worker *w, uint64_t avail)
{
	uint64_t r = rng_below(&w->rng, 100), len;

	if (avail > FUZZ_SCRATCH - 64)
		avail = FUZZ_SCRATCH - 64;
	if (r < 8)
		len = 0;
	else if (r < 55)
		len = 1 + rng_below(&w->rng, 64);
	else if (r < 90)
		len = 1 + rng_below(&w->rng, 4096);
	else
		len = 1 + rng_below(&w->rng, avail ? avail : 1);
	return len > avail ? avail : len;
}

/* ---- where an argument struct or buffer lives ---- */

enum place {
	P_GOOD,		/* ordinary memory */
	P_RO,		/* a read-only mapping */
	P_STRADDLE,	/* running into the unmapped page */
	P_UNMAPPED,	/* in the unmapped page */
	P_NULL,
	P_KERNEL,	/* a kernel address */
	P_NONCANON,	/* a non-canonical address */
};

static const char *const place_names[] = {
	"good", "read-only", "straddling-unmapped", "unmapped", "NULL", "kernel",
	"non-canonical",
};

static enum place gen_place(struct worker *w, unsigned int bad_in_100)
{
	if (!rng_chance(&w->rng, bad_in_100, 100))
		return P_GOOD;
	return (enum place)(1 + rng_below(&w->rng, 6));
}

/*
 * Put @len bytes of @src where @p says (P_GOOD: @good) and return the
 * address to hand the kernel. P_STRADDLE keeps the first half mapped.
 */
static void *place_bytes(struct worker *w, enum place p, void *good, const void *src,
			 size_t len)
{
	switch (p) {
	case P_GOOD:
		if (good != src)
			memcpy(good, src, len);
		return good;
	case P_RO:
		if (len > PAGE)
			len = PAGE;
		memcpy(w->bad.ro_rw, src, len);
		return w->bad.ro;
	case P_STRADDLE: {
		size_t mapped = len / 2;

		memcpy(w->bad.edge_end - mapped, src, mapped);
		return w->bad.edge_end - mapped;
	}
	case P_UNMAPPED:
		return w->bad.edge_end;
	case P_NULL:
		return NULL;
	case P_KERNEL:
		return (void *)(uintptr_t)KERNEL_POINTER;
	default:
		return (void *)(uintptr_t)NONCANONICAL_POINTER;
	}
}

/* Whether an argument struct at @p can be read, and written back. */
static errset place_errors(enum place p, bool written_back)
{
	if (p == P_GOOD || (p == P_RO && !written_back))
		return 0;
	return ERR(E_FAULT);
}

/* ---- ALLOC and FREE ---- */

/* A block the kernel made: in the model, or freed at once if too large. */
static void adopt_block(struct worker *w, unsigned int fi, uint32_t handle, uint64_t size,
			uint64_t align, uint64_t usable)
{
	struct fuzz_file *f = &w->world->files[fi];

	if (!handle || handle >= FUZZ_MAX_ID) {
		fail(w, "the kernel handed out handle %" PRIu32 ", outside 1..%u", handle,
		     FUZZ_MAX_ID - 1);
		return;
	}
	if (id_live(f, handle)) {
		fail(w, "the kernel handed out handle %" PRIu32 ", which is already live", handle);
		return;
	}
	if (usable < size) {
		fail(w, "usable size %" PRIu64 " below the size %" PRIu64, usable, size);
		return;
	}
	id_set(f, handle, true);
	set_used(f);
	if (w->nblocks < FUZZ_MAX_BLOCKS && size <= MODEL_MAX_BLOCK &&
	    w->model_bytes + size <= MODEL_BUDGET + MODEL_MAX_BLOCK) {
		add_block(w, fi, handle, size, align, usable);
		return;
	}
	struct lalloc_handle_args fa = { .handle = handle };

	describe(w, "FREE handle %" PRIu32 " (a block too large to model)", handle);
	check_result(w, C_FREE, free_id(f, f->fd, handle, &fa), (struct expect){ 0, 0 }, false);
}

static void op_alloc(struct worker *w)
{
	unsigned int fi = (unsigned int)rng_below(&w->rng, w->world->nfiles);
	struct fuzz_file *f = &w->world->files[fi];
	struct lalloc_alloc_args a = { 0 }, *ua;
	bool extreme = rng_chance(&w->rng, 1, 10);
	enum place p = gen_place(w, 4);
	struct expect e;
	int ret;

	a.size = extreme ? extreme_size(w) : gen_size(w);
	a.align = extreme ? extreme_align(w) : gen_align(w);
	a.flags = rng_chance(&w->rng, 1, 2) ? LALLOC_ALLOC_ZEROED : 0;
	if (rng_chance(&w->rng, 1, 20))
		a.flags = (uint32_t)rng_next(&w->rng);
	a.handle = (uint32_t)rng_next(&w->rng);	/* an output: ignored */
	a.usable = rng_next(&w->rng);
	e = layout_expect(a.size, a.align);
	if (a.flags & ~LALLOC_ALLOC_ZEROED)
		e.must |= ERR(E_INVAL);
	e.must |= place_errors(p, true);

	pthread_rwlock_rdlock(&f->lock);
	ua = place_bytes(w, p, w->argbuf, &a, sizeof(a));
	describe(w, "ALLOC file %u size %" PRIu64 " align %" PRIu64 " flags %#x args %s",
		 fi, U64(a.size), U64(a.align), a.flags, place_names[p]);
	ret = ioc(file_fd(w, f), LALLOC_IOC_ALLOC, ua);
	if (check_result(w, C_ALLOC, ret, e, false)) {
		if (!ret)
			adopt_block(w, fi, ua->handle, a.size, a.align, ua->usable);
		else if (ret == -EFAULT && p == P_RO)
			set_used(f);	/* allocated, then undone: it still counts */
	}
	pthread_rwlock_unlock(&f->lock);
}

/* Read a whole block back (up to the scratch size) and compare it with the model. */
static void verify_block(struct worker *w, struct fuzz_file *f, struct block *b)
{
	uint64_t off = 0, len = b->size;
	struct lalloc_rw_args a = { .handle = b->handle };
	int ret;

	if (len > FUZZ_SCRATCH) {
		off = rng_below(&w->rng, len - FUZZ_SCRATCH + 1);
		len = FUZZ_SCRATCH;
	}
	a.offset = off;
	a.len = len;
	a.buf = ptr64(w->scratch);
	describe(w, "READ handle %" PRIu32 " offset %" PRIu64 " len %" PRIu64 " (whole-block check)",
		 b->handle, off, len);
	ret = ioc(f->fd, LALLOC_IOC_READ, &a);
	if (!check_result(w, C_READ, ret, (struct expect){ 0, 0 }, false))
		return;
	for (uint64_t i = 0; i < len; i++)
		if (w->scratch[i] != b->data[off + i]) {
			fail(w, "block %" PRIu32 " byte %" PRIu64 " is %#x, the model says %#x",
			     b->handle, off + i, w->scratch[i], b->data[off + i]);
			return;
		}
}

static void op_free(struct worker *w)
{
	struct fuzz_file *f;
	struct block *b = pick_block(w, &f);
	struct lalloc_handle_args a = { 0 }, *ua;
	enum place p = gen_place(w, 4);
	struct expect e = { place_errors(p, false), 0 };
	int ret;

	if (!b)
		return;
	if (rng_chance(&w->rng, 1, 4))
		verify_block(w, f, b);
	a.handle = b->handle;
	if (rng_chance(&w->rng, 1, 12)) {
		a.reserved = (uint32_t)rng_next(&w->rng) | 1;
		e.must |= ERR(E_INVAL);
	}
	ua = place_bytes(w, p, w->argbuf, &a, sizeof(a));
	describe(w, "FREE handle %" PRIu32 " reserved %#x args %s", a.handle, a.reserved,
		 place_names[p]);
	ret = free_id(f, file_fd(w, f), b->handle, ua);
	if (check_result(w, C_FREE, ret, e, false) && !ret)
		drop_block(w, b);
	pthread_rwlock_unlock(&f->lock);
}

/* ---- GROW, SHRINK, REALLOC ---- */

static const unsigned long resize_cmds[] = {
	[C_GROW] = LALLOC_IOC_GROW, [C_SHRINK] = LALLOC_IOC_SHRINK,
	[C_REALLOC] = LALLOC_IOC_REALLOC,
};

/* What a resize of @b makes certain, flags and reserved aside. */
static struct expect resize_expect(const struct block *b, enum cmd c, uint64_t size,
				   uint64_t align, uint32_t flags)
{
	struct expect e = layout_expect(size, align);

	if (flags & ~LALLOC_RESIZE_ZEROED)
		e.must |= ERR(E_INVAL);
	if (b && ((c == C_GROW && size < b->size) || (c == C_SHRINK && size > b->size)))
		e.must |= ERR(E_INVAL);
	if (c != C_GROW && (flags & LALLOC_RESIZE_ZEROED))
		e.must |= ERR(E_INVAL);
	if (!b)
		e.must |= ERR(E_NOENT);
	return e;
}

/* A new size for a resize of a block of @cur bytes: mostly the right direction. */
static uint64_t resize_size(struct worker *w, enum cmd c, uint64_t cur, bool extreme)
{
	uint64_t room = w->model_bytes < MODEL_BUDGET ? MODEL_BUDGET - w->model_bytes : 0;
	uint64_t grow_max = room < (1 << 20) ? room : (1 << 20);

	if (extreme)
		return extreme_size(w);
	if (rng_chance(&w->rng, 1, 12))		/* the wrong direction */
		c = c == C_GROW ? C_SHRINK : c == C_SHRINK ? C_GROW : c;
	switch (c) {
	case C_GROW:
		return cur + (rng_chance(&w->rng, 1, 8) ? 0 : rng_below(&w->rng, grow_max + 1));
	case C_SHRINK:
		return cur ? rng_below(&w->rng, cur + 1) : 0;
	default:
		return rng_chance(&w->rng, 1, 2) ? gen_size(w)
						 : cur + rng_below(&w->rng, grow_max + 1);
	}
}

static void op_resize(struct worker *w)
{
	struct fuzz_file *f;
	struct block *b = pick_block(w, &f);
	enum cmd c = (enum cmd)(C_GROW + rng_below(&w->rng, 3));
	bool extreme = rng_chance(&w->rng, 1, 12);
	struct lalloc_resize_args a = { 0 }, *ua;
	enum place p = gen_place(w, 4);
	struct expect e;
	int ret;

	if (!b)
		return;
	a.handle = b->handle;
	a.size = resize_size(w, c, b->size, extreme);
	a.align = extreme && rng_chance(&w->rng, 1, 2) ? extreme_align(w) : gen_align(w);
	if (c == C_GROW)
		a.flags = rng_chance(&w->rng, 1, 2) ? LALLOC_RESIZE_ZEROED : 0;
	else if (rng_chance(&w->rng, 1, 12))
		a.flags = LALLOC_RESIZE_ZEROED;
	if (rng_chance(&w->rng, 1, 30))
		a.flags = (uint32_t)rng_next(&w->rng);
	a.usable = rng_next(&w->rng);	/* outputs: ignored */
	a.moved = (uint32_t)rng_next(&w->rng);
	e = resize_expect(b, c, a.size, a.align, a.flags);
	if (rng_chance(&w->rng, 1, 30)) {
		a.reserved = (uint32_t)rng_next(&w->rng) | 1;
		e.must |= ERR(E_INVAL);
	}
	/* GROW, SHRINK and REALLOC write their arguments back before they act. */
	e.must |= place_errors(p, true);
	/* A valid resize must not take the model past its budget. */
	if (!e.must && a.size > b->size && w->model_bytes + (a.size - b->size) > MODEL_BUDGET + MODEL_MAX_BLOCK &&
	    a.size <= LALLOC_MAX_OBJECT_SIZE) {
		pthread_rwlock_unlock(&f->lock);
		return;
	}
	ua = place_bytes(w, p, w->argbuf, &a, sizeof(a));
	describe(w, "%s handle %" PRIu32 " size %" PRIu64 " -> %" PRIu64 " align %" PRIu64
		 " -> %" PRIu64 " flags %#x reserved %#x args %s", cmd_names[c], a.handle,
		 b->size, U64(a.size), b->align, U64(a.align), a.flags, a.reserved, place_names[p]);
	ret = ioc(file_fd(w, f), resize_cmds[c], ua);
	if (check_result(w, c, ret, e, false) && !ret) {
		if (ua->usable < a.size || ua->moved > 1) {
			fail(w, "usable %" PRIu64 " for size %" PRIu64 ", moved %" PRIu32,
			     U64(ua->usable), U64(a.size), ua->moved);
		} else if (a.size > MODEL_MAX_BLOCK) {
			/* Too large to model: checked up to here, then given back. */
			struct lalloc_handle_args fa = { .handle = b->handle };

			describe(w, "FREE handle %" PRIu32 " (resized past what the model holds)", b->handle);
			ret = free_id(f, f->fd, b->handle, &fa);
			if (check_result(w, C_FREE, ret, (struct expect){ 0, 0 }, false))
				drop_block(w, b);
		} else {
			model_resize(w, b, a.size, a.align);
			b->usable = ua->usable;
		}
	}
	pthread_rwlock_unlock(&f->lock);
}

/* ---- WRITE and READ ---- */

/*
 * The range of a READ or WRITE: in the block mostly; else past its end,
 * or with offset + len overflowing.
 */
static void gen_range(struct worker *w, uint64_t size, uint64_t *off, uint64_t *len,
		      struct expect *e)
{
	uint64_t r = rng_below(&w->rng, 100);

	if (r < 88) {
		*off = rng_below(&w->rng, size + 1);
		*len = gen_len(w, size - *off);
		return;
	}
	e->must |= ERR(E_RANGE);
	if (r < 94) {
		/* Just past the end: near it, so the length stays short. */
		*off = size - rng_below(&w->rng, (size < 4096 ? size : 4096) + 1);
		*len = size - *off + 1 + rng_below(&w->rng, 64);
	} else if (r < 97) {
		*off = size + 1 + rng_below(&w->rng, 1 << 20);
		*len = rng_below(&w->rng, 2);
	} else {
		*off = UINT64_MAX - rng_below(&w->rng, 4096);
		*len = 4097 + rng_below(&w->rng, FUZZ_SCRATCH - 64 - 4097);
	}
}

/*
 * The data buffer of a READ or WRITE of @len bytes. Sets how much of it can
 * be reached (@mapped: from the start; all of it when good) and the EFAULT
 * it makes certain: any unreachable byte when @len > 0, a kernel or
 * non-canonical address for any @len (access_ok() may refuse those even
 * for 0 bytes, so then it is only allowed).
 */
static uint8_t *gen_data_buffer(struct worker *w, bool write, uint64_t len, enum place *pp,
				uint64_t *mapped, struct expect *e)
{
	enum place p = gen_place(w, 10);

	/* Only short windows go to the one-page buffers. */
	if (p == P_RO || p == P_STRADDLE) {
		if (len > PAGE)
			p = P_GOOD;
	}
	*pp = p;
	*mapped = len;
	switch (p) {
	case P_GOOD:
		return w->scratch;
	case P_RO:
		if (!write && len)
			e->must |= ERR(E_FAULT);
		return w->bad.ro + (PAGE - len);
	case P_STRADDLE:
		*mapped = len / 2;
		if (len > *mapped)
			e->must |= ERR(E_FAULT);
		return w->bad.edge_end - *mapped;
	case P_UNMAPPED:
	case P_NULL:
		*mapped = 0;
		if (len)
			e->must |= ERR(E_FAULT);
		return p == P_NULL ? NULL : w->bad.edge_end;
	default:
		*mapped = 0;
		if (len)
			e->must |= ERR(E_FAULT);
		else
			e->may |= ERR(E_FAULT);
		return (uint8_t *)(uintptr_t)(p == P_KERNEL ? KERNEL_POINTER : NONCANONICAL_POINTER);
	}
}

/*
 * After a WRITE that faulted part way: the bytes before the fault are
 * written, the rest untouched (device.rst). Read the range back, check it
 * is the old contents with a prefix of the source written over it, and
 * take it into the model.
 */
static void check_partial_write(struct worker *w, struct fuzz_file *f, struct block *b,
				uint64_t off, uint64_t len, const uint8_t *src, uint64_t mapped)
{
	struct lalloc_rw_args a = { .handle = b->handle, .offset = off, .len = len,
				    .buf = ptr64(w->scratch2) };
	uint64_t last_changed = 0;
	bool changed = false;
	int ret;

	describe(w, "READ handle %" PRIu32 " offset %" PRIu64 " len %" PRIu64
		 " (after a faulting WRITE)", b->handle, off, len);
	ret = ioc(f->fd, LALLOC_IOC_READ, &a);
	if (!check_result(w, C_READ, ret, (struct expect){ 0, 0 }, false))
		return;
	for (uint64_t i = 0; i < len; i++)
		if (w->scratch2[i] != b->data[off + i]) {
			last_changed = i;
			changed = true;
		}
	if (changed && last_changed >= mapped) {
		fail(w, "a WRITE that faulted after %" PRIu64 " readable bytes changed byte %" PRIu64,
		     mapped, off + last_changed);
		return;
	}
	for (uint64_t i = 0; changed && i <= last_changed; i++)
		if (w->scratch2[i] != src[i]) {
			fail(w, "a WRITE that faulted left byte %" PRIu64 " = %#x: neither a prefix of "
			     "the source (%#x) nor the old contents", off + i, w->scratch2[i], src[i]);
			return;
		}
	memcpy(b->data + off, w->scratch2, len);
}

static void op_rw(struct worker *w, bool write)
{
	enum cmd c = write ? C_WRITE : C_READ;
	struct fuzz_file *f;
	struct block *b = pick_block(w, &f);
	struct lalloc_rw_args a = { 0 }, *ua;
	struct expect e = { 0, 0 };
	enum place ap = gen_place(w, 3), bp;
	uint64_t mapped, off, len;
	uint8_t *buf;
	bool partial;
	int ret;

	if (!b)
		return;
	a.handle = b->handle;
	gen_range(w, b->size, &off, &len, &e);
	a.offset = off;
	a.len = len;
	if (write)
		e.may |= ERR(E_NOMEM);	/* the bounce buffer */
	if (rng_chance(&w->rng, 1, 30)) {
		a.reserved = (uint32_t)rng_next(&w->rng) | 1;
		e.must |= ERR(E_INVAL);
	}
	buf = gen_data_buffer(w, write, a.len, &bp, &mapped, &e);
	if (write) {
		/* The source: random bytes, in the good scratch or copied where it goes. */
		for (uint64_t i = 0; i < a.len; i += 8) {
			uint64_t v = rng_next(&w->rng);

			memcpy(w->scratch + i, &v, a.len - i < 8 ? a.len - i : 8);
		}
		if (bp == P_RO)
			memcpy(w->bad.ro_rw + (PAGE - a.len), w->scratch, a.len);
		else if (bp == P_STRADDLE)
			memcpy(buf, w->scratch, mapped);
	} else {
		if (bp == P_GOOD)
			memset(w->scratch, CANARY, a.len + 64 <= FUZZ_SCRATCH ? a.len + 64 : a.len);
		else if (bp == P_STRADDLE)
			memset(buf, CANARY, mapped);
	}
	a.buf = ptr64(buf);
	e.must |= place_errors(ap, false);
	ua = place_bytes(w, ap, w->argbuf, &a, sizeof(a));
	describe(w, "%s handle %" PRIu32 " (size %" PRIu64 ") offset %" PRIu64 " len %" PRIu64
		 " buf %s reserved %#x args %s", cmd_names[c], a.handle, b->size, off, len,
		 place_names[bp], a.reserved, place_names[ap]);
	ret = ioc(file_fd(w, f), write ? LALLOC_IOC_WRITE : LALLOC_IOC_READ, ua);
	if (!check_result(w, c, ret, e, false))
		goto out;
	/* Only a buffer running into the unmapped page faults part way through. */
	partial = ret == -EFAULT && bp == P_STRADDLE && !place_errors(ap, false) &&
		  !(e.must & ~ERR(E_FAULT));
	if (write && !ret) {
		memcpy(b->data + a.offset, w->scratch, a.len);
	} else if (write && partial) {
		check_partial_write(w, f, b, a.offset, a.len, w->scratch, mapped);
	} else if (!write && !ret && bp == P_GOOD) {
		for (uint64_t i = 0; i < a.len; i++)
			if (w->scratch[i] != b->data[a.offset + i]) {
				fail(w, "READ byte %" PRIu64 " of block %" PRIu32 " is %#x, the model says %#x",
				     off + i, b->handle, w->scratch[i], b->data[off + i]);
				goto out;
			}
		for (uint64_t i = a.len; i < a.len + 64 && i < FUZZ_SCRATCH; i++)
			if (w->scratch[i] != CANARY) {
				fail(w, "READ of %" PRIu64 " bytes wrote byte %" PRIu64 " of the buffer",
				     len, i);
				goto out;
			}
	} else if (!write && partial) {
		/* What reached the mapped half before the fault is the block's. */
		for (uint64_t i = 0; i < mapped; i++)
			if (buf[i] != CANARY && buf[i] != b->data[a.offset + i]) {
				fail(w, "a faulting READ put %#x at buffer byte %" PRIu64
				     ", not the block's %#x", buf[i], i, b->data[a.offset + i]);
				goto out;
			}
	}
out:
	pthread_rwlock_unlock(&f->lock);
}

/* ---- INFO ---- */

static unsigned long info_cmd(size_t usize)
{
	return _IOC(_IOC_READ | _IOC_WRITE, LALLOC_IOC_MAGIC, _IOC_NR(LALLOC_IOC_INFO), usize);
}

/* The checks INFO's answer for a block of the model must pass. */
static void check_info(struct worker *w, const struct fuzz_file *f, const struct block *b,
		       const struct lalloc_info *in)
{
	bool kmalloc = f->backend == LALLOC_BACKEND_KMALLOC;
	unsigned int want_kind = kmalloc ? LALLOC_KIND_KMALLOC : b->size ? 0 : LALLOC_KIND_ZST;

	if (in->handle != b->handle || in->size != b->size || in->align != b->align ||
	    in->usable < b->size || (b->usable != UINT64_MAX && in->usable != b->usable) ||
	    in->backend != f->backend || in->reserved) {
		fail(w, "INFO says handle %" PRIu32 " size %" PRIu64 " align %" PRIu64 " usable %"
		     PRIu64 " backend %" PRIu32 " reserved %" PRIu32 "; the model: size %" PRIu64
		     " align %" PRIu64 " usable %" PRIu64 " backend %" PRIu32, in->handle, U64(in->size),
		     U64(in->align), U64(in->usable), in->backend, in->reserved, b->size, b->align, b->usable,
		     f->backend);
		return;
	}
	if (kmalloc ? in->kind != want_kind || in->origin != LALLOC_ORIGIN_KMALLOC :
	    b->size ? (in->kind < LALLOC_KIND_SLAB || in->kind > LALLOC_KIND_VMALLOC ||
		       in->origin < LALLOC_ORIGIN_CPU_CACHE || in->origin > LALLOC_ORIGIN_VMALLOC) :
	    in->kind != LALLOC_KIND_ZST || in->origin != LALLOC_ORIGIN_ZST) {
		fail(w, "INFO kind %" PRIu32 " origin %" PRIu32 " for a %" PRIu64 "-byte block on the %s backend",
		     in->kind, in->origin, b->size, kmalloc ? "kmalloc" : "lalloc");
		return;
	}
	if ((in->kind == LALLOC_KIND_SLAB) != (in->class_slot != 0) ||
	    (in->kind == LALLOC_KIND_SLAB && in->class_slot < b->size))
		fail(w, "INFO kind %" PRIu32 " with class slot %" PRIu32 " for %" PRIu64 " bytes",
		     in->kind, in->class_slot, b->size);
}

static void op_info(struct worker *w)
{
	struct fuzz_file *f;
	struct block *b = pick_block(w, &f);
	struct lalloc_info full, *ua;
	uint8_t *buf = w->argbuf;
	size_t usize = sizeof(struct lalloc_info), r = rng_below(&w->rng, 100);
	struct expect e = { 0, 0 };
	enum place p = gen_place(w, 4);
	int ret;

	if (!b)
		return;
	if (r < 15)
		usize = rng_below(&w->rng, sizeof(struct lalloc_info));
	else if (r < 35)
		usize = sizeof(struct lalloc_info) + 1 +
			rng_below(&w->rng, IOC_SIZE_MAX - sizeof(struct lalloc_info));
	memset(buf, 0, usize);
	memset(buf + usize, CANARY, 64);
	memcpy(buf, &b->handle, usize < 4 ? usize : 4);
	if (usize < INFO_MIN)
		e.must |= ERR(E_INVAL);
	if (usize > sizeof(struct lalloc_info) && rng_chance(&w->rng, 1, 3)) {
		buf[sizeof(struct lalloc_info) + rng_below(&w->rng, usize - sizeof(struct lalloc_info))] =
			(uint8_t)(1 + rng_below(&w->rng, 255));
		e.must |= ERR(E_2BIG);
	}
	if (usize > INFO_MIN && rng_chance(&w->rng, 1, 10)) {
		size_t known = usize < sizeof(struct lalloc_info) ? usize : sizeof(struct lalloc_info);

		buf[INFO_MIN + rng_below(&w->rng, known - INFO_MIN)] = (uint8_t)(1 + rng_below(&w->rng, 255));
		e.must |= ERR(E_INVAL);
	}
	/* A large struct goes to good memory only; the bad places take one page. */
	if (usize > PAGE && (p == P_RO || p == P_STRADDLE))
		p = P_GOOD;
	e.must |= place_errors(p, true);
	ua = place_bytes(w, p, buf, buf, usize);
	describe(w, "INFO handle %" PRIu32 " struct size %zu%s%s args %s", b->handle, usize,
		 e.must & ERR(E_2BIG) ? " non-zero tail" : "",
		 e.must & ERR(E_INVAL) && usize >= INFO_MIN ? " non-zero input field" : "",
		 place_names[p]);
	ret = ioc(file_fd(w, f), info_cmd(usize), ua);
	if (!check_result(w, C_INFO, ret, e, false) || ret)
		goto out;
	/* The full answer, to hold a short or long one against. */
	memset(&full, 0, sizeof(full));
	full.handle = b->handle;
	ret = ioc(f->fd, LALLOC_IOC_INFO, &full);
	if (!check_result(w, C_INFO, ret, (struct expect){ 0, 0 }, false))
		goto out;
	check_info(w, f, b, &full);
	if (memcmp(buf, &full, usize < sizeof(full) ? usize : sizeof(full)))
		fail(w, "INFO with a %zu-byte struct differs from the full answer", usize);
	for (size_t i = sizeof(full); i < usize; i++)
		if (buf[i]) {
			fail(w, "INFO left byte %zu of a %zu-byte struct non-zero", i, usize);
			break;
		}
	for (size_t i = usize; i < usize + 64; i++)
		if (buf[i] != CANARY) {
			fail(w, "INFO wrote byte %zu past its %zu-byte struct", i, usize);
			break;
		}
out:
	pthread_rwlock_unlock(&f->lock);
}

/* ---- STATS ---- */

static unsigned long stats_cmd(size_t usize)
{
	return _IOC(_IOC_READ | _IOC_WRITE, LALLOC_IOC_MAGIC, _IOC_NR(LALLOC_IOC_STATS), usize);
}

/*
 * Where the per-cache records go and how many bytes of it can be written
 * (SIZE_MAX: all it takes). In good memory the record size is capped so
 * every record the kernel has fits in the scratch.
 */
static uint8_t *stats_records(struct worker *w, enum place p, uint32_t *rec_size,
			      size_t *writable)
{
	*writable = SIZE_MAX;
	switch (p) {
	case P_GOOD:
		if (*rec_size && *rec_size <= 4096 &&
		    (size_t)*rec_size * stats_nr_caches + 64 > FUZZ_SCRATCH)
			*rec_size = (uint32_t)((FUZZ_SCRATCH - 64) / stats_nr_caches);
		return w->scratch2;
	case P_RO:
		*writable = 0;
		return w->bad.ro;
	case P_STRADDLE:
		*writable = rng_below(&w->rng, 2 * (size_t)*rec_size + 1);
		if (*writable > PAGE)
			*writable = PAGE;
		return w->bad.edge_end - *writable;
	case P_UNMAPPED:
		*writable = 0;
		return w->bad.edge_end;
	case P_NULL:
		return NULL;
	case P_KERNEL:
		*writable = 0;
		return (uint8_t *)(uintptr_t)KERNEL_POINTER;
	default:
		*writable = 0;
		return (uint8_t *)(uintptr_t)NONCANONICAL_POINTER;
	}
}

static void op_stats(struct worker *w)
{
	struct fuzz_file *f = &w->world->files[rng_below(&w->rng, w->world->nfiles)];
	size_t usize = sizeof(struct lalloc_stats), r = rng_below(&w->rng, 100), writable = 0;
	uint8_t *buf = w->argbuf, *recs = NULL;
	struct lalloc_stats st = { 0 };
	struct expect e = { 0, 0 };
	enum place p = gen_place(w, 3), rp = P_NULL;
	uint32_t rec_size = 0, count = 0, written;
	void *ua;
	int ret;

	if (r < 10)
		usize = rng_below(&w->rng, sizeof(st));
	else if (r < 25)
		usize = sizeof(st) + 1 + rng_below(&w->rng, IOC_SIZE_MAX - sizeof(st));
	if (rng_chance(&w->rng, 1, 2)) {
		/* Per-cache records, of any size the kernel accepts or not. */
		uint64_t rr = rng_below(&w->rng, 100);

		rec_size = rr < 50 ? sizeof(struct lalloc_cache_stats) :
			   rr < 90 ? 1 + (uint32_t)rng_below(&w->rng, 4096) :
			   rr < 95 ? 0 : 4097 + (uint32_t)rng_below(&w->rng, 1 << 16);
		count = rng_chance(&w->rng, 1, 20) ? (uint32_t)rng_next(&w->rng)
						   : (uint32_t)rng_below(&w->rng, 100);
		rp = gen_place(w, 12);
		recs = stats_records(w, rp, &rec_size, &writable);
	} else if (rng_chance(&w->rng, 1, 10)) {
		rec_size = 4097 + (uint32_t)rng_below(&w->rng, 1 << 16);
	}
	written = count < stats_nr_caches ? count : stats_nr_caches;
	st.caches = ptr64(recs);
	st.cache_rec_size = rec_size;
	st.cache_rec_count = count;
	st.nr_caches = (uint32_t)rng_next(&w->rng);	/* an output: ignored */
	if (usize < STATS_MIN)
		e.must |= ERR(E_INVAL);
	if (usize >= STATS_MIN && rng_chance(&w->rng, 1, 20)) {
		st.reserved = 1;
		e.must |= ERR(E_INVAL);
	}
	/* A record size past a page is refused with or without an array. */
	if ((recs && !rec_size) || rec_size > 4096)
		e.must |= ERR(E_INVAL);
	if (recs && rec_size && rec_size <= 4096 && (uint64_t)written * rec_size > writable)
		e.must |= ERR(E_FAULT);
	if (rp == P_GOOD)
		memset(recs, CANARY, (size_t)rec_size * stats_nr_caches + 64 <= FUZZ_SCRATCH ?
		       (size_t)rec_size * stats_nr_caches + 64 : FUZZ_SCRATCH);
	memset(buf, 0, usize);
	memcpy(buf, &st, usize < sizeof(st) ? usize : sizeof(st));
	memset(buf + usize, CANARY, 64);
	if (usize > sizeof(st) && rng_chance(&w->rng, 1, 3)) {
		buf[sizeof(st) + rng_below(&w->rng, usize - sizeof(st))] = 0x5a;
		e.must |= ERR(E_2BIG);
	}
	/* The records may take the bad pages: then the struct is in good memory. */
	if ((rp != P_GOOD && rp != P_NULL) || (usize > PAGE && (p == P_RO || p == P_STRADDLE)))
		p = P_GOOD;
	e.must |= place_errors(p, true);
	ua = place_bytes(w, p, buf, buf, usize);
	describe(w, "STATS struct size %zu reserved %u caches %s rec_size %" PRIu32
		 " count %" PRIu32 " args %s", usize, st.reserved, recs ? place_names[rp] : "none",
		 rec_size, count, place_names[p]);
	pthread_rwlock_rdlock(&f->lock);
	ret = ioc(file_fd(w, f), stats_cmd(usize), ua);
	pthread_rwlock_unlock(&f->lock);
	if (!check_result(w, C_STATS, ret, e, false) || ret)
		return;
	memcpy(&st, buf, usize < sizeof(st) ? usize : sizeof(st));
	if (usize >= offsetof(struct lalloc_stats, nr_caches) + 4 && st.nr_caches != stats_nr_caches) {
		fail(w, "STATS nr_caches %" PRIu32 ", %" PRIu32 " at the start", st.nr_caches,
		     stats_nr_caches);
		return;
	}
	for (size_t i = sizeof(st); i < usize; i++)
		if (buf[i]) {
			fail(w, "STATS left byte %zu of a %zu-byte struct non-zero", i, usize);
			return;
		}
	for (size_t i = usize; i < usize + 64; i++)
		if (buf[i] != CANARY) {
			fail(w, "STATS wrote byte %zu past its %zu-byte struct", i, usize);
			return;
		}
	if (rp != P_GOOD)
		return;
	for (uint32_t i = 0; i < written; i++) {
		const uint8_t *rec = recs + (size_t)i * rec_size;
		uint32_t index;

		if (rec_size >= 4) {
			memcpy(&index, rec, 4);
			if (index != i) {
				fail(w, "STATS record %" PRIu32 " has index %" PRIu32, i, index);
				return;
			}
		}
		for (size_t k = sizeof(struct lalloc_cache_stats); k < rec_size; k++)
			if (rec[k]) {
				fail(w, "STATS record %" PRIu32 " byte %zu, past the known record, is non-zero", i, k);
				return;
			}
	}
	for (size_t k = 0; k < 64; k++)
		if (recs[(size_t)written * rec_size + k] != CANARY) {
			fail(w, "STATS wrote past its %" PRIu32 " records of %" PRIu32 " bytes", written, rec_size);
			return;
		}
}

/* ---- BATCH ---- */

/* One entry as built, with what the fuzzer knows of its target. */
struct batch_plan {
	struct lalloc_batch_op op;
	struct block *b;		/* the worker's block, or NULL (a forged id) */
	enum cmd c;
	bool junk;			/* random fields: only the documented set is checked */
	uint8_t *data;			/* WRITE source / READ destination in scratch */
	bool bad_buf;			/* buf unreachable */
	bool freed_ok;			/* a FREE that ran and succeeded */
};

static const uint32_t cmd_to_op[C_COUNT] = {
	[C_ALLOC] = LALLOC_OP_ALLOC, [C_FREE] = LALLOC_OP_FREE, [C_GROW] = LALLOC_OP_GROW,
	[C_SHRINK] = LALLOC_OP_SHRINK, [C_REALLOC] = LALLOC_OP_REALLOC,
	[C_WRITE] = LALLOC_OP_WRITE, [C_READ] = LALLOC_OP_READ, [C_FILL] = LALLOC_OP_FILL,
	[C_CHECK] = LALLOC_OP_CHECK,
};

static enum cmd op_to_cmd(uint32_t op)
{
	for (int c = 0; c < C_COUNT; c++)
		if (cmd_to_op[c] == op && op)
			return (enum cmd)c;
	return C_BAD_OP;
}

/* Blocks of file @fi a batch may use; a block freed by an entry is not used again. */
static struct block *batch_block(struct worker *w, unsigned int fi, bool *freed)
{
	unsigned int start, i;

	if (!w->nblocks)
		return NULL;
	start = (unsigned int)rng_below(&w->rng, w->nblocks);
	for (i = 0; i < w->nblocks; i++) {
		unsigned int k = (start + i) % w->nblocks;
		struct block *b = &w->blocks[k];

		if (b->file == fi && b->gen == w->world->files[fi].gen && !freed[k])
			return b;
	}
	return NULL;
}

static void plan_entry(struct worker *w, unsigned int fi, struct batch_plan *pl, bool *freed,
		       uint8_t **data_next, unsigned int *allocs)
{
	struct lalloc_batch_op *op = &pl->op;
	uint64_t r = rng_below(&w->rng, 100);
	struct block *b = batch_block(w, fi, freed);

	memset(pl, 0, sizeof(*pl));
	op->value = rng_next(&w->rng);	/* an output: overwritten */
	if (r < 6) {			/* random fields, a forged handle */
		for (size_t i = 0; i < sizeof(*op); i += 8) {
			uint64_t v = rng_next(&w->rng);

			memcpy((uint8_t *)op + i, &v, 8);
		}
		if (op->op == LALLOC_OP_ALLOC || rng_chance(&w->rng, 1, 2))
			op->op = 2 + (uint32_t)rng_below(&w->rng, 11);	/* never ALLOC */
		op->handle = forged_id(w);
		pl->junk = true;
		pl->c = op_to_cmd(op->op);
		return;
	}
	if (r < 22 || !b) {
		if (*allocs + w->nblocks >= FUZZ_MAX_BLOCKS || r < 3) {
			op->op = rng_chance(&w->rng, 1, 2) ? 0 : 10 + (uint32_t)rng_below(&w->rng, 100);
			pl->c = C_BAD_OP;
			return;
		}
		pl->c = C_ALLOC;
		op->op = LALLOC_OP_ALLOC;
		op->size = rng_chance(&w->rng, 1, 12) ? extreme_size(w) : gen_size(w);
		op->align = gen_align(w);
		op->flags = rng_chance(&w->rng, 1, 2) ? LALLOC_ALLOC_ZEROED : 0;
		op->handle = (uint32_t)rng_next(&w->rng);
		(*allocs)++;
		return;
	}
	pl->b = b;
	op->handle = b->handle;
	if (r < 30) {
		pl->c = C_FREE;
		freed[b - w->blocks] = true;
	} else if (r < 45) {
		pl->c = (enum cmd)(C_GROW + rng_below(&w->rng, 3));
		op->size = resize_size(w, pl->c, b->size, false);
		op->align = gen_align(w);
		if (pl->c == C_GROW && rng_chance(&w->rng, 1, 2))
			op->flags = LALLOC_RESIZE_ZEROED;
	} else if (r < 85) {
		uint64_t room = FUZZ_SCRATCH - (uint64_t)(*data_next - w->scratch);

		pl->c = r < 60 ? C_WRITE : r < 72 ? C_READ : r < 78 ? C_FILL : C_CHECK;
		op->offset = rng_below(&w->rng, b->size + 1);
		op->size = gen_len(w, b->size - op->offset);
		if (op->size > room)
			op->size = room;
		if (pl->c == C_FILL || pl->c == C_CHECK) {
			op->align = rng_below(&w->rng, 256);
			/* CHECK mostly for a byte the model holds, so it can pass. */
			if (pl->c == C_CHECK && op->size && rng_chance(&w->rng, 1, 2))
				op->align = b->data[op->offset];
			op->size = gen_len(w, b->size - op->offset) * (rng_chance(&w->rng, 1, 8) ? 64 : 1);
			if (op->size > b->size - op->offset)
				op->size = b->size - op->offset;
		} else if (rng_chance(&w->rng, 1, 15) && op->size) {
			op->buf = ptr64(w->bad.edge_end);	/* wholly unmapped */
			pl->bad_buf = true;
		} else {
			pl->data = *data_next;
			*data_next += op->size;
			op->buf = ptr64(pl->data);
			if (pl->c == C_WRITE)
				for (uint64_t i = 0; i < op->size; i++)
					pl->data[i] = (uint8_t)rng_next(&w->rng);
			else
				memset(pl->data, CANARY, op->size);
		}
	} else {
		/* Broken on a live block: certain to be refused, the block untouched. */
		switch (rng_below(&w->rng, 5)) {
		case 0:
			pl->c = C_FREE;
			op->flags = 1;
			break;
		case 1:
			pl->c = C_FILL;
			op->align = 256 + rng_below(&w->rng, 1000);
			break;
		case 2:
			/* Overflowing: out of range whatever earlier entries do to the size. */
			pl->c = C_READ;
			op->offset = UINT64_MAX - rng_below(&w->rng, 16);
			op->size = 17 + rng_below(&w->rng, 16);
			op->buf = ptr64(w->bad.edge_end);
			break;
		case 3:
			pl->c = C_SHRINK;
			op->size = b->size + 1;
			op->align = 1;
			break;
		default:
			pl->c = C_WRITE;
			op->offset = UINT64_MAX;
			op->size = 2;
			op->buf = ptr64(w->bad.edge_end);
			break;
		}
	}
	op->op = cmd_to_op[pl->c];
}

/* Whether a CHECK entry would find a byte other than its own in the model. */
static bool memchr_inv_model(const struct block *b, const struct lalloc_batch_op *op)
{
	for (uint64_t i = 0; i < op->size; i++)
		if (b->data[op->offset + i] != (uint8_t)op->align)
			return true;
	return false;
}

/* What an entry makes certain, given the model as the entries before it left it. */
static struct expect entry_expect(const struct batch_plan *pl)
{
	const struct lalloc_batch_op *op = &pl->op;
	const struct block *b = pl->b;
	struct expect e = { 0, 0 };
	uint64_t end;

	if (pl->junk) {
		/* A forged id: nothing that names a handle can succeed. */
		e.may = documented_errors(pl->c, true);
		e.must = pl->c == C_BAD_OP ? ERR(E_INVAL) : e.may;
		return e;
	}
	switch (pl->c) {
	case C_ALLOC:
		e = layout_expect(op->size, op->align);
		if (op->flags & ~LALLOC_ALLOC_ZEROED)
			e.must |= ERR(E_INVAL);
		return e;
	case C_FREE:
		if (op->flags)
			e.must |= ERR(E_INVAL);
		return e;
	case C_GROW:
	case C_SHRINK:
	case C_REALLOC:
		return resize_expect(b, pl->c, op->size, op->align, op->flags);
	case C_WRITE:
	case C_READ:
	case C_FILL:
	case C_CHECK:
		if (op->flags)
			e.must |= ERR(E_INVAL);
		if ((pl->c == C_FILL || pl->c == C_CHECK) && op->align > 0xff)
			e.must |= ERR(E_INVAL);
		if (__builtin_add_overflow(op->offset, op->size, &end) || end > b->size)
			e.must |= ERR(E_RANGE);
		if (pl->bad_buf && op->size)
			e.must |= ERR(E_FAULT);
		if (pl->c == C_WRITE)
			e.may |= ERR(E_NOMEM);
		if (pl->c == C_CHECK && !e.must && memchr_inv_model(b, op))
			e.must |= ERR(E_ILSEQ);
		return e;
	default:
		e.must = ERR(E_INVAL);
		return e;
	}
}

/* Take a successful entry's effect into the model. Frees are left to the caller. */
static void apply_entry(struct worker *w, unsigned int fi, struct batch_plan *pl,
			const struct lalloc_batch_op *out)
{
	struct block *b = pl->b;
	const struct lalloc_batch_op *op = &pl->op;

	switch (pl->c) {
	case C_ALLOC:
		if (pl->junk)
			break;
		adopt_block(w, fi, out->handle, op->size, op->align, out->value);
		break;
	case C_FREE:
		pl->freed_ok = true;
		break;
	case C_GROW:
	case C_SHRINK:
	case C_REALLOC:
		if (out->value > 1)
			fail(w, "BATCH %s reported moved = %" PRIu64, cmd_names[pl->c], U64(out->value));
		model_resize(w, b, op->size, op->align);
		b->usable = UINT64_MAX;	/* BATCH does not say; INFO will */
		break;
	case C_WRITE:
		memcpy(b->data + op->offset, pl->data, op->size);
		break;
	case C_READ:
		for (uint64_t i = 0; i < op->size; i++)
			if (pl->data[i] != b->data[op->offset + i]) {
				fail(w, "BATCH READ byte %" PRIu64 " of block %" PRIu32 " is %#x, the model says %#x",
				     U64(op->offset + i), b->handle, pl->data[i], b->data[op->offset + i]);
				return;
			}
		break;
	case C_FILL:
		memset(b->data + op->offset, (int)op->align, op->size);
		break;
	default:
		break;
	}
}

static void op_batch(struct worker *w)
{
	unsigned int fi = (unsigned int)rng_below(&w->rng, w->world->nfiles);
	struct fuzz_file *f = &w->world->files[fi];
	struct batch_plan plans[BATCH_MAX_ENTRIES];
	bool freed[FUZZ_MAX_BLOCKS] = { 0 };
	struct block *to_drop[BATCH_MAX_ENTRIES];
	unsigned int n = 1 + (unsigned int)rng_below(&w->rng, BATCH_MAX_ENTRIES), allocs = 0;
	unsigned int ndrop = 0, op_size = BATCH_OP_SIZE, exp_done, exp_failed = 0, i;
	int tail_bad_at = -1, ret, exp_ret = 0;
	uint8_t *data_next = w->scratch, *arr;
	struct lalloc_batch_args a = { 0 }, *ua;
	enum place ap = gen_place(w, 8), hp = gen_place(w, 2);
	size_t limit;

	/* A bad header shares the bad pages: then the array is good. */
	if (hp != P_GOOD)
		ap = P_GOOD;

	if (rng_chance(&w->rng, 1, 8))
		op_size += 1 + (unsigned int)rng_below(&w->rng, 200);
	if (ap == P_RO || ap == P_STRADDLE) {
		while (n > 1 && (size_t)n * op_size > PAGE)
			n--;
	} else if (ap != P_GOOD) {
		ap = P_UNMAPPED;
	}
	if (op_size > BATCH_OP_SIZE && ap != P_STRADDLE && rng_chance(&w->rng, 1, 3))
		tail_bad_at = (int)rng_below(&w->rng, n);

	pthread_rwlock_rdlock(&f->lock);
	for (i = 0; i < n; i++) {
		plan_entry(w, fi, &plans[i], freed, &data_next, &allocs);
		plans[i].op.result = 0x7777;	/* an output: shows whether the entry ran */
	}

	/* The array: good, read-only, or running into the unmapped page at one entry. */
	arr = ap == P_GOOD ? w->scratch2 : ap == P_RO ? w->bad.ro_rw : w->bad.edge_end;
	limit = (size_t)n * op_size;
	if (ap == P_STRADDLE) {
		unsigned int at = (unsigned int)rng_below(&w->rng, n);

		/* Entry @at is the first that does not fit in the mapped page. */
		limit = (size_t)at * op_size + rng_below(&w->rng, op_size);
		arr = w->bad.edge_end - limit;
	}
	for (i = 0; i < n && (size_t)i * op_size < limit; i++) {
		uint8_t entry[4096] = { 0 };
		size_t copy = op_size;

		memcpy(entry, &plans[i].op, BATCH_OP_SIZE);
		if ((int)i == tail_bad_at)
			entry[BATCH_OP_SIZE + rng_below(&w->rng, op_size - BATCH_OP_SIZE)] = 0x42;
		if ((size_t)i * op_size + copy > limit)
			copy = limit - (size_t)i * op_size;
		if (ap != P_UNMAPPED)
			memcpy(arr + (size_t)i * op_size, entry, copy);
	}
	if (ap == P_RO)
		arr = w->bad.ro;
	a.ops = ptr64(arr);
	a.count = n;
	a.op_size = op_size;
	a.flags = rng_chance(&w->rng, 1, 2) ? LALLOC_BATCH_STOP_ON_ERROR : 0;
	a.done = (uint32_t)rng_next(&w->rng);	/* outputs: ignored on input */
	a.failed = (uint32_t)rng_next(&w->rng);
	ua = place_bytes(w, hp, w->argbuf, &a, sizeof(a));
	/* As free_id(): the ids an entry may free leave the live set first. */
	for (i = 0; i < n; i++)
		if (plans[i].c == C_FREE && !plans[i].junk)
			id_set(f, plans[i].op.handle, false);
	describe(w, "BATCH file %u count %u op_size %u flags %#x array %s header %s%s", fi, n,
		 op_size, a.flags, place_names[ap], place_names[hp],
		 tail_bad_at >= 0 ? " (an entry with a non-zero tail)" : "");
	ret = ioc(file_fd(w, f), LALLOC_IOC_BATCH, ua);
	w->batches++;
	if (!check_result(w, C_BATCH, ret, (struct expect){ 0, documented_errors(C_BATCH, false) }, false))
		goto out;

	if (place_errors(hp, true)) {
		/* The header cannot be written back: refused before any entry ran. */
		if (ret != -EFAULT)
			fail(w, "BATCH with an unwritable header returned %s, not EFAULT", err_name(ret));
		for (i = 0; ap == P_GOOD && i < n; i++) {
			struct lalloc_batch_op *out = (void *)(arr + (size_t)i * op_size);

			if (out->result != 0x7777) {
				fail(w, "BATCH refused for its header ran entry %u", i);
				break;
			}
		}
		goto out;
	}
	exp_done = n;
	for (i = 0; i < n; i++) {
		struct batch_plan *pl = &plans[i];
		struct lalloc_batch_op *out = (void *)(arr + (size_t)i * op_size);
		struct expect e;

		if (ap == P_UNMAPPED || (ap == P_STRADDLE && (size_t)(i + 1) * op_size > limit) ||
		    (ap == P_RO && (int)i != tail_bad_at)) {
			exp_ret = -EFAULT;
			exp_done = i;
			break;
		}
		if ((int)i == tail_bad_at) {
			exp_ret = -E2BIG;
			exp_done = i;
			break;
		}
		e = entry_expect(pl);
		describe(w, "BATCH entry %u: %s handle %" PRIu32 " size %" PRIu64 " align %" PRIu64
			 " offset %" PRIu64 " flags %#x%s", i, cmd_names[pl->c], pl->op.handle,
			 U64(pl->op.size), U64(pl->op.align), U64(pl->op.offset), pl->op.flags,
			 pl->junk ? " (random fields)" : "");
		if (!check_result(w, pl->c, out->result, e, true))
			goto out;
		if (!out->result) {
			apply_entry(w, fi, pl, out);
			if (pl->c == C_FREE && !pl->junk)
				to_drop[ndrop++] = pl->b;
		} else {
			exp_failed++;
		}
		if (out->result && (a.flags & LALLOC_BATCH_STOP_ON_ERROR)) {
			exp_done = i + 1;
			break;
		}
	}
	if (ret != exp_ret || ua->done != exp_done || ua->failed != exp_failed)
		fail(w, "BATCH returned %s done %" PRIu32 " failed %" PRIu32 "; expected %s done %u failed %u",
		     err_name(ret), ua->done, ua->failed, err_name(exp_ret), exp_done, exp_failed);
out:
	/*
	 * Back in the live set unless an entry freed it (a refused FREE may
	 * come before the real one). A freed id stays as the entries left it:
	 * a later ALLOC entry may have been handed it again.
	 */
	for (i = 0; i < n; i++) {
		bool freed_by_any = false;

		if (plans[i].c != C_FREE || plans[i].junk)
			continue;
		for (unsigned int k = 0; k < n; k++)
			freed_by_any |= plans[k].c == C_FREE && !plans[k].junk && plans[k].freed_ok &&
					plans[k].op.handle == plans[i].op.handle;
		if (plans[i].freed_ok)
			id_freed(f, plans[i].op.handle);
		else if (!freed_by_any)
			id_set(f, plans[i].op.handle, true);
	}
	/* Highest first: drop_block() moves the last block into the hole. */
	for (unsigned int k = 0; k < ndrop; k++)
		for (unsigned int j = k + 1; j < ndrop; j++)
			if (to_drop[j] > to_drop[k]) {
				struct block *t = to_drop[k];

				to_drop[k] = to_drop[j];
				to_drop[j] = t;
			}
	for (unsigned int k = 0; k < ndrop; k++)
		drop_block(w, to_drop[k]);
	pthread_rwlock_unlock(&f->lock);
}

/* A BATCH refused as a whole, or over an array that cannot be reached. */
static void op_batch_malformed(struct worker *w)
{
	unsigned int fi = (unsigned int)rng_below(&w->rng, w->world->nfiles);
	struct fuzz_file *f = &w->world->files[fi];
	struct lalloc_batch_op *ops = (void *)w->scratch2;
	struct lalloc_batch_args a = { 0 };
	struct expect e = { 0, 0 };
	unsigned int n = 1 + (unsigned int)rng_below(&w->rng, 8), i;
	int ret;

	/* Entries that could do nothing if they ran: forged ids. */
	for (i = 0; i < n; i++) {
		memset(&ops[i], 0, sizeof(ops[i]));
		ops[i].op = LALLOC_OP_FREE;
		ops[i].handle = forged_id(w);
		ops[i].result = 0x7777;
	}
	a.ops = ptr64(ops);
	a.count = n;
	a.op_size = BATCH_OP_SIZE;
	switch (rng_below(&w->rng, 8)) {
	case 0:
		a.reserved = (uint32_t)rng_next(&w->rng) | 1;
		e.must = ERR(E_INVAL);
		break;
	case 1:
		a.flags = (uint32_t)rng_next(&w->rng) | 2;
		e.must = ERR(E_INVAL);
		break;
	case 2:
		a.count = LALLOC_BATCH_MAX + 1 + (uint32_t)rng_below(&w->rng, UINT32_MAX - LALLOC_BATCH_MAX);
		e.must = ERR(E_INVAL);
		break;
	case 3:
		a.op_size = (uint32_t)rng_below(&w->rng, BATCH_OP_SIZE);
		e.must = ERR(E_INVAL);
		break;
	case 4:
		a.op_size = 4097 + (uint32_t)rng_below(&w->rng, UINT32_MAX - 4097);
		e.must = ERR(E_INVAL);
		break;
	case 5:
		a.ops = rng_chance(&w->rng, 1, 2) ? 0 : rng_chance(&w->rng, 1, 2) ? KERNEL_POINTER
									 : ptr64(w->bad.edge_end);
		e.must = ERR(E_FAULT);
		break;
	case 6:
		/* No entries: nothing is read, whatever the pointer. */
		a.count = 0;
		a.ops = rng_next(&w->rng);
		break;
	default:
		/* The count past the good entries, into what follows in the page. */
		a.ops = ptr64(w->bad.edge_end - (size_t)n * BATCH_OP_SIZE);
		memcpy(w->bad.edge_end - (size_t)n * BATCH_OP_SIZE, ops, (size_t)n * BATCH_OP_SIZE);
		a.count = n + 1 + (uint32_t)rng_below(&w->rng, 100);
		e.must = ERR(E_FAULT);
		break;
	}
	pthread_rwlock_rdlock(&f->lock);
	describe(w, "BATCH (malformed) ops %#" PRIx64 " count %" PRIu32 " op_size %" PRIu32
		 " flags %#x reserved %#x", U64(a.ops), a.count, a.op_size, a.flags, a.reserved);
	ret = ioc(file_fd(w, f), LALLOC_IOC_BATCH, &a);
	if (check_result(w, C_BATCH, ret, e, false) && (e.must & ERR(E_INVAL)))
		for (i = 0; i < n; i++)
			if (ops[i].result != 0x7777) {
				fail(w, "a BATCH refused for its header ran entry %u", i);
				break;
			}
	pthread_rwlock_unlock(&f->lock);
}

/* ---- handles that are not live in the file ---- */

/*
 * An id that is not live in @f: forged (with @f held shared), or a freed or
 * another file's id checked absent with @f held exclusively. Returns the
 * kind, for the description.
 */
static const char *absent_id(struct worker *w, unsigned int fi, uint32_t *id)
{
	struct fuzz_file *f = &w->world->files[fi];
	uint64_t r = rng_below(&w->rng, 4);

	if (r >= 2) {
		bool found = false;

		pthread_rwlock_wrlock(&f->lock);
		if (r == 2) {
			pthread_mutex_lock(&f->ids_lock);
			if (f->nfreed) {
				unsigned int k = (unsigned int)rng_below(&w->rng,
					f->nfreed < FUZZ_FREED_RING ? f->nfreed : FUZZ_FREED_RING);

				*id = f->freed[k];
				found = !(f->live[*id / 8] & (1U << (*id % 8)));
			}
			pthread_mutex_unlock(&f->ids_lock);
			if (found)
				return "stale";
		} else {
			for (unsigned int k = 0; k < w->nblocks && !found; k++)
				if (w->blocks[k].file != fi) {
					*id = w->blocks[k].handle;
					found = !id_live(f, *id);
				}
			if (found)
				return "another file's";
		}
		*id = forged_id(w);
		return "forged";
	}
	pthread_rwlock_rdlock(&f->lock);
	*id = forged_id(w);
	return "forged";
}

static void op_absent(struct worker *w)
{
	unsigned int fi = (unsigned int)rng_below(&w->rng, w->world->nfiles);
	struct fuzz_file *f = &w->world->files[fi];
	enum cmd c = (enum cmd)rng_below(&w->rng, 9);	/* ALLOC..INFO, plus a BATCH */
	bool junk = rng_chance(&w->rng, 1, 4);
	uint8_t *args = w->argbuf;
	struct expect e = { ERR(E_NOENT), 0 };
	uint32_t id;
	const char *kind = absent_id(w, fi, &id);
	unsigned long cmd;
	size_t len = 0;
	int ret;

	if (c == C_ALLOC)
		c = C_FREE;
	if (c == C_STATS)
		c = C_BATCH;
	memset(args, 0, 64);
	if (junk) {
		/* Random fields: any documented error, but never success. */
		for (size_t i = 0; i < 64; i += 8) {
			uint64_t v = rng_next(&w->rng);

			memcpy(args + i, &v, 8);
		}
		e.may = documented_errors(c, false);
	}
	switch (c) {
	case C_FREE: {
		struct lalloc_handle_args *a = (void *)args;

		a->handle = id;
		cmd = LALLOC_IOC_FREE;
		len = sizeof(*a);
		break;
	}
	case C_GROW:
	case C_SHRINK:
	case C_REALLOC: {
		struct lalloc_resize_args *a = (void *)args;

		a->handle = id;
		if (!junk) {
			a->size = rng_chance(&w->rng, 1, 6) ? extreme_size(w) : gen_size(w);
			a->align = gen_align(w);
			e = resize_expect(NULL, c, a->size, a->align, a->flags);
			e.may &= ~ERR_RESOURCE;
		}
		cmd = resize_cmds[c];
		len = sizeof(*a);
		break;
	}
	case C_WRITE:
	case C_READ: {
		struct lalloc_rw_args *a = (void *)args;

		a->handle = id;
		if (!junk) {
			a->offset = rng_below(&w->rng, 4096);
			a->len = rng_below(&w->rng, 4096);
			a->buf = ptr64(w->scratch);
			if (c == C_WRITE)
				e.may |= ERR(E_NOMEM);	/* the bounce buffer */
		}
		cmd = c == C_WRITE ? LALLOC_IOC_WRITE : LALLOC_IOC_READ;
		len = sizeof(*a);
		break;
	}
	case C_INFO: {
		struct lalloc_info *a = (void *)args;

		a->handle = id;
		cmd = LALLOC_IOC_INFO;
		len = sizeof(*a);
		break;
	}
	default: {
		/* One BATCH entry on the id: its result is the ENOENT. */
		struct lalloc_batch_op *op = (void *)w->scratch2;
		struct lalloc_batch_args *a = (void *)args;
		static const uint32_t ops[] = {
			LALLOC_OP_FREE, LALLOC_OP_GROW, LALLOC_OP_SHRINK, LALLOC_OP_REALLOC,
			LALLOC_OP_WRITE, LALLOC_OP_READ, LALLOC_OP_FILL, LALLOC_OP_CHECK,
		};

		memset(op, 0, sizeof(*op));
		op->op = ops[rng_below(&w->rng, 8)];
		op->handle = id;
		op->align = 1;
		op->size = op->op >= LALLOC_OP_WRITE ? 0 : 8;
		op->buf = ptr64(w->scratch);
		memset(a, 0, sizeof(*a));
		a->ops = ptr64(op);
		a->count = 1;
		a->op_size = BATCH_OP_SIZE;
		describe(w, "BATCH file %u one %" PRIu32 " op on %s handle %" PRIu32, fi, op->op, kind, id);
		ret = ioc(file_fd(w, f), LALLOC_IOC_BATCH, a);
		if (check_result(w, C_BATCH, ret, (struct expect){ 0, 0 }, false))
			check_result(w, op_to_cmd(op->op), op->result, (struct expect){ ERR(E_NOENT), 0 }, true);
		pthread_rwlock_unlock(&f->lock);
		return;
	}
	}
	describe(w, "%s file %u on %s handle %" PRIu32 "%s (%zu-byte args)", cmd_names[c], fi, kind,
		 id, junk ? " with random fields" : "", len);
	ret = ioc(file_fd(w, f), cmd, args);
	check_result(w, c, ret, e, false);
	pthread_rwlock_unlock(&f->lock);
}

/* ---- unknown commands ---- */

static void op_unknown(struct worker *w)
{
	struct fuzz_file *f = &w->world->files[rng_below(&w->rng, w->world->nfiles)];
	static const unsigned int other_magics[] = { 0xbb, 0xbd, 0xfe, 0x4c };
	unsigned int dir = (unsigned int)rng_below(&w->rng, 4), nr, magic = LALLOC_IOC_MAGIC;
	unsigned int size = (unsigned int)rng_below(&w->rng, 1U << _IOC_SIZEBITS);
	uint64_t r = rng_below(&w->rng, 4);
	unsigned long cmd;
	int ret;

	if (r == 0) {
		magic = other_magics[rng_below(&w->rng, 4)];
		nr = (unsigned int)rng_below(&w->rng, 256);
	} else if (r == 1) {
		/* A known number with a direction it does not have. */
		nr = 1 + (unsigned int)rng_below(&w->rng, 11);
		if (dir == (_IOC_READ | _IOC_WRITE))
			dir = _IOC_NONE;
		if (nr != _IOC_NR(LALLOC_IOC_INFO) && nr != _IOC_NR(LALLOC_IOC_STATS) &&
		    rng_chance(&w->rng, 1, 2))
			dir = rng_chance(&w->rng, 1, 2) ? _IOC_READ | _IOC_WRITE : _IOC_WRITE;
	} else {
		nr = rng_chance(&w->rng, 1, 4) ? 0 : 12 + (unsigned int)rng_below(&w->rng, 244);
	}
	cmd = _IOC(dir, magic, nr, size);
	/* Fixed-size commands are matched whole: only those may come out real. */
	if (cmd == LALLOC_IOC_ALLOC || cmd == LALLOC_IOC_FREE || cmd == LALLOC_IOC_GROW ||
	    cmd == LALLOC_IOC_SHRINK || cmd == LALLOC_IOC_REALLOC || cmd == LALLOC_IOC_WRITE ||
	    cmd == LALLOC_IOC_READ || cmd == LALLOC_IOC_BATCH || cmd == LALLOC_IOC_SET_BACKEND)
		cmd = _IOC(_IOC_NONE, LALLOC_IOC_MAGIC, 0xff, 0);
	pthread_rwlock_rdlock(&f->lock);
	describe(w, "ioctl %#lx (dir %u magic %#x nr %#x size %u)", cmd, dir, magic, nr, size);
	ret = ioc(file_fd(w, f), cmd, w->scratch2);
	check_result(w, C_UNKNOWN, ret, (struct expect){ ERR(E_NOTTY), 0 }, false);
	pthread_rwlock_unlock(&f->lock);
}

/* ---- SET_BACKEND and the files themselves ---- */

static void set_backend_locked(struct worker *w, unsigned int fi, bool random_args)
{
	struct fuzz_file *f = &w->world->files[fi];
	struct lalloc_backend_args a = { 0 }, *ua;
	enum place p = random_args ? gen_place(w, 5) : P_GOOD;
	struct expect e = { 0, 0 };
	int ret;

	a.backend = rng_chance(&w->rng, 1, 2) ? LALLOC_BACKEND_KMALLOC : LALLOC_BACKEND_LALLOC;
	if (random_args && rng_chance(&w->rng, 1, 10)) {
		a.backend = 2 + (uint32_t)rng_below(&w->rng, UINT32_MAX - 2);
		e.must |= ERR(E_INVAL);
	}
	if (random_args && rng_chance(&w->rng, 1, 20)) {
		a.reserved = 1 + (uint32_t)rng_below(&w->rng, UINT32_MAX - 1);
		e.must |= ERR(E_INVAL);
	}
	if (f->used)
		e.must |= ERR(E_BUSY);
	e.must |= place_errors(p, false);
	ua = place_bytes(w, p, w->argbuf, &a, sizeof(a));
	describe(w, "SET_BACKEND file %u backend %" PRIu32 " reserved %" PRIu32 " args %s (file %s)",
		 fi, a.backend, a.reserved, place_names[p], f->used ? "used" : "unused");
	ret = ioc(file_fd(w, f), LALLOC_IOC_SET_BACKEND, ua);
	if (check_result(w, C_SET_BACKEND, ret, e, false) && !ret)
		f->backend = a.backend;
}

static void op_set_backend(struct worker *w)
{
	unsigned int fi = (unsigned int)rng_below(&w->rng, w->world->nfiles);
	struct fuzz_file *f = &w->world->files[fi];

	/* Exclusive: no ALLOC under way, so whether the file is used is known. */
	pthread_rwlock_wrlock(&f->lock);
	set_backend_locked(w, fi, true);
	pthread_rwlock_unlock(&f->lock);
}

static void file_reset(struct fuzz_file *f)
{
	f->gen++;
	f->used = false;
	f->backend = LALLOC_BACKEND_LALLOC;
	memset(f->live, 0, FUZZ_MAX_ID / 8);
	f->nfreed = 0;
}

/* dup a file's descriptor, close one of the two, or close the file and open it anew. */
static void op_file_event(struct worker *w)
{
	unsigned int fi = (unsigned int)rng_below(&w->rng, w->world->nfiles);
	struct fuzz_file *f = &w->world->files[fi];

	pthread_rwlock_wrlock(&f->lock);
	if (rng_chance(&w->rng, 1, 4)) {
		describe(w, "reopen file %u (its blocks die with it)", fi);
		close(f->fd);
		if (f->alt_fd >= 0)
			close(f->alt_fd);
		f->alt_fd = -1;
		f->fd = open_device();
		file_reset(f);
		w->reopens++;
		/* A fresh file takes a backend before its first block. */
		if (rng_chance(&w->rng, 1, 2))
			set_backend_locked(w, fi, false);
	} else if (f->alt_fd < 0) {
		describe(w, "dup file %u's descriptor", fi);
		f->alt_fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 100 + (int)rng_below(&w->rng, 100));
		if (f->alt_fd < 0)
			fail(w, "dup: %s", strerror(errno));
		w->dups++;
	} else {
		/* Close either one: the file and its blocks live on through the other. */
		bool first = rng_chance(&w->rng, 1, 2);

		describe(w, "close file %u's %s descriptor", fi, first ? "first" : "dup'd");
		close(first ? f->fd : f->alt_fd);
		if (first)
			f->fd = f->alt_fd;
		f->alt_fd = -1;
	}
	pthread_rwlock_unlock(&f->lock);
}

static void op_fork(struct worker *w)
{
	unsigned int fi = (unsigned int)rng_below(&w->rng, w->world->nfiles);
	struct fuzz_file *f = &w->world->files[fi];

	/* Held shared across fork(): the descriptor the child inherits is this file's. */
	pthread_rwlock_rdlock(&f->lock);
	describe(w, "fork with file %u inherited", fi);
	fuzz_fork(w, f);
}

/* ---- a worker's life ---- */

void world_open(struct fuzz_world *world, unsigned int n)
{
	pthread_rwlockattr_t attr;

	pthread_rwlockattr_init(&attr);
	/* Exclusive takers must not starve behind a stream of shared ones. */
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	world->files = calloc(n, sizeof(*world->files));
	world->nfiles = n;
	if (!world->files) {
		perror("lalloc-fuzz");
		exit(2);
	}
	for (unsigned int i = 0; i < n; i++) {
		struct fuzz_file *f = &world->files[i];

		pthread_rwlock_init(&f->lock, &attr);
		pthread_mutex_init(&f->ids_lock, NULL);
		f->fd = open_device();
		f->alt_fd = -1;
		f->live = calloc(1, FUZZ_MAX_ID / 8);
		if (!f->live) {
			perror("lalloc-fuzz");
			exit(2);
		}
		file_reset(f);
	}
	pthread_rwlockattr_destroy(&attr);
}

void world_close(struct fuzz_world *world)
{
	for (unsigned int i = 0; i < world->nfiles; i++) {
		struct fuzz_file *f = &world->files[i];

		close(f->fd);
		if (f->alt_fd >= 0)
			close(f->alt_fd);
		free(f->live);
		pthread_rwlock_destroy(&f->lock);
		pthread_mutex_destroy(&f->ids_lock);
	}
	free(world->files);
	world->files = NULL;
	world->nfiles = 0;
}

/*
 * The bad memory is made here, before any worker runs, and never again:
 * the unmapped page is a hole another mmap() could fill, and a READ the
 * kernel is expected to refuse must not land in memory that is in use.
 * Nothing maps single pages later (the model and scratch come from malloc,
 * whose mmaps are far larger than the hole). A forked child, one thread,
 * makes its own: the read-only page is shared memory, and the parent's
 * must not change under it.
 */
static void make_bad_memory(struct bad_memory *bad)
{
	int memfd = memfd_create("lalloc-fuzz", MFD_CLOEXEC);
	uint8_t *edge;

	/*
	 * One page, two views: what is written through one is read-only in
	 * the other. Two pages are mapped so that no mapping here fits the
	 * one-page hole of another worker's edge.
	 */
	if (memfd < 0 || ftruncate(memfd, 2 * PAGE)) {
		perror("lalloc-fuzz: memfd");
		exit(2);
	}
	bad->ro_rw = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	bad->ro = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, memfd, 0);
	close(memfd);
	edge = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bad->ro_rw == MAP_FAILED || bad->ro == MAP_FAILED || edge == MAP_FAILED) {
		perror("lalloc-fuzz: mmap");
		exit(2);
	}
	munmap(edge + PAGE, PAGE);
	bad->edge = edge;
	bad->edge_end = edge + PAGE;
}

void worker_init(struct worker *w, unsigned int id, uint64_t seed, struct fuzz_world *world)
{
	memset(w, 0, sizeof(*w));
	w->id = id;
	w->seed = seed;
	w->rng.s = seed ^ (0x6a09e667f3bcc909ULL * (id + 1));
	rng_next(&w->rng);
	w->world = world;
	w->scratch = malloc(FUZZ_SCRATCH);
	w->scratch2 = malloc(FUZZ_SCRATCH);
	w->argbuf = malloc(IOC_SIZE_MAX + 1 + 64 + PAGE);
	if (!w->scratch || !w->scratch2 || !w->argbuf) {
		perror("lalloc-fuzz");
		exit(2);
	}
	memset(w->scratch2, 0, FUZZ_SCRATCH);
	make_bad_memory(&w->bad);
	for (size_t i = 0; i < PAGE; i++)
		w->bad.ro_rw[i] = (uint8_t)rng_next(&w->rng);
}

void worker_fini(struct worker *w)
{
	while (w->nblocks)
		drop_block(w, &w->blocks[w->nblocks - 1]);
	free(w->scratch);
	free(w->scratch2);
	free(w->argbuf);
}

/* Read back every block the worker still has and compare it with the model. */
void worker_verify_all(struct worker *w)
{
	for (unsigned int i = 0; i < w->nblocks; i++) {
		struct block *b = &w->blocks[i];
		struct fuzz_file *f = &w->world->files[b->file];

		if (b->gen == f->gen)
			verify_block(w, f, b);
	}
}

bool worker_step(struct worker *w)
{
	uint64_t r;

	if (atomic_load(&run.stop))
		return false;
	if (!w->is_child) {
		uint64_t n = atomic_fetch_add(&run.ops, 1);

		if ((run.max_ops && n >= run.max_ops) || (run.deadline && now_s() >= run.deadline)) {
			atomic_store(&run.stop, true);
			return false;
		}
	}
	w->op_index++;
	current_worker = w;
	r = rng_below(&w->rng, 1000);
	if (r < 150)
		w->nblocks < FUZZ_MAX_BLOCKS ? op_alloc(w) : op_free(w);
	else if (r < 230)
		op_free(w);
	else if (r < 350)
		op_resize(w);
	else if (r < 470)
		op_rw(w, true);
	else if (r < 590)
		op_rw(w, false);
	else if (r < 640)
		op_info(w);
	else if (r < 720)
		op_batch(w);
	else if (r < 750)
		op_batch_malformed(w);
	else if (r < 840)
		op_absent(w);
	else if (r < 870)
		op_stats(w);
	else if (r < 900)
		op_unknown(w);
	else if (r < 912)
		op_set_backend(w);
	else if (r < 920)
		op_file_event(w);
	else if (r < 922 && !w->is_child && w->op_index - w->last_fork_op >= 500)	/* forks are slow */
		op_fork(w);
	else
		w->nblocks < FUZZ_MAX_BLOCKS ? op_alloc(w) : op_free(w);
	return !atomic_load(&run.stop);
}
