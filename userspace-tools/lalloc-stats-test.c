// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc-stats-test: integration tests of lalloc's statistics, in the test
 * VMs: /proc/lalloc/stats deltas over a known workload run through
 * /dev/lalloc, gauges back at their baseline afterwards, reset, the
 * slabinfo 2.1 format, the caches table, and lalloc-top's -o and --json.
 *
 * Prints "PASS: name" / "FAIL: name" per test; exits 1 if any failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/lalloc.h>

#include "testlib.h"



#define MAX_STATS 128

struct proc_stats {
	char name[MAX_STATS][64];
	long long value[MAX_STATS];
	int n;
};

static void read_proc_stats(struct proc_stats *ps)
{
	FILE *f = fopen("/proc/lalloc/stats", "r");

	ps->n = 0;
	if (!f) {
		perror("/proc/lalloc/stats");
		exit(2);
	}
	while (ps->n < MAX_STATS &&
	       fscanf(f, "%63s %lld", ps->name[ps->n], &ps->value[ps->n]) == 2)
		ps->n++;
	fclose(f);
}

static long long stat_of(const struct proc_stats *ps, const char *name)
{
	for (int i = 0; i < ps->n; i++)
		if (!strcmp(ps->name[i], name))
			return ps->value[i];
	printf("    no statistic '%s'\n", name);
	failures_in_test++;
	return -1;
}

/* One row of /proc/lalloc/caches, by cache name and column name. */
static long long cache_column(const char *cache, const char *column)
{
	char header[4096], line[4096], *save, *tok;
	FILE *f = fopen("/proc/lalloc/caches", "r");
	int col = -1, i = 0;
	long long v = -1;

	if (!f || !fgets(header, sizeof(header), f))
		goto out;
	for (tok = strtok_r(header, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save), i++)
		if (!strcmp(tok, column))
			col = i - 1;	/* the header starts with "#" */
	while (col >= 0 && fgets(line, sizeof(line), f)) {
		tok = strtok_r(line, " \n", &save);
		if (!tok || strcmp(tok, cache))
			continue;
		for (i = 0; tok && i < col; i++)
			tok = strtok_r(NULL, " \n", &save);
		if (tok)
			v = atoll(tok);
		break;
	}
out:
	if (f)
		fclose(f);
	if (v < 0) {
		printf("    no column %s for %s\n", column, cache);
		failures_in_test++;
	}
	return v;
}


/* n blocks of one layout through one BATCH. */
static void batch_alloc(int fd, unsigned int n, uint64_t size, uint64_t align)
{
	struct lalloc_batch_op *ops = calloc(n, sizeof(*ops));
	struct lalloc_batch_args b = {
		.ops = (uint64_t)(uintptr_t)ops, .count = n, .op_size = sizeof(*ops),
	};

	for (unsigned int i = 0; i < n; i++)
		ops[i] = (struct lalloc_batch_op){ .op = LALLOC_OP_ALLOC, .size = size,
						   .align = align };
	CHECK(ioctl(fd, LALLOC_IOC_BATCH, &b) == 0 && b.failed == 0, "batch: %s",
	      strerror(errno));
	free(ops);
}

static void test_stats_deltas(void)
{
	struct proc_stats a, b, c;
	long long active0 = cache_column("lalloc-104", "active_objs");
	long long allocs0 = cache_column("lalloc-104", "allocs");
	int fd;

	read_proc_stats(&a);
	fd = dev_open();
	batch_alloc(fd, 1000, 100, 8);		/* class 104 */
	batch_alloc(fd, 3, 100000, 4096);	/* pages: 25 each */
	read_proc_stats(&b);
	CHECK(stat_of(&b, "allocs") - stat_of(&a, "allocs") == 1003, "allocs +%lld",
	      stat_of(&b, "allocs") - stat_of(&a, "allocs"));
	CHECK(stat_of(&b, "active_objs") - stat_of(&a, "active_objs") == 1003, "active");
	CHECK(stat_of(&b, "requested_bytes") - stat_of(&a, "requested_bytes") ==
	      1000 * 100 + 3 * 100000, "requested");
	CHECK(stat_of(&b, "reserved_bytes") - stat_of(&a, "reserved_bytes") ==
	      1000 * 104 + 3 * 25 * 4096, "reserved");
	CHECK(stat_of(&b, "large_allocs") - stat_of(&a, "large_allocs") == 3, "large");
	CHECK(stat_of(&b, "large_bytes") - stat_of(&a, "large_bytes") == 3 * 25 * 4096,
	      "large bytes");
	CHECK(stat_of(&b, "held_bytes") >= stat_of(&b, "reserved_bytes"), "held covers reserved");
	CHECK(stat_of(&b, "held_bytes") == stat_of(&b, "slab_bytes") +
	      stat_of(&b, "large_bytes") + stat_of(&b, "vmalloc_bytes"), "held sum");
	CHECK(stat_of(&b, "held_bytes_hwm") >= stat_of(&b, "held_bytes"), "hwm");
	CHECK(stat_of(&b, "open_files") == stat_of(&a, "open_files") + 1, "open files");
	CHECK(stat_of(&b, "device_bytes") >= 1000 * 104 + 3 * 25 * 4096, "device bytes");
	CHECK(stat_of(&b, "fragmentation_permille") >= 1000, "fragmentation");
	CHECK(cache_column("lalloc-104", "active_objs") - active0 == 1000, "cache active");
	CHECK(cache_column("lalloc-104", "allocs") - allocs0 == 1000, "cache allocs");
	CHECK(cache_column("lalloc-104", "requested_bytes") >= 100000, "cache requested");
	close(fd);
	read_proc_stats(&c);
	CHECK(stat_of(&c, "active_objs") == stat_of(&a, "active_objs"), "active back");
	CHECK(stat_of(&c, "requested_bytes") == stat_of(&a, "requested_bytes"), "requested back");
	CHECK(stat_of(&c, "reserved_bytes") == stat_of(&a, "reserved_bytes"), "reserved back");
	CHECK(stat_of(&c, "large_bytes") == stat_of(&a, "large_bytes"), "large back");
	CHECK(stat_of(&c, "device_bytes") == stat_of(&a, "device_bytes"), "device bytes back");
	CHECK(stat_of(&c, "frees") - stat_of(&a, "frees") == 1003, "frees");
	CHECK(cache_column("lalloc-104", "active_objs") == active0, "cache active back");
}

static void test_reset(void)
{
	struct proc_stats a, b;
	int fd = dev_open();
	FILE *f;

	batch_alloc(fd, 50, 300, 8);
	f = fopen("/proc/lalloc/stats", "w");
	CHECK(f && fputs("reset\n", f) >= 0 && fclose(f) == 0, "write reset");
	read_proc_stats(&a);
	CHECK(stat_of(&a, "allocs") == 0, "allocs after reset %lld", stat_of(&a, "allocs"));
	CHECK(stat_of(&a, "active_objs") >= 50, "gauge survives reset");
	f = fopen("/proc/lalloc/stats", "w");
	CHECK(f && (fputs("bogus\n", f), fclose(f) != 0), "a bad command is refused");
	close(fd);
	read_proc_stats(&b);
	CHECK(stat_of(&b, "frees") == 50, "frees since reset");
	CHECK(stat_of(&b, "active_objs") == stat_of(&a, "active_objs") - 50, "active");
}

/* A strict reader of /proc/slabinfo's version 2.1, as slabtop parses it. */
static void test_slabinfo(void)
{
	char line[512];
	FILE *f = fopen("/proc/lalloc/slabinfo", "r");
	int rows = 0;

	CHECK(f != NULL, "open");
	if (!f)
		return;
	CHECK(fgets(line, sizeof(line), f) && !strcmp(line, "slabinfo - version: 2.1\n"),
	      "version line: %s", line);
	CHECK(fgets(line, sizeof(line), f) &&
	      !strncmp(line, "# name            <active_objs> <num_objs> <objsize> "
			     "<objperslab> <pagesperslab> : tunables <limit> <batchcount> "
			     "<sharedfactor> : slabdata <active_slabs> <num_slabs> "
			     "<sharedavail>", 170), "header: %s", line);
	while (fgets(line, sizeof(line), f)) {
		char name[64];
		unsigned long active, num, size, per, pages, limit, batch, shared;
		unsigned long aslabs, nslabs, avail;
		int n = sscanf(line, "%63s %lu %lu %lu %lu %lu : tunables %lu %lu %lu : "
			       "slabdata %lu %lu %lu", name, &active, &num, &size, &per,
			       &pages, &limit, &batch, &shared, &aslabs, &nslabs, &avail);

		CHECK(n == 12, "row: %s", line);
		if (n != 12)
			break;
		CHECK(!strncmp(name, "lalloc-", 7) && strtoul(name + 7, NULL, 10) == size,
		      "name %s", name);
		CHECK(active <= num && aslabs <= nslabs && per * size <= pages * 4096,
		      "row: %s", line);
		rows++;
	}
	CHECK(rows == 80, "%d rows", rows);
	fclose(f);
}

static bool run(const char *cmd, char *out, size_t len)
{
	FILE *p = popen(cmd, "r");
	size_t n;

	if (!p)
		return false;
	n = fread(out, 1, len - 1, p);
	out[n] = 0;
	return pclose(p) == 0;
}

static void test_lalloc_top(void)
{
	static char out[1 << 16];
	int fd = dev_open();

	batch_alloc(fd, 777, 320, 64);
	CHECK(run("lalloc-top -o -d 0.1", out, sizeof(out)), "lalloc-top -o");
	CHECK(strstr(out, "lalloc: ") && strstr(out, "CACHE"), "header:\n%s", out);
	{
		char *row = strstr(out, "\nlalloc-320 ");
		unsigned long long active = 0;

		CHECK(row && sscanf(row, " lalloc-320 %llu", &active) == 1 && active == 777,
		      "lalloc-320 row, active %llu:\n%s", active, out);
	}
	for (char *line = out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		CHECK(strcspn(line, "\n") <= 80, "line over 80 columns: %.*s",
		      (int)strcspn(line, "\n"), line);
	CHECK(run("lalloc-top --json -d 0.1", out, sizeof(out)), "lalloc-top --json");
	CHECK(out[0] == '{' && strstr(out, "\"caches\":[") && strstr(out, "]}\n"),
	      "json shape: %.200s", out);
	CHECK(strstr(out, "\"name\":\"lalloc-320\",\"slot_size\":320,\"align\":64,") != NULL,
	      "json cache");
	{
		char *p = strstr(out, "\"name\":\"lalloc-320\"");
		char *q = p ? strstr(p, "\"active_objs\":") : NULL;

		CHECK(q && atoll(q + 14) == 777, "json active_objs");
	}
	CHECK(run("lalloc-top --proc -o -d 0.1", out, sizeof(out)), "lalloc-top --proc");
	CHECK(strstr(out, "[/proc/lalloc, by active]") && strstr(out, "\nlalloc-320 "),
	      "proc fallback:\n%s", out);
	CHECK(!run("lalloc-top -s bogus -o 2>/dev/null", out, sizeof(out)), "bad sort key");
	CHECK(run("lalloc-top --help", out, sizeof(out)) && strstr(out, "usage:"), "help");
	close(fd);
}

static const struct test tests[] = {
	{ "stats deltas and baseline", test_stats_deltas },
	{ "stats reset", test_reset },
	{ "slabinfo 2.1 format", test_slabinfo },
	{ "lalloc-top -o, --json, --proc", test_lalloc_top },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, tests, sizeof(tests) / sizeof(tests[0]),
			 "lalloc's statistics", "");
}
