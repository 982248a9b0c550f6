// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of lalloc-stress's pure parts: the block pattern, the
 * latency percentiles, the trace parser and reader, the id map. Prints
 * "PASS: name" / "FAIL: name"; exits 1 if any failed.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "idmap.h"
#include "lathist.h"
#include "pattern.h"
#include "trace.h"
#include "testlib.h"


static void test_pattern_fill_check(void)
{
	static unsigned char buf[4096], part[100];
	uint64_t key = pattern_key(42, 7, 3);

	pattern_fill(buf, 0, sizeof(buf), key);
	CHECK(pattern_mismatch(buf, 0, sizeof(buf), key) == -1, "fresh pattern verifies");
	for (size_t i = 0; i < sizeof(buf); i++)
		if (buf[i] != pattern_byte(key, i)) {
			CHECK(0, "byte %zu differs from pattern_byte()", i);
			break;
		}
	/* Any sub-range, at any alignment, is the same bytes as the whole. */
	for (uint64_t off = 0; off < 20; off++) {
		pattern_fill(part, off + 1000, sizeof(part) - off, key);
		CHECK(!memcmp(part, buf + 1000 + off, sizeof(part) - off), "range at %llu",
		      (unsigned long long)off);
		CHECK(pattern_mismatch(buf + 1000 + off, 1000 + off, 50, key) == -1, "check at %llu",
		      (unsigned long long)off);
	}
}

static void test_pattern_detects_one_byte(void)
{
	static unsigned char buf[1000];
	uint64_t key = pattern_key(1, 2, 0);

	pattern_fill(buf, 0, sizeof(buf), key);
	for (size_t i = 0; i < sizeof(buf); i += 37) {
		buf[i] ^= 0x10;
		CHECK(pattern_mismatch(buf, 0, sizeof(buf), key) == (long)i, "flip at %zu", i);
		buf[i] ^= 0x10;
	}
	CHECK(pattern_mismatch(buf, 0, 0, key) == -1, "empty range");
}

static void test_pattern_keys_differ(void)
{
	static unsigned char a[64], b[64];

	pattern_fill(a, 0, 64, pattern_key(1, 5, 0));
	pattern_fill(b, 0, 64, pattern_key(1, 5, 1));
	CHECK(memcmp(a, b, 64), "generation changes the bytes");
	pattern_fill(b, 0, 64, pattern_key(1, 6, 0));
	CHECK(memcmp(a, b, 64), "id changes the bytes");
	pattern_fill(b, 0, 64, pattern_key(2, 5, 0));
	CHECK(memcmp(a, b, 64), "seed changes the bytes");
	CHECK(pattern_mismatch(b, 0, 64, pattern_key(1, 5, 0)) >= 0, "another block's bytes fail");
	/* A block of zeros is never mistaken for a pattern of 8 bytes or more. */
	memset(a, 0, sizeof(a));
	CHECK(pattern_mismatch(a, 0, 64, pattern_key(1, 5, 0)) >= 0, "zeros fail");
}

static void test_zero_mismatch(void)
{
	static unsigned char z[3000];

	CHECK(zero_mismatch(z, sizeof(z)) == -1, "all zero");
	z[2999] = 1;
	CHECK(zero_mismatch(z, sizeof(z)) == 2999, "last byte");
	z[256] = 1;
	CHECK(zero_mismatch(z, sizeof(z)) == 256, "byte 256");
	CHECK(zero_mismatch(z, 0) == -1, "empty");
}

static void test_lathist_buckets(void)
{
	uint64_t prev = 0;

	for (uint64_t v = 0; v < 16; v++)
		CHECK(lathist_index(v) == v && lathist_upper((unsigned int)v) == v, "exact %llu",
		      (unsigned long long)v);
	/* Buckets are contiguous and each value lies in its bucket. */
	for (unsigned int i = 1; i < LATHIST_BUCKETS; i++) {
		uint64_t up = lathist_upper(i);

		CHECK(up > prev, "bucket %u grows", i);
		CHECK(lathist_index(prev + 1) == i && lathist_index(up) == i, "bucket %u bounds", i);
		prev = up;
	}
	CHECK(prev == UINT64_MAX, "the last bucket ends at UINT64_MAX");
}

static void test_lathist_percentiles(void)
{
	static struct lathist h, h2;

	CHECK(lathist_percentile(&h, 50) == 0, "empty");
	for (uint64_t v = 1; v <= 1000; v++)
		lathist_add(&h, v);
	CHECK(h.count == 1000 && h.max == 1000, "count and max");
	/* Nearest rank, at most 1/16 above. */
	struct { double p; uint64_t exact; } cases[] = {
		{ 50, 500 }, { 99, 990 }, { 99.9, 999 }, { 100, 1000 }, { 0.1, 1 }, { 0, 1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t got = lathist_percentile(&h, cases[i].p);

		CHECK(got >= cases[i].exact && got <= cases[i].exact + cases[i].exact / 16,
		      "p%g is %llu, exact %llu", cases[i].p, (unsigned long long)got,
		      (unsigned long long)cases[i].exact);
	}
	/* 99.9% of 1000 samples of 10 and one of 1000000: p99.9 is still 10. */
	for (int i = 0; i < 999; i++)
		lathist_add(&h2, 10);
	lathist_add(&h2, 1000000);
	CHECK(lathist_percentile(&h2, 99.9) == 10, "p99.9 %llu", (unsigned long long)lathist_percentile(&h2, 99.9));
	CHECK(lathist_percentile(&h2, 100) == 1000000, "p100 is the max");
	lathist_merge(&h2, &h);
	CHECK(h2.count == 2000 && h2.max == 1000000, "merge");
	CHECK(lathist_percentile(&h2, 50) == 10, "merged p50");
}

static int parse(const char *line, struct trace_op *op, const char **err)
{
	*err = NULL;
	return trace_parse_line(line, op, err);
}

static void test_trace_good_lines(void)
{
	struct trace_op op;
	const char *err;

	CHECK(parse("a 1 16 8\n", &op, &err) == 1 && op.kind == 'a' && op.id == 1 &&
	      op.size == 16 && op.align == 8 && op.has_align, "alloc");
	CHECK(parse("a\t18446744073709551615\t0\t1", &op, &err) == 1 &&
	      op.id == UINT64_MAX && op.size == 0 && op.align == 1, "tabs, max id, no newline");
	CHECK(parse("r 1 32\r\n", &op, &err) == 1 && op.kind == 'r' && op.size == 32 &&
	      !op.has_align, "resize without align, CRLF");
	CHECK(parse("r 1 32 4096", &op, &err) == 1 && op.align == 4096 && op.has_align,
	      "resize with align");
	CHECK(parse("f 9\n", &op, &err) == 1 && op.kind == 'f' && op.id == 9, "free");
	CHECK(parse("# lalloc-trace v1\n", &op, &err) == 0, "header comment");
	CHECK(parse("#a 1 2 3", &op, &err) == 0, "comment");
	CHECK(parse("\n", &op, &err) == 0 && parse("", &op, &err) == 0 &&
	      parse("  \t\r\n", &op, &err) == 0, "blank lines");
}

static void test_trace_malformed_lines(void)
{
	static const char *const bad[] = {
		"x 1 2 3", "a 1 2", "a 1 2 3 4", "a 1 16 3", "a 1 16 0", "r 1", "r 1 2 3 4",
		"f", "f 1 2", "a  1 16 8", "a 1 16 8 ", " a 1 16 8", "a -1 16 8", "a 1 +16 8",
		"a 1 0x10 8", "a 1 18446744073709551616 8", "al 1 16 8", "a 1 16 8#", "a,1,16,8",
		"f 1\tx", "a 1 16 8\n\n",
	};
	struct trace_op op;
	const char *err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = parse(bad[i], &op, &err);

		CHECK(ret == -1 && err && *err, "'%s' gave %d", bad[i], ret);
	}
}

/* Writes @text to a temporary file, gzip-compressed or not; returns its path. */
static char *temp_trace(const char *text, bool gz, size_t cut)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/lalloc-unittest-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		exit(2);
	}
	if (gz) {
		gzFile g = gzdopen(fd, "wb");

		gzwrite(g, text, (unsigned int)strlen(text));
		gzclose(g);
		if (cut && truncate(path, (off_t)cut)) {
			perror("truncate");
			exit(2);
		}
	} else {
		if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
			perror("write");
			exit(2);
		}
		close(fd);
	}
	return path;
}

/* Reads a whole trace: the op count, or -line of the error. */
static long read_all(const char *path, struct trace_op *last)
{
	const char *err;
	struct trace_reader *r = trace_open(path, &err);
	unsigned long line;
	long n = 0;
	int ret;

	if (!r)
		return -1000000;
	while ((ret = trace_next(r, last, &line, &err)) == 1)
		n++;
	trace_close(r);
	return ret < 0 ? -(long)line : n;
}

static void test_trace_reader(void)
{
	static const char text[] = "# lalloc-trace v1\na 1 16 8\n\nr 1 4096\n# c\nf 1\na 1 0 1\n";
	static char big[200000];
	struct trace_op op;
	char *p;

	p = temp_trace(text, false, 0);
	CHECK(read_all(p, &op) == 4 && op.kind == 'a' && op.size == 0, "plain");
	unlink(p);
	p = temp_trace(text, true, 0);
	CHECK(read_all(p, &op) == 4, "gzip");
	unlink(p);
	p = temp_trace("a 1 16 8\nf 1\nf\na 2 1 1\n", false, 0);
	CHECK(read_all(p, &op) == -3, "malformed line 3: %ld", read_all(p, &op));
	unlink(p);
	/* A line longer than any trace writes is an error, not two lines. */
	memset(big, '1', 1000);
	memcpy(big, "a ", 2);
	strcpy(big + 1000, " 8 8\n");
	p = temp_trace(big, false, 0);
	CHECK(read_all(p, &op) == -1, "long line");
	unlink(p);
	/* A truncated gzip stream is an error, not a short trace. */
	big[0] = 0;
	for (int i = 0; i < 5000; i++)
		sprintf(big + strlen(big), "a %d %d 8\n", i, i * 7919 % 100000);
	p = temp_trace(big, true, 2000);
	CHECK(read_all(p, &op) < 0, "truncated gzip: %ld", read_all(p, &op));
	unlink(p);
	CHECK(read_all("/nonexistent/trace", &op) == -1000000, "missing file");
}

static void test_idmap(void)
{
	struct idmap m;
	enum { N = 20000 };
	bool ok = true;

	idmap_init(&m);
	CHECK(!idmap_get(&m, 1) && !idmap_del(&m, 1), "empty");
	for (uint32_t i = 0; i < N; i++)
		ok &= idmap_put(&m, (uint64_t)i * 1000003ULL, i);
	CHECK(ok && m.count == N, "put");
	/* Delete every third, then all the rest must still be found. */
	for (uint32_t i = 0; i < N; i += 3)
		ok &= idmap_del(&m, (uint64_t)i * 1000003ULL);
	CHECK(ok, "del");
	for (uint32_t i = 0; i < N; i++) {
		uint32_t *v = idmap_get(&m, (uint64_t)i * 1000003ULL);

		if (i % 3 == 0 ? v != NULL : !v || *v != i) {
			CHECK(0, "id %u after deletes", i);
			break;
		}
	}
	CHECK(!idmap_del(&m, 0), "double delete");
	CHECK(idmap_put(&m, 0, 77) && *idmap_get(&m, 0) == 77, "reuse an id");
	idmap_destroy(&m);
}

static const struct test tests[] = {
	{ "stress_pattern_fill_check", test_pattern_fill_check },
	{ "stress_pattern_detects_one_byte", test_pattern_detects_one_byte },
	{ "stress_pattern_keys_differ", test_pattern_keys_differ },
	{ "stress_zero_mismatch", test_zero_mismatch },
	{ "stress_lathist_buckets", test_lathist_buckets },
	{ "stress_lathist_percentiles", test_lathist_percentiles },
	{ "stress_trace_good_lines", test_trace_good_lines },
	{ "stress_trace_malformed_lines", test_trace_malformed_lines },
	{ "stress_trace_reader", test_trace_reader },
	{ "stress_idmap", test_idmap },
};

int main(int argc, char **argv)
{
	return run_tests(argc, argv, tests, sizeof(tests) / sizeof(tests[0]),
			 "lalloc-stress's pure parts", "");
}
