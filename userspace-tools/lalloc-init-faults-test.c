// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc-init-faults-test: load lalloc with its N-th allocation failing,
 * for every N until a load makes no more allocations than N, the way
 * syzkaller's fault injection walks a path (/proc/thread-self/fail-nth
 * fails the N-th kmalloc, page allocation or lalloc fault point this task
 * reaches). Every step of module init meets a failure this way, including
 * those inside the kernel's helpers (procfs, the cdev, the shrinker, CPU
 * hotplug states).
 *
 * Each failed load must fail with ENOMEM and leave nothing behind: no
 * module, no /proc/lalloc, no /dev/lalloc, no chardev region, no debugfs
 * directory. A load that survives its failure (debugfs is optional) must
 * work. The guest's kmemleak scan after the run catches what an error
 * path forgot to free; KASAN and lockdep catch the rest.
 *
 * Needs a kernel with CONFIG_FAULT_INJECTION (the debug kernel); elsewhere
 * it prints SKIP. lalloc must be unloadable (nothing else using it).
 *
 * LALLOC_FAULT_FIRST=J and LALLOC_FAULT_STRIDE=K walk only N = J, J+K,
 * J+2K, ... (default 1 and 1: every point), so that K guests can share the
 * walk: make check runs it as two halves side by side.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devlib.h"

#define MODULE_PATH	"/lalloc/module/lalloc.ko"
#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define DEBUGFS		"/sys/kernel/debug"
/* Far more fault points than one load reaches (a few thousand today). */
#define MAX_NTH		20000

static const char *module_path = MODULE_PATH;

/* The fault attributes fail-nth goes through, set so every call counts. */
static const struct knob {
	const char *path, *value;
} knobs[] = {
	{ DEBUGFS "/failslab/ignore-gfp-wait", "N" },
	{ DEBUGFS "/failslab/verbose", "0" },
	{ DEBUGFS "/fail_page_alloc/ignore-gfp-wait", "N" },
	{ DEBUGFS "/fail_page_alloc/ignore-gfp-highmem", "N" },
	{ DEBUGFS "/fail_page_alloc/min-order", "0" },
	{ DEBUGFS "/fail_page_alloc/verbose", "0" },
};
#define NR_KNOBS (sizeof(knobs) / sizeof(knobs[0]))
static char knobs_saved[NR_KNOBS][32];

static bool read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return true;
}

static bool write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = write(fd, value, strlen(value));
	close(fd);
	return n == (ssize_t)strlen(value);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static bool module_listed(void)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/modules", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "lalloc ", 7);
	fclose(f);
	return found;
}

/* A "NNN lalloc" line in /proc/devices: the chardev region is held. */
static bool chrdev_listed(void)
{
	char line[256], name[64];
	bool found = false;
	FILE *f = fopen("/proc/devices", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*u %63s", name) == 1 && !strcmp(name, "lalloc");
	fclose(f);
	return found;
}

static int unload(void)
{
	return syscall(SYS_delete_module, "lalloc", O_NONBLOCK);
}

/*
 * One load of lalloc with the @nth fault point failing (0: none).
 * Returns the load's errno (0 if it loaded); *reached tells whether the
 * load got as far as the failing point.
 */
static int load_failing(int nth_fd, int nth, bool *reached)
{
	char buf[32];
	int fd = open(module_path, O_RDONLY | O_CLOEXEC), ret, err;
	ssize_t n;

	if (fd < 0) {
		perror(module_path);
		exit(2);
	}
	snprintf(buf, sizeof(buf), "%d", nth);
	if (nth && pwrite(nth_fd, buf, strlen(buf), 0) != (ssize_t)strlen(buf)) {
		perror(FAIL_NTH);
		exit(2);
	}
	ret = syscall(SYS_finit_module, fd, "", 0);
	err = ret ? errno : 0;
	/* fail-nth counts down to 0 at the failure; what is left was not reached. */
	n = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	*reached = nth && atoi(buf) == 0;
	if (pwrite(nth_fd, "0", 1, 0) != 1) {
		perror(FAIL_NTH);
		exit(2);
	}
	close(fd);
	return err;
}

/* What a failed load must not leave behind. */
static void check_nothing_left(int nth)
{
	CHECK(!module_listed(), "fault %d: lalloc listed in /proc/modules", nth);
	CHECK(!exists("/proc/lalloc"), "fault %d: /proc/lalloc left behind", nth);
	CHECK(!exists(LALLOC_DEVICE), "fault %d: %s left behind", nth, LALLOC_DEVICE);
	CHECK(!chrdev_listed(), "fault %d: chardev region 'lalloc' still registered", nth);
	CHECK(!exists(DEBUGFS "/lalloc"), "fault %d: debugfs lalloc/ left behind", nth);
}

/* A loaded lalloc answers: a block holds what is written, /proc reads. */
static void check_working(int nth)
{
	char buf[64], in[100], out[100];
	uint32_t h;
	int fd = open(LALLOC_DEVICE, O_RDWR | O_CLOEXEC), ret;

	CHECK(read_file("/proc/lalloc/stats", buf, sizeof(buf)),
	      "fault %d: loaded but /proc/lalloc/stats unreadable", nth);
	CHECK(fd >= 0, "fault %d: loaded but %s: %s", nth, LALLOC_DEVICE, strerror(errno));
	if (fd < 0)
		return;
	ret = alloc_h(fd, sizeof(in), 8, 0, &h, NULL);
	CHECK(ret == 0, "fault %d: ALLOC: %s", nth, strerror(-ret));
	if (!ret) {
		memset(in, nth & 0xff, sizeof(in));
		CHECK(rw_h(fd, true, h, 0, sizeof(in), in) == 0, "fault %d: WRITE", nth);
		CHECK(rw_h(fd, false, h, 0, sizeof(out), out) == 0 &&
		      !memcmp(in, out, sizeof(in)), "fault %d: READ gave other bytes", nth);
		CHECK(free_h(fd, h) == 0, "fault %d: FREE", nth);
	}
	close(fd);
}

static void save_knobs(void)
{
	for (size_t i = 0; i < NR_KNOBS; i++) {
		if (!read_file(knobs[i].path, knobs_saved[i], sizeof(knobs_saved[i])) ||
		    !write_file(knobs[i].path, knobs[i].value)) {
			printf("    %s: %s\n", knobs[i].path, strerror(errno));
			exit(2);
		}
	}
}

static void restore_knobs(void)
{
	for (size_t i = 0; i < NR_KNOBS; i++)
		write_file(knobs[i].path, knobs_saved[i]);
}

static int nth_fd = -1;
static int points;	/* fault points one load passes */
static int walk_first = 1, walk_stride = 1;

static void test_every_fault_point(void)
{
	int nth, failed = 0, survived = 0, err;
	bool reached;

	CHECK(unload() == 0, "rmmod lalloc: %s", strerror(errno));
	check_nothing_left(0);
	if (failures_in_test)
		return;
	for (nth = walk_first; nth <= MAX_NTH; nth += walk_stride) {
		err = load_failing(nth_fd, nth, &reached);
		if (!reached) {
			/* Past the last fault point: a clean load, and the walk is done. */
			CHECK(err == 0, "load with no fault reached: %s", strerror(err));
			break;
		}
		if (err == 0) {
			survived++;
			check_working(nth);
			CHECK(unload() == 0, "fault %d: rmmod: %s", nth, strerror(errno));
		} else {
			failed++;
			CHECK(err == ENOMEM, "fault %d: load failed with %s, not ENOMEM",
			      nth, strerror(err));
		}
		check_nothing_left(nth);
		if (failures_in_test)
			break;
		if ((nth - walk_first) / walk_stride % 200 == 199)
			fprintf(stderr, "    ... fault point %d\n", nth);
	}
	points = nth - 1;
	CHECK(nth <= MAX_NTH, "a load still reached fault point %d", MAX_NTH);
	printf("    %d fault points, every %d from %d walked: %d loads failed cleanly, %d survived their failure\n",
	       points, walk_stride, walk_first, failed, survived);
	/* The walk must have gone through init, not only the module loader. */
	CHECK(points >= 50, "only %d fault points in a load", points);
}

static void test_loads_after(void)
{
	bool reached;
	int err = module_listed() ? 0 : load_failing(nth_fd, 0, &reached);

	CHECK(err == 0, "the final load: %s", strerror(err));
	if (!err)
		check_working(0);
}

static const struct test tests[] = {
	{ "init fails cleanly at every fault point", test_every_fault_point },
	{ "init: loads and works after the faults", test_loads_after },
};

int main(int argc, char **argv)
{
	int ret;

	if (getenv("LALLOC_MODULE"))
		module_path = getenv("LALLOC_MODULE");
	if (getenv("LALLOC_FAULT_FIRST"))
		walk_first = atoi(getenv("LALLOC_FAULT_FIRST"));
	if (getenv("LALLOC_FAULT_STRIDE"))
		walk_stride = atoi(getenv("LALLOC_FAULT_STRIDE"));
	if (walk_first < 1 || walk_stride < 1 || walk_first > walk_stride) {
		fprintf(stderr, "lalloc-init-faults-test: LALLOC_FAULT_FIRST must be 1..LALLOC_FAULT_STRIDE\n");
		return 2;
	}
	nth_fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	if (nth_fd < 0 || !exists(DEBUGFS "/failslab") || !exists(DEBUGFS "/fail_page_alloc")) {
		/* Only --help and --list make sense without fault injection. */
		if (argc > 1 && argv[1][0] == '-')
			return run_tests(argc, argv, tests, 2, "lalloc module init", "");
		for (size_t i = 0; i < 2; i++)
			printf("SKIP: %s (no fault injection in this kernel)\n", tests[i].name);
		return 0;
	}
	save_knobs();
	ret = run_tests(argc, argv, tests, 2, "lalloc module init", "");
	restore_knobs();
	return ret;
}
