// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc-fuzz's forks: a child inherits one of the shared files, checks
 * that calls through it see the same file (forged ids, STATS, unknown
 * commands: nothing that would change what the parent models), then
 * fuzzes files of its own and exits with blocks still held, closes them
 * first, or is killed in the middle by the parent. Either way its files
 * must give everything back; the final baseline check sees it.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

static int ioc(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* Calls on the inherited file that change nothing the parent relies on. */
static void poke_inherited(struct worker *c, int fd)
{
	struct lalloc_stats st;
	struct lalloc_handle_args fa = { .handle = 0 };
	struct lalloc_info info = { .handle = UINT32_MAX };
	struct lalloc_rw_args rw = { .handle = FUZZ_MAX_ID + 7, .len = 16,
				     .buf = (uint64_t)(uintptr_t)c->scratch };
	int ret;

	memset(&st, 0, sizeof(st));
	describe(c, "STATS through the inherited descriptor");
	ret = ioc(fd, LALLOC_IOC_STATS, &st);
	check_result(c, C_STATS, ret, (struct expect){ 0, 0 }, false);
	if (!ret && !st.open_files)
		fail(c, "STATS through an inherited file says no file is open");
	describe(c, "FREE handle 0 through the inherited descriptor");
	check_result(c, C_FREE, ioc(fd, LALLOC_IOC_FREE, &fa), (struct expect){ ERR(E_NOENT), 0 }, false);
	describe(c, "INFO forged handle through the inherited descriptor");
	check_result(c, C_INFO, ioc(fd, LALLOC_IOC_INFO, &info), (struct expect){ ERR(E_NOENT), 0 }, false);
	describe(c, "READ forged handle through the inherited descriptor");
	check_result(c, C_READ, ioc(fd, LALLOC_IOC_READ, &rw), (struct expect){ ERR(E_NOENT), 0 }, false);
	describe(c, "unknown ioctl through the inherited descriptor");
	check_result(c, C_UNKNOWN, ioc(fd, _IO(LALLOC_IOC_MAGIC, 0x1f), NULL),
		     (struct expect){ ERR(E_NOTTY), 0 }, false);
}

static int child_main(struct worker *parent, int fd, uint64_t seed, unsigned int steps,
		      bool close_first)
{
	struct fuzz_world world;
	struct worker *c = malloc(sizeof(*c));

	/* Another of the parent's threads may have held it at the fork. */
	pthread_mutex_init(&run.report_lock, NULL);
	if (!c)
		return 2;
	world_open(&world, 1 + (unsigned int)(seed % 2));
	worker_init(c, parent->id, seed, &world);
	c->is_child = true;
	poke_inherited(c, fd);
	for (unsigned int i = 0; i < steps && worker_step(c); i++)
		;
	if (close_first) {
		worker_verify_all(c);
		world_close(&world);
	}
	/* Otherwise exit(2) closes the files with their blocks. */
	fflush(stdout);
	return atomic_load(&run.errors) ? 1 : 0;
}

void fuzz_fork(struct worker *w, struct fuzz_file *inherited)
{
	uint64_t child_seed = rng_next(&w->rng);
	unsigned int steps = 50 + (unsigned int)rng_below(&w->rng, 250);
	bool kill_it = rng_chance(&w->rng, 1, 4), close_first = rng_chance(&w->rng, 1, 2);
	unsigned int delay_us = (unsigned int)rng_below(&w->rng, 20000);
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		_exit(child_main(w, inherited->fd, child_seed, steps, close_first));
	pthread_rwlock_unlock(&inherited->lock);
	w->last_fork_op = w->op_index;
	if (pid < 0) {
		/* Injected failures reach fork() too: no child this time. */
		if (run.inject && (errno == ENOMEM || errno == EAGAIN))
			return;
		fail(w, "fork: %s", strerror(errno));
		return;
	}
	w->forks++;
	if (kill_it) {
		usleep(delay_us);
		kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			fail(w, "waitpid: %s", strerror(errno));
			return;
		}
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return;
	if (kill_it && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		return;
	if (WIFEXITED(status))
		fail(w, "the forked child (seed %" PRIu64 ", %u steps) failed: exit %d; its report is above",
		     child_seed, steps, WEXITSTATUS(status));
	else
		fail(w, "the forked child (seed %" PRIu64 ", %u steps) died of signal %d",
		     child_seed, steps, WTERMSIG(status));
}
