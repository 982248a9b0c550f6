// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of lalloc-path: the growth math against Rust's RawVec rules
 * (library/alloc/src/raw_vec: grow_amortized, min_non_zero_cap,
 * shrink_to_fit), and the tool's JSON, --version and argument errors.
 * Prints PASS:/FAIL: lines; exits 1 if any failed.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "path_growth.h"

#define TOOL "bin/lalloc-path"

static int failed;
static int fails_here;

#define CHECK(cond, ...)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			printf("    %s:%d: %s: ", __FILE__, __LINE__, #cond);     \
			printf(__VA_ARGS__);                                  \
			printf("\n");                                         \
			fails_here++;                                         \
		}                                                             \
	} while (0)

static void verdict(const char *name)
{
	printf("%s: %s\n", fails_here ? "FAIL" : "PASS", name);
	failed += !!fails_here;
	fails_here = 0;
}

/* The push-phase capacities of a plan, as "4,8,16". */
static const char *caps(const char *growth, uint64_t elem, uint64_t count, char *buf, size_t len)
{
	struct growth g;
	struct plan p;
	size_t used = 0;

	buf[0] = 0;
	if (growth_parse(growth, &g) || plan_build(&p, &g, elem, 1, count, 0))
		return "error";
	for (size_t i = 0; i < p.nr && p.steps[i].phase == PHASE_PUSH; i++)
		used += snprintf(buf + used, len - used, "%s%llu", i ? "," : "",
				 (unsigned long long)p.steps[i].new_cap);
	plan_free(&p);
	return buf;
}

static void test_min_cap(void)
{
	CHECK(rawvec_min_cap(1) == 8, "u8");
	CHECK(rawvec_min_cap(2) == 4, "u16");
	CHECK(rawvec_min_cap(24) == 4, "24 bytes");
	CHECK(rawvec_min_cap(1024) == 4, "1024 bytes");
	CHECK(rawvec_min_cap(1025) == 1, "1025 bytes");
	verdict("growth: min_non_zero_cap is 8 / 4 / 1");
}

static void test_rawvec(void)
{
	struct growth g = { .kind = GROWTH_RAWVEC };
	char b[256];

	CHECK(growth_next(&g, 0, 1, 24) == 4, "first push");
	CHECK(growth_next(&g, 4, 5, 24) == 8, "doubles");
	CHECK(growth_next(&g, 10, 25, 24) == 25, "reserve past double: needed wins");
	CHECK(growth_next(&g, 0, 1, 1) == 8, "u8 first push");
	CHECK(growth_next(&g, 0, 1, 4096) == 1, "large first push");
	CHECK(!strcmp(caps("rawvec", 24, 100, b, sizeof(b)), "4,8,16,32,64,128"), "%s", b);
	CHECK(!strcmp(caps("rawvec", 1, 100, b, sizeof(b)), "8,16,32,64,128"), "%s", b);
	CHECK(!strcmp(caps("rawvec", 2000, 10, b, sizeof(b)), "1,2,4,8,16"), "%s", b);
	CHECK(!strcmp(caps("rawvec", 24, 4, b, sizeof(b)), "4"), "%s", b);
	verdict("growth: rawvec is max(2 * cap, needed, min_non_zero_cap)");
}

static void test_other(void)
{
	struct growth g;
	char b[256];

	CHECK(!strcmp(caps("+1", 24, 5, b, sizeof(b)), "1,2,3,4,5"), "%s", b);
	CHECK(!strcmp(caps("1.5", 24, 20, b, sizeof(b)), "1,2,3,5,8,12,18,27"), "%s", b);
	CHECK(!strcmp(caps("2", 24, 9, b, sizeof(b)), "1,2,4,8,16"), "%s", b);
	CHECK(growth_parse("1", &g) && growth_parse("0.5", &g) && growth_parse("x", &g) &&
	      growth_parse("+2", &g) && growth_parse("1.5x", &g) && growth_parse("", &g),
	      "bad strategies refused");
	CHECK(!growth_parse("1.25", &g) && g.kind == GROWTH_FACTOR && g.factor == 1.25, "1.25");
	verdict("growth: +1 and factors, parsing");
}

static void test_plan(void)
{
	struct growth g = { .kind = GROWTH_RAWVEC };
	struct plan p;
	size_t n;

	CHECK(!plan_build(&p, &g, 24, 8, 100, 3), "build");
	n = p.nr;
	/* 6 grows, shrink_to_fit 128 -> 100, cycles 50, 25, 12 */
	CHECK(n == 10, "%zu steps", n);
	if (n == 10) {
		CHECK(p.steps[0].op == OP_ALLOC && p.steps[0].old_cap == 0, "first is an allocation");
		CHECK(p.steps[1].op == OP_GROW && p.steps[1].old_bytes == 96 &&
		      p.steps[1].new_bytes == 192, "bytes are cap * elem");
		CHECK(p.steps[5].fill == 100 - 64, "last grow fills to the count");
		CHECK(p.steps[6].phase == PHASE_SHRINK && p.steps[6].new_cap == 100 &&
		      p.steps[6].op == OP_SHRINK, "shrink_to_fit to the length");
		CHECK(p.steps[7].new_cap == 50 && p.steps[8].new_cap == 25 &&
		      p.steps[9].new_cap == 12 && p.steps[9].cycle == 3, "truncate to half");
	}
	plan_free(&p);
	CHECK(!plan_build(&p, &g, 24, 8, 1, 1), "build");
	/* cap 4 -> shrink_to_fit 1 -> truncate to 0: deallocate */
	CHECK(p.nr == 3 && p.steps[2].op == OP_FREE && p.steps[2].new_bytes == 0, "%zu steps", p.nr);
	plan_free(&p);
	CHECK(!plan_build(&p, &g, 24, 8, 4, 0) && p.nr == 1, "exactly full: no shrink");
	plan_free(&p);
	g.kind = GROWTH_PLUS1;
	CHECK(!plan_build(&p, &g, 24, 8, 1000, 0) && p.nr == 1000, "+1: one step per push");
	plan_free(&p);
	CHECK(!plan_build(&p, &g, 24, 8, 0, 2) && p.nr == 0, "nothing pushed: no steps");
	plan_free(&p);
	verdict("plan: push, shrink_to_fit, truncate/shrink cycles");
}

static int run(const char *cmd)
{
	int st = system(cmd);

	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_tool(void)
{
	CHECK(run(TOOL " --user-only --json --elem 24 --count 100 > /tmp/path-test.json") == 0, "run");
	CHECK(run("python3 -m json.tool /tmp/path-test.json > /dev/null") == 0, "valid JSON");
	CHECK(run("grep -q '\"capacities\":\\[4,8,16,32,64,128\\]' /tmp/path-test.json") == 0,
	      "capacities");
	CHECK(run(TOOL " --user-only --json --elem 320:64 --count 3000 --growth 1.5 "
		  "--mallopt mmap_threshold=65536 | python3 -m json.tool > /dev/null") == 0,
	      "valid JSON, aligned elements, mallopt");
	CHECK(run(TOOL " --user-only --quiet --count 1000 --dot /tmp/path-test.dot > /dev/null") == 0 &&
	      run("grep -q '^digraph' /tmp/path-test.dot") == 0, "dot");
	CHECK(run(TOOL " --version | grep -qx 'lalloc-path " LALLOC_VERSION "'") == 0, "--version");
	CHECK(run(TOOL " --help > /dev/null") == 0, "--help");
	CHECK(run(TOOL " --elem 24:3 2> /dev/null") == 2, "bad alignment");
	CHECK(run(TOOL " --elem 20:8 2> /dev/null") == 2, "size not a multiple of align");
	CHECK(run(TOOL " --growth 0.9 2> /dev/null") == 2, "bad growth");
	CHECK(run(TOOL " --count x 2> /dev/null") == 2, "bad count");
	CHECK(run(TOOL " --mallopt foo=1 2> /dev/null") == 2, "bad knob");
	CHECK(run(TOOL " --bogus 2> /dev/null") == 2, "unknown option");
	CHECK(run(TOOL " --count 2>&1 | wc -l | grep -qx 1") == 0, "one-line error");
	if (access("/dev/lalloc", F_OK)) {
		CHECK(run(TOOL " --kernel-only --count 10 2> /dev/null") == 3, "--kernel-only, no device");
		CHECK(run(TOOL " --quiet --count 10 | grep -q '^note: /dev/lalloc: .*kernel half skipped$'") == 0,
		      "no device: a note");
	}
	verdict("lalloc-path: JSON, dot, --version, bad arguments exit 2, no device exit 3");
}

int main(void)
{
	test_min_cap();
	test_rawvec();
	test_other();
	test_plan();
	test_tool();
	return failed ? 1 : 0;
}
