// SPDX-License-Identifier: GPL-2.0
/*
 * liblalloc-record.so: an LD_PRELOAD library that records a program's heap
 * calls as a lalloc trace (Documentation/trace-format.rst) in the file named
 * by LALLOC_RECORD_FILE.
 *
 * Every hook calls glibc's own allocator (__libc_malloc and friends, which
 * glibc 2.36 exports at GLIBC_2.2.5), so there is no dlsym() and no
 * recursion through it. The recorder's own memory (the pointer -> id hash
 * table, the stack of freed ids, the output buffer) is mmap'd; nothing here
 * calls malloc. A thread-local guard passes calls made while a hook is
 * running (glibc calling malloc from inside pthread_atfork, say) straight
 * to glibc, unrecorded. One mutex serialises the table, the ids and the
 * buffer; it is never held across a call into glibc's allocator.
 *
 * Which file a process records to:
 *  - the process the wrapper started (its pid is LALLOC_RECORD_PID), or
 *    without the wrapper the first process to find FILE empty, records to
 *    FILE;
 *  - every other process that loads the library (a child that execs a
 *    dynamically linked program, a program exec'd over a recorded one)
 *    records to FILE.PID (FILE.PID.N if that exists);
 *  - a child made by fork() that does not exec stops recording: its heap
 *    calls pass straight to glibc and it writes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* glibc's MALLOC_ALIGNMENT on x86-64: what malloc, calloc, realloc promise. */
#define MALLOC_ALIGN 16

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);
extern void *__libc_valloc(size_t n);
extern void *__libc_pvalloc(size_t n);

/* initial-exec: a dynamic TLS access could itself call malloc. */
static __thread int in_hook __attribute__((tls_model("initial-exec")));

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

enum { ST_UNINIT, ST_ON, ST_OFF };
static int state;	/* under lock */
static int out_fd = -1;
static bool write_through;	/* after the destructor: every op written at once */

/* The pointer -> (id, align) table: open addressing, linear probing. */
struct slot {
	uintptr_t ptr;	/* 0: empty */
	uint64_t id;
	uint64_t align;
};
static struct slot *table;
static size_t table_cap;	/* a power of two */
static size_t table_used;

/* Freed ids, reused last-freed first; next_id is the next never used. */
static uint64_t *free_ids;
static size_t free_cap, free_n;
static uint64_t next_id;

#define OUT_SIZE (1u << 20)
static char *out_buf;
static size_t out_len;

static void *map(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		s += w;
		n -= (size_t)w;
	}
}

static void say(const char *a, const char *b)
{
	write_all(2, "lalloc-record: ", 15);
	write_all(2, a, strlen(a));
	write_all(2, b, strlen(b));
	write_all(2, "\n", 1);
}

static size_t fmt_u64(char *s, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		s[i] = tmp[n - 1 - i];
	return n;
}

static void flush(void)
{
	if (out_len && out_fd >= 0)
		write_all(out_fd, out_buf, out_len);
	out_len = 0;
}

/* Replaces NULs (cmdline's separators) by spaces and newlines by '?'. */
static void sanitize(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == 0)
			s[i] = ' ';
		else if (s[i] == '\n')
			s[i] = '?';
}

/* The header: the format line, then comments naming the process. */
static void write_header(int fd)
{
	static const char head[] = "# lalloc-trace v1\n# recorder lalloc-record "
		LALLOC_VERSION "\n# pid ";
	static const char tail[] = "# malloc, calloc, realloc, reallocarray: align "
		"16 (glibc MALLOC_ALIGNMENT, x86-64)\n";
	char num[24], path[4096], cmd[2048];
	ssize_t r;
	int cfd;

	write_all(fd, head, sizeof(head) - 1);
	write_all(fd, num, fmt_u64(num, (uint64_t)getpid()));
	write_all(fd, "\n# exe ", 7);
	r = readlink("/proc/self/exe", path, sizeof(path));
	if (r > 0) {
		sanitize(path, (size_t)r);
		write_all(fd, path, (size_t)r);
	}
	write_all(fd, "\n# cmdline", 10);
	cfd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (cfd >= 0) {
		r = read(cfd, cmd, sizeof(cmd));
		close(cfd);
		if (r > 0) {
			if (cmd[r - 1] == 0)
				r--;
			sanitize(cmd, (size_t)r);
			write_all(fd, " ", 1);
			write_all(fd, cmd, (size_t)r);
		}
	}
	write_all(fd, "\n", 1);
	write_all(fd, tail, sizeof(tail) - 1);
}

static bool file_is_empty(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_size == 0;
}

/* FILE if this process may claim it and it is empty, else FILE.PID[.N]. */
static int open_trace(void)
{
	const char *path = getenv("LALLOC_RECORD_FILE");
	const char *want = getenv("LALLOC_RECORD_PID");
	pid_t pid = getpid();
	char name[PATH_MAX + 48];
	size_t plen, n;
	int fd;

	if (!path || !*path)
		return -1;
	plen = strlen(path);
	if (plen >= PATH_MAX) {
		say("path too long: ", path);
		return -1;
	}
	if (!want || strtol(want, NULL, 10) == (long)pid) {
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0) {
			say("cannot open ", path);
			return -1;
		}
		/* The lock makes test-and-claim atomic between processes. */
		flock(fd, LOCK_EX);
		if (file_is_empty(fd)) {
			write_header(fd);
			flock(fd, LOCK_UN);
			return fd;
		}
		flock(fd, LOCK_UN);
		close(fd);
	}
	memcpy(name, path, plen);
	name[plen] = '.';
	n = plen + 1 + fmt_u64(name + plen + 1, (uint64_t)pid);
	for (unsigned int k = 0; k < 1000; k++) {
		size_t m = n;

		if (k) {
			name[m++] = '.';
			m += fmt_u64(name + m, k);
		}
		name[m] = 0;
		fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			write_header(fd);
			return fd;
		}
		if (errno != EEXIST)
			break;
	}
	say("cannot create ", name);
	return -1;
}

static void init_locked(void)
{
	state = ST_OFF;
	table_cap = 1u << 16;
	table = map(table_cap * sizeof(*table));
	free_cap = 1u << 16;
	free_ids = map(free_cap * sizeof(*free_ids));
	out_buf = map(OUT_SIZE);
	if (!table || !free_ids || !out_buf)
		return;
	out_fd = open_trace();
	if (out_fd >= 0)
		state = ST_ON;
}

static size_t hash(uintptr_t p)
{
	uint64_t h = (uint64_t)p >> 4;

	h *= 0x9e3779b97f4a7c15ull;
	return (size_t)(h ^ (h >> 29)) & (table_cap - 1);
}

static bool table_grow(void)
{
	struct slot *old = table;
	size_t old_cap = table_cap;
	struct slot *t = map(2 * old_cap * sizeof(*t));

	if (!t)
		return false;
	table = t;
	table_cap = 2 * old_cap;
	for (size_t i = 0; i < old_cap; i++) {
		size_t j;

		if (!old[i].ptr)
			continue;
		for (j = hash(old[i].ptr); table[j].ptr; j = (j + 1) & (table_cap - 1))
			;
		table[j] = old[i];
	}
	munmap(old, old_cap * sizeof(*old));
	return true;
}

static bool table_insert(uintptr_t p, uint64_t id, uint64_t align)
{
	size_t j;

	if (2 * (table_used + 1) > table_cap && !table_grow())
		return false;
	for (j = hash(p); table[j].ptr; j = (j + 1) & (table_cap - 1))
		;
	table[j] = (struct slot){ p, id, align };
	table_used++;
	return true;
}

/* Removes p; false if it is not there. Backward-shift deletion. */
static bool table_remove(uintptr_t p, uint64_t *id, uint64_t *align)
{
	size_t mask = table_cap - 1, i, j;

	for (i = hash(p); table[i].ptr != p; i = (i + 1) & mask)
		if (!table[i].ptr)
			return false;
	*id = table[i].id;
	*align = table[i].align;
	for (j = (i + 1) & mask; table[j].ptr; j = (j + 1) & mask) {
		size_t home = hash(table[j].ptr);

		/* Move j into the hole at i unless its home lies in (i, j]. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			table[i] = table[j];
			i = j;
		}
	}
	table[i].ptr = 0;
	table_used--;
	return true;
}

static uint64_t id_get(void)
{
	return free_n ? free_ids[--free_n] : next_id++;
}

static void id_put(uint64_t id)
{
	if (free_n == free_cap) {
		uint64_t *n = map(2 * free_cap * sizeof(*n));

		if (!n)
			return;	/* the id is just never reused */
		memcpy(n, free_ids, free_n * sizeof(*n));
		munmap(free_ids, free_cap * sizeof(*n));
		free_ids = n;
		free_cap *= 2;
	}
	free_ids[free_n++] = id;
}

/* Appends "K A [B [C]]\n"; nargs of a, b, c are used. */
static void emit(char kind, int nargs, uint64_t a, uint64_t b, uint64_t c)
{
	char *s;

	if (OUT_SIZE - out_len < 80)
		flush();
	s = out_buf + out_len;
	*s++ = kind;
	*s++ = ' ';
	s += fmt_u64(s, a);
	if (nargs > 1) {
		*s++ = ' ';
		s += fmt_u64(s, b);
	}
	if (nargs > 2) {
		*s++ = ' ';
		s += fmt_u64(s, c);
	}
	*s++ = '\n';
	out_len = (size_t)(s - out_buf);
	if (write_through)
		flush();
}

/* Takes the lock; false (lock released) if this process does not record. */
static bool begin(void)
{
	pthread_mutex_lock(&lock);
	if (state == ST_UNINIT)
		init_locked();
	if (state == ST_ON)
		return true;
	pthread_mutex_unlock(&lock);
	return false;
}

static void end(void)
{
	pthread_mutex_unlock(&lock);
}

static void record_alloc(void *p, size_t size, uint64_t align)
{
	int e = errno;

	if (begin()) {
		uint64_t id = id_get();

		if (table_insert((uintptr_t)p, id, align))
			emit('a', 3, id, size, align);
		else
			id_put(id);
		end();
	}
	errno = e;
}

/* Forgets p (before glibc frees it: its address may come back at once). */
static void record_free(void *p)
{
	uint64_t id, align;
	int e = errno;

	if (begin()) {
		if (table_remove((uintptr_t)p, &id, &align)) {
			emit('f', 1, id, 0, 0);
			id_put(id);
		}
		end();
	}
	errno = e;
}

static uint64_t pow2_ceil(size_t a)
{
	uint64_t p = 1;

	while (p < a)
		p <<= 1;
	return p;
}

EXPORT void *malloc(size_t n)
{
	void *p;

	if (in_hook)
		return __libc_malloc(n);
	in_hook = 1;
	p = __libc_malloc(n);
	if (p)
		record_alloc(p, n, MALLOC_ALIGN);
	in_hook = 0;
	return p;
}

EXPORT void *calloc(size_t n, size_t m)
{
	void *p;

	if (in_hook)
		return __libc_calloc(n, m);
	in_hook = 1;
	p = __libc_calloc(n, m);
	if (p)
		record_alloc(p, n * m, MALLOC_ALIGN);
	in_hook = 0;
	return p;
}

EXPORT void free(void *p)
{
	if (!p)
		return;
	if (in_hook) {
		__libc_free(p);
		return;
	}
	in_hook = 1;
	record_free(p);
	__libc_free(p);
	in_hook = 0;
}

static void *do_realloc(void *p, size_t n)
{
	uint64_t id = 0, align = 0;
	bool known = false, on;
	void *q;
	int e;

	if (!p) {
		q = __libc_realloc(NULL, n);
		if (q)
			record_alloc(q, n, MALLOC_ALIGN);
		return q;
	}
	/* Take p out first: once glibc frees it, another thread may get it. */
	on = begin();
	if (on) {
		known = table_remove((uintptr_t)p, &id, &align);
		end();
	}
	q = __libc_realloc(p, n);
	if (!on)
		return q;
	e = errno;
	if (begin()) {
		if (!q && n == 0) {
			/* glibc freed p */
			if (known) {
				emit('f', 1, id, 0, 0);
				id_put(id);
			}
		} else if (!q) {
			/* failed: p is unchanged */
			if (known && !table_insert((uintptr_t)p, id, align))
				id_put(id);
		} else if (known) {
			if (table_insert((uintptr_t)q, id, MALLOC_ALIGN)) {
				/* realloc keeps only MALLOC_ALIGNMENT */
				if (align == MALLOC_ALIGN)
					emit('r', 2, id, n, 0);
				else
					emit('r', 3, id, n, MALLOC_ALIGN);
			} else {
				emit('f', 1, id, 0, 0);
				id_put(id);
			}
		} else {
			/* a block from before recording: new to the trace */
			uint64_t nid = id_get();

			if (table_insert((uintptr_t)q, nid, MALLOC_ALIGN))
				emit('a', 3, nid, n, MALLOC_ALIGN);
			else
				id_put(nid);
		}
		end();
	}
	errno = e;
	return q;
}

EXPORT void *realloc(void *p, size_t n)
{
	void *q;

	if (in_hook)
		return __libc_realloc(p, n);
	in_hook = 1;
	q = do_realloc(p, n);
	in_hook = 0;
	return q;
}

EXPORT void *reallocarray(void *p, size_t n, size_t m)
{
	size_t bytes;
	void *q;

	if (__builtin_mul_overflow(n, m, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	if (in_hook)
		return __libc_realloc(p, bytes);
	in_hook = 1;
	q = do_realloc(p, bytes);
	in_hook = 0;
	return q;
}

/* memalign and aligned_alloc: glibc rounds align up to a power of two. */
static void *aligned(size_t align, size_t n)
{
	void *p;

	if (in_hook)
		return __libc_memalign(align, n);
	in_hook = 1;
	p = __libc_memalign(align, n);
	if (p)
		record_alloc(p, n, pow2_ceil(align));
	in_hook = 0;
	return p;
}

EXPORT void *memalign(size_t align, size_t n)
{
	return aligned(align, n);
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	return aligned(align, n);
}

EXPORT int posix_memalign(void **pp, size_t align, size_t n)
{
	int e = errno;
	void *p;

	if (!align || (align & (align - 1)) || align % sizeof(void *))
		return EINVAL;
	p = aligned(align, n);
	if (!p) {
		errno = e;
		return ENOMEM;
	}
	*pp = p;
	return 0;
}

EXPORT void *valloc(size_t n)
{
	void *p;

	if (in_hook)
		return __libc_valloc(n);
	in_hook = 1;
	p = __libc_valloc(n);
	if (p)
		record_alloc(p, n, (uint64_t)getpagesize());
	in_hook = 0;
	return p;
}

/* pvalloc allocates whole pages: the size recorded is the rounded one. */
EXPORT void *pvalloc(size_t n)
{
	size_t page = (size_t)getpagesize();
	void *p;

	if (in_hook)
		return __libc_pvalloc(n);
	in_hook = 1;
	p = __libc_pvalloc(n);
	if (p)
		record_alloc(p, (n + page - 1) & ~(page - 1), page);
	in_hook = 0;
	return p;
}

static void atfork_prepare(void)
{
	pthread_mutex_lock(&lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&lock);
}

/* The child stops recording; the parent's buffered ops are not its own. */
static void atfork_child(void)
{
	pthread_mutex_init(&lock, NULL);
	if (state == ST_ON) {
		out_len = 0;
		close(out_fd);
		out_fd = -1;
	}
	state = ST_OFF;
}

__attribute__((constructor)) static void record_init(void)
{
	in_hook = 1;
	pthread_mutex_lock(&lock);
	if (state == ST_UNINIT)
		init_locked();
	pthread_mutex_unlock(&lock);
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
	in_hook = 0;
}

/* Flushes; ops after this (other destructors, exit handlers) go out at once. */
__attribute__((destructor)) static void record_fini(void)
{
	pthread_mutex_lock(&lock);
	if (state == ST_ON) {
		flush();
		write_through = true;
	}
	pthread_mutex_unlock(&lock);
}
