// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc-hold: open /dev/lalloc and hold blocks, for the guest test
 * scripts: shows what the limits and the device's permissions let a
 * process do, one line per file, errnos by name.
 *
 *   $ lalloc-hold -n 3
 *   file 1: 2 of 3 EDQUOT
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/lalloc.h>

#define MAX_FILES 64

static const char *errno_name(int err)
{
	static char other[16];

	switch (err) {
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EDQUOT: return "EDQUOT";
	case ENOSPC: return "ENOSPC";
	case ENOMEM: return "ENOMEM";
	case EINVAL: return "EINVAL";
	case E2BIG: return "E2BIG";
	}
	snprintf(other, sizeof(other), "errno %d", err);
	return other;
}

/* The whole argument a number from 0 to max, else exit 2. */
static uint64_t number(const char *opt, const char *arg, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (end == arg || *end || errno || arg[0] == '-' || v > max) {
		fprintf(stderr, "lalloc-hold: %s takes a number from 0 to %" PRIu64 ", not '%s'\n",
			opt, max, arg);
		exit(2);
	}
	return v;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lalloc-hold [-n COUNT] [-s SIZE] [-a ALIGN] [-f FILES]\n"
		"Opens /dev/lalloc FILES times and ALLOCs COUNT blocks in each file in\n"
		"turn, keeping every file open until the end. Prints one line per file:\n"
		"\"file I: K of COUNT\", then the errno of the ALLOC that failed, if one\n"
		"did (the file's ALLOCs stop there), or \"open: ERRNO\" if open failed.\n\n"
		"  -n, --count COUNT  ALLOCs per file (default 1)\n"
		"  -s, --size SIZE    bytes per block (default 64)\n"
		"  -a, --align ALIGN  alignment, a power of two (default 8)\n"
		"  -f, --files FILES  open files, 1 to %d (default 1)\n"
		"      --version        the version\n"
		"  -h, --help         this text\n\n"
		"Exit status: 0 if every open and ALLOC succeeded, 1 if one failed.\n",
		MAX_FILES);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "align", required_argument, NULL, 'a' },
		{ "files", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	uint64_t count = 1, size = 64, align = 8, files = 1;
	int fds[MAX_FILES];
	int c, status = 0;

	while ((c = getopt_long(argc, argv, "n:s:a:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': count = number("-n", optarg, UINT32_MAX); break;
		case 's': size = number("-s", optarg, UINT64_MAX); break;
		case 'a': align = number("-a", optarg, UINT64_MAX); break;
		case 'f': files = number("-f", optarg, MAX_FILES); break;
		case 'h': usage(stdout); return 0;
		case 'V': puts("lalloc-hold " LALLOC_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lalloc-hold: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	for (uint64_t i = 0; i < files; i++) {
		uint64_t done = 0;
		int err = 0;

		fds[i] = open(LALLOC_DEVICE, O_RDWR | O_CLOEXEC);
		if (fds[i] < 0) {
			printf("open: %s\n", errno_name(errno));
			status = 1;
			continue;
		}
		printf("file %" PRIu64 ": ", i + 1);
		for (; done < count; done++) {
			struct lalloc_alloc_args a = { .size = size, .align = align };

			if (ioctl(fds[i], LALLOC_IOC_ALLOC, &a)) {
				err = errno;
				break;
			}
		}
		printf("%" PRIu64 " of %" PRIu64, done, count);
		if (err) {
			printf(" %s", errno_name(err));
			status = 1;
		}
		printf("\n");
	}
	/* Closing frees every block. */
	for (uint64_t i = 0; i < files; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return status;
}
