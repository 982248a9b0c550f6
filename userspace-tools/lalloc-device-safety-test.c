// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc-device-safety-test: /dev/lalloc as an adversarial user drives it.
 * Threads racing on the handle an ALLOC is publishing, bytes userspace never
 * wrote, caps against what the backends really hold, argument structs that
 * cannot be written back, BATCH resubmission, and the smaller contract
 * points of the uapi header. Runs as root in the test VMs.
 *
 * Prints "PASS: name" / "FAIL: name" per test; exits 1 if any failed.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "devlib.h"

/* How long the racing threads run: long enough to fail on the old code. */
#define RACE_SECONDS	8

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct race {
	int fd;
	atomic_bool stop;
	unsigned long allocs, hits;
	unsigned long unexpected;
};

/*
 * ALLOC and FREE small blocks as fast as possible: ids are the lowest free
 * ones, so the other thread knows which id the next ALLOC publishes.
 */
static void *race_alloc(void *arg)
{
	struct race *r = arg;

	while (!atomic_load(&r->stop)) {
		uint32_t h;
		int ret = alloc_h(r->fd, 64, 8, 0, &h, NULL);

		if (ret) {
			r->unexpected++;
			continue;
		}
		r->allocs++;
		ret = free_h(r->fd, h);
		if (ret && ret != -ENOENT)
			r->unexpected++;
	}
	return NULL;
}

/* GROW and FREE the ids the ALLOC thread is about to be handed. */
static void *race_grow_free(void *arg)
{
	struct race *r = arg;

	while (!atomic_load(&r->stop)) {
		/* The ALLOC thread frees at once: its next id is almost always 1. */
		for (uint32_t id = 1; id <= 2; id++) {
			int ret = resize_h(r->fd, LALLOC_IOC_GROW, id, 100000, 8, 0, NULL);

			if (ret == 0)
				r->hits++;
			else if (ret != -ENOENT)
				r->unexpected++;
			ret = free_h(r->fd, id);
			if (ret && ret != -ENOENT)
				r->unexpected++;
		}
	}
	return NULL;
}

/*
 * An ALLOC whose handle another thread grows or frees at once: no
 * use-after-free (KASAN on the debug kernel), and every byte charged is
 * uncharged (device_bytes back to its baseline, no WARN at close).
 */
static void test_alloc_publish_race(void)
{
	struct lalloc_stats before, after;
	struct race r = {};
	pthread_t a, b;
	int sfd = dev_open();
	double end;

	read_stats(sfd, &before);
	r.fd = dev_open();
	if (pthread_create(&a, NULL, race_alloc, &r)) {
		CHECK(0, "pthread_create");
		close(r.fd);
		close(sfd);
		return;
	}
	if (pthread_create(&b, NULL, race_grow_free, &r)) {
		CHECK(0, "pthread_create");
		atomic_store(&r.stop, true);
		pthread_join(a, NULL);
		close(r.fd);
		close(sfd);
		return;
	}
	end = now_s() + RACE_SECONDS;
	while (now_s() < end)
		usleep(100000);
	atomic_store(&r.stop, true);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("    %lu allocs, %lu grown by the other thread\n", r.allocs, r.hits);
	CHECK(r.unexpected == 0, "%lu unexpected errors", r.unexpected);
	CHECK(r.hits > 0, "the threads never met");
	/* Every block is freed: only the open file's handles may remain. */
	for (uint32_t id = 1; id <= 4; id++)
		free_h(r.fd, id);
	read_stats(sfd, &after);
	CHECK(after.device_bytes == before.device_bytes,
	      "device_bytes %llu, baseline %llu, with every block freed",
	      (unsigned long long)after.device_bytes,
	      (unsigned long long)before.device_bytes);
	close(r.fd);
	read_stats(sfd, &after);
	check_baseline(&before, &after);
	close(sfd);
}

/* Index of the first non-zero byte, or -1. */
static long first_nonzero(const unsigned char *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b[i])
			return (long)i;
	return -1;
}

static const struct { uint64_t size, align; } zero_layouts[] = {
	{ 64, 8 }, { 200, 64 }, { 5000, 8 }, { 40000, 8 }, { 5 << 20, 4096 },
};

/*
 * One opener writes into blocks and frees them; the next opener's blocks of
 * the same layouts, and the grown tails of its blocks, read as zero, never
 * the first opener's data or a free-list pointer. Without ZEROED.
 */
static void zero_reads_on(uint32_t backend)
{
	struct lalloc_backend_args ba = { .backend = backend };
	size_t max = (5 << 20) + 9000;
	unsigned char *buf = malloc(max);
	/* kmalloc's largest block is 4 MiB: vmalloc sizes are lalloc's only. */
	uint64_t largest = backend == LALLOC_BACKEND_KMALLOC ? 4 << 20 : max;
	int fd;

	if (!buf) {
		CHECK(0, "malloc");
		return;
	}
	/* The first user: fills blocks of every layout, frees them, closes. */
	fd = dev_open();
	CHECK(ioc(fd, LALLOC_IOC_SET_BACKEND, &ba) == 0, "backend");
	memset(buf, 'S', max);
	for (int round = 0; round < 50; round++) {
		for (size_t i = 0; i < sizeof(zero_layouts) / sizeof(zero_layouts[0]); i++) {
			uint32_t h;

			if ((zero_layouts[i].size > 100000 && round) ||
			    zero_layouts[i].size + 9000 > largest)
				continue;
			if (alloc_h(fd, zero_layouts[i].size, zero_layouts[i].align, 0, &h, NULL)) {
				CHECK(0, "first opener: alloc %zu", i);
				continue;
			}
			rw_h(fd, true, h, 0, zero_layouts[i].size, buf);
			free_h(fd, h);
		}
	}
	close(fd);

	/* The next user reads what it never wrote. */
	fd = dev_open();
	CHECK(ioc(fd, LALLOC_IOC_SET_BACKEND, &ba) == 0, "backend");
	for (int round = 0; round < 100; round++) {
		for (size_t i = 0; i < sizeof(zero_layouts) / sizeof(zero_layouts[0]); i++) {
			uint64_t size = zero_layouts[i].size;
			uint32_t h;
			long at;

			if ((size > 100000 && round) || size + 9000 > largest)
				continue;
			if (alloc_h(fd, size, zero_layouts[i].align, 0, &h, NULL)) {
				CHECK(0, "alloc %zu", i);
				continue;
			}
			memset(buf, 0xee, size);
			CHECK(rw_h(fd, false, h, 0, size, buf) == 0, "read");
			at = first_nonzero(buf, size);
			CHECK(at < 0, "backend %u: fresh (%" PRIu64 ", %" PRIu64 ") block has byte %ld = 0x%02x",
			      backend, size, zero_layouts[i].align, at, at < 0 ? 0 : buf[at]);
			failures_in_test += scan_for_addresses(buf, size, "fresh block");
			if (at >= 0 || failures_in_test)
				round = 1000;
			/* Grow in place (within the slot or bucket) and to a new place. */
			CHECK(resize_h(fd, LALLOC_IOC_GROW, h, size + 8, zero_layouts[i].align, 0,
				       NULL) == 0, "grow +8");
			CHECK(resize_h(fd, LALLOC_IOC_GROW, h, size + 9000, zero_layouts[i].align, 0,
				       NULL) == 0, "grow +9000");
			memset(buf, 0xee, size + 9000);
			CHECK(rw_h(fd, false, h, 0, size + 9000, buf) == 0, "read grown");
			at = first_nonzero(buf, size + 9000);
			CHECK(at < 0, "backend %u: grown block has byte %ld = 0x%02x",
			      backend, at, at < 0 ? 0 : buf[at]);
			free_h(fd, h);
		}
	}
	close(fd);
	free(buf);
}

static void test_unwritten_bytes_read_zero(void)
{
	zero_reads_on(LALLOC_BACKEND_LALLOC);
	zero_reads_on(LALLOC_BACKEND_KMALLOC);
}

/* The caps count what the backend really holds, before it holds it. */
static void test_caps_count_real_bytes(void)
{
	struct lalloc_backend_args ba = { .backend = LALLOC_BACKEND_KMALLOC };
	struct lalloc_stats before, after;
	int sfd = dev_open(), fd;
	uint64_t usable = 0;
	uint32_t h = 0, h2;
	int ret;

	read_stats(sfd, &before);
	write_param("max_bytes_per_file", "65536");
	fd = dev_open();
	CHECK(ioc(fd, LALLOC_IOC_SET_BACKEND, &ba) == 0, "kmalloc backend");
	ret = alloc_h(fd, 1, 2 << 20, 0, &h, &usable);
	CHECK(ret == -EDQUOT, "kmalloc ALLOC(1, 2 MiB) under a 64 KiB cap: %d, usable %" PRIu64,
	      ret, usable);
	CHECK(alloc_h(fd, 16, 8, 0, &h, &usable) == 0 && usable == 16, "small alloc");
	ret = resize_h(fd, LALLOC_IOC_REALLOC, h, 17, 1 << 20, 0, NULL);
	CHECK(ret == -EDQUOT, "kmalloc REALLOC to (17, 1 MiB): %d", ret);
	close(fd);
	write_param("max_bytes_per_file", "536870912");

	/*
	 * krealloc keeps a large block for a small request: a shrink that the
	 * device charged as small must really give the large block back.
	 */
	fd = dev_open();
	CHECK(ioc(fd, LALLOC_IOC_SET_BACKEND, &ba) == 0, "kmalloc backend");
	CHECK(alloc_h(fd, 1 << 20, 1, 0, &h, &usable) == 0 && usable == 1 << 20, "alloc 1 MiB");
	{
		struct lalloc_resize_args ra = { .handle = h, .size = 1, .align = 1 };

		CHECK(ioc(fd, LALLOC_IOC_SHRINK, &ra) == 0, "shrink to 1 byte");
		CHECK(ra.usable == 8 && ra.moved == 1,
		      "1 MiB shrunk to 1 byte: usable %llu, moved %u (kept the 1 MiB block)",
		      (unsigned long long)ra.usable, ra.moved);
	}
	close(fd);
	write_param("max_bytes_per_file", "65536");

	/* lalloc holds one page for (1, 2 MiB): within the cap. */
	fd = dev_open();
	CHECK(alloc_h(fd, 1, 2 << 20, 0, &h, &usable) == 0 && usable == 4096,
	      "lalloc ALLOC(1, 2 MiB): usable %" PRIu64, usable);
	/* Slab classes round (1, 16 KiB) up to 16 KiB: the cap sees the slots. */
	for (int i = 0; i < 3; i++)
		CHECK(alloc_h(fd, 1, 16384, 0, &h2, &usable) == 0 && usable == 16384,
		      "alloc (1, 16 KiB) %d: usable %" PRIu64, i, usable);
	ret = alloc_h(fd, 1, 32768, 0, &h2, &usable);
	CHECK(ret == -EDQUOT, "a 32 KiB slot past the cap: %d (usable %" PRIu64 ")",
	      ret, usable);
	close(fd);
	write_param("max_bytes_per_file", "536870912");

	/* The global cap likewise. */
	write_param("max_bytes_total", "65536");
	fd = dev_open();
	CHECK(ioc(fd, LALLOC_IOC_SET_BACKEND, &ba) == 0, "kmalloc backend");
	ret = alloc_h(fd, 1, 2 << 20, 0, &h, NULL);
	CHECK(ret == -ENOSPC, "kmalloc ALLOC(1, 2 MiB) under a 64 KiB global cap: %d", ret);
	close(fd);
	write_param("max_bytes_total", "0");

	/* Handles cost memory too: a global cap on them. */
	write_param("max_handles_total", "3");
	fd = dev_open();
	{
		int fd2 = dev_open();

		CHECK(alloc_h(fd, 0, 1, 0, &h, NULL) == 0, "zero-size 1");
		CHECK(alloc_h(fd2, 0, 1, 0, &h, NULL) == 0, "zero-size 2");
		CHECK(alloc_h(fd, 0, 1, 0, &h, NULL) == 0, "zero-size 3");
		ret = alloc_h(fd2, 0, 1, 0, &h, NULL);
		CHECK(ret == -ENOSPC, "a fourth handle in all: %d", ret);
		close(fd2);
		CHECK(alloc_h(fd, 0, 1, 0, &h, NULL) == 0, "after the other file closed");
	}
	close(fd);
	write_param("max_handles_total", "1048576");
	read_stats(sfd, &after);
	check_baseline(&before, &after);
	close(sfd);
}

/* A page of argument memory that can be made read-only or unmapped. */
static void *arg_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * A call that changes a block and then cannot write its result back fails
 * without changing anything, as the uapi header promises.
 */
static void test_unwritable_results_change_nothing(void)
{
	static const unsigned long resizes[] = {
		LALLOC_IOC_GROW, LALLOC_IOC_SHRINK, LALLOC_IOC_REALLOC,
	};
	static const uint64_t sizes[] = { 50000, 10, 3000 };
	struct lalloc_stats before, after;
	struct lalloc_info info;
	int sfd = dev_open(), fd = dev_open();
	unsigned char *pg = arg_page();
	uint32_t h = 0;

	if (!pg) {
		CHECK(0, "mmap");
		return;
	}
	CHECK(alloc_h(fd, 1000, 8, 0, &h, NULL) == 0, "alloc");
	for (size_t i = 0; i < 3; i++) {
		struct lalloc_resize_args *a = (void *)pg;

		mprotect(pg, 4096, PROT_READ | PROT_WRITE);
		*a = (struct lalloc_resize_args){ .handle = h, .size = sizes[i], .align = 8 };
		mprotect(pg, 4096, PROT_READ);
		CHECK(ioc(fd, resizes[i], a) == -EFAULT, "resize %zu with read-only args", i);
		CHECK(info_h(fd, h, &info) == 0 && info.size == 1000,
		      "resize %zu to %" PRIu64 " happened anyway: size %llu", i, sizes[i],
		      (unsigned long long)info.size);
	}

	/* ALLOC with read-only args leaves no handle and no charge behind. */
	read_stats(sfd, &before);
	mprotect(pg, 4096, PROT_READ | PROT_WRITE);
	*(struct lalloc_alloc_args *)pg = (struct lalloc_alloc_args){ .size = 5000, .align = 8 };
	mprotect(pg, 4096, PROT_READ);
	CHECK(ioc(fd, LALLOC_IOC_ALLOC, pg) == -EFAULT, "alloc with read-only args");
	read_stats(sfd, &after);
	CHECK(after.device_bytes == before.device_bytes &&
	      after.active_objs == before.active_objs, "a read-only ALLOC left a block");
	CHECK(free_h(fd, h + 1) == -ENOENT, "the read-only ALLOC's handle exists");

	/* BATCH: entries in read-only memory do not run. */
	{
		struct lalloc_batch_op *op = (void *)pg;
		struct lalloc_batch_args b = {
			.ops = (uint64_t)(uintptr_t)pg, .count = 2, .op_size = sizeof(*op),
		};

		mprotect(pg, 4096, PROT_READ | PROT_WRITE);
		op[0] = (struct lalloc_batch_op){ .op = LALLOC_OP_GROW, .handle = h,
						  .size = 60000, .align = 8 };
		op[1] = (struct lalloc_batch_op){ .op = LALLOC_OP_ALLOC, .size = 5000, .align = 8 };
		mprotect(pg, 4096, PROT_READ);
		read_stats(sfd, &before);
		CHECK(ioc(fd, LALLOC_IOC_BATCH, &b) == -EFAULT, "batch in read-only memory");
		CHECK(b.done == 0, "done %u", b.done);
		CHECK(info_h(fd, h, &info) == 0 && info.size == 1000,
		      "a read-only BATCH GROW happened: size %llu", (unsigned long long)info.size);
		read_stats(sfd, &after);
		CHECK(after.active_objs == before.active_objs, "a read-only BATCH ALLOC happened");
	}

	/* Unmapped argument memory: EFAULT, nothing changed. */
	munmap(pg, 4096);
	CHECK(ioc(fd, LALLOC_IOC_GROW, pg) == -EFAULT, "unmapped args");
	CHECK(ioc(fd, LALLOC_IOC_ALLOC, pg) == -EFAULT, "unmapped alloc args");
	CHECK(info_h(fd, h, &info) == 0 && info.size == 1000, "unmapped args changed the block");
	close(fd);
	close(sfd);
}

/* BATCH outputs need not be zero on input; every rejected request counts. */
static void test_batch_contract(void)
{
	struct lalloc_batch_op ops[3] = {
		{ .op = LALLOC_OP_ALLOC, .size = 64, .align = 8 },
		{ .op = LALLOC_OP_FREE, .handle = 999 },
		{ .op = LALLOC_OP_ALLOC, .size = 64, .align = 8 },
	};
	struct lalloc_batch_args b = {
		.ops = (uint64_t)(uintptr_t)ops, .count = 3, .op_size = sizeof(ops[0]),
	};
	struct lalloc_stats before, after;
	int fd = dev_open();
	int ret;

	CHECK(ioc(fd, LALLOC_IOC_BATCH, &b) == 0 && b.done == 3 && b.failed == 1,
	      "first batch: done %u failed %u", b.done, b.failed);
	/* The same struct again, its outputs still set from the first call. */
	ret = ioc(fd, LALLOC_IOC_BATCH, &b);
	CHECK(ret == 0, "resubmitted batch: %d", ret);
	CHECK(b.done == 3 && b.failed == 1, "resubmitted: done %u failed %u", b.done, b.failed);

	read_stats(fd, &before);
	b.reserved = 1;
	CHECK(ioc(fd, LALLOC_IOC_BATCH, &b) == -EINVAL, "reserved field");
	read_stats(fd, &after);
	CHECK(after.errors_detected == before.errors_detected + 1,
	      "a rejected BATCH counted %llu errors",
	      (unsigned long long)(after.errors_detected - before.errors_detected));
	close(fd);
}

static bool write_file(const char *path, const char *value)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return false;
	fputs(value, f);
	return fclose(f) == 0;
}

#define FAILSLAB "/sys/kernel/debug/failslab/"

/*
 * STATS takes no memory, so a user cannot make it fail or print an
 * allocation warning: with every slab allocation of this task failing
 * (failslab, on the debug kernel), STATS still answers.
 */
static void check_stats_without_memory(int fd)
{
	struct lalloc_stats st;
	int ret;

	if (access(FAILSLAB "probability", W_OK)) {
		printf("    (no failslab on this kernel: STATS under allocation failure not tried)\n");
		return;
	}
	/* GFP_KERNEL allocations too, not only atomic ones. */
	CHECK(write_file(FAILSLAB "task-filter", "Y") && write_file(FAILSLAB "verbose", "0") &&
	      write_file(FAILSLAB "ignore-gfp-wait", "N") &&
	      write_file(FAILSLAB "interval", "1") && write_file(FAILSLAB "times", "1") &&
	      write_file(FAILSLAB "probability", "100"), "set up failslab");
	memset(&st, 0, sizeof(st));
	if (!write_file("/proc/self/make-it-fail", "1")) {
		CHECK(0, "make-it-fail");
	} else {
		/* One failure to inject: the first slab allocation of this task. */
		ret = ioc(fd, LALLOC_IOC_STATS, &st);
		if (!write_file("/proc/self/make-it-fail", "0"))
			write_file("/proc/self/make-it-fail", "0");
		CHECK(ret == 0, "STATS with slab allocations failing: %d", ret);
	}
	write_file(FAILSLAB "probability", "0");
	write_file(FAILSLAB "task-filter", "N");
	write_file(FAILSLAB "ignore-gfp-wait", "Y");
}

/* SET_BACKEND, INFO and STATS as the header documents them. */
static void test_small_contract_points(void)
{
	struct lalloc_backend_args ba = { .backend = LALLOC_BACKEND_KMALLOC };
	struct lalloc_info info;
	struct lalloc_stats before, after;
	int fd = dev_open();
	uint32_t h = 0;
	int ret;

	/* Failed ALLOCs do not make the file "used". */
	CHECK(alloc_h(fd, 8, 3, 0, &h, NULL) == -EINVAL, "bad align");
	CHECK(alloc_h(fd, (1ULL << 30) + 1, 8, 0, &h, NULL) == -E2BIG, "too big");
	write_param("max_bytes_per_file", "4096");
	CHECK(alloc_h(fd, 8192, 8, 0, &h, NULL) == -EDQUOT, "over the cap");
	write_param("max_bytes_per_file", "536870912");
	/* One the allocator itself refuses: no alignment of 1 GiB for vmalloc. */
	CHECK(alloc_h(fd, 5 << 20, 1ULL << 30, 0, &h, NULL) == -ENOMEM, "unalignable");
	ret = ioc(fd, LALLOC_IOC_SET_BACKEND, &ba);
	CHECK(ret == 0, "SET_BACKEND after only failed ALLOCs: %d", ret);
	CHECK(alloc_h(fd, 8, 8, 0, &h, NULL) == 0, "alloc");
	CHECK(ioc(fd, LALLOC_IOC_SET_BACKEND, &ba) == -EBUSY, "SET_BACKEND after an ALLOC");

	/* INFO rejects a non-zero input field other than the handle. */
	read_stats(fd, &before);
	memset(&info, 0, sizeof(info));
	info.handle = h;
	info.reserved = 1;
	ret = ioc(fd, LALLOC_IOC_INFO, &info);
	CHECK(ret == -EINVAL, "INFO with a non-zero reserved field: %d", ret);
	memset(&info, 0, sizeof(info));
	info.handle = h;
	info.size = 5;
	ret = ioc(fd, LALLOC_IOC_INFO, &info);
	CHECK(ret == -EINVAL, "INFO with a non-zero output field on input: %d", ret);
	read_stats(fd, &after);
	CHECK(after.errors_detected == before.errors_detected + 2, "INFO rejections counted");
	CHECK(info_h(fd, h, &info) == 0, "INFO");
	check_stats_without_memory(fd);
	close(fd);
}

/* A failed resize leaves the block's reported origin alone. */
static void test_failed_resize_keeps_origin(void)
{
	struct lalloc_info before, after;
	int fd = dev_open();
	uint32_t h = 0;
	int ret;

	CHECK(alloc_h(fd, 100, 8, 0, &h, NULL) == 0, "alloc");
	CHECK(info_h(fd, h, &before) == 0, "info");
	/* vmalloc cannot align a 5 MiB block to 1 GiB: ENOMEM, nothing moves. */
	ret = resize_h(fd, LALLOC_IOC_REALLOC, h, 5 << 20, 1ULL << 30, 0, NULL);
	CHECK(ret == -ENOMEM, "realloc to (5 MiB, 1 GiB): %d", ret);
	CHECK(info_h(fd, h, &after) == 0, "info");
	CHECK(after.origin == before.origin && after.size == 100,
	      "origin %u -> %u, size %llu", before.origin, after.origin,
	      (unsigned long long)after.size);
	close(fd);
}

/* Per-cache occupancy is root's only, as /proc/slabinfo. */
static void test_proc_modes(void)
{
	static const struct { const char *path; unsigned int mode; } files[] = {
		{ "/proc/lalloc/slabinfo", 0400 }, { "/proc/lalloc/caches", 0400 },
		{ "/proc/lalloc/stats", 0644 }, { "/proc/lalloc/latency", 0444 },
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct stat sb;

		CHECK(stat(files[i].path, &sb) == 0, "%s", files[i].path);
		CHECK((sb.st_mode & 07777) == files[i].mode, "%s: mode %o, want %o",
		      files[i].path, sb.st_mode & 07777, files[i].mode);
	}
}

static const struct test tests[] = {
	{ "device ALLOC racing GROW and FREE of its handle", test_alloc_publish_race },
	{ "device bytes never written read as zero", test_unwritten_bytes_read_zero },
	{ "device caps count the bytes really held", test_caps_count_real_bytes },
	{ "device unwritable results change nothing", test_unwritable_results_change_nothing },
	{ "device BATCH resubmission and error counts", test_batch_contract },
	{ "device SET_BACKEND, INFO, STATS contract points", test_small_contract_points },
	{ "device failed resize keeps the origin", test_failed_resize_keeps_origin },
	{ "proc per-cache files are root's", test_proc_modes },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, tests, sizeof(tests) / sizeof(tests[0]),
			 "/dev/lalloc against hostile use", "");
}
