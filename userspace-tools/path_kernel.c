// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc-path, kernel half: the plan's reallocations through /dev/lalloc.
 * Vec::new holds no block; the first growth is an ALLOC, the next ones
 * GROW, shrink_to_fit a SHRINK (a FREE when the Vec is empty), as RawVec
 * drives the Allocator trait. After each step INFO tells where the block
 * came from and STATS what lalloc took from the page allocator.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/lalloc.h>

#include "path.h"

static int ioc(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int read_stats(int fd, struct lalloc_stats *st)
{
	memset(st, 0, sizeof(*st));
	return ioc(fd, LALLOC_IOC_STATS, st);
}

static const char *const origin_names[] = {
	[LALLOC_ORIGIN_NONE] = "-",
	[LALLOC_ORIGIN_ZST] = "zero-size",
	[LALLOC_ORIGIN_CPU_CACHE] = "per-cpu cache",
	[LALLOC_ORIGIN_PARTIAL_SLAB] = "partial slab",
	[LALLOC_ORIGIN_NEW_SLAB] = "new slab",
	[LALLOC_ORIGIN_PAGES] = "exact pages",
	[LALLOC_ORIGIN_VMALLOC] = "vmalloc",
	[LALLOC_ORIGIN_KMALLOC] = "kmalloc",
};

const char *origin_name(uint32_t o)
{
	return o < sizeof(origin_names) / sizeof(origin_names[0]) && origin_names[o] ?
	       origin_names[o] : "?";
}

/* The pushes a step makes room for: elements written through WRITE. */
static int push_fill(int fd, uint32_t handle, const struct plan_step *s, uint64_t elem)
{
	static unsigned char buf[65536];
	uint64_t off = s->len * elem, end = (s->len + s->fill) * elem;

	while (off < end) {
		uint64_t n = end - off < sizeof(buf) ? end - off : sizeof(buf);

		struct lalloc_rw_args w = {
			.handle = handle, .offset = off, .len = n,
			.buf = (uint64_t)(uintptr_t)buf,
		};
		int ret;

		memset(buf, (int)(off / elem) & 0xff, n);
		ret = ioc(fd, LALLOC_IOC_WRITE, &w);
		if (ret)
			return ret;
		off += n;
	}
	return 0;
}

int kern_run(const struct plan *p, uint32_t backend, struct kern_run *out)
{
	struct lalloc_backend_args b = { .backend = backend };
	struct lalloc_stats before, after;
	uint32_t handle = 0;
	int fd, ret = 0;

	memset(out, 0, sizeof(*out));
	out->backend = backend;
	fd = open(LALLOC_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (backend != LALLOC_BACKEND_LALLOC && ioc(fd, LALLOC_IOC_SET_BACKEND, &b)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	out->steps = path_map(p->nr * sizeof(*out->steps));
	if (!out->steps) {
		close(fd);
		return 1;
	}
	ret = read_stats(fd, &before);
	if (ret) {
		fprintf(stderr, "lalloc-path: STATS: %s\n", strerror(-ret));
		close(fd);
		return 1;
	}
	out->held_start = out->held_peak = before.held_bytes;
	for (size_t i = 0; i < p->nr; i++) {
		const struct plan_step *s = &p->steps[i];
		struct kern_step *k = &out->steps[i];
		struct lalloc_resize_args r = { .size = s->new_bytes, .align = p->align };
		struct lalloc_info info;
		const char *what = op_name(s->op);
		uint64_t taken = 0;

		switch (s->op) {
		case OP_ALLOC: {
			struct lalloc_alloc_args a = { .size = s->new_bytes, .align = p->align };

			ret = ioc(fd, LALLOC_IOC_ALLOC, &a);
			handle = a.handle;
			k->usable = a.usable;
			break;
		}
		case OP_FREE: {
			struct lalloc_handle_args f = { .handle = handle };

			ret = ioc(fd, LALLOC_IOC_FREE, &f);
			handle = 0;
			break;
		}
		case OP_GROW:
		case OP_SHRINK:
			r.handle = handle;
			ret = ioc(fd, s->op == OP_GROW ? LALLOC_IOC_GROW : LALLOC_IOC_SHRINK, &r);
			k->moved = r.moved;
			k->usable = r.usable;
			break;
		}
		if (ret) {
			snprintf(out->error, sizeof(out->error), "%s %s to %llu bytes: %s",
				 backend ? "kmalloc" : "lalloc", what,
				 (unsigned long long)s->new_bytes, strerror(-ret));
			fprintf(stderr, "lalloc-path: %s\n", out->error);
			break;
		}
		out->nr_done = i + 1;
		k->copied = k->moved ? (s->old_bytes < s->new_bytes ? s->old_bytes : s->new_bytes) : 0;
		if (handle) {
			memset(&info, 0, sizeof(info));
			info.handle = handle;
			ret = ioc(fd, LALLOC_IOC_INFO, &info);
			if (ret) {
				fprintf(stderr, "lalloc-path: INFO: %s\n", strerror(-ret));
				break;
			}
			k->origin = info.origin;
			k->kind = info.kind;
			k->slab_order = info.slab_order;
			k->class_slot = info.class_slot;
		}
		ret = read_stats(fd, &after);
		if (ret)
			break;
		for (int o = 0; o < 16; o++) {
			uint64_t d = after.page_allocs[o] - before.page_allocs[o];

			out->page_calls[o] += d;
			taken += d << o;
		}
		k->held_delta = (int64_t)(after.held_bytes - before.held_bytes);
		k->pages_taken = taken;
		if ((int64_t)(taken * 4096) > k->held_delta)
			k->pages_returned = ((int64_t)(taken * 4096) - k->held_delta) / 4096;
		if (after.held_bytes > out->held_peak)
			out->held_peak = after.held_bytes;
		before = after;
		if (handle && s->fill) {
			ret = push_fill(fd, handle, s, p->elem);
			if (ret) {
				fprintf(stderr, "lalloc-path: WRITE: %s\n", strerror(-ret));
				break;
			}
		}
	}
	if (!read_stats(fd, &after))
		out->held_end = after.held_bytes;
	close(fd);
	/* A failed step ends the run; the steps before it are results. */
	out->ran = !ret || out->nr_done;
	return ret ? 1 : 0;
}
