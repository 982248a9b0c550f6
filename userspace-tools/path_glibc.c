// SPDX-License-Identifier: GPL-2.0
/*
 * lalloc-path, userspace half: the plan's reallocations through glibc's
 * malloc in a forked child, as Rust's System allocator makes them (realloc;
 * aligned_alloc + memcpy + free past 16-byte alignment). The parent traces
 * the child with ptrace (PTRACE_O_TRACESYSGOOD, PTRACE_SYSCALL) and records
 * every brk, mmap, munmap, mremap and madvise with its sizes and result. The
 * child ends each step with one write of a marker record to a pipe: the
 * tracer sees that write and attributes the system calls before it to the
 * step. The child measures minor faults (getrusage) and VmRSS; the parent
 * reads /proc/vmstat at phase boundaries while the child is stopped.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "path.h"

/* malloc's alignment on x86-64, Rust's MIN_ALIGN there. */
#define MIN_ALIGN 16
/* glibc's chunk header: the size word before the block, bit 1 IS_MMAPPED. */
#define CHUNK_IS_MMAPPED 0x2
/* glibc's DEFAULT_MMAP_THRESHOLD_MIN and _MAX on 64-bit. */
#define MMAP_THRESHOLD_START (128 * 1024)
#define MMAP_THRESHOLD_MAX (32 * 1024 * 1024)

struct marker {
	int32_t index;		/* -1: the child is ready */
	uint32_t mmapped;
	uint64_t addr, usable, minflt, rss_kb;
};

/* The kernel's struct ptrace_syscall_info (Linux 5.3). */
struct syscall_info {
	uint8_t op;
	uint8_t pad[3];
	uint32_t arch;
	uint64_t ip, sp;
	union {
		struct { uint64_t nr, args[6]; } entry;
		struct { int64_t rval; uint8_t is_error; } exit;
	};
};
#define SYSCALL_INFO_ENTRY 1
#define SYSCALL_INFO_EXIT 2

const char *sc_name(enum sc_kind k)
{
	static const char *const n[] = { "brk", "mmap", "munmap", "mremap", "madvise" };

	return k < NR_SC ? n[k] : "?";
}

int mallopt_parse(const char *s, struct mallopt_knobs *k)
{
	static const struct { const char *name; size_t off; } knobs[] = {
		{ "mmap_threshold", offsetof(struct mallopt_knobs, mmap_threshold) },
		{ "trim_threshold", offsetof(struct mallopt_knobs, trim_threshold) },
		{ "top_pad", offsetof(struct mallopt_knobs, top_pad) },
		{ "mmap_max", offsetof(struct mallopt_knobs, mmap_max) },
	};
	char copy[256], *save, *tok;

	if (strlen(s) >= sizeof(copy))
		return -1;
	strcpy(copy, s);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		size_t i;
		long v;

		if (!eq)
			return -1;
		*eq = 0;
		errno = 0;
		v = strtol(eq + 1, &end, 0);
		if (errno || end == eq + 1 || *end || v < 0)
			return -1;
		for (i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++)
			if (!strcmp(tok, knobs[i].name))
				break;
		if (i == sizeof(knobs) / sizeof(knobs[0]))
			return -1;
		*(long *)((char *)k + knobs[i].off) = v;
	}
	return 0;
}

/* ---- the child ---- */

static uint64_t status_kb(int fd, const char *key)
{
	char buf[4096], *p;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strstr(buf, key);
	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

static void *sys_alloc(uint64_t size, uint64_t align)
{
	if (align <= MIN_ALIGN && align <= size)
		return malloc(size);
	return aligned_alloc(align, (size + align - 1) / align * align);
}

/* std::alloc::System::realloc: libc realloc, or realloc_fallback. */
static void *sys_realloc(void *old, uint64_t old_size, uint64_t size, uint64_t align)
{
	void *n;

	if (align <= MIN_ALIGN && align <= size)
		return realloc(old, size);
	n = sys_alloc(size, align);
	if (n) {
		memcpy(n, old, old_size < size ? old_size : size);
		free(old);
	}
	return n;
}

static void send_marker(int fd, struct marker *m)
{
	if (write(fd, m, sizeof(*m)) != sizeof(*m))
		_exit(4);
}

static void child(const struct plan *p, const struct mallopt_knobs *k, int wfd)
{
	struct marker m = { .index = -1 };
	struct rusage ru;
	char *buf = NULL;
	int status_fd;

	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
		_exit(5);
	raise(SIGSTOP);
	if (k->mmap_threshold >= 0)
		mallopt(M_MMAP_THRESHOLD, (int)k->mmap_threshold);
	if (k->trim_threshold >= 0)
		mallopt(M_TRIM_THRESHOLD, (int)k->trim_threshold);
	if (k->top_pad >= 0)
		mallopt(M_TOP_PAD, (int)k->top_pad);
	if (k->mmap_max >= 0)
		mallopt(M_MMAP_MAX, (int)k->mmap_max);
	status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	getrusage(RUSAGE_SELF, &ru);
	m.minflt = (uint64_t)ru.ru_minflt;
	m.rss_kb = status_kb(status_fd, "VmRSS:");
	m.addr = (uint64_t)(uintptr_t)sbrk(0);	/* the break, for the brk deltas */
	send_marker(wfd, &m);
	for (size_t i = 0; i < p->nr; i++) {
		const struct plan_step *s = &p->steps[i];

		switch (s->op) {
		case OP_ALLOC:
			buf = sys_alloc(s->new_bytes, p->align);
			break;
		case OP_FREE:
			free(buf);
			buf = NULL;
			break;
		case OP_GROW:
		case OP_SHRINK:
			buf = sys_realloc(buf, s->old_bytes, s->new_bytes, p->align);
			break;
		}
		if (!buf && s->new_bytes)
			_exit(3);
		/* The pushes this step made room for. */
		if (s->fill)
			memset(buf + s->len * p->elem, (int)(i & 0xff), s->fill * p->elem);
		getrusage(RUSAGE_SELF, &ru);
		m = (struct marker){
			.index = (int32_t)i,
			.addr = (uint64_t)(uintptr_t)buf,
			.mmapped = buf ? !!(((size_t *)buf)[-1] & CHUNK_IS_MMAPPED) : 0,
			.usable = buf ? malloc_usable_size(buf) : 0,
			.minflt = (uint64_t)ru.ru_minflt,
			.rss_kb = status_kb(status_fd, "VmRSS:"),
		};
		send_marker(wfd, &m);
	}
	_exit(0);
}

/* ---- the tracer ---- */

static const char *const vm_keys[NR_VM] = {
	[VM_PGALLOC_NORMAL] = "\npgalloc_normal ",
	[VM_PGALLOC_DMA32] = "\npgalloc_dma32 ",	/* a small guest's memory is all DMA32 */
	[VM_PGFAULT] = "\npgfault ",
	[VM_PGFREE] = "\npgfree ",
};

static void vmstat_read(int fd, uint64_t v[NR_VM])
{
	static char buf[16384];
	ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;

	for (int i = 0; i < NR_VM; i++) {
		char *p = n > 0 ? (buf[n] = 0, strstr(buf, vm_keys[i])) : NULL;

		v[i] = p ? strtoull(p + strlen(vm_keys[i]), NULL, 10) : 0;
	}
}

static int sc_kind_of(uint64_t nr)
{
	switch (nr) {
	case SYS_brk: return SC_BRK;
	case SYS_mmap: return SC_MMAP;
	case SYS_munmap: return SC_MUNMAP;
	case SYS_mremap: return SC_MREMAP;
	case SYS_madvise: return SC_MADVISE;
	}
	return -1;
}

struct tracer {
	const struct plan *p;
	struct glibc_run *out;
	size_t sc_room, mark_sc;
	long cur;		/* the step running; -1 before the ready marker */
	uint64_t brk_cur, last_minflt, old_addr;
	uint64_t vm_mark[NR_VM];
	bool dynamic;		/* glibc moves the mmap threshold */
	int vmfd;
};

static int tracer_add_sc(struct tracer *t, const struct syscall_info *e, int64_t rval)
{
	struct glibc_run *o = t->out;
	struct sc_record *r;
	int kind = sc_kind_of(e->entry.nr);

	if (kind < 0 || t->cur < 0 || (size_t)t->cur >= t->p->nr)
		return 0;
	if (o->nr_sc == t->sc_room) {
		size_t n = t->sc_room ? t->sc_room * 2 : 256;
		void *a = path_remap(o->sc, t->sc_room * sizeof(*r), n * sizeof(*r));

		if (!a)
			return -1;
		o->sc = a;
		t->sc_room = n;
	}
	r = &o->sc[o->nr_sc++];
	*r = (struct sc_record){ .kind = kind, .addr = e->entry.args[0],
				 .len = e->entry.args[1], .result = rval };
	switch (kind) {
	case SC_BRK:
		if (rval > 0) {
			if (t->brk_cur && e->entry.args[0])
				r->delta = rval - (int64_t)t->brk_cur;
			t->brk_cur = (uint64_t)rval;
		}
		r->len = r->delta < 0 ? (uint64_t)-r->delta : (uint64_t)r->delta;
		break;
	case SC_MREMAP:
		r->new_len = e->entry.args[2];
		r->arg = e->entry.args[3];
		break;
	case SC_MADVISE:
		r->arg = e->entry.args[2];
		break;
	}
	o->sc_count[kind]++;
	o->sc_bytes[kind] += kind == SC_MREMAP ? r->new_len : r->len;
	return 0;
}

static void tracer_marker(struct tracer *t, const struct marker *m)
{
	struct glibc_run *o = t->out;
	uint64_t vm[NR_VM];

	if (m->index < 0) {
		o->rss_start_kb = o->rss_peak_kb = m->rss_kb;
		t->last_minflt = m->minflt;
		t->brk_cur = m->addr;
		vmstat_read(t->vmfd, t->vm_mark);
		t->mark_sc = o->nr_sc;
		t->cur = 0;
		return;
	}
	const struct plan_step *s = &t->p->steps[m->index];
	struct glibc_step *g = &o->steps[m->index];

	g->sc_first = t->mark_sc;
	g->sc_nr = o->nr_sc - t->mark_sc;
	t->mark_sc = o->nr_sc;
	for (size_t i = g->sc_first; i < o->nr_sc; i++) {
		const struct sc_record *c = &o->sc[i];

		if (c->kind == SC_MREMAP)
			g->mremap = true;
		/*
		 * free() of an mmap'ed chunk larger than the threshold raises it
		 * to that size (up to 32 MiB), unless mallopt fixed it.
		 */
		if (c->kind == SC_MUNMAP && !c->result && t->dynamic &&
		    c->len > o->mmap_threshold && c->len <= MMAP_THRESHOLD_MAX)
			o->mmap_threshold = c->len;
	}
	g->mmap_threshold = o->mmap_threshold;
	g->moved = t->old_addr && m->addr && m->addr != t->old_addr;
	g->where = !m->addr ? WHERE_NONE : m->mmapped ? WHERE_MMAP : WHERE_HEAP;
	g->usable = m->usable;
	g->copied = g->moved && !g->mremap ?
		    (s->old_bytes < s->new_bytes ? s->old_bytes : s->new_bytes) : 0;
	g->minflt = m->minflt - t->last_minflt;
	g->rss_kb = m->rss_kb;
	o->minflt += g->minflt;
	if (m->rss_kb > o->rss_peak_kb)
		o->rss_peak_kb = m->rss_kb;
	t->last_minflt = m->minflt;
	t->old_addr = m->addr;
	t->cur = m->index + 1;
	if ((size_t)m->index + 1 == t->p->nr || t->p->steps[m->index + 1].phase != s->phase) {
		vmstat_read(t->vmfd, vm);
		for (int i = 0; i < NR_VM; i++) {
			o->vm[s->phase][i] += vm[i] - t->vm_mark[i];
			t->vm_mark[i] = vm[i];
		}
	}
}

int glibc_run(const struct plan *p, const struct mallopt_knobs *k, struct glibc_run *out)
{
	struct tracer t = { .p = p, .out = out, .cur = -1 };
	struct syscall_info entry = { 0 };
	int pfd[2], st, ret = 0;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	t.dynamic = k->mmap_threshold < 0 && k->trim_threshold < 0 && k->top_pad < 0 &&
		    k->mmap_max < 0;
	out->mmap_threshold = k->mmap_threshold >= 0 ? (uint64_t)k->mmap_threshold :
			      MMAP_THRESHOLD_START;
	out->steps = path_map(p->nr * sizeof(*out->steps));
	if (!out->steps || pipe2(pfd, O_CLOEXEC)) {
		perror("lalloc-path: userspace half");
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("lalloc-path: fork");
		return -1;
	}
	if (!pid) {
		close(pfd[0]);
		child(p, k, pfd[1]);
	}
	close(pfd[1]);
	t.vmfd = open("/proc/vmstat", O_RDONLY | O_CLOEXEC);
	if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st) ||
	    ptrace(PTRACE_SETOPTIONS, pid, NULL,
		   (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)) ||
	    ptrace(PTRACE_SYSCALL, pid, NULL, NULL)) {
		fprintf(stderr, "lalloc-path: cannot trace the child: %s\n", strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		ret = -1;
		goto out;
	}
	for (;;) {
		struct syscall_info si;
		int sig = 0;

		if (waitpid(pid, &st, 0) != pid)
			break;
		if (WIFEXITED(st) || WIFSIGNALED(st))
			break;
		if (WSTOPSIG(st) == (SIGTRAP | 0x80)) {
			if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(si), &si) <= 0) {
				ret = -1;
			} else if (si.op == SYSCALL_INFO_ENTRY) {
				entry = si;
			} else if (si.op == SYSCALL_INFO_EXIT) {
				if (entry.entry.nr == SYS_write && entry.entry.args[0] == (uint64_t)pfd[1] &&
				    si.exit.rval == sizeof(struct marker)) {
					struct marker m;

					if (read(pfd[0], &m, sizeof(m)) == sizeof(m))
						tracer_marker(&t, &m);
				} else if (tracer_add_sc(&t, &entry, si.exit.rval)) {
					ret = -1;
				}
			}
		} else {
			sig = WSTOPSIG(st);
		}
		if (ptrace(PTRACE_SYSCALL, pid, NULL, (void *)(long)sig))
			break;
	}
	if (!ret && (!WIFEXITED(st) || WEXITSTATUS(st))) {
		fprintf(stderr, "lalloc-path: the userspace half's child %s %d\n",
			WIFEXITED(st) ? "exited with" : "died of signal",
			WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		ret = -1;
	}
	if (!ret && (size_t)t.cur != p->nr) {
		fprintf(stderr, "lalloc-path: the child reported %ld of %zu steps\n", t.cur, p->nr);
		ret = -1;
	}
out:
	close(pfd[0]);
	if (t.vmfd >= 0)
		close(t.vmfd);
	out->ran = !ret;
	return ret;
}
