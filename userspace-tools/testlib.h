/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The harness lalloc's integration test programs share: CHECK(), the test
 * table, and a main loop printing "PASS: name" / "FAIL: name".
 */
#ifndef LALLOC_TESTLIB_H
#define LALLOC_TESTLIB_H

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/lalloc.h>

static int failures_in_test;

/* Records a failure with its place and a printf-style explanation. */
#define CHECK(cond, ...)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			printf("    %s:%d: check failed: %s: ", __FILE__,    \
			       __LINE__, #cond);                             \
			printf(__VA_ARGS__);                                 \
			printf("\n");                                        \
			failures_in_test++;                                  \
		}                                                            \
	} while (0)

struct test {
	const char *name;
	void (*fn)(void);
};

static inline int dev_open(void)
{
	int fd = open(LALLOC_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		perror(LALLOC_DEVICE);
		exit(2);
	}
	return fd;
}

/*
 * main() of a test program: [--list] [--prefix P] [TEST-NAME]. Runs every
 * test (or the one named) and exits 1 if any failed.
 */
static inline int run_tests(int argc, char **argv, const struct test *tests, size_t n,
		     const char *what, const char *prefix)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "list", no_argument, NULL, 'l' },
		{ "prefix", required_argument, NULL, 'p' },
		{}
	};
	const char *only = NULL;
	int c, failed = 0;

	while ((c = getopt_long(argc, argv, "hlp:", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			for (size_t i = 0; i < n; i++)
				puts(tests[i].name);
			return 0;
		case 'p':
			prefix = optarg;
			break;
		default:
			printf("usage: %s [--list] [--prefix P] [TEST-NAME]\n"
			       "Integration tests of %s (root, lalloc loaded).\n",
			       argv[0], what);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind < argc) {
		size_t i;

		only = argv[optind];
		for (i = 0; i < n && strcmp(only, tests[i].name); i++)
			;
		/* Naming a test that does not exist must not pass by running nothing. */
		if (i == n) {
			fprintf(stderr, "%s: no test named '%s' (--list lists them)\n",
				argv[0], only);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < n; i++) {
		if (only && strcmp(only, tests[i].name))
			continue;
		failures_in_test = 0;
		tests[i].fn();
		printf("%s: %s%s\n", failures_in_test ? "FAIL" : "PASS", prefix, tests[i].name);
		failed += !!failures_in_test;
	}
	return failed ? 1 : 0;
}

#endif /* LALLOC_TESTLIB_H */
