// SPDX-License-Identifier: GPL-2.0
/*
 * record-subject: the program record-test records (dynamically linked,
 * built -O0 -fno-builtin so that every call below is made). Each part is
 * fenced by marker blocks whose sizes nothing else asks for, so that the
 * test can find the part's ops among libc's own; record-test.c holds the
 * trace each part must give.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define MARK_BEGIN 3000000u	/* + part number */
#define MARK_END 3000100u

static volatile size_t huge = SIZE_MAX / 2;	/* no compile-time size warnings */
static volatile size_t most = SIZE_MAX;

static void mark(size_t n)
{
	void *volatile p = malloc(n);

	free(p);
}

static void fail(const char *what)
{
	fprintf(stderr, "record-subject: %s failed\n", what);
	exit(1);
}

/* Part 1, main thread: every hook, the realloc edge cases, id reuse. */
static void part1(void)
{
	void *p1, *p2, *p3, *p4 = NULL, *p5, *p6, *p7, *p8, *p9, *x = NULL;

	mark(MARK_BEGIN + 1);
	p1 = malloc(100);
	p2 = calloc(3, 40);
	p1 = realloc(p1, 1000);
	free(NULL);
	free(p2);
	p3 = malloc(7);
	if (posix_memalign(&p4, 64, 200))
		fail("posix_memalign");
	p4 = realloc(p4, 300);
	if (posix_memalign(&x, 3, 10) != EINVAL || x)
		fail("posix_memalign(3)");
	p5 = aligned_alloc(4096, 8192);
	if (malloc(huge) || calloc(most, 2) || realloc(p5, huge) != NULL)
		fail("a huge allocation");
	p6 = realloc(NULL, 50);
	if (realloc(p6, 0))
		fail("realloc(p, 0)");
	p7 = memalign(48, 10);
	p8 = valloc(10);
	p9 = reallocarray(NULL, 10, 8);
	if (reallocarray(p9, most, 2))
		fail("reallocarray overflow");
	if (!p1 || !p3 || !p4 || !p5 || !p7 || !p8 || !p9)
		fail("an allocation");
	free(p1);
	free(p3);
	free(p4);
	free(p5);
	free(p7);
	free(p8);
	free(p9);
	mark(MARK_END + 1);
}

/* Parts 2 and 3, each in a thread of its own, one after the other. */
static void *part_thread(void *arg)
{
	size_t part = (size_t)(uintptr_t)arg;
	void *a, *b;

	mark(MARK_BEGIN + part);
	a = malloc(33 * part);
	b = malloc(44 * part);
	a = realloc(a, 20000 * part);
	free(b);
	free(a);
	mark(MARK_END + part);
	return NULL;
}

/* Part 4: two threads at once, 16 live blocks each, sizes 70000s / 80000s. */
#define CONC_STEPS 20000
static void *conc_thread(void *arg)
{
	size_t base = (size_t)(uintptr_t)arg;
	void *ring[16] = { 0 };

	for (int i = 0; i < CONC_STEPS; i++) {
		free(ring[i % 16]);
		ring[i % 16] = malloc(base + (size_t)(i % 7));
		if (i % 5 == 0)
			ring[i % 16] = realloc(ring[i % 16], base + 9);
	}
	for (int i = 0; i < 16; i++)
		free(ring[i]);
	return NULL;
}

/* Part 5: a forked child stops recording; a program it execs records apart. */
static void part5(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		fail("fork");
	if (pid == 0) {
		mark(55555);	/* not recorded */
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		fail("the child");
	mark(MARK_BEGIN + 5);
}

int main(void)
{
	pthread_t t[2];

	part1();
	for (size_t part = 2; part <= 3; part++) {
		if (pthread_create(&t[0], NULL, part_thread, (void *)(uintptr_t)part))
			fail("pthread_create");
		pthread_join(t[0], NULL);
	}
	mark(MARK_BEGIN + 4);
	if (pthread_create(&t[0], NULL, conc_thread, (void *)(uintptr_t)70000) ||
	    pthread_create(&t[1], NULL, conc_thread, (void *)(uintptr_t)80000))
		fail("pthread_create");
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	mark(MARK_END + 4);
	part5();
	return 3;	/* the wrapper must pass this on */
}
