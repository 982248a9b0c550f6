// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc-fuzz: a structure-aware fuzzer of /dev/lalloc. Threads share
 * several open files and run seeded random sequences of every ioctl with
 * valid, stale, forged and other files' handles, extreme layouts, reserved
 * fields, bad ranges and user buffers that are read-only, unmapped or run
 * into an unmapped page, malformed BATCH arrays, short and oversized
 * extensible structs, SET_BACKEND, dup'd and closed descriptors, reopened
 * files and forked children. Every result is held against the errnos the
 * uapi header documents for its command and against what the arguments make
 * certain; every byte read back against a model of what was written; and
 * at the end the device's live gauges against their values at the start.
 *
 * The files (fuzz_*.c): fuzz_ops.c the operations and the model,
 * fuzz_oracle.c the errno sets and the failure report, fuzz_fork.c the
 * forked children.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

#define CLI_PROG "lalloc-fuzz"
#include "cliargs.h"

struct fuzz_run run = { .report_lock = PTHREAD_MUTEX_INITIALIZER };
uint32_t stats_nr_caches;

static struct {
	uint64_t seed;
	uint64_t ops;
	double seconds;
	unsigned int threads, files;
	bool json;
} opt = { .threads = 2, .files = 3 };

static atomic_uint workers_done;
_Thread_local struct worker *current_worker;

/*
 * A crash of the fuzzer itself (a kernel that wrote where it must not, or
 * a bug here): say which op was under way, with only async-signal-safe calls.
 */
static void crash_handler(int sig, siginfo_t *si, void *ctx)
{
	char msg[FUZZ_DESC + 160];
	struct worker *w = current_worker;
	int n;

	(void)ctx;
	n = snprintf(msg, sizeof(msg), "lalloc-fuzz: FAIL: seed %" PRIu64 ": signal %d at %p during: %s\n",
		     run.seed, sig, si->si_addr, w ? w->desc : "(no op)");
	if (n > 0)
		(void)!write(2, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_crashes(void)
{
	struct sigaction sa = { .sa_sigaction = crash_handler, .sa_flags = SA_SIGINFO };
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int open_device(void)
{
	int fd = open(LALLOC_DEVICE, O_RDWR | O_CLOEXEC), tries = 0;

	/* Under injected failures an open may find no memory: try again. */
	while (fd < 0 && errno == ENOMEM && run.inject && tries++ < 10000)
		fd = open(LALLOC_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "lalloc-fuzz: %s: %s\n", LALLOC_DEVICE, strerror(errno));
		exit(errno == ENOENT || errno == ENXIO || errno == ENODEV ? 3 : 2);
	}
	return fd;
}

/* ---- the baseline: the device's live gauges, through STATS and /proc ---- */

struct gauges {
	uint64_t v[4];
};

static const char *const gauge_names[4] = {
	"active_objs", "requested_bytes", "device_bytes", "open_files",
};

static struct gauges stats_gauges(int fd)
{
	struct lalloc_stats st;
	struct gauges g;

	memset(&st, 0, sizeof(st));
	if (ioctl(fd, LALLOC_IOC_STATS, &st)) {
		perror("lalloc-fuzz: STATS");
		exit(1);
	}
	stats_nr_caches = st.nr_caches;
	g.v[0] = st.active_objs;
	g.v[1] = st.requested_bytes;
	g.v[2] = st.device_bytes;
	g.v[3] = st.open_files;
	return g;
}

static struct gauges proc_gauges(void)
{
	struct gauges g = { { 0 } };
	char name[64];
	unsigned long long v;
	FILE *f = fopen("/proc/lalloc/stats", "r");

	if (!f) {
		perror("lalloc-fuzz: /proc/lalloc/stats");
		exit(1);
	}
	while (fscanf(f, "%63s %llu", name, &v) == 2)
		for (int i = 0; i < 4; i++)
			if (!strcmp(name, gauge_names[i]))
				g.v[i] = v;
	fclose(f);
	return g;
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lalloc-fuzz [OPTIONS]\n"
		"Fuzz %s with seeded random sequences of every ioctl, valid and broken,\n"
		"from threads sharing several files and from forked children; check every\n"
		"errno against the uapi header, every byte read against a model, and the\n"
		"device's live gauges against their start. Root, lalloc loaded.\n\n"
		"  -s, --seed N       seed (default: from the clock; printed)\n"
		"  -n, --ops N        stop after N ops in all\n"
		"  -d, --seconds S    stop after S seconds (default 10 unless --ops)\n"
		"  -t, --threads N    worker threads (default 2)\n"
		"  -f, --files N      open files the threads share (default 3)\n"
		"  -j, --json         a JSON summary on stdout (the final line goes to stderr)\n"
		"  -T, --trace        print every op to stderr as it is made (for replays)\n"
		"  -F, --inject-failures\n"
		"                     mark the workers (and their children) for the kernel's\n"
		"                     fault injection (make-it-fail): with failslab,\n"
		"                     fail_page_alloc or lalloc's fail_alloc set up with\n"
		"                     task-filter, their allocations fail at random\n"
		"  -V, --version      print the version\n"
		"  -h, --help         this text\n\n"
		"A run with one thread and --ops repeats from its seed as long as the kernel\n"
		"answers the same (ENOMEM for a huge alignment may vary with the vmalloc\n"
		"space); with more threads the interleaving differs between runs.\n"
		"Exit: 0 no failure, 1 a failure (the first is reported with the op, its\n"
		"arguments, the seed and the ops before it), 2 bad arguments, 3 no %s.\n",
		LALLOC_DEVICE, LALLOC_DEVICE);
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "ops", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 'd' },
		{ "threads", required_argument, NULL, 't' },
		{ "files", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "trace", no_argument, NULL, 'T' },
		{ "inject-failures", no_argument, NULL, 'F' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	bool seeded = false;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:n:d:t:f:jTFVh", opts, NULL)) != -1) {
		switch (c) {
		case 's': opt.seed = num(optarg, "--seed", 0, UINT64_MAX); seeded = true; break;
		case 'n': opt.ops = num(optarg, "--ops", 1, UINT64_MAX); break;
		case 'd': {
			char *end;

			errno = 0;
			opt.seconds = strtod(optarg, &end);
			if (!*optarg || *end || errno || !(opt.seconds > 0) || opt.seconds > 1e7)
				bad_arg("--seconds: '%s' is not a positive number of seconds", optarg);
			break;
		}
		case 't': opt.threads = (unsigned int)num(optarg, "--threads", 1, 64); break;
		case 'f': opt.files = (unsigned int)num(optarg, "--files", 1, 64); break;
		case 'j': opt.json = true; break;
		case 'T': run.trace = true; break;
		case 'F': run.inject = true; break;
		case 'V': printf("lalloc-fuzz " LALLOC_VERSION "\n"); exit(0);
		case 'h': usage(stdout); exit(0);
		case ':': bad_arg("option '%s' needs a value", argv[optind - 1]); break;
		default: bad_arg("unknown option '%s'", argv[optind - 1]); break;
		}
	}
	if (optind < argc)
		bad_arg("unexpected argument '%s'", argv[optind]);
	if (!opt.ops && !opt.seconds)
		opt.seconds = 10;
	if (!seeded)
		opt.seed = (uint64_t)(now_s() * 1e9) ^ ((uint64_t)getpid() << 32);
}

/* ---- the run ---- */

static void *worker_thread(void *arg)
{
	struct worker *w = arg;
	int fd;

	/* Only the workers fail: the start and the final checks must not. */
	if (run.inject) {
		fd = open("/proc/thread-self/make-it-fail", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "1", 1) != 1) {
			perror("lalloc-fuzz: /proc/thread-self/make-it-fail");
			exit(2);
		}
		close(fd);
	}
	while (worker_step(w))
		;
	atomic_fetch_add(&workers_done, 1);
	return NULL;
}

static void print_json(const struct worker *ws, double elapsed, const struct gauges *before,
		       const struct gauges *after, bool baseline_ok)
{
	uint64_t ops = 0, forks = 0, reopens = 0, dups = 0, batches = 0;

	for (unsigned int i = 0; i < opt.threads; i++) {
		ops += ws[i].op_index;
		forks += ws[i].forks;
		reopens += ws[i].reopens;
		dups += ws[i].dups;
		batches += ws[i].batches;
	}
	printf("{\"tool\":\"lalloc-fuzz\",\"version\":\"%s\",\"seed\":%" PRIu64 ",\"threads\":%u,"
	       "\"files\":%u,\"ops\":%" PRIu64 ",\"seconds\":%.3f,\"commands\":{",
	       LALLOC_VERSION, opt.seed, opt.threads, opt.files, ops, elapsed);
	for (int c = 0; c < C_COUNT; c++) {
		uint64_t ok = 0, failed = 0;

		for (unsigned int i = 0; i < opt.threads; i++) {
			ok += ws[i].counts[c][0];
			failed += ws[i].counts[c][1];
		}
		printf("%s\"%s\":{\"ok\":%" PRIu64 ",\"failed\":%" PRIu64 "}", c ? "," : "",
		       cmd_names[c], ok, failed);
	}
	printf("},\"batches\":%" PRIu64 ",\"forks\":%" PRIu64 ",\"reopens\":%" PRIu64
	       ",\"dups\":%" PRIu64 ",\"baseline\":{", batches, forks, reopens, dups);
	for (int i = 0; i < 4; i++)
		printf("\"%s\":[%" PRIu64 ",%" PRIu64 "],", gauge_names[i], before->v[i], after->v[i]);
	printf("\"ok\":%s},\"errors\":%d,\"result\":\"%s\"}\n", baseline_ok ? "true" : "false",
	       atomic_load(&run.errors), atomic_load(&run.errors) ? "fail" : "pass");
}

static void print_text(const struct worker *ws, double elapsed)
{
	uint64_t forks = 0, reopens = 0, dups = 0, batches = 0;

	printf("%-14s %12s %12s\n", "command", "succeeded", "failed");
	for (int c = 0; c < C_COUNT; c++) {
		uint64_t ok = 0, failed = 0;

		for (unsigned int i = 0; i < opt.threads; i++) {
			ok += ws[i].counts[c][0];
			failed += ws[i].counts[c][1];
		}
		printf("%-14s %12" PRIu64 " %12" PRIu64 "\n", cmd_names[c], ok, failed);
	}
	for (unsigned int i = 0; i < opt.threads; i++) {
		forks += ws[i].forks;
		reopens += ws[i].reopens;
		dups += ws[i].dups;
		batches += ws[i].batches;
	}
	printf("%" PRIu64 " batches, %" PRIu64 " forks, %" PRIu64 " reopened files, %" PRIu64
	       " dups in %.1f s\n", batches, forks, reopens, dups, elapsed);
}

int main(int argc, char **argv)
{
	struct fuzz_world world;
	struct gauges before, proc_before, after, proc_after;
	struct worker *ws;
	pthread_t *tids;
	double start, last_progress;
	uint64_t ops = 0;
	bool baseline_ok = true;
	int statfd;

	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	catch_crashes();
	run.seed = opt.seed;
	run.max_ops = opt.ops;

	statfd = open_device();
	before = stats_gauges(statfd);
	proc_before = proc_gauges();
	if (!opt.json)
		printf("lalloc-fuzz " LALLOC_VERSION ": seed %" PRIu64 ", %u thread%s, %u file%s, %s\n",
		       opt.seed, opt.threads, opt.threads == 1 ? "" : "s", opt.files,
		       opt.files == 1 ? "" : "s", opt.ops ? "until --ops" : "until --seconds");

	world_open(&world, opt.files);
	ws = calloc(opt.threads, sizeof(*ws));
	tids = calloc(opt.threads, sizeof(*tids));
	if (!ws || !tids) {
		perror("lalloc-fuzz");
		return 2;
	}
	/* Every worker's memory is made before any worker runs: see make_bad_memory(). */
	for (unsigned int i = 0; i < opt.threads; i++)
		worker_init(&ws[i], i, opt.seed, &world);
	start = last_progress = now_s();
	if (opt.seconds)
		run.deadline = start + opt.seconds;
	for (unsigned int i = 0; i < opt.threads; i++)
		if (pthread_create(&tids[i], NULL, worker_thread, &ws[i])) {
			perror("lalloc-fuzz: pthread_create");
			return 2;
		}
	while (atomic_load(&workers_done) < opt.threads) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		double now;

		nanosleep(&ts, NULL);
		now = now_s();
		/* Long runs say how far they got. */
		if (now - last_progress >= 10) {
			fprintf(stderr, "lalloc-fuzz: %.0f s, %" PRIu64 " ops, %d errors\n", now - start,
				(uint64_t)atomic_load(&run.ops), atomic_load(&run.errors));
			last_progress = now;
		}
	}
	for (unsigned int i = 0; i < opt.threads; i++)
		pthread_join(tids[i], NULL);

	/* Every block still held must read back as the model says. */
	for (unsigned int i = 0; i < opt.threads && !atomic_load(&run.errors); i++)
		worker_verify_all(&ws[i]);
	world_close(&world);
	for (unsigned int i = 0; i < opt.threads; i++) {
		ops += ws[i].op_index;
		worker_fini(&ws[i]);
	}

	after = stats_gauges(statfd);
	proc_after = proc_gauges();
	for (int i = 0; i < 4; i++)
		if (after.v[i] != before.v[i] || proc_after.v[i] != proc_before.v[i]) {
			baseline_ok = false;
			fprintf(stderr, "lalloc-fuzz: FAIL: seed %" PRIu64 ": %s %" PRIu64 " -> %" PRIu64
				" (STATS), %" PRIu64 " -> %" PRIu64 " (/proc/lalloc/stats): not back at"
				" its baseline with every file closed\n", opt.seed, gauge_names[i],
				before.v[i], after.v[i], proc_before.v[i], proc_after.v[i]);
		}
	if (!baseline_ok)
		atomic_fetch_add(&run.errors, 1);
	close(statfd);

	if (opt.json)
		print_json(ws, now_s() - start, &before, &after, baseline_ok);
	else
		print_text(ws, now_s() - start);
	fprintf(opt.json ? stderr : stdout, "lalloc-fuzz: seed %" PRIu64 " ops %" PRIu64 " errors %d\n",
		opt.seed, ops, atomic_load(&run.errors));
	free(ws);
	free(tids);
	return atomic_load(&run.errors) ? 1 : 0;
}
