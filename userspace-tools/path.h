/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lalloc-path: what each half measures for every step of a plan, and the
 * functions the files share (path_glibc.c, path_kernel.c, path_output.c).
 */
#ifndef PATH_H
#define PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "path_growth.h"

/* The memory system calls the userspace half traces. */
enum sc_kind { SC_BRK, SC_MMAP, SC_MUNMAP, SC_MREMAP, SC_MADVISE, NR_SC };

struct sc_record {
	enum sc_kind kind;
	uint64_t addr, len, new_len;	/* new_len: mremap */
	int64_t result;			/* return value (-errno on error) */
	int64_t delta;			/* brk: how far the break moved */
	uint64_t arg;			/* madvise: advice; mremap: flags */
};

/* glibc's verdict on one step. */
enum glibc_where { WHERE_NONE, WHERE_HEAP, WHERE_MMAP };

struct glibc_step {
	bool moved, mremap;
	enum glibc_where where;
	uint64_t usable, copied;
	uint64_t minflt;		/* minor faults during the step */
	uint64_t rss_kb;		/* VmRSS after it */
	uint64_t mmap_threshold;	/* M_MMAP_THRESHOLD after it, inferred */
	size_t sc_first, sc_nr;		/* into glibc_run.sc */
};

/* /proc/vmstat counters, deltas per phase. */
enum vm_counter { VM_PGALLOC_NORMAL, VM_PGALLOC_DMA32, VM_PGFAULT, VM_PGFREE, NR_VM };

struct glibc_run {
	bool ran;
	struct glibc_step *steps;	/* plan->nr */
	struct sc_record *sc;
	size_t nr_sc;
	uint64_t vm[NR_PHASES][NR_VM];
	uint64_t sc_count[NR_SC], sc_bytes[NR_SC];
	uint64_t minflt, rss_start_kb, rss_peak_kb;
	uint64_t mmap_threshold;	/* at the end, inferred from the munmaps */
};

struct mallopt_knobs {
	long mmap_threshold, trim_threshold, top_pad, mmap_max;	/* -1: unset */
};

struct kern_step {
	bool moved;
	uint64_t usable, copied;
	uint32_t origin, kind, slab_order, class_slot;
	int64_t held_delta;		/* STATS held_bytes after - before */
	uint64_t pages_taken;		/* page_allocs deltas, in pages */
	uint64_t pages_returned;
};

struct kern_run {
	bool ran;
	uint32_t backend;		/* LALLOC_BACKEND_* */
	struct kern_step *steps;
	size_t nr_done;			/* steps run: all of them unless one failed */
	char error[128];		/* the failed step, or "" */
	uint64_t page_calls[16];	/* page-allocator calls by order */
	uint64_t held_start, held_peak, held_end;	/* STATS held_bytes */
};

struct path_result {
	const struct plan *plan;
	struct mallopt_knobs knobs;
	struct glibc_run glibc;
	struct kern_run lalloc, kmalloc;
	const char *kernel_note;	/* why the kernel half did not run */
};

/* path_glibc.c: 0, or -1 with a message on stderr. */
int glibc_run(const struct plan *p, const struct mallopt_knobs *k, struct glibc_run *out);
int mallopt_parse(const char *s, struct mallopt_knobs *k);
const char *sc_name(enum sc_kind k);

/* path_kernel.c: 0; -errno when the device cannot be opened; 1 when a step failed. */
int kern_run(const struct plan *p, uint32_t backend, struct kern_run *out);
const char *origin_name(uint32_t origin);

/* path_output.c */
void out_trace(const struct path_result *r);
void out_summary(const struct path_result *r);
void out_json(const struct path_result *r);
int out_dot(const struct path_result *r, const char *file);
int out_plot(const struct path_result *const *runs, size_t n, const char *dir);

#endif /* PATH_H */
