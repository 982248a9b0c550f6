// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc-device-test: integration tests of /dev/lalloc, run as root in the
 * test VMs. Covers every ioctl and every documented errno, BATCH with good
 * and bad entries, concurrent use of one file, closing with live handles,
 * stats returning to their baseline, and that nothing handed to userspace
 * looks like a kernel address.
 *
 * Prints "PASS: name" / "FAIL: name" per test; exits 1 if any failed.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/lalloc.h>

#include "devlib.h"

#ifndef TEST_PREFIX
#define TEST_PREFIX ""
#endif

/* ---- tests ---- */

/* Pin to one CPU, so a block freed goes to the stack the next ALLOC pops. */
static bool pin_to_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return sched_setaffinity(0, sizeof(set), &set) == 0;
}

static void unpin(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* The shrinker (through drop_caches) drains the per-CPU stacks and frees empty slabs. */
static void drop_caches(void)
{
	FILE *f = fopen("/proc/sys/vm/drop_caches", "w");

	if (!f || fputs("2", f) < 0 || fclose(f)) {
		perror("drop_caches");
		exit(2);
	}
}

static void test_alloc_free_info(void)
{
	static const struct { uint64_t size, align; uint32_t kind, origin; } cases[] = {
		{ 0, 1, LALLOC_KIND_ZST, LALLOC_ORIGIN_ZST },
		{ 1, 1, LALLOC_KIND_SLAB, 0 }, { 320, 64, LALLOC_KIND_SLAB, 0 },
		{ 5000, 4096, LALLOC_KIND_SLAB, 0 },
		{ 40000, 8, LALLOC_KIND_PAGES, LALLOC_ORIGIN_PAGES },
		{ 100, 1 << 20, LALLOC_KIND_PAGES, LALLOC_ORIGIN_PAGES },
		{ 5 << 20, 8, LALLOC_KIND_VMALLOC, LALLOC_ORIGIN_VMALLOC },
	};
	int fd = dev_open();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lalloc_info info;
		uint32_t h = 0;
		uint64_t usable = 0;
		int ret = alloc_h(fd, cases[i].size, cases[i].align, 0, &h, &usable);

		CHECK(ret == 0, "alloc(%" PRIu64 ", %" PRIu64 "): %d", cases[i].size,
		      cases[i].align, ret);
		if (ret)
			continue;
		CHECK(h > 0, "handle %u", h);
		CHECK(usable >= cases[i].size, "usable %" PRIu64, usable);
		CHECK(info_h(fd, h, &info) == 0, "info");
		CHECK(info.size == cases[i].size && info.align == cases[i].align,
		      "info layout %llu,%llu", (unsigned long long)info.size,
		      (unsigned long long)info.align);
		CHECK(info.usable == usable, "info usable");
		CHECK(info.kind == cases[i].kind, "kind %u, want %u", info.kind, cases[i].kind);
		CHECK(info.backend == LALLOC_BACKEND_LALLOC, "backend");
		/* Slab origins depend on the caches' state: see test_slab_origins. */
		if (cases[i].origin)
			CHECK(info.origin == cases[i].origin, "origin %u, want %u", info.origin,
			      cases[i].origin);
		else
			CHECK(info.origin == LALLOC_ORIGIN_CPU_CACHE ||
			      info.origin == LALLOC_ORIGIN_PARTIAL_SLAB ||
			      info.origin == LALLOC_ORIGIN_NEW_SLAB, "slab origin %u", info.origin);
		if (info.kind == LALLOC_KIND_SLAB)
			CHECK(info.class_slot == usable && info.class_slot % cases[i].align == 0,
			      "class slot %u", info.class_slot);
		else
			CHECK(!info.class_slot && !info.class_index, "class of a non-slab block");
		failures_in_test += scan_for_addresses(&info, sizeof(info), "INFO");
		CHECK(free_h(fd, h) == 0, "free");
		CHECK(free_h(fd, h) == -ENOENT, "double free");
		CHECK(info_h(fd, h, &info) == -ENOENT, "info after free");
	}
	/* 320 bytes at 64 costs 320, where kmalloc would take 512. */
	{
		uint32_t h = 0;
		uint64_t usable = 0;

		CHECK(alloc_h(fd, 320, 64, 0, &h, &usable) == 0 && usable == 320,
		      "usable %" PRIu64, usable);
	}
	close(fd);
}

/*
 * On one CPU of a quiet guest, with the caches drained: the first block of
 * a class comes from a new slab of the class's order, the next from that
 * (now partial) slab through a refill, the one after from the per-CPU stack
 * the refill filled.
 */
static void test_slab_origins(void)
{
	struct lalloc_cache_stats recs[128] = { 0 };
	struct lalloc_stats st;
	struct lalloc_info info;
	int fd = dev_open();
	uint32_t h[3];
	static const uint32_t want[3] = {
		LALLOC_ORIGIN_NEW_SLAB, LALLOC_ORIGIN_PARTIAL_SLAB, LALLOC_ORIGIN_CPU_CACHE,
	};

	if (!pin_to_cpu0()) {
		CHECK(0, "sched_setaffinity");
		close(fd);
		return;
	}
	memset(&st, 0, sizeof(st));
	st.caches = (uint64_t)(uintptr_t)recs;
	st.cache_rec_size = sizeof(recs[0]);
	st.cache_rec_count = 128;
	CHECK(ioc(fd, LALLOC_IOC_STATS, &st) == 0, "stats");
	drop_caches();
	for (int i = 0; i < 3; i++) {
		CHECK(alloc_h(fd, 3000, 8, 0, &h[i], NULL) == 0, "alloc %d", i);
		CHECK(info_h(fd, h[i], &info) == 0, "info %d", i);
		CHECK(info.origin == want[i], "block %d: origin %u, want %u", i, info.origin,
		      want[i]);
		if (i == 0 && info.class_index < 128)
			CHECK(info.slab_order == recs[info.class_index].order,
			      "new slab order %u, class order %u", info.slab_order,
			      recs[info.class_index].order);
		CHECK(info.slab_order <= 5, "slab order %u past the largest, 5", info.slab_order);
	}
	unpin();
	close(fd);
}

static void test_read_write(void)
{
	unsigned char in[9000], out[9000];
	int fd = dev_open();
	uint32_t h = 0, moved = 0;
	uint64_t usable = 0;

	CHECK(alloc_h(fd, 5000, 8, LALLOC_ALLOC_ZEROED, &h, &usable) == 0, "alloc");
	memset(out, 0xee, sizeof(out));
	CHECK(rw_h(fd, false, h, 0, 5000, out) == 0, "read");
	for (int i = 0; i < 5000; i++)
		if (out[i]) {
			CHECK(0, "zeroed block has byte %d = %d", i, out[i]);
			break;
		}
	fill_pattern(in, 5000, 7);
	CHECK(rw_h(fd, true, h, 0, 5000, in) == 0, "write");
	memset(out, 0, sizeof(out));
	CHECK(rw_h(fd, false, h, 100, 200, out) == 0, "read middle");
	CHECK(memcmp(out, in + 100, 200) == 0, "middle bytes differ");
	/* Bounds: within size (not usable size), no overflow. */
	CHECK(rw_h(fd, false, h, 4999, 1, out) == 0, "last byte");
	CHECK(rw_h(fd, false, h, 4999, 2, out) == -ERANGE, "past the end");
	CHECK(rw_h(fd, true, h, 5000, 1, in) == -ERANGE, "at the end");
	CHECK(rw_h(fd, false, h, UINT64_MAX, 2, out) == -ERANGE, "offset overflow");
	CHECK(rw_h(fd, false, h, 1, UINT64_MAX, out) == -ERANGE, "len overflow");
	CHECK(rw_h(fd, false, h, 0, 0, out) == 0, "empty read");
	CHECK(rw_h(fd, false, h, 0, 100, NULL) == -EFAULT, "NULL buffer");
	CHECK(rw_h(fd, true, h, 0, 100, (void *)0xffff888000000000ULL) == -EFAULT,
	      "kernel buffer");
	CHECK(rw_h(fd, false, 9999, 0, 1, out) == -ENOENT, "no handle");
	/* GROW keeps the bytes and zeroes the new ones with ZEROED. */
	CHECK(resize_h(fd, LALLOC_IOC_GROW, h, 9000, 4096, LALLOC_RESIZE_ZEROED, &moved) == 0,
	      "grow");
	memset(out, 0xee, sizeof(out));
	CHECK(rw_h(fd, false, h, 0, 9000, out) == 0, "read grown");
	CHECK(memcmp(out, in, 5000) == 0, "grow lost bytes");
	for (int i = 5000; i < 9000; i++)
		if (out[i]) {
			CHECK(0, "grow_zeroed byte %d = %d", i, out[i]);
			break;
		}
	CHECK(resize_h(fd, LALLOC_IOC_SHRINK, h, 100, 8, 0, &moved) == 0, "shrink");
	CHECK(rw_h(fd, false, h, 0, 100, out) == 0 && memcmp(out, in, 100) == 0,
	      "shrink lost bytes");
	CHECK(rw_h(fd, false, h, 0, 101, out) == -ERANGE, "read past shrunk size");
	close(fd);
}

static void test_resize(void)
{
	int fd = dev_open();
	unsigned char buf[64], out[64];
	struct lalloc_info info;
	uint32_t h = 0, moved = 7;

	CHECK(alloc_h(fd, 97, 8, 0, &h, NULL) == 0, "alloc");
	fill_pattern(buf, 64, 3);
	CHECK(rw_h(fd, true, h, 0, 64, buf) == 0, "write");
	/* 97 -> 104: same class, in place. */
	CHECK(resize_h(fd, LALLOC_IOC_GROW, h, 104, 8, 0, &moved) == 0 && moved == 0,
	      "in-place grow moved=%u", moved);
	/* A new alignment the block may not meet; content stays either way. */
	CHECK(resize_h(fd, LALLOC_IOC_REALLOC, h, 104, 4096, 0, &moved) == 0, "realloc");
	CHECK(info_h(fd, h, &info) == 0 && info.align == 4096, "info");
	CHECK(rw_h(fd, false, h, 0, 64, out) == 0 && memcmp(buf, out, 64) == 0,
	      "realloc lost bytes");
	/* Into the page allocator and back. */
	CHECK(resize_h(fd, LALLOC_IOC_GROW, h, 100000, 8, 0, &moved) == 0 && moved == 1,
	      "grow to pages moved=%u", moved);
	CHECK(info_h(fd, h, &info) == 0 && info.kind == LALLOC_KIND_PAGES, "pages");
	CHECK(resize_h(fd, LALLOC_IOC_SHRINK, h, 60000, 8, 0, &moved) == 0 && moved == 0,
	      "pages shrink in place moved=%u", moved);
	CHECK(rw_h(fd, false, h, 0, 64, out) == 0 && memcmp(buf, out, 64) == 0,
	      "lost bytes");
	/* Documented errors, block unchanged. */
	CHECK(resize_h(fd, LALLOC_IOC_GROW, h, 10, 8, 0, NULL) == -EINVAL, "grow smaller");
	CHECK(resize_h(fd, LALLOC_IOC_SHRINK, h, 70000, 8, 0, NULL) == -EINVAL, "shrink larger");
	CHECK(resize_h(fd, LALLOC_IOC_SHRINK, h, 10, 8, LALLOC_RESIZE_ZEROED, NULL) == -EINVAL,
	      "zeroed shrink");
	CHECK(resize_h(fd, LALLOC_IOC_GROW, h, 70000, 3, 0, NULL) == -EINVAL, "bad align");
	CHECK(resize_h(fd, LALLOC_IOC_GROW, h, 70000, 8, 0x80, NULL) == -EINVAL, "bad flag");
	CHECK(resize_h(fd, LALLOC_IOC_GROW, h, 2ULL << 30, 8, 0, NULL) == -E2BIG, "too big");
	CHECK(resize_h(fd, LALLOC_IOC_GROW, 12345, 70000, 8, 0, NULL) == -ENOENT, "no handle");
	CHECK(info_h(fd, h, &info) == 0 && info.size == 60000, "size after errors");
	/* Down to zero size and back up. */
	CHECK(resize_h(fd, LALLOC_IOC_REALLOC, h, 0, 16, 0, &moved) == 0, "realloc to 0");
	CHECK(info_h(fd, h, &info) == 0 && info.kind == LALLOC_KIND_ZST && info.usable == 0,
	      "zst");
	CHECK(resize_h(fd, LALLOC_IOC_GROW, h, 50, 16, LALLOC_RESIZE_ZEROED, &moved) == 0,
	      "grow from 0");
	CHECK(rw_h(fd, false, h, 0, 50, out) == 0, "read");
	CHECK(out[0] == 0 && out[49] == 0, "grown from zero not zeroed");
	close(fd);
}

static void test_bad_requests(void)
{
	int fd = dev_open();
	struct lalloc_alloc_args a = { .size = 8, .align = 8 };
	struct lalloc_handle_args fa = { .handle = 1, .reserved = 1 };
	struct lalloc_rw_args rw = { .handle = 1, .reserved = 5 };
	struct lalloc_resize_args ra = { .handle = 1, .size = 8, .align = 8, .reserved = 1 };
	struct lalloc_backend_args ba = { .backend = 9 };
	uint32_t h = 0;

	CHECK(alloc_h(fd, 8, 0, 0, &h, NULL) == -EINVAL, "align 0");
	CHECK(alloc_h(fd, 8, 3, 0, &h, NULL) == -EINVAL, "align 3");
	CHECK(alloc_h(fd, 1, 1ULL << 63, 0, &h, NULL) == -EINVAL, "size past isize");
	CHECK(alloc_h(fd, INT64_MAX, 2, 0, &h, NULL) == -EINVAL, "rounds past isize");
	CHECK(alloc_h(fd, (1ULL << 30) + 1, 8, 0, &h, NULL) == -E2BIG, "over max size");
	CHECK(alloc_h(fd, 8, 8, 0x10, &h, NULL) == -EINVAL, "unknown alloc flag");
	CHECK(alloc_h(fd, 0, 1ULL << 63, 0, &h, NULL) == 0, "zst at align 2^63");
	CHECK(ioc(fd, LALLOC_IOC_FREE, &fa) == -EINVAL, "free reserved");
	CHECK(ioc(fd, LALLOC_IOC_READ, &rw) == -EINVAL, "rw reserved");
	CHECK(ioc(fd, LALLOC_IOC_GROW, &ra) == -EINVAL, "resize reserved");
	CHECK(ioc(fd, LALLOC_IOC_SET_BACKEND, &ba) == -EINVAL, "unknown backend");
	CHECK(free_h(fd, 0) == -ENOENT, "handle 0");
	CHECK(free_h(fd, UINT32_MAX) == -ENOENT, "handle max");
	CHECK(ioc(fd, _IOWR(LALLOC_IOC_MAGIC, 0x1f, struct lalloc_alloc_args), &a) == -ENOTTY,
	      "unknown nr");
	CHECK(ioc(fd, _IOWR('x', 0x01, struct lalloc_alloc_args), &a) == -ENOTTY, "other magic");
	CHECK(ioc(fd, _IOWR(LALLOC_IOC_MAGIC, 0x01, uint64_t), &a) == -ENOTTY, "wrong size");
	CHECK(ioc(fd, LALLOC_IOC_ALLOC, NULL) == -EFAULT, "NULL arg");
	CHECK(ioc(fd, LALLOC_IOC_ALLOC, (void *)0xffff888000001000ULL) == -EFAULT,
	      "kernel pointer arg");
	close(fd);
}

static void test_extensible_structs(void)
{
	int fd = dev_open();
	struct lalloc_cache_stats recs[128] = { 0 };
	unsigned char big[sizeof(struct lalloc_stats) + 64];
	struct lalloc_stats *st = (void *)big;
	struct info_v2 {
		struct lalloc_info info;
		uint64_t extra[4];
	} ibig;
	struct lalloc_info info;
	uint32_t h = 0;

	/* A caller that knows a larger struct: zero tail in, zero tail out. */
	memset(big, 0, sizeof(big));
	st->caches = (uint64_t)(uintptr_t)recs;
	st->cache_rec_size = sizeof(recs[0]);
	st->cache_rec_count = 128;
	memset(big + sizeof(*st), 0, 64);
	CHECK(ioc(fd, _IOWR(LALLOC_IOC_MAGIC, 0x09, unsigned char[sizeof(big)]), big) == 0,
	      "larger stats struct");
	CHECK(st->nr_caches > 10 && st->nr_caches <= 128, "nr_caches %u", st->nr_caches);
	for (size_t i = sizeof(*st); i < sizeof(big); i++)
		if (big[i]) {
			CHECK(0, "tail byte %zu not zero", i);
			break;
		}
	for (uint32_t i = 1; i < st->nr_caches; i++)
		CHECK(recs[i].slot_size > recs[i - 1].slot_size, "cache order");
	CHECK(recs[st->nr_caches - 1].slot_size == 32768, "largest class");
	failures_in_test += scan_for_addresses(big, sizeof(big), "STATS");
	failures_in_test += scan_for_addresses(recs, sizeof(recs[0]) * st->nr_caches,
					       "cache records");
	/* Non-zero bytes the kernel does not know: E2BIG. */
	big[sizeof(*st) + 3] = 1;
	CHECK(ioc(fd, _IOWR(LALLOC_IOC_MAGIC, 0x09, unsigned char[sizeof(big)]), big) == -E2BIG,
	      "non-zero tail");
	/* A caller that knows an older, smaller struct. */
	memset(big, 0xaa, sizeof(big));
	memset(big, 0, 64);
	CHECK(ioc(fd, _IOWR(LALLOC_IOC_MAGIC, 0x09, unsigned char[64]), big) == 0,
	      "smaller stats struct");
	CHECK(big[64] == 0xaa, "wrote past a smaller struct");
	CHECK(ioc(fd, _IOWR(LALLOC_IOC_MAGIC, 0x09, unsigned char[8]), big) == -EINVAL,
	      "too small stats struct");
	/* Cache records of another size. */
	memset(big, 0, sizeof(big));
	st->caches = (uint64_t)(uintptr_t)recs;
	st->cache_rec_size = 16;
	st->cache_rec_count = 2;
	memset(recs, 0x55, sizeof(recs));
	CHECK(ioc(fd, LALLOC_IOC_STATS, st) == 0, "small records");
	CHECK(((unsigned char *)recs)[32] == 0x55, "wrote past 2 small records");
	st->caches = 16;	/* an unmapped address */
	st->cache_rec_size = sizeof(recs[0]);
	CHECK(ioc(fd, LALLOC_IOC_STATS, st) == -EFAULT, "bad records address");
	st->caches = 0;
	st->reserved = 1;
	CHECK(ioc(fd, LALLOC_IOC_STATS, st) == -EINVAL, "stats reserved");

	/* INFO, larger and smaller. */
	CHECK(alloc_h(fd, 100, 8, 0, &h, NULL) == 0, "alloc");
	memset(&ibig, 0, sizeof(ibig));
	ibig.info.handle = h;
	CHECK(ioc(fd, _IOWR(LALLOC_IOC_MAGIC, 0x08, struct info_v2), &ibig) == 0, "larger info");
	CHECK(ibig.info.size == 100 && !ibig.extra[0] && !ibig.extra[3], "larger info fields");
	/* Input is the handle, the rest zero; past the 8 bytes, a canary. */
	memset(&info, 0xaa, sizeof(info));
	info.handle = h;
	info.kind = 0;
	CHECK(ioc(fd, _IOWR(LALLOC_IOC_MAGIC, 0x08, uint64_t), &info) == 0, "smaller info");
	CHECK(info.size == 0xaaaaaaaaaaaaaaaaULL, "wrote past a smaller info");
	CHECK(ioc(fd, _IOW(LALLOC_IOC_MAGIC, 0x08, struct lalloc_info), &info) == -ENOTTY,
	      "info with the wrong direction");
	close(fd);
}

static void test_batch(void)
{
	int fd = dev_open();
	unsigned char buf[256], out[256] = { 0 };
	struct lalloc_batch_op ops[12];
	struct lalloc_batch_args b;

	fill_pattern(buf, sizeof(buf), 9);
	memset(ops, 0, sizeof(ops));
	ops[0] = (struct lalloc_batch_op){ .op = LALLOC_OP_ALLOC, .size = 256, .align = 16 };
	ops[1] = (struct lalloc_batch_op){ .op = LALLOC_OP_ALLOC, .size = 8, .align = 3 };
	ops[2] = (struct lalloc_batch_op){ .op = LALLOC_OP_FREE, .handle = 999 };
	ops[3] = (struct lalloc_batch_op){ .op = 77 };
	ops[4] = (struct lalloc_batch_op){ .op = LALLOC_OP_ALLOC, .size = 40, .align = 8 };
	ops[5] = (struct lalloc_batch_op){ .op = LALLOC_OP_FILL, .size = 40, .align = 0x5a };
	ops[6] = (struct lalloc_batch_op){ .op = LALLOC_OP_CHECK, .size = 40, .align = 0x5a };
	ops[7] = (struct lalloc_batch_op){ .op = LALLOC_OP_CHECK, .size = 40, .align = 0x5b };
	ops[8] = (struct lalloc_batch_op){ .op = LALLOC_OP_GROW, .size = 4000, .align = 8 };
	ops[9] = (struct lalloc_batch_op){ .op = LALLOC_OP_CHECK, .size = 41, .align = 0x5a };
	ops[10] = (struct lalloc_batch_op){ .op = LALLOC_OP_READ, .size = 40, .offset = 0,
					     .buf = (uint64_t)(uintptr_t)out };
	ops[11] = (struct lalloc_batch_op){ .op = LALLOC_OP_FREE };
	/* Entries 5..11 act on entry 4's handle: fill it in after the fact. */
	b = (struct lalloc_batch_args){ .ops = (uint64_t)(uintptr_t)ops, .count = 5,
					.op_size = sizeof(ops[0]) };
	CHECK(ioc(fd, LALLOC_IOC_BATCH, &b) == 0, "batch 1");
	CHECK(b.done == 5 && b.failed == 3, "done %u failed %u", b.done, b.failed);
	CHECK(ops[0].result == 0 && ops[0].handle && ops[0].value >= 256, "op0");
	CHECK(ops[1].result == -EINVAL, "op1 %d", ops[1].result);
	CHECK(ops[2].result == -ENOENT, "op2 %d", ops[2].result);
	CHECK(ops[3].result == -EINVAL, "op3 %d", ops[3].result);
	CHECK(ops[4].result == 0, "op4 %d", ops[4].result);
	for (int i = 5; i < 12; i++)
		ops[i].handle = ops[4].handle;
	b = (struct lalloc_batch_args){ .ops = (uint64_t)(uintptr_t)&ops[5], .count = 7,
					.op_size = sizeof(ops[0]) };
	CHECK(ioc(fd, LALLOC_IOC_BATCH, &b) == 0, "batch 2");
	CHECK(b.done == 7 && b.failed == 2, "done %u failed %u", b.done, b.failed);
	CHECK(ops[5].result == 0 && ops[6].result == 0, "fill/check");
	CHECK(ops[7].result == -EILSEQ, "check mismatch %d", ops[7].result);
	CHECK(ops[8].result == 0 && ops[8].value == 1, "grow moved");
	CHECK(ops[9].result == -EILSEQ, "byte 41 is not the fill");
	CHECK(ops[10].result == 0 && out[0] == 0x5a && out[39] == 0x5a, "read");
	CHECK(ops[11].result == 0, "free");
	/* Stop on error. */
	memset(ops, 0, sizeof(ops));
	ops[0] = (struct lalloc_batch_op){ .op = LALLOC_OP_ALLOC, .size = 1, .align = 1 };
	ops[1] = (struct lalloc_batch_op){ .op = LALLOC_OP_FREE, .handle = 4242 };
	ops[2] = (struct lalloc_batch_op){ .op = LALLOC_OP_ALLOC, .size = 1, .align = 1 };
	b = (struct lalloc_batch_args){ .ops = (uint64_t)(uintptr_t)ops, .count = 3,
					.op_size = sizeof(ops[0]),
					.flags = LALLOC_BATCH_STOP_ON_ERROR };
	CHECK(ioc(fd, LALLOC_IOC_BATCH, &b) == 0, "batch 3");
	CHECK(b.done == 2 && b.failed == 1 && ops[2].handle == 0, "stopped: done %u", b.done);
	/* Malformed batches. */
	b.done = 0;
	b.failed = 0;
	b.op_size = 8;
	CHECK(ioc(fd, LALLOC_IOC_BATCH, &b) == -EINVAL, "op_size too small");
	b.op_size = sizeof(ops[0]);
	b.count = LALLOC_BATCH_MAX + 1;
	CHECK(ioc(fd, LALLOC_IOC_BATCH, &b) == -EINVAL, "count too large");
	b.count = 1;
	b.flags = 0x40;
	CHECK(ioc(fd, LALLOC_IOC_BATCH, &b) == -EINVAL, "unknown batch flag");
	b.flags = 0;
	b.ops = 8;
	CHECK(ioc(fd, LALLOC_IOC_BATCH, &b) == -EFAULT, "bad ops address");
	(void)buf;
	close(fd);
}

static void test_kmalloc_backend(void)
{
	int fd = dev_open();
	struct lalloc_backend_args ba = { .backend = LALLOC_BACKEND_KMALLOC };
	unsigned char buf[300], out[300];
	struct lalloc_info info;
	uint64_t usable = 0;
	uint32_t h = 0, moved = 0;

	CHECK(ioc(fd, LALLOC_IOC_SET_BACKEND, &ba) == 0, "set backend");
	CHECK(alloc_h(fd, 320, 64, 0, &h, &usable) == 0, "alloc");
	CHECK(usable == 512, "kmalloc pads 320@64 to %" PRIu64, usable);
	CHECK(info_h(fd, h, &info) == 0 && info.kind == LALLOC_KIND_KMALLOC &&
	      info.origin == LALLOC_ORIGIN_KMALLOC && info.backend == LALLOC_BACKEND_KMALLOC,
	      "info");
	fill_pattern(buf, 300, 1);
	CHECK(rw_h(fd, true, h, 0, 300, buf) == 0, "write");
	CHECK(resize_h(fd, LALLOC_IOC_GROW, h, 3000, 1024, LALLOC_RESIZE_ZEROED, &moved) == 0,
	      "grow");
	CHECK(rw_h(fd, false, h, 0, 300, out) == 0 && memcmp(buf, out, 300) == 0, "kept");
	CHECK(resize_h(fd, LALLOC_IOC_SHRINK, h, 10, 8, 0, &moved) == 0, "shrink");
	CHECK(alloc_h(fd, 0, 8, 0, &h, &usable) == 0 && usable == 0, "zero size");
	CHECK(ioc(fd, LALLOC_IOC_SET_BACKEND, &ba) == -EBUSY, "backend after alloc");
	close(fd);
}

static void test_limits(void)
{
	int fd = dev_open();
	uint32_t h[8];
	int ret;

	write_param("max_handles_per_file", "5");
	for (int i = 0; i < 5; i++)
		CHECK(alloc_h(fd, 16, 8, 0, &h[i], NULL) == 0, "alloc %d", i);
	CHECK(alloc_h(fd, 16, 8, 0, &h[5], NULL) == -EDQUOT, "handle cap");
	CHECK(free_h(fd, h[0]) == 0, "free");
	CHECK(alloc_h(fd, 16, 8, 0, &h[0], NULL) == 0, "alloc after free");
	write_param("max_handles_per_file", "1048576");
	close(fd);

	fd = dev_open();
	write_param("max_bytes_per_file", "100000");
	CHECK(alloc_h(fd, 60000, 8, 0, &h[0], NULL) == 0, "alloc");
	CHECK(alloc_h(fd, 60000, 8, 0, &h[1], NULL) == -EDQUOT, "byte cap");
	CHECK(resize_h(fd, LALLOC_IOC_GROW, h[0], 200000, 8, 0, NULL) == -EDQUOT, "grow cap");
	CHECK(resize_h(fd, LALLOC_IOC_SHRINK, h[0], 1000, 8, 0, NULL) == 0, "shrink");
	CHECK(alloc_h(fd, 60000, 8, 0, &h[1], NULL) == 0, "alloc after shrink");
	write_param("max_bytes_per_file", "536870912");
	write_param("max_bytes_total", "50000");
	ret = alloc_h(fd, 60000, 8, 0, &h[2], NULL);
	CHECK(ret == -ENOSPC, "global cap: %d", ret);
	write_param("max_bytes_total", "0");
	close(fd);
}

struct hammer {
	int fd;
	uint32_t *handles;
	unsigned int nr;
	unsigned int seed;
	uint32_t own;		/* a block only this thread uses */
	unsigned long ops, unexpected, corrupt;
};

/*
 * Each thread also owns one block no other thread touches (allocated first,
 * so its id is below every shared one and is never freed and reused while
 * the threads run): whatever the others do, its bytes stay what it wrote.
 */
static void owned_check(struct hammer *t, uint32_t own, unsigned int round)
{
	unsigned char in[512], out[512];

	fill_pattern(in, sizeof(in), t->seed + round);
	if (rw_h(t->fd, true, own, 0, sizeof(in), in) ||
	    rw_h(t->fd, false, own, 0, sizeof(out), out)) {
		t->unexpected++;
		return;
	}
	if (memcmp(in, out, sizeof(in)))
		t->corrupt++;
}

static void *hammer_fn(void *arg)
{
	struct hammer *t = arg;
	unsigned char buf[512];
	uint32_t own = t->own;

	for (int i = 0; i < 4000; i++) {
		unsigned int r = rand_r(&t->seed);
		uint32_t h = t->handles[r % t->nr];
		uint32_t nh, moved;
		int ret;

		switch ((r >> 8) % 7) {
		case 0:
			ret = free_h(t->fd, h);
			if (ret && ret != -ENOENT)
				t->unexpected++;
			break;
		case 1:
			ret = rw_h(t->fd, false, h, 0, 64, buf);
			if (ret && ret != -ENOENT && ret != -ERANGE)
				t->unexpected++;
			break;
		case 2:
			ret = rw_h(t->fd, true, h, 0, 64, buf);
			if (ret && ret != -ENOENT && ret != -ERANGE)
				t->unexpected++;
			break;
		case 3:
			ret = resize_h(t->fd, LALLOC_IOC_REALLOC, h, (r >> 12) % 9000,
				       8UL << (r % 4), 0, &moved);
			if (ret && ret != -ENOENT)
				t->unexpected++;
			break;
		case 4:
			owned_check(t, own, i);
			break;
		default:
			ret = alloc_h(t->fd, 64 + (r >> 16) % 400, 8, 0, &nh, NULL);
			if (ret)
				t->unexpected++;
			else
				t->handles[r % t->nr] = nh;
			break;
		}
		t->ops++;
	}
	owned_check(t, own, 4000);
	if (free_h(t->fd, own))
		t->unexpected++;
	return NULL;
}

static void test_threads_one_file(void)
{
	enum { THREADS = 6, HANDLES = 64 };
	struct lalloc_stats before, after;
	pthread_t tid[THREADS];
	struct hammer t[THREADS];
	uint32_t handles[HANDLES];
	int fd, sfd = dev_open(), started = 0;
	unsigned long unexpected = 0, corrupt = 0;

	read_stats(sfd, &before);
	fd = dev_open();
	for (int i = 0; i < THREADS; i++)
		CHECK(alloc_h(fd, 512, 8, 0, &t[i].own, NULL) == 0 && t[i].own == (uint32_t)i + 1,
		      "owned block %d", i);
	for (int i = 0; i < HANDLES; i++)
		CHECK(alloc_h(fd, 128, 8, 0, &handles[i], NULL) == 0, "alloc");
	for (int i = 0; i < THREADS; i++) {
		t[i] = (struct hammer){ .fd = fd, .handles = handles, .nr = HANDLES,
					.seed = 1234 + i, .own = t[i].own };
		if (pthread_create(&tid[i], NULL, hammer_fn, &t[i])) {
			CHECK(0, "pthread_create %d", i);
			break;
		}
		started++;
	}
	for (int i = 0; i < started; i++) {
		pthread_join(tid[i], NULL);
		unexpected += t[i].unexpected;
		corrupt += t[i].corrupt;
	}
	CHECK(started == THREADS, "%d threads started", started);
	CHECK(unexpected == 0, "%lu unexpected errors", unexpected);
	CHECK(corrupt == 0, "%lu owned blocks read back other bytes", corrupt);
	close(fd);
	read_stats(sfd, &after);
	check_baseline(&before, &after);
	close(sfd);
}

static void test_close_with_live_handles(void)
{
	struct lalloc_stats before, during, after;
	int sfd = dev_open();

	read_stats(sfd, &before);
	for (int round = 0; round < 2; round++) {
		int fd = dev_open();
		struct lalloc_backend_args ba = { .backend = round };
		uint32_t h = 0;

		CHECK(ioc(fd, LALLOC_IOC_SET_BACKEND, &ba) == 0, "backend");
		for (int i = 0; i < 5000; i++) {
			if (alloc_h(fd, (i * 37) % 3000, 8UL << (i % 5), 0, &h, NULL)) {
				CHECK(0, "alloc %d", i);
				break;
			}
		}
		CHECK(alloc_h(fd, 200000, 8, 0, &h, NULL) == 0, "large");
		read_stats(sfd, &during);
		CHECK(during.open_files == before.open_files + 1, "open files");
		CHECK(during.device_bytes > before.device_bytes, "device bytes");
		if (round == 0)
			CHECK(during.active_objs >= before.active_objs + 4000, "live objects");
		close(fd);
	}
	read_stats(sfd, &after);
	check_baseline(&before, &after);
	close(sfd);
}

static void test_non_root(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(3);
		if (open(LALLOC_DEVICE, O_RDWR) >= 0)
			_exit(1);
		_exit(errno == EACCES ? 0 : 2);
	}
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "non-root open: status %d",
	      WEXITSTATUS(status));
}

/* Every number in @line, decimal or hex, checked against the kernel range. */
static int line_has_address(const char *line)
{
	const char *p = line;

	while (*p) {
		char *end;
		unsigned long long v;

		if (!isxdigit((unsigned char)*p)) {
			p++;
			continue;
		}
		/* A token of hex digits (with or without 0x) and as decimal. */
		errno = 0;
		v = strtoull(p, &end, 16);
		if (end > p && looks_like_kernel_address(v) && !errno)
			return 1;
		errno = 0;
		v = strtoull(p, NULL, 10);
		if (looks_like_kernel_address(v) && !errno)
			return 1;
		p = end > p ? end : p + 1;
	}
	return 0;
}

static void test_proc_has_no_addresses(void)
{
	static const char *files[] = { "/proc/lalloc/stats", "/proc/lalloc/slabinfo",
				       "/proc/lalloc/caches", "/proc/lalloc/latency" };
	int fd = dev_open();
	uint32_t h;

	/* Live blocks of every kind, so every row has something to print. */
	alloc_h(fd, 64, 8, 0, &h, NULL);
	alloc_h(fd, 40000, 8, 0, &h, NULL);
	alloc_h(fd, 5 << 20, 8, 0, &h, NULL);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char line[4096];
		FILE *f = fopen(files[i], "r");

		CHECK(f, "%s", files[i]);
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			CHECK(!line_has_address(line), "%s: %s", files[i], line);
		fclose(f);
	}
	close(fd);
	CHECK(line_has_address("x 18374686479671623680\n"), "decimal address not seen");
	CHECK(line_has_address("ff11000012345678"), "bare hex address not seen");
	CHECK(!line_has_address("allocs 123456789 ffff"), "small numbers taken for addresses");
}

static bool documented_errno(int ret)
{
	switch (-ret) {
	case 0: case EINVAL: case ENOENT: case ENOMEM: case E2BIG: case EDQUOT:
	case ENOSPC: case ERANGE: case EFAULT: case EILSEQ: case EBUSY: case ENOTTY:
		return true;
	}
	return false;
}

/* Random argument blobs for every command: documented errnos only, nothing leaks. */
static void test_random_arguments(void)
{
	static const unsigned long cmds[] = {
		LALLOC_IOC_ALLOC, LALLOC_IOC_FREE, LALLOC_IOC_GROW, LALLOC_IOC_SHRINK,
		LALLOC_IOC_REALLOC, LALLOC_IOC_WRITE, LALLOC_IOC_READ, LALLOC_IOC_INFO,
		LALLOC_IOC_STATS, LALLOC_IOC_BATCH, LALLOC_IOC_SET_BACKEND,
	};
	struct lalloc_stats before, after;
	unsigned int seed = 99;
	int sfd = dev_open();

	read_stats(sfd, &before);
	for (int round = 0; round < 4; round++) {
		int fd = dev_open();

		for (int i = 0; i < 5000; i++) {
			uint64_t blob[128];	/* larger than every struct */
			unsigned long cmd = cmds[rand_r(&seed) % (sizeof(cmds) / sizeof(cmds[0]))];
			int ret;

			for (int w = 0; w < 128; w++)
				blob[w] = ((uint64_t)rand_r(&seed) << 33) ^ rand_r(&seed);
			/* Half the time, plausible values, so success paths run too. */
			if (rand_r(&seed) & 1) {
				blob[0] = rand_r(&seed) % 5000;		/* size / handle+flags */
				blob[1] = 1ULL << (rand_r(&seed) % 13);	/* align / size */
				blob[2] = rand_r(&seed) % 4;		/* flags+handle / align */
				blob[3] = rand_r(&seed) % 64;
			}
			ret = ioc(fd, cmd, blob);
			if (!documented_errno(ret)) {
				CHECK(0, "cmd %lx: undocumented errno %d", cmd, -ret);
				break;
			}
			/* Only what the kernel wrote: the rest is our random input. */
			if (!ret && cmd == LALLOC_IOC_INFO)
				failures_in_test += scan_for_addresses(blob, sizeof(struct lalloc_info),
								       "random INFO");
			if (!ret && cmd == LALLOC_IOC_STATS)
				failures_in_test += scan_for_addresses(blob, sizeof(struct lalloc_stats),
								       "random STATS");
		}
		close(fd);
	}
	read_stats(sfd, &after);
	check_baseline(&before, &after);
	close(sfd);
}

static long long cgroup_read(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static bool cgroup_write(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return false;
	fputs(value, f);
	return fclose(f) == 0;
}

/* What userspace allocates is charged to its memory cgroup. */
static void test_memcg_charge(void)
{
	const char *cg = "/sys/fs/cgroup/lalloc-test";
	char path[256], pid[32];
	long long before, during, after;
	int fd;

	mkdir("/sys/fs/cgroup", 0755);
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK))
		mount("none", "/sys/fs/cgroup", "cgroup2", 0, NULL);
	CHECK(cgroup_write("/sys/fs/cgroup/cgroup.subtree_control", "+memory"),
	      "enable the memory controller");
	mkdir(cg, 0755);
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	snprintf(pid, sizeof(pid), "%d", getpid());
	CHECK(cgroup_write(path, pid), "join %s", cg);
	snprintf(path, sizeof(path), "%s/memory.current", cg);

	before = cgroup_read(path);
	fd = dev_open();
	/* 8 MiB in page blocks, 8 MiB in 2 KiB slab objects (new slabs). */
	for (int i = 0; i < 8; i++) {
		uint32_t h;

		CHECK(alloc_h(fd, 1 << 20, 8, 0, &h, NULL) == 0, "page block");
	}
	for (int i = 0; i < 4096; i++) {
		uint32_t h;

		if (alloc_h(fd, 2048, 8, 0, &h, NULL)) {
			CHECK(0, "slab object %d", i);
			break;
		}
	}
	during = cgroup_read(path);
	close(fd);
	after = cgroup_read(path);
	CHECK(before >= 0 && during - before >= 15 * (1 << 20),
	      "charged %lld bytes for 16 MiB", during - before);
	CHECK(during - after >= 8 * (1 << 20), "uncharged only %lld bytes on close",
	      during - after);
	CHECK(cgroup_write("/sys/fs/cgroup/cgroup.procs", pid), "leave %s", cg);
	rmdir(cg);
}

static const struct test tests[] = {
	{ "device allocations charged to the memory cgroup", test_memcg_charge },
	{ "device random arguments", test_random_arguments },
	{ "device alloc, free, info", test_alloc_free_info },
	{ "device slab origins: new slab, partial slab, per-CPU stack", test_slab_origins },
	{ "device read and write", test_read_write },
	{ "device grow, shrink, realloc", test_resize },
	{ "device bad requests and errnos", test_bad_requests },
	{ "device extensible INFO and STATS", test_extensible_structs },
	{ "device batch", test_batch },
	{ "device kmalloc backend", test_kmalloc_backend },
	{ "device limits", test_limits },
	{ "device threads on one file", test_threads_one_file },
	{ "device close with live handles", test_close_with_live_handles },
	{ "device closed to non-root", test_non_root },
	{ "proc files carry no address", test_proc_has_no_addresses },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, tests, sizeof(tests) / sizeof(tests[0]),
			 "/dev/lalloc", TEST_PREFIX);
}
