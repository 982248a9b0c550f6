// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc-stats-test: integration tests of lalloc's statistics, in the test
 * VMs: /proc/lalloc/stats deltas over a known workload run through
 * /dev/lalloc, gauges back at their baseline afterwards, reset (what it
 * accepts, whose credentials decide, the latency histograms it empties),
 * the slabinfo 2.1 format, the caches table, and lalloc-top's -o and a
 * strictly validated --json.
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
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
	long long req0 = cache_column("lalloc-104", "requested_bytes");
	long long req, res;
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
	/* A slot's and a page block's usable size: 104 and 25 pages. */
	CHECK(stat_of(&b, "device_bytes") - stat_of(&a, "device_bytes") ==
	      1000 * 104 + 3 * 25 * 4096, "device bytes +%lld",
	      stat_of(&b, "device_bytes") - stat_of(&a, "device_bytes"));
	/* What was live before, plus the known population, exactly. */
	req = stat_of(&a, "requested_bytes") + 1000 * 100 + 3 * 100000;
	res = stat_of(&a, "reserved_bytes") + 1000 * 104 + 3 * 25 * 4096;
	CHECK(stat_of(&b, "fragmentation_permille") == res * 1000 / req,
	      "fragmentation %lld, want %lld", stat_of(&b, "fragmentation_permille"),
	      res * 1000 / req);
	CHECK(stat_of(&b, "requested_bytes_hwm_sampled") >= stat_of(&b, "requested_bytes"),
	      "sampled hwm");
	CHECK(cache_column("lalloc-104", "active_objs") - active0 == 1000, "cache active");
	CHECK(cache_column("lalloc-104", "allocs") - allocs0 == 1000, "cache allocs");
	CHECK(cache_column("lalloc-104", "requested_bytes") - req0 == 1000 * 100,
	      "cache requested +%lld", cache_column("lalloc-104", "requested_bytes") - req0);
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

static bool run(const char *cmd, char *out, size_t len);

/* One write(2) of exactly these bytes; 0 or the errno. */
static int stats_write_fd(int fd, const char *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	if (n < 0)
		return errno;
	return n == (ssize_t)len ? 0 : EIO;
}

static int stats_write(const char *buf, size_t len)
{
	int fd = open("/proc/lalloc/stats", O_WRONLY | O_CLOEXEC), err;

	if (fd < 0)
		return errno;
	err = stats_write_fd(fd, buf, len);
	close(fd);
	return err;
}

static void test_reset(void)
{
	struct proc_stats a, b;
	char longer[64];
	int fd = dev_open();

	batch_alloc(fd, 50, 300, 8);
	CHECK(stats_write("reset\n", 6) == 0, "reset with a newline");
	read_proc_stats(&a);
	CHECK(stat_of(&a, "allocs") == 0, "allocs after reset %lld", stat_of(&a, "allocs"));
	CHECK(stat_of(&a, "active_objs") >= 50, "gauge survives reset");
	batch_alloc(fd, 5, 300, 8);
	CHECK(stats_write("reset", 5) == 0, "reset without a newline");
	read_proc_stats(&b);
	CHECK(stat_of(&b, "allocs") == 0, "allocs after a bare reset %lld",
	      stat_of(&b, "allocs"));
	CHECK(stat_of(&b, "active_objs") == stat_of(&a, "active_objs") + 5, "active");

	/* Nothing but "reset" and one newline: every other write is refused. */
	batch_alloc(fd, 1, 300, 8);
	CHECK(stats_write("bogus\n", 6) == EINVAL, "a bad command");
	CHECK(stats_write("reset\0junk", 10) == EINVAL, "reset\\0junk");
	CHECK(stats_write("reset\0", 6) == EINVAL, "reset\\0");
	CHECK(stats_write("reset\n\n", 7) == EINVAL, "two newlines");
	CHECK(stats_write("reset ", 6) == EINVAL, "a trailing space");
	CHECK(stats_write("rese", 4) == EINVAL, "a prefix");
	memset(longer, 'x', sizeof(longer));
	memcpy(longer, "reset\n", 6);
	CHECK(stats_write(longer, sizeof(longer)) == EINVAL, "input longer than reset");
	read_proc_stats(&b);
	CHECK(stat_of(&b, "allocs") == 1, "no refused write reset: allocs %lld",
	      stat_of(&b, "allocs"));

	CHECK(stats_write("reset\n", 6) == 0, "reset");
	close(fd);
	read_proc_stats(&b);
	CHECK(stat_of(&b, "frees") == 56, "frees since reset %lld", stat_of(&b, "frees"));
	CHECK(stat_of(&b, "active_objs") == stat_of(&a, "active_objs") - 50, "active");
}

/* Set or clear CAP_SYS_ADMIN in the effective set, the permitted set kept. */
static int effective_sys_admin(int on)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	if (on)
		d[0].effective |= 1U << CAP_SYS_ADMIN;
	else
		d[0].effective &= ~(1U << CAP_SYS_ADMIN);
	return syscall(SYS_capset, &h, d) ? -1 : 0;
}

/* allocs since the last reset, after allocating one block through fd. */
static long long one_more_alloc(int dev)
{
	struct proc_stats ps;

	batch_alloc(dev, 1, 300, 8);
	read_proc_stats(&ps);
	return stat_of(&ps, "allocs");
}

/*
 * Whose credentials a reset is checked against: the opener's. An fd
 * opened without CAP_SYS_ADMIN is refused even when a privileged process
 * writes to it; one opened by root may be handed to an unprivileged
 * process, which may then reset.
 */
static void test_reset_credentials(void)
{
	int dev = dev_open(), fd, status, err;
	struct proc_stats ps;
	pid_t pid;

	/* Opened without CAP_SYS_ADMIN (uid 0 still opens it by its mode). */
	CHECK(effective_sys_admin(0) == 0, "drop CAP_SYS_ADMIN: %s", strerror(errno));
	fd = open("/proc/lalloc/stats", O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open without CAP_SYS_ADMIN: %s", strerror(errno));
	CHECK(stats_write_fd(fd, "reset\n", 6) == EPERM, "write without CAP_SYS_ADMIN");
	CHECK(effective_sys_admin(1) == 0, "raise CAP_SYS_ADMIN: %s", strerror(errno));
	CHECK(one_more_alloc(dev) > 0, "counting");
	err = stats_write_fd(fd, "reset\n", 6);
	CHECK(err == EPERM, "capless opener, privileged writer: %s", strerror(err));
	CHECK(one_more_alloc(dev) > 1, "the refused write reset nothing");
	close(fd);

	/* Opened by root, written by uid 65534 with no capabilities. */
	fd = open("/proc/lalloc/stats", O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0, "open as root: %s", strerror(errno));
	CHECK(one_more_alloc(dev) > 0, "counting");
	pid = fork();
	if (pid == 0) {
		int nfd;

		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(3);
		/* Unprivileged, the file's mode refuses an open for writing. */
		nfd = open("/proc/lalloc/stats", O_WRONLY | O_CLOEXEC);
		if (nfd >= 0 || errno != EACCES)
			_exit(4);
		_exit(stats_write_fd(fd, "reset\n", 6) ? 5 : 0);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status),
	      "child");
	/* Exit 3: setuid failed, 4: open was not EACCES, 5: the write failed. */
	CHECK(WEXITSTATUS(status) == 0, "unprivileged writer of a root-opened fd: exit %d",
	      WEXITSTATUS(status));
	close(fd);
	read_proc_stats(&ps);
	CHECK(stat_of(&ps, "allocs") == 0, "reset by the unprivileged writer: allocs %lld",
	      stat_of(&ps, "allocs"));
	close(dev);
}

/* alloc + free counts in /proc/lalloc/latency. */
static long long latency_total(void)
{
	FILE *f = fopen("/proc/lalloc/latency", "r");
	unsigned long long from, a, fr;
	long long total = 0;
	char line[256];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '#' && sscanf(line, "%llu %llu %llu", &from, &a, &fr) == 3)
			total += a + fr;
	fclose(f);
	return total;
}

static bool write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	return f && fputs(s, f) >= 0 && fclose(f) == 0;
}

/* A stats reset empties the latency histograms too. */
static void test_reset_latency(void)
{
	const char *param = "/sys/module/lalloc/parameters/latency_stats";
	char out[4096];

	CHECK(write_file(param, "1\n"), "latency_stats=1");
	CHECK(run("lalloc-hold -n 2000", out, sizeof(out)), "lalloc-hold");
	CHECK(write_file(param, "0\n"), "latency_stats=0");
	CHECK(latency_total() > 0, "histograms filled: %lld", latency_total());
	CHECK(stats_write("reset\n", 6) == 0, "reset");
	CHECK(latency_total() == 0, "histograms after reset: %lld", latency_total());
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

/*
 * A strict JSON (RFC 8259) validator, recursive descent: one value, then
 * only whitespace. No leading zeros, no trailing commas, no bare control
 * characters in strings, only the escapes JSON has.
 */
struct json {
	const char *p;
	int depth;
};

static void json_ws(struct json *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static bool json_value(struct json *j);

static bool json_string(struct json *j)
{
	if (*j->p++ != '"')
		return false;
	for (;;) {
		unsigned char c = *j->p++;

		if (c == '"')
			return true;
		if (c < 0x20)	/* the end of the text included */
			return false;
		if (c != '\\')
			continue;
		c = *j->p++;
		if (c == 'u') {
			for (int i = 0; i < 4; i++, j->p++)
				if (!strchr("0123456789abcdefABCDEF", *j->p) || !*j->p)
					return false;
		} else if (!c || !strchr("\"\\/bfnrt", c)) {
			return false;
		}
	}
}

static bool json_digits(struct json *j)
{
	if (*j->p < '0' || *j->p > '9')
		return false;
	while (*j->p >= '0' && *j->p <= '9')
		j->p++;
	return true;
}

static bool json_number(struct json *j)
{
	if (*j->p == '-')
		j->p++;
	if (*j->p == '0')
		j->p++;
	else if (!json_digits(j))
		return false;
	if (*j->p == '.') {
		j->p++;
		if (!json_digits(j))
			return false;
	}
	if (*j->p == 'e' || *j->p == 'E') {
		j->p++;
		if (*j->p == '+' || *j->p == '-')
			j->p++;
		if (!json_digits(j))
			return false;
	}
	return true;
}

/* An object or an array: open, values (with keys), close. */
static bool json_container(struct json *j, char close, bool keys)
{
	j->p++;
	if (++j->depth > 64)
		return false;
	json_ws(j);
	if (*j->p == close) {
		j->p++;
		j->depth--;
		return true;
	}
	for (;;) {
		json_ws(j);
		if (keys) {
			if (!json_string(j))
				return false;
			json_ws(j);
			if (*j->p++ != ':')
				return false;
		}
		if (!json_value(j))
			return false;
		json_ws(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p++ != close)
			return false;
		j->depth--;
		return true;
	}
}

static bool json_value(struct json *j)
{
	json_ws(j);
	switch (*j->p) {
	case '{':
		return json_container(j, '}', true);
	case '[':
		return json_container(j, ']', false);
	case '"':
		return json_string(j);
	case 't':
		return !strncmp(j->p, "true", 4) && (j->p += 4);
	case 'f':
		return !strncmp(j->p, "false", 5) && (j->p += 5);
	case 'n':
		return !strncmp(j->p, "null", 4) && (j->p += 4);
	default:
		return json_number(j);
	}
}

static bool json_valid(const char *text)
{
	struct json j = { text, 0 };

	if (!json_value(&j))
		return false;
	json_ws(&j);
	return !*j.p;
}

/* The validator itself: what it must accept and what it must refuse. */
static void test_json_validator(void)
{
	static const char *const good[] = {
		"{}", "[]", "0", "-0.5e+3", "\"a\\u00e9\\n\"", "{\"a\":[1,2,{\"b\":null}]}\n",
		" [true, false] ",
	};
	static const char *const bad[] = {
		"", "{", "{\"a\":1,}", "[1,]", "[01]", "{\"a\" 1}", "{a:1}", "[1 2]",
		"\"tab\there\"", "\"\\x\"", "[1]]", "{} {}", "-", "1.", "1e", "[nul]",
		"\"\\u12g4\"", "{\"a\":1}x", "[18446744073709551615-1]",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(json_valid(good[i]), "refused: %s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!json_valid(bad[i]), "accepted: %s", bad[i]);
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
	CHECK(json_valid(out), "not valid JSON: %.400s", out);
	/* No gauge or counter that wrapped below zero. */
	CHECK(!strstr(out, ":18446744073709551615"), "a -1 in the JSON");
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
	{ "stats reset: the opener's credentials", test_reset_credentials },
	{ "stats reset: latency histograms", test_reset_latency },
	{ "slabinfo 2.1 format", test_slabinfo },
	{ "strict JSON validator", test_json_validator },
	{ "lalloc-top -o, --json, --proc", test_lalloc_top },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, tests, sizeof(tests) / sizeof(tests[0]),
			 "lalloc's statistics", "");
}
