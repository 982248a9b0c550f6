/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the /dev/lalloc test programs share: one-line wrappers for each
 * ioctl (0 or -errno), stats baselines, and the kernel-address scan.
 */
#ifndef LALLOC_DEVLIB_H
#define LALLOC_DEVLIB_H

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/lalloc.h>

#include "testlib.h"

#define PARAM_DIR "/sys/module/lalloc/parameters/"

/* ioctl returning 0 or -errno. */
static inline int ioc(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int alloc_h(int fd, uint64_t size, uint64_t align, uint32_t flags,
		   uint32_t *handle, uint64_t *usable)
{
	struct lalloc_alloc_args a = { .size = size, .align = align, .flags = flags };
	int ret = ioc(fd, LALLOC_IOC_ALLOC, &a);

	if (!ret) {
		*handle = a.handle;
		if (usable)
			*usable = a.usable;
	}
	return ret;
}

static inline int free_h(int fd, uint32_t handle)
{
	struct lalloc_handle_args a = { .handle = handle };

	return ioc(fd, LALLOC_IOC_FREE, &a);
}

static inline int rw_h(int fd, bool write, uint32_t handle, uint64_t off, uint64_t len,
		void *buf)
{
	struct lalloc_rw_args a = {
		.handle = handle, .offset = off, .len = len,
		.buf = (uint64_t)(uintptr_t)buf,
	};

	return ioc(fd, write ? LALLOC_IOC_WRITE : LALLOC_IOC_READ, &a);
}

static inline int resize_h(int fd, unsigned long cmd, uint32_t handle, uint64_t size,
		    uint64_t align, uint32_t flags, uint32_t *moved)
{
	struct lalloc_resize_args a = {
		.handle = handle, .size = size, .align = align, .flags = flags,
	};
	int ret = ioc(fd, cmd, &a);

	if (!ret && moved)
		*moved = a.moved;
	return ret;
}

static inline int info_h(int fd, uint32_t handle, struct lalloc_info *info)
{
	memset(info, 0, sizeof(*info));
	info->handle = handle;
	return ioc(fd, LALLOC_IOC_INFO, info);
}

static inline void read_stats(int fd, struct lalloc_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (ioc(fd, LALLOC_IOC_STATS, st)) {
		perror("LALLOC_IOC_STATS");
		exit(2);
	}
}

/* After every file is closed, the live gauges are where they started. */
static inline void check_baseline(const struct lalloc_stats *before, const struct lalloc_stats *after)
{
	CHECK(after->active_objs == before->active_objs, "live objects %llu -> %llu",
	      (unsigned long long)before->active_objs, (unsigned long long)after->active_objs);
	CHECK(after->requested_bytes == before->requested_bytes, "requested bytes");
	CHECK(after->device_bytes == before->device_bytes, "device bytes");
	CHECK(after->open_files == before->open_files, "open files");
}

/*
 * A kernel address: what must never reach userspace. With 5-level paging
 * (the test guests run QEMU's -cpu max) the kernel half starts at
 * 0xff00000000000000 and the direct map at 0xff11...; with 4-level paging
 * at 0xffff800000000000, which the same bound covers.
 */
#define KERNEL_ADDRESS_MIN	0xff00000000000000ULL

static inline bool looks_like_kernel_address(uint64_t v)
{
	return v >= KERNEL_ADDRESS_MIN && v != UINT64_MAX;
}

static inline int scan_for_addresses(const void *buf, size_t len, const char *what)
{
	const unsigned char *b = buf;
	size_t i;

	for (i = 0; i + 8 <= len; i += 4) {
		uint64_t v;

		memcpy(&v, b + i, 8);
		if (looks_like_kernel_address(v)) {
			printf("    %s: kernel address at byte %zu\n", what, i);
			return 1;
		}
	}
	return 0;
}

static inline void fill_pattern(unsigned char *b, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (unsigned char)(i * 31 + seed);
}

static inline void write_param(const char *name, const char *value)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	f = fopen(path, "w");
	if (!f || fputs(value, f) < 0 || fclose(f)) {
		perror(path);
		exit(2);
	}
}

#endif /* LALLOC_DEVLIB_H */
