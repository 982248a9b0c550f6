// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc-vec: grow a Rust-style Vec<T> inside the kernel through /dev/lalloc
 * and show every reallocation: the capacity RawVec::grow_amortized picks,
 * the layout asked for, whether the block moved, and which allocator layer
 * served it (per-CPU cache, slab, new slab from the page allocator, exact
 * pages, vmalloc, or kmalloc with the other backend).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/lalloc.h>

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

static const char *origin_name(uint32_t o)
{
	return o < sizeof(origin_names) / sizeof(origin_names[0]) && origin_names[o] ?
	       origin_names[o] : "?";
}

/* RawVec::grow_amortized: max(2 * cap, needed), at least the minimum capacity. */
static uint64_t grow_amortized(uint64_t cap, uint64_t needed, uint64_t elem)
{
	uint64_t min_cap = elem == 1 ? 8 : elem <= 1024 ? 4 : 1;
	uint64_t c = cap * 2 > needed ? cap * 2 : needed;

	return c > min_cap ? c : min_cap;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lalloc-vec [-e BYTES] [-a ALIGN] [-n COUNT] [-b lalloc|kmalloc] [-s] [--json]\n"
		"Push COUNT elements into a Vec kept in kernel memory, growing it as Rust's\n"
		"RawVec does, and print each reallocation.\n\n"
		"  -e, --elem BYTES     element size (default 24)\n"
		"  -a, --align ALIGN    element alignment (default 8)\n"
		"  -n, --count COUNT    elements pushed (default 100000)\n"
		"  -b, --backend NAME   lalloc (default) or kmalloc\n"
		"  -s, --shrink         shrink_to_fit at the end, as Vec::shrink_to_fit\n"
		"  -j, --json           one JSON document instead of a table\n"
		"  -h, --help           this text\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "elem", required_argument, NULL, 'e' },
		{ "align", required_argument, NULL, 'a' },
		{ "count", required_argument, NULL, 'n' },
		{ "backend", required_argument, NULL, 'b' },
		{ "shrink", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	uint64_t elem = 24, align = 8, count = 100000, cap = 0, len = 0;
	struct lalloc_backend_args backend = { .backend = LALLOC_BACKEND_LALLOC };
	bool json = false, shrink = false;
	unsigned int moves = 0, steps = 0;
	uint32_t handle;
	int c, fd;

	while ((c = getopt_long(argc, argv, "e:a:n:b:sjh", opts, NULL)) != -1) {
		switch (c) {
		case 'e': elem = strtoull(optarg, NULL, 0); break;
		case 'a': align = strtoull(optarg, NULL, 0); break;
		case 'n': count = strtoull(optarg, NULL, 0); break;
		case 'b':
			if (!strcmp(optarg, "kmalloc"))
				backend.backend = LALLOC_BACKEND_KMALLOC;
			else if (strcmp(optarg, "lalloc")) {
				fprintf(stderr, "lalloc-vec: unknown backend '%s'\n", optarg);
				return 2;
			}
			break;
		case 's': shrink = true; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!elem || !align || (align & (align - 1)) || elem % align) {
		fprintf(stderr, "lalloc-vec: the element size must be a non-zero multiple of a power-of-two alignment\n");
		return 2;
	}
	fd = open(LALLOC_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "lalloc-vec: %s: %s%s\n", LALLOC_DEVICE, strerror(errno),
			errno == ENOENT ? " (is lalloc loaded?)" : "");
		return 1;
	}
	if (ioctl(fd, LALLOC_IOC_SET_BACKEND, &backend)) {
		perror("lalloc-vec: SET_BACKEND");
		return 1;
	}
	/* Vec::new(): a zero-size block, no memory. */
	{
		struct lalloc_alloc_args a = { .size = 0, .align = align };

		if (ioctl(fd, LALLOC_IOC_ALLOC, &a)) {
			perror("lalloc-vec: ALLOC");
			return 1;
		}
		handle = a.handle;
	}
	if (json)
		printf("{\"backend\":\"%s\",\"elem\":%" PRIu64 ",\"align\":%" PRIu64
		       ",\"count\":%" PRIu64 ",\"steps\":[",
		       backend.backend ? "kmalloc" : "lalloc", elem, align, count);
	else
		printf("%-10s %12s %12s %6s %-14s %6s\n", "CAPACITY", "BYTES", "USABLE",
		       "MOVED", "FROM", "CLASS");

	while (len < count || (shrink && cap > len)) {
		struct lalloc_resize_args r = { .handle = handle, .align = align };
		struct lalloc_info info = { .handle = handle };
		bool shrinking = len >= count;

		if (shrinking) {
			cap = len;
			r.size = cap * elem;
			if (ioctl(fd, LALLOC_IOC_SHRINK, &r)) {
				perror("lalloc-vec: SHRINK");
				return 1;
			}
		} else {
			cap = grow_amortized(cap, len + 1, elem);
			r.size = cap * elem;
			if (ioctl(fd, LALLOC_IOC_GROW, &r)) {
				fprintf(stderr, "lalloc-vec: GROW to %" PRIu64 " bytes: %s\n",
					(uint64_t)r.size, strerror(errno));
				return 1;
			}
		}
		if (ioctl(fd, LALLOC_IOC_INFO, &info)) {
			perror("lalloc-vec: INFO");
			return 1;
		}
		moves += r.moved;
		if (json)
			printf("%s{\"capacity\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"usable\":%"
			       PRIu64 ",\"moved\":%u,\"from\":\"%s\",\"class\":%u,\"slab_order\":%u}",
			       steps ? "," : "", cap, (uint64_t)r.size, (uint64_t)r.usable,
			       r.moved, origin_name(info.origin), info.class_slot,
			       info.slab_order);
		else
			printf("%-10" PRIu64 " %12" PRIu64 " %12" PRIu64 " %6s %-14s %6u%s\n",
			       cap, (uint64_t)r.size, (uint64_t)r.usable, r.moved ? "yes" : "no",
			       origin_name(info.origin), info.class_slot,
			       shrinking ? "  (shrink_to_fit)" : "");
		steps++;
		/* Fill up to the new capacity: pushes need no allocation. */
		len = cap < count ? cap : count;
	}
	if (json)
		printf("],\"reallocations\":%u,\"moves\":%u}\n", steps, moves);
	else
		printf("%u reallocations, %u moved the data\n", steps, moves);
	close(fd);
	return 0;
}
