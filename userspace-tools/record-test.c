// SPDX-License-Identifier: GPL-2.0
/*
 * record-test: host tests of lalloc-record. Records bin/host/record-subject
 * and checks its trace op by op; checks the trace validator on malformed
 * traces; checks the wrapper's arguments and exit status. Run by
 * make -C userspace-tools test; needs no VM.
 */
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <sys/wait.h>

#include "testlib.h"
#include "tracecheck.h"

#define MARK_BEGIN 3000000u
#define MARK_END 3000100u

static char bindir[PATH_MAX];	/* userspace-tools/bin */
static char tmpdir[] = "/tmp/record-test.XXXXXX";

struct op {
	char kind;
	int n;
	uint64_t v[3];
};

static struct op *ops;
static size_t n_ops;
static int subject_status = -1;
static char trace_path[PATH_MAX + 16];

/* Runs a shell command; its exit status, -1 if it did not exit. */
static int run(const char *cmd)
{
	int s = system(cmd);

	return s != -1 && WIFEXITED(s) ? WEXITSTATUS(s) : -1;
}

static void load_ops(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	size_t cap = 0;

	n_ops = 0;
	while (f && fgets(line, sizeof(line), f)) {
		struct op o = { 0 };

		if (line[0] != 'a' && line[0] != 'r' && line[0] != 'f')
			continue;
		o.kind = line[0];
		o.n = sscanf(line + 1, "%" SCNu64 " %" SCNu64 " %" SCNu64, &o.v[0], &o.v[1], &o.v[2]);
		if (n_ops == cap) {
			size_t grown_cap = cap ? 2 * cap : 4096;
			struct op *grown = realloc(ops, grown_cap * sizeof(*ops));

			if (!grown) {
				fprintf(stderr, "record-test: no memory for the trace\n");
				exit(1);
			}
			ops = grown;
			cap = grown_cap;
		}
		ops[n_ops++] = o;
	}
	if (f)
		fclose(f);
}

/* Records the subject once, for every test that reads its trace. */
static void record_subject(void)
{
	char cmd[3 * PATH_MAX];

	if (subject_status >= 0)
		return;
	snprintf(trace_path, sizeof(trace_path), "%s/subject.trace", tmpdir);
	snprintf(cmd, sizeof(cmd), "'%s/lalloc-record' -o '%s' -- '%s/host/record-subject' 2>/dev/null",
		 bindir, trace_path, bindir);
	subject_status = run(cmd);
	load_ops(trace_path);
}

#define NO_MARK SIZE_MAX

/* Index of the op after the marker block "a ID SIZE 16; f ID", or NO_MARK. */
static size_t after_mark(uint64_t size)
{
	for (size_t i = 0; i + 1 < n_ops; i++)
		if (ops[i].kind == 'a' && ops[i].v[1] == size && ops[i + 1].kind == 'f' &&
		    ops[i + 1].v[0] == ops[i].v[0])
			return i + 2;
	return NO_MARK;
}

/*
 * Matches ops[i...] against a pattern: "a $1 100 16", "r $1 300", "f $1".
 * $k binds to the id of its first "a"; a later "a $k" (after "f $k") must
 * get the same id again (freed ids are reused last-freed first); an id bound
 * to a new $k must not be one still live under another.
 */
static void match(size_t i, const char *const *pat, size_t n)
{
	uint64_t id[16];
	bool bound[16] = { 0 }, live[16] = { 0 };

	for (size_t k = 0; k < n; k++, i++) {
		char kind;
		int var, nf;
		uint64_t a = 0, b = 0;

		nf = sscanf(pat[k], "%c $%d %" SCNu64 " %" SCNu64, &kind, &var, &a, &b) - 2;
		if (i >= n_ops) {
			CHECK(0, "trace ends before '%s'", pat[k]);
			return;
		}
		CHECK(ops[i].kind == kind && ops[i].n == nf + 1 &&
		      (nf < 1 || ops[i].v[1] == a) && (nf < 2 || ops[i].v[2] == b),
		      "op %zu: want '%s', got '%c %" PRIu64 " %" PRIu64 " %" PRIu64 "' (%d fields)",
		      k, pat[k], ops[i].kind, ops[i].v[0], ops[i].v[1], ops[i].v[2], ops[i].n);
		if (kind == 'a' && !bound[var]) {
			for (int j = 0; j < 16; j++)
				CHECK(!live[j] || id[j] != ops[i].v[0],
				      "op %zu: id %" PRIu64 " of $%d is live as $%d", k, ops[i].v[0], var, j);
			bound[var] = true;
			id[var] = ops[i].v[0];
		} else {
			CHECK(id[var] == ops[i].v[0], "op %zu ('%s'): id %" PRIu64 ", want $%d = %" PRIu64,
			      k, pat[k], ops[i].v[0], var, id[var]);
		}
		live[var] = kind != 'f';
	}
}

static void test_exit_status(void)
{
	record_subject();
	CHECK(subject_status == 3, "the wrapper exited %d, the program 3", subject_status);
	CHECK(n_ops > 0, "nothing recorded");
}

static void test_every_hook(void)
{
	static const char *const want[] = {
		"a $1 100 16",		/* malloc */
		"a $2 120 16",		/* calloc(3, 40) */
		"r $1 1000",		/* realloc keeps the id */
		"f $2",			/* free(NULL) is nothing */
		"a $2 7 16",		/* the id just freed, again */
		"a $3 200 64",		/* posix_memalign; (3) fails: nothing */
		"r $3 300 16",		/* realloc keeps only 16 */
		"a $4 8192 4096",	/* aligned_alloc; huge ones fail: nothing */
		"a $5 50 16",		/* realloc(NULL, 50) */
		"f $5",			/* realloc(p, 0) */
		"a $5 10 64",		/* memalign(48): 64 */
		"a $6 10 4096",		/* valloc */
		"a $7 80 16",		/* reallocarray(NULL, 10, 8); overflow: nothing */
		"f $1", "f $2", "f $3", "f $4", "f $5", "f $6", "f $7",
		"a $8 3000101 16", "f $8",	/* the end marker */
	};
	size_t i;

	record_subject();
	i = after_mark(MARK_BEGIN + 1);
	CHECK(i != NO_MARK, "no part 1 in the trace");
	match(i, want, sizeof(want) / sizeof(want[0]));
}

static void test_threads_one_by_one(void)
{
	static const char *const want2[] = {
		"a $1 66 16", "a $2 88 16", "r $1 40000", "f $2", "f $1",
		"a $1 3000102 16", "f $1",
	};
	static const char *const want3[] = {
		"a $1 99 16", "a $2 132 16", "r $1 60000", "f $2", "f $1",
		"a $1 3000103 16", "f $1",
	};

	record_subject();
	CHECK(after_mark(MARK_BEGIN + 2) != NO_MARK, "no part 2");
	CHECK(after_mark(MARK_BEGIN + 3) != NO_MARK, "no part 3");
	match(after_mark(MARK_BEGIN + 2), want2, 7);
	match(after_mark(MARK_BEGIN + 3), want3, 7);
}

/* Two threads at once: every op there, each id consistent. */
static void test_threads_at_once(void)
{
	size_t begin, end;
	uint64_t a[2] = { 0 }, r[2] = { 0 }, f[2] = { 0 };
	uint64_t *size = calloc(1u << 20, sizeof(*size));
	char cmd[2 * PATH_MAX + 64];

	record_subject();
	begin = after_mark(MARK_BEGIN + 4);
	end = after_mark(MARK_END + 4);
	CHECK(begin < end && end != NO_MARK, "no part 4");
	for (size_t i = begin; i < end && i < n_ops; i++) {
		uint64_t id = ops[i].v[0];
		uint64_t s = ops[i].kind == 'f' ? size[id & 0xfffff] : ops[i].v[1];
		int who = s >= 80000 && s < 80010 ? 1 : s >= 70000 && s < 70010 ? 0 : -1;

		CHECK(id < (1u << 20), "id %" PRIu64 " past the dense range", id);
		if (ops[i].kind != 'f')
			size[id & 0xfffff] = ops[i].v[1];
		if (who < 0)
			continue;
		if (ops[i].kind == 'a')
			a[who]++;
		else if (ops[i].kind == 'r')
			r[who]++;
		else
			f[who]++;
	}
	for (int w = 0; w < 2; w++)
		CHECK(a[w] == 20000 && r[w] == 4000 && f[w] == 20000,
		      "thread %d: a %" PRIu64 " r %" PRIu64 " f %" PRIu64 ", want 20000 4000 20000",
		      w, a[w], r[w], f[w]);
	free(size);
	snprintf(cmd, sizeof(cmd), "'%s/lalloc-record' --check '%s' >/dev/null", bindir, trace_path);
	CHECK(run(cmd) == 0, "--check finds the trace inconsistent");
}

/* The forked child records nothing; /bin/true, which it execs, records apart. */
static void test_fork_exec(void)
{
	char cmd[2 * PATH_MAX + 128];
	FILE *p;
	char out[4096] = "";

	record_subject();
	CHECK(after_mark(MARK_BEGIN + 5) != NO_MARK, "the parent stopped recording after fork");
	CHECK(after_mark(55555) == NO_MARK, "the forked child's malloc was recorded");
	snprintf(cmd, sizeof(cmd), "for f in '%s'.[0-9]*; do sed -n 4p \"$f\"; done", trace_path);
	p = popen(cmd, "r");
	if (p) {
		size_t n = fread(out, 1, sizeof(out) - 1, p);

		out[n] = 0;
		pclose(p);
	}
	CHECK(!strcmp(out, "# exe /usr/bin/true\n"), "want one FILE.PID, /bin/true's: '%s'", out);
	snprintf(cmd, sizeof(cmd), "for f in '%s'.[0-9]*; do '%s/lalloc-record' --check \"$f\" >/dev/null || exit 1; done",
		 trace_path, bindir);
	CHECK(run(cmd) == 0, "the exec'd program's trace is inconsistent");
}

static bool check_str(const char *s, struct trace_check *t)
{
	bool ok;

	trace_check_init(t);
	ok = trace_check_buf(t, s);
	trace_check_release(t);
	return ok;
}

static void test_validator_good(void)
{
	struct trace_check t;
	bool ok = check_str("# lalloc-trace v1\n# a comment\n\na 0 100 16\na 1 50 16\n"
			    "r 0 200\nf 1\na 1 10 8\nr 1 20 4096\nf 0\na 0 0 1\n"
			    "a 18446744073709551615 1 9223372036854775808\n", &t);

	CHECK(ok, "rejected: %s", t.error);
	CHECK(t.n_alloc == 5 && t.n_resize == 2 && t.n_free == 2, "a %" PRIu64 " r %" PRIu64
	      " f %" PRIu64, t.n_alloc, t.n_resize, t.n_free);
	CHECK(t.peak_bytes == 250, "peak %" PRIu64 ", want 250", t.peak_bytes);
	CHECK(t.live_blocks == 3 && t.peak_blocks == 3, "live %" PRIu64 " peak %" PRIu64,
	      t.live_blocks, t.peak_blocks);
}

static void test_validator_bad(void)
{
	static const struct {
		const char *trace, *error;
	} bad[] = {
		{ "", "line 0: empty" },
		{ "a 0 1 16\n", "line 1: not a lalloc trace" },
		{ "# lalloc-trace v2\n", "line 1: not a lalloc trace" },
		{ "# lalloc-trace v1\na 1 10 16\na 1 5 16\n", "line 3: 'a' of id 1, which is live" },
		{ "# lalloc-trace v1\nf 2\n", "line 2: 'f' of id 2, which is not live" },
		{ "# lalloc-trace v1\nr 1 10\n", "line 2: 'r' of id 1, which is not live" },
		{ "# lalloc-trace v1\na 1 10 16\nf 1\nf 1\n", "line 4: 'f' of id 1, which is not live" },
		{ "# lalloc-trace v1\na 1 10 16\nf 1\nr 1 5\n", "line 4: 'r' of id 1, which is not live" },
		{ "# lalloc-trace v1\na 1 10 3\n", "line 2: alignment 3 is not" },
		{ "# lalloc-trace v1\na 1 10 0\n", "line 2: alignment 0 is not" },
		{ "# lalloc-trace v1\na 1 10 16\nr 1 10 24\n", "line 3: alignment 24" },
		{ "# lalloc-trace v1\na 1 10\n", "line 2: 'a' takes 3 fields, not 2" },
		{ "# lalloc-trace v1\nf 1 2\n", "line 2: 'f' takes 1 fields, not 2" },
		{ "# lalloc-trace v1\nr 1\n", "line 2: 'r' takes 2 or 3 fields, not 1" },
		{ "# lalloc-trace v1\na  1 10 16\n", "line 2: field 1 is not" },
		{ "# lalloc-trace v1\na 1 10 16 \n", "line 2: malformed" },
		{ "# lalloc-trace v1\na 1 10 16 8\n", "line 2: malformed" },
		{ "# lalloc-trace v1\na -1 10 16\n", "line 2: field 1 is not" },
		{ "# lalloc-trace v1\na 0x10 10 16\n", "line 2: field 1 is not" },
		{ "# lalloc-trace v1\na 18446744073709551616 1 1\n", "line 2: field 1 is not" },
		{ "# lalloc-trace v1\nx 1\n", "line 2: unknown op 'x'" },
		{ "# lalloc-trace v1\n a 1 1 1\n", "line 2: unknown op ' '" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct trace_check t;
		bool ok = check_str(bad[i].trace, &t);

		CHECK(!ok && !strncmp(t.error, bad[i].error, strlen(bad[i].error)),
		      "trace %zu: want '%s...', got %s '%s'", i, bad[i].error,
		      ok ? "accepted" : "error", t.error);
	}
}

static void test_check_gz(void)
{
	char cmd[2 * PATH_MAX + 128];

	snprintf(cmd, sizeof(cmd), "printf '# lalloc-trace v1\\na 0 8 8\\nf 0\\n' | gzip > '%s/ok.gz' &&"
		 "'%s/lalloc-record' --check '%s/ok.gz' | grep -q '^ok: .* 2 ops (a 1, r 0, f 1), peak live 8 bytes'",
		 tmpdir, bindir, tmpdir);
	CHECK(run(cmd) == 0, "a good .gz trace");
	snprintf(cmd, sizeof(cmd), "printf '# lalloc-trace v1\\nf 0\\n' | gzip > '%s/bad.gz' &&"
		 "'%s/lalloc-record' --check '%s/bad.gz' >/dev/null 2>&1", tmpdir, bindir, tmpdir);
	CHECK(run(cmd) == 1, "a bad .gz trace: want exit 1");
}

static void test_arguments(void)
{
	static const struct {
		const char *args;
		int status;
	} cases[] = {
		{ "--version | grep -qx 'lalloc-record " LALLOC_VERSION "'", 0 },
		{ "--help | grep -q usage", 0 },
		{ "", 2 },
		{ "true", 2 },
		{ "-o", 2 },
		{ "-o x", 2 },
		{ "--bogus -o x true", 2 },
		{ "--lib /nonexistent.so -o /dev/null true", 2 },
		{ "--check", 2 },
		{ "--check /nonexistent", 2 },
		{ "-o /dev/null --check x", 2 },
		/* "+": options after PROGRAM are PROGRAM's */
		{ "-o /dev/null sh -c 'exit 7' -o y", 7 },
	};
	char cmd[PATH_MAX + 256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int s;

		snprintf(cmd, sizeof(cmd), "'%s/lalloc-record' %s 2>/dev/null", bindir, cases[i].args);
		s = run(cmd);
		CHECK(s == cases[i].status, "lalloc-record %s: exit %d, want %d", cases[i].args, s,
		      cases[i].status);
	}
}

static const struct test tests[] = {
	{ "record_exit_status", test_exit_status },
	{ "record_every_hook", test_every_hook },
	{ "record_threads_one_by_one", test_threads_one_by_one },
	{ "record_threads_at_once", test_threads_at_once },
	{ "record_fork_exec", test_fork_exec },
	{ "validator_good", test_validator_good },
	{ "validator_bad", test_validator_bad },
	{ "check_gz", test_check_gz },
	{ "arguments", test_arguments },
};

int main(int argc, char **argv)
{
	char self[PATH_MAX], cmd[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int r;

	if (n < 0 || !mkdtemp(tmpdir)) {
		perror("record-test");
		return 2;
	}
	self[n] = 0;
	/* bin/host/record-test -> bin */
	snprintf(bindir, sizeof(bindir), "%s", dirname(dirname(self)));
	r = run_tests(argc, argv, tests, sizeof(tests) / sizeof(tests[0]),
		      "lalloc-record (host, no VM)", "");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	run(cmd);
	return r;
}
