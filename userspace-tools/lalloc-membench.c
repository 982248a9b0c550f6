// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc-membench: memory held by lalloc and by kmalloc for the same live
 * population of layouts, allocated through /dev/lalloc on each backend in
 * turn (root; lalloc loaded).
 *
 * What each allocator holds is measured the same way for both: the change in
 * the kernel's unreclaimable slab bytes (/proc/vmstat nr_slab_unreclaimable, in pages, after a stat_refresh
 * makes it exact; kmalloc's large blocks count there too) plus the change in
 * lalloc's held_bytes. The per-handle bookkeeping of the device shows in
 * both; a population of zero-size blocks measures it so it can be taken out.
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

struct layout {
	uint64_t size, align;
};

/* A deterministic generator, so every run sees the same population. */
static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return rng_state >> 33;
}

/*
 * Rust-like layouts: types of align 1..64 whose size is a multiple of the
 * alignment (structs), sizes log-uniform from 8 B to 16 KiB, and a quarter
 * byte buffers (align 1) such as Vec<u8> and String.
 */
static struct layout mixed_layout(uint64_t max)
{
	static const uint64_t aligns[] = { 1, 2, 4, 8, 8, 8, 8, 16, 16, 32, 64 };
	struct layout l;
	double lo = 3, hi = __builtin_log2((double)max);
	double e = lo + (hi - lo) * (rnd() / 2147483648.0);
	uint64_t size = (uint64_t)__builtin_exp2(e);

	l.align = rnd() % 4 == 0 ? 1 : aligns[rnd() % (sizeof(aligns) / sizeof(aligns[0]))];
	l.size = (size + l.align - 1) / l.align * l.align;
	if (!l.size)
		l.size = l.align;
	return l;
}

static long long vmstat(const char *name)
{
	char key[128];
	long long v;
	FILE *f;
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	/* Folds the per-CPU deltas into the global counters: exact figures. */
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			perror("stat_refresh");
		close(fd);
	}
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%127s %lld", key, &v) == 2)
		if (!strcmp(key, name)) {
			fclose(f);
			return v;
		}
	fclose(f);
	return -1;
}

static uint64_t lalloc_held(int fd)
{
	struct lalloc_stats st;

	memset(&st, 0, sizeof(st));
	if (ioctl(fd, LALLOC_IOC_STATS, &st)) {
		perror("STATS");
		exit(1);
	}
	return st.held_bytes;
}

static long long held_now(int statfd)
{
	return vmstat("nr_slab_unreclaimable") * 4096 + (long long)lalloc_held(statfd);
}

/* Allocate the population on @backend; return the bytes it made the kernel hold. */
static long long measure(const struct layout *ls, unsigned int n, uint32_t backend,
			 bool zero_size, int statfd)
{
	struct lalloc_backend_args b = { .backend = backend };
	struct lalloc_batch_op *ops = calloc(n, sizeof(*ops));
	struct lalloc_batch_args a = {
		.ops = (uint64_t)(uintptr_t)ops, .count = n, .op_size = sizeof(*ops),
	};
	long long before, after;
	int fd = open(LALLOC_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0 || !ops || ioctl(fd, LALLOC_IOC_SET_BACKEND, &b)) {
		perror("lalloc-membench: " LALLOC_DEVICE);
		exit(1);
	}
	for (unsigned int i = 0; i < n; i++)
		ops[i] = (struct lalloc_batch_op){
			.op = LALLOC_OP_ALLOC,
			.size = zero_size ? 0 : ls[i].size,
			.align = ls[i].align,
		};
	before = held_now(statfd);
	if (ioctl(fd, LALLOC_IOC_BATCH, &a) || a.failed) {
		fprintf(stderr, "lalloc-membench: allocation failed (%u of %u)\n", a.failed, n);
		exit(1);
	}
	after = held_now(statfd);
	close(fd);
	free(ops);
	return after - before;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lalloc-membench [-n COUNT] [-m MAXSIZE] [-s SEED] [--json]\n"
		"Memory held by lalloc and by kmalloc for one live population of layouts.\n\n"
		"  -n, --count COUNT    blocks (default 50000)\n"
		"  -m, --max BYTES      largest size (default 16384)\n"
		"  -s, --seed SEED      population seed (default 1)\n"
		"  -j, --json           JSON instead of text\n"
		"      --version        the version\n"
		"  -h, --help           this text\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "max", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	unsigned int n = 50000;
	uint64_t max = 16384, requested = 0;
	long long handles, lalloc_b, kmalloc_b;
	struct layout *ls;
	bool json = false;
	int c, statfd;

	rng_state = 1;
	while ((c = getopt_long(argc, argv, "n:m:s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'n': n = strtoul(optarg, NULL, 0); break;
		case 'm': max = strtoull(optarg, NULL, 0); break;
		case 's': rng_state = strtoull(optarg, NULL, 0); break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': puts("lalloc-membench " LALLOC_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!n || n > LALLOC_BATCH_MAX || max < 16) {
		fprintf(stderr, "lalloc-membench: count must be 1..%d, max at least 16\n",
			LALLOC_BATCH_MAX);
		return 2;
	}
	ls = calloc(n, sizeof(*ls));
	statfd = open(LALLOC_DEVICE, O_RDWR | O_CLOEXEC);
	if (!ls || statfd < 0) {
		perror("lalloc-membench: " LALLOC_DEVICE);
		return 1;
	}
	for (unsigned int i = 0; i < n; i++) {
		ls[i] = mixed_layout(max);
		requested += ls[i].size;
	}
	/* Warm both once, so lazily created caches do not count against either. */
	measure(ls, n, LALLOC_BACKEND_LALLOC, false, statfd);
	measure(ls, n, LALLOC_BACKEND_KMALLOC, false, statfd);
	handles = measure(ls, n, LALLOC_BACKEND_LALLOC, true, statfd);
	lalloc_b = measure(ls, n, LALLOC_BACKEND_LALLOC, false, statfd) - handles;
	kmalloc_b = measure(ls, n, LALLOC_BACKEND_KMALLOC, false, statfd) - handles;
	if (json)
		printf("{\"blocks\":%u,\"max_size\":%" PRIu64 ",\"requested_bytes\":%" PRIu64
		       ",\"lalloc_bytes\":%lld,\"kmalloc_bytes\":%lld,\"handle_bytes\":%lld"
		       ",\"ratio\":%.3f}\n", n, max, requested, lalloc_b, kmalloc_b, handles,
		       kmalloc_b > 0 ? (double)lalloc_b / kmalloc_b : 0.0);
	else
		printf("%u blocks up to %" PRIu64 " bytes: requested %.1f MiB\n"
		       "  lalloc holds  %8.1f MiB (%.3f of requested)\n"
		       "  kmalloc holds %8.1f MiB (%.3f of requested)\n"
		       "  lalloc / kmalloc = %.3f  (device bookkeeping %.1f MiB taken out of both)\n",
		       n, max, requested / 1048576.0, lalloc_b / 1048576.0,
		       (double)lalloc_b / requested, kmalloc_b / 1048576.0,
		       (double)kmalloc_b / requested,
		       kmalloc_b > 0 ? (double)lalloc_b / kmalloc_b : 0.0, handles / 1048576.0);
	return 0;
}
