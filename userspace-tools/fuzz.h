/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lalloc-fuzz's shared pieces: the seeded generator, the files every worker
 * shares, each worker's model of the blocks it owns, and the oracle that
 * knows which errnos the uapi header documents for each command.
 */
#ifndef LALLOC_FUZZ_H
#define LALLOC_FUZZ_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/lalloc.h>

/* The uapi's __u64 is unsigned long long; PRIu64 prints uint64_t. */
#define U64(x)		((uint64_t)(x))

/* ---- the generator: splitmix64, one stream per worker ---- */

struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return rng_next(r) % n;
}

/* True with probability num/den. */
static inline bool rng_chance(struct rng *r, unsigned int num, unsigned int den)
{
	return rng_below(r, den) < num;
}

/* ---- errno sets ---- */

/* One bit per errno the uapi header lists; the oracle works on these sets. */
enum err_bit {
	E_INVAL, E_NOENT, E_NOMEM, E_2BIG, E_DQUOT, E_NOSPC, E_RANGE, E_FAULT,
	E_BUSY, E_NOTTY, E_ILSEQ, E_COUNT
};

typedef unsigned int errset;

#define ERR(b)		(1U << (b))
/* What any call that takes memory may meet, whatever its arguments. */
#define ERR_RESOURCE	(ERR(E_NOMEM) | ERR(E_DQUOT) | ERR(E_NOSPC))

/* The commands the oracle knows, the BATCH ops included. */
enum cmd {
	C_ALLOC, C_FREE, C_GROW, C_SHRINK, C_REALLOC, C_WRITE, C_READ, C_INFO,
	C_STATS, C_BATCH, C_SET_BACKEND, C_FILL, C_CHECK, C_BAD_OP, C_UNKNOWN,
	C_COUNT
};

extern const char *const cmd_names[C_COUNT];

/* What the documentation lists for each command; see fuzz_oracle.c. */
errset documented_errors(enum cmd c, bool batch_entry);
/* -errno (or 0) as a bit; E_COUNT for an errno the header does not list. */
int err_to_bit(int neg_errno);
const char *err_name(int neg_errno);
void errset_format(errset s, char *buf, size_t len);

/*
 * The expectation for one call: @must holds every error the arguments make
 * certain (the call must fail with one of them, or one in @may); with
 * @must empty the call must succeed or fail with one in @may.
 */
struct expect {
	errset must;
	errset may;
};

/* Rust's Layout rules, as the kernel's lalloc_layout_valid(). */
static inline bool layout_valid(uint64_t size, uint64_t align)
{
	return align && !(align & (align - 1)) && size <= INT64_MAX - (align - 1);
}

/* ---- the files the workers share ---- */

/* Ids the kernel hands out stay far below this: live handles are capped. */
#define FUZZ_MAX_ID		(1U << 20)
/* Freed ids remembered per file, to be used again as stale handles. */
#define FUZZ_FREED_RING		64

/*
 * One open /dev/lalloc file. @lock orders the calls that could be confused
 * by an id changing hands: ALLOCs take it shared (so do all ordinary
 * calls), while a call that relies on an id not being live in the file
 * (a stale or another file's handle), SET_BACKEND and closing or reopening
 * take it exclusively, so no id appears during them.
 */
struct fuzz_file {
	pthread_rwlock_t lock;
	pthread_mutex_t ids_lock;	/* @live and @freed */
	int fd;
	int alt_fd;			/* a dup of @fd, or -1 */
	unsigned int gen;		/* bumped when the file is reopened */
	bool used;			/* a block was allocated: SET_BACKEND is EBUSY */
	uint32_t backend;
	uint8_t *live;			/* bitmap of live ids, FUZZ_MAX_ID bits */
	uint32_t freed[FUZZ_FREED_RING];
	unsigned int nfreed;
};

struct fuzz_world {
	struct fuzz_file *files;
	unsigned int nfiles;
};

bool id_live(struct fuzz_file *f, uint32_t id);
void id_set(struct fuzz_file *f, uint32_t id, bool live);

/* ---- a worker ---- */

/* A block a worker owns: its handle, layout, and every byte it should hold. */
struct block {
	unsigned int file;
	unsigned int gen;		/* the file's generation it lives in */
	uint32_t handle;
	uint64_t size, align, usable;
	uint8_t *data;			/* @size bytes; what the kernel must return */
};

#define FUZZ_MAX_BLOCKS		64
#define FUZZ_HISTORY		12
#define FUZZ_DESC		256
/* Scratch for READ/WRITE data and BATCH arrays: the largest window used. */
#define FUZZ_SCRATCH		(256UL << 10)

/*
 * Memory made once per worker, before any worker runs: the partially
 * unmapped page (see fuzz_ops.c for why it is made only then), and a page
 * seen through a writable and a read-only mapping.
 */
struct bad_memory {
	uint8_t *edge;		/* one mapped page; the page after it was unmapped */
	uint8_t *edge_end;	/* the first unmapped byte */
	uint8_t *ro_rw;		/* a page, writable view */
	uint8_t *ro;		/* the same page, read-only */
};

struct worker {
	unsigned int id;
	uint64_t seed;
	struct rng rng;
	struct fuzz_world *world;
	bool is_child;			/* a forked process: no forks, no file events */
	struct block blocks[FUZZ_MAX_BLOCKS];
	unsigned int nblocks;
	uint64_t model_bytes;
	uint8_t *scratch, *scratch2;
	uint8_t *argbuf;		/* argument structs, up to the largest ioctl size */
	uint64_t last_fork_op;		/* op_index of the last fork */
	struct bad_memory bad;
	uint64_t op_index;		/* this worker's ops so far */
	uint64_t counts[C_COUNT][2];	/* per command: succeeded, failed */
	uint64_t forks, reopens, dups, batches;
	char history[FUZZ_HISTORY][FUZZ_DESC];
	unsigned int nhistory;
	char desc[FUZZ_DESC];		/* the op under way */
};

/* ---- shared run state (lalloc-fuzz.c) ---- */

struct fuzz_run {
	uint64_t seed;
	uint64_t max_ops;		/* 0: until the deadline */
	double deadline;		/* monotonic seconds; 0: none */
	atomic_uint_fast64_t ops;	/* ops taken by all workers */
	atomic_int errors;
	atomic_bool stop;
	pthread_mutex_t report_lock;
	bool trace;			/* every op to stderr as it is made */
	bool inject;			/* workers marked for fault injection */
};

extern struct fuzz_run run;
/* STATS nr_caches at the start: every later STATS must say the same. */
extern uint32_t stats_nr_caches;

/* The worker running on this thread, for the crash report. */
extern _Thread_local struct worker *current_worker;

double now_s(void);
int open_device(void);

/* Open @n files into @world; close them all. */
void world_open(struct fuzz_world *world, unsigned int n);
void world_close(struct fuzz_world *world);

/* Before any worker runs (the bad memory must be made first: see fuzz_ops.c). */
void worker_init(struct worker *w, unsigned int id, uint64_t seed, struct fuzz_world *world);
void worker_fini(struct worker *w);
/* One random operation; false once the run must stop. */
bool worker_step(struct worker *w);

/*
 * Report a failure: what was done (w->desc), what came back, the seed, and
 * the worker's last operations. Only the first failure is printed in full.
 */
void fail(struct worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Check one result against an expectation; false (and reported) if it breaks it. */
bool check_result(struct worker *w, enum cmd c, int ret, struct expect e, bool batch_entry);
/* Remember the op being made, for reports. */
void describe(struct worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Fork a child that pokes the inherited file and fuzzes fresh files of its
 * own; reap it, perhaps after killing it mid-run (fuzz_fork.c). Called with
 * @inherited held shared; releases it once the child exists.
 */
void fuzz_fork(struct worker *w, struct fuzz_file *inherited);
/* Compare every block the worker still holds with its model. */
void worker_verify_all(struct worker *w);

#endif /* LALLOC_FUZZ_H */
