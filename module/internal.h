/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lalloc internals shared by the fast path, the slow path, the large-block
 * path and the resize code.
 *
 * Map of the allocator:
 *   layout.c        Rust's Layout rules
 *   size_classes.c  the slab classes and the layout -> class lookup
 *   fastpath.c      per-CPU object caches: lalloc_alloc()/lalloc_free()
 *   slowpath.c      slabs, partial/empty lists, the page allocator
 *   drain.c         per-CPU stacks back to the slabs: work items, hotplug
 *   freelist.c      the slabs' freelists: hardened links, random order
 *   large.c         blocks past the slab classes: exact pages, vmalloc
 *   resize.c        grow/shrink/realloc and usable size
 *   shrinker.c      giving empty slabs back under memory pressure
 *   sanitizers.c    what KASAN and kmemleak know of each object
 */
#ifndef _LALLOC_INTERNAL_H
#define _LALLOC_INTERNAL_H

#include <linux/lalloc.h>
#include <uapi/linux/lalloc.h>
#include <linux/jump_label.h>
#include <linux/list.h>
#include <linux/local_lock.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/shrinker.h>
#include <linux/spinlock.h>

/* Zero-size blocks rely on non-canonical x86-64 addresses. */
#if BITS_PER_LONG != 64
#error "lalloc needs a 64-bit kernel"
#endif

/*
 * Slab classes: multiples of 8 up to 128 bytes, then eight classes per
 * power of two up to 32 KiB, so a class wastes at most 1/8 of the next
 * power of two below it (12.5% internal fragmentation for sizes >= 128).
 */
#define LALLOC_MAX_SLOT		(32U * 1024)
#define LALLOC_SMALL_LIMIT	1024U
#define LALLOC_SMALL_SHIFT	3	/* class lookup granularity <= 1 KiB */
#define LALLOC_BIG_SHIFT	7	/* class lookup granularity <= 32 KiB */
#define LALLOC_NR_CLASSES	(16 + 8 * 8)
#define LALLOC_MAX_SLAB_ORDER	5

/* Largest block the page allocator gives in one piece. */
#define LALLOC_MAX_BLOCK	(PAGE_SIZE << LALLOC_MAX_PAGE_ORDER)

/* Per-CPU object cache capacity; the per-class limit is at most this. */
#define LALLOC_CPU_CAP		32

/*
 * Where a block came from (LALLOC_ORIGIN_*) and which allocator serves a
 * layout (LALLOC_KIND_*) are the uapi's values; one more kind is internal.
 */
#define LALLOC_KIND_INVALID	4

/*
 * Counters one CPU keeps for one cache. Only that CPU writes them, with
 * this_cpu ops or under the per-CPU lock; readers sum over all CPUs. Only
 * 64-bit fields: stats.c sums and subtracts them word by word.
 */
struct lalloc_cpu_stats {
	u64 fast_allocs;
	u64 fast_frees;
	u64 slow_allocs;	/* misses: refills from slabs and new slabs */
	u64 slow_frees;		/* frees that flushed objects back to slabs */
	s64 requested_bytes;	/* live bytes requested in this cache */
	u64 slabs_allocated;
	u64 slabs_freed;
	u64 grow_in_place;
	u64 grow_moved;
	u64 shrink_in_place;
	u64 shrink_moved;
	u64 failures;
	/*
	 * Frees counted above that their slab then refused (a double free
	 * slab_push() caught): reads take them out of the frees (stats.c).
	 */
	u64 refused_frees;
};

/* A cache's per-CPU half: everything the fast path touches. */
struct lalloc_cpu_cache {
	local_lock_t lock;
	unsigned int count;
	struct lalloc_cpu_stats stat;
	void *objs[LALLOC_CPU_CAP];
};

/* Which list of its cache a slab is on. */
enum lalloc_slab_state {
	LALLOC_SLAB_EMPTY,
	LALLOC_SLAB_PARTIAL,
	LALLOC_SLAB_FULL,
	LALLOC_SLAB_NR_STATES,
};

struct lalloc_cache {
	/* Read-mostly: set up once at init. */
	struct lalloc_cpu_cache __percpu *cpu;
	unsigned int slot_size;
	unsigned int order;		/* preferred slab order */
	unsigned int min_order;		/* fallback: smallest order holding one slot */
	unsigned int objs_per_slab;	/* at the preferred order */
	unsigned int cpu_limit;		/* objects a CPU may keep */
	unsigned int batch;		/* objects moved per refill or flush */
	unsigned long freeptr_random;	/* freelist.c: the link encoding's key */
	unsigned int debug_flags;	/* debug.c: LALLOC_DEBUG_*, 0 for none */
	u16 *random_seq;		/* freelist.c: slot order of a new slab */
	char name[24];

	/* The slow path's state, under @lock. */
	spinlock_t lock ____cacheline_aligned_in_smp;
	struct list_head slabs[LALLOC_SLAB_NR_STATES];
	unsigned long nr_slabs[LALLOC_SLAB_NR_STATES];
	unsigned long pages;		/* pages in all slabs of this cache */
	unsigned long total_objs;	/* slots in all slabs of this cache */
};

/*
 * A slab: 2^order pages from the page allocator, cut into slots. Found from
 * any object in it through page->private of every page it spans (pages lalloc
 * allocated itself, so the field is the owner's to use).
 */
struct lalloc_slab {
	struct list_head list;
	struct lalloc_cache *cache;
	void *base;
	void *freelist;
	unsigned int inuse;	/* slots not on @freelist (live or per-CPU) */
	unsigned int nr_objs;
	unsigned int order;
	enum lalloc_slab_state state;
	bool retired;		/* its freelist was corrupted: hands nothing out */
	bool pinned;		/* a detected corruption keeps its pages for good */
	bool detached;		/* off its cache's lists, about to be freed */
	struct rcu_head rcu;	/* debug slabs' metadata outlives RCU readers */
	struct lalloc_debug_obj *dbg;	/* debug.c: per-slot records, or NULL */
	unsigned int dbg_flags;	/* the cache's debug flags when it was made */
	unsigned int dbg_pfns;	/* its pages entered in debug.c's lookup */
};

/* Global counters, one set per CPU. Only 64-bit fields, as above. */
struct lalloc_global_stats {
	u64 large_allocs;
	u64 large_frees;
	s64 large_pages;
	s64 large_requested_bytes;
	u64 vmalloc_allocs;
	u64 vmalloc_frees;
	s64 vmalloc_bytes;
	s64 vmalloc_requested_bytes;
	u64 page_allocs[16];	/* by order; sized as in the uapi */
	u64 shrinker_scans;
	u64 shrinker_pages;
	u64 invalid_layouts;
	u64 failures;
	u64 errors_detected;
	u64 freelist_corruptions;
	u64 debug_double_frees;
	u64 debug_foreign_frees;
	u64 debug_layout_mismatches;
	u64 debug_redzone_overwrites;
	u64 debug_poison_overwrites;
};

extern struct lalloc_cache lalloc_caches[LALLOC_NR_CLASSES];
extern struct lalloc_global_stats __percpu *lalloc_gstats;
extern u8 lalloc_class_small[(LALLOC_SMALL_LIMIT >> LALLOC_SMALL_SHIFT) + 1];
extern u8 lalloc_class_big[(LALLOC_MAX_SLOT >> LALLOC_BIG_SHIFT) + 1];
extern unsigned int lalloc_empty_slabs_kept;

/* size_classes.c */
int lalloc_classes_init(void);
void lalloc_classes_exit(void);

/* freelist.c */
int lalloc_freelist_init(struct lalloc_cache *s);
void lalloc_freelist_exit(struct lalloc_cache *s);
void lalloc_freelist_build(struct lalloc_cache *s, struct lalloc_slab *slab);
void lalloc_freelist_truncated(struct lalloc_cache *s, struct lalloc_slab *slab);
void lalloc_double_free_caught(struct lalloc_cache *s);
void lalloc_freeptr_set(const struct lalloc_cache *s, void *slot, void *next);
void *lalloc_freeptr_get(struct lalloc_cache *s, struct lalloc_slab *slab,
			 void *slot);

/* slowpath.c */
void *lalloc_refill(struct lalloc_cache *s, struct lalloc_cpu_cache *c);
void *lalloc_new_slab_alloc(struct lalloc_cache *s, gfp_t gfp);
void lalloc_flush(struct lalloc_cache *s, struct lalloc_cpu_cache *c,
		  unsigned int n, struct list_head *to_free);
void lalloc_free_slabs(struct lalloc_cache *s, struct list_head *slabs);
unsigned long lalloc_release_empty(struct lalloc_cache *s, unsigned long max);
unsigned long lalloc_reclaimable_pages(void);
unsigned long lalloc_shrink_all(void);
void *lalloc_slab_take(struct lalloc_cache *s);
void lalloc_slab_put(struct lalloc_cache *s, struct lalloc_slab *slab, void *obj,
		     struct list_head *to_free);
void lalloc_slab_pin(struct lalloc_slab *slab);
void lalloc_slab_retire(struct lalloc_cache *s, struct lalloc_slab *slab);

/* drain.c */
int lalloc_drain_init(void);
void lalloc_drain_exit(void);
void lalloc_drain_online(void);
void lalloc_drain_all(void);
int lalloc_cpuhp_init(void);
void lalloc_cpuhp_exit(void);

/* fault_inject.c: a failure point in every allocation, off by default. */
bool lalloc_should_fail(gfp_t gfp);
void lalloc_fault_set(int times);
int lalloc_fault_pending(void);
struct dentry;
void lalloc_fault_init(struct dentry *dir);

/* bench.c: /sys/kernel/debug/lalloc/fastpath_bench */
void lalloc_bench_init(struct dentry *dir);

/* large.c */
void *lalloc_large_alloc(struct lalloc_layout l, gfp_t gfp,
			 u32 *origin);
void lalloc_large_free(void *p, struct lalloc_layout l);
void *lalloc_vmalloc_alloc(struct lalloc_layout l, gfp_t gfp);
void *lalloc_vmalloc_remap(void *p, struct lalloc_layout old,
			   struct lalloc_layout new, gfp_t gfp);
void lalloc_vmalloc_free(void *p, struct lalloc_layout l);
bool lalloc_vmalloc_check(const void *p, struct lalloc_layout l, const char *op);
void lalloc_vmalloc_flush(void);
bool lalloc_large_shrink_in_place(void *p, struct lalloc_layout old,
				  struct lalloc_layout new);

/* fastpath.c */
void *__lalloc_alloc(struct lalloc_layout l, gfp_t gfp,
		     u32 *origin);
void *lalloc_zst(size_t align);
bool lalloc_layout_valid(struct lalloc_layout l);

/* resize.c */
enum resize_dir { RESIZE_GROW, RESIZE_SHRINK };
void *lalloc_resize(void *p, struct lalloc_layout old, struct lalloc_layout new,
		    gfp_t gfp, enum resize_dir dir, bool zero_tail, u32 *origin);

/* shrinker.c */
int lalloc_shrinker_init(void);
void lalloc_shrinker_exit(void);
unsigned long lalloc_shrink_count(struct shrinker *shrink,
				  struct shrink_control *sc);
unsigned long lalloc_shrink_scan(struct shrinker *shrink,
				 struct shrink_control *sc);

/* debug.c: checks in the spirit of slab_debug=, per cache */
#define LALLOC_DEBUG_CONSISTENCY	BIT(0)	/* F */
#define LALLOC_DEBUG_REDZONE		BIT(1)	/* Z */
#define LALLOC_DEBUG_POISON		BIT(2)	/* P */
#define LALLOC_DEBUG_USER		BIT(3)	/* U */
#define LALLOC_DEBUG_ALL		0xfU

enum lalloc_obj_state {
	LALLOC_OBJ_FREE,
	LALLOC_OBJ_LIVE,
	LALLOC_OBJ_QUARANTINED,	/* a check failed: never handed out again */
};

/* What a debug cache records of each slot. */
struct lalloc_debug_obj {
	u32 size;		/* requested size while live */
	u32 state;		/* enum lalloc_obj_state */
	u32 alloc_stack;	/* depot_stack_handle_t, with U */
	u32 free_stack;
	u32 redzone_counted;	/* validate counted its broken red zone */
};

int lalloc_debug_init(struct dentry *dir);
void lalloc_debug_exit(void);
int lalloc_debug_slab_init(struct lalloc_cache *s, struct lalloc_slab *slab, gfp_t gfp);
void lalloc_debug_slab_exit(struct lalloc_slab *slab);
void lalloc_slab_free_meta(struct lalloc_slab *slab);
void *lalloc_debug_alloc(struct lalloc_cache *s, size_t size, gfp_t gfp,
			 u32 *origin);
bool lalloc_debug_free(struct lalloc_cache *s, void *p, struct lalloc_layout l);
bool lalloc_debug_check_live(struct lalloc_cache *s, void *p, struct lalloc_layout l);
size_t lalloc_debug_usable(const struct lalloc_slab *slab, const void *p);
int lalloc_debug_set_flags(struct lalloc_cache *s, unsigned int flags);
unsigned long lalloc_debug_validate(struct lalloc_cache *s);

/*
 * sanitizers.c: KASAN's shadow and kmemleak's records of each object, on
 * kernels with either; nothing elsewhere.
 */
#if IS_ENABLED(CONFIG_KASAN_GENERIC) || IS_ENABLED(CONFIG_DEBUG_KMEMLEAK)
void lalloc_san_slab_new(struct lalloc_slab *slab, gfp_t gfp);
void lalloc_san_slab_destroy(struct lalloc_slab *slab);
void lalloc_san_obj_alloc(void *obj, size_t size, size_t slot_size, gfp_t gfp);
void lalloc_san_obj_free(void *obj, size_t slot_size);
void lalloc_san_obj_forget(void *obj);
void lalloc_san_obj_resize(void *obj, size_t size, size_t slot_size);
void lalloc_san_pages_alloc(void *p, size_t size, gfp_t gfp);
void lalloc_san_pages_free(void *p);
void lalloc_san_pages_resize(void *p, size_t size, gfp_t gfp, bool repaged);
void lalloc_san_usable(const void *p, size_t usable);
#else
static inline void lalloc_san_slab_new(struct lalloc_slab *slab, gfp_t gfp) { }
static inline void lalloc_san_slab_destroy(struct lalloc_slab *slab) { }
static inline void lalloc_san_obj_alloc(void *obj, size_t size,
					size_t slot_size, gfp_t gfp) { }
static inline void lalloc_san_obj_free(void *obj, size_t slot_size) { }
static inline void lalloc_san_obj_forget(void *obj) { }
static inline void lalloc_san_obj_resize(void *obj, size_t size,
					 size_t slot_size) { }
static inline void lalloc_san_pages_alloc(void *p, size_t size, gfp_t gfp) { }
static inline void lalloc_san_pages_free(void *p) { }
static inline void lalloc_san_pages_resize(void *p, size_t size, gfp_t gfp,
					   bool repaged) { }
static inline void lalloc_san_usable(const void *p, size_t usable) { }
#endif

/* latency.c */
#define LALLOC_LATENCY_BUCKETS	32
/* Bucket k counts calls that took [2^k, 2^(k+1)) ns; the last one, more. */
struct lalloc_latency {
	u64 alloc[LALLOC_LATENCY_BUCKETS];
	u64 free[LALLOC_LATENCY_BUCKETS];
};

/* On while latency_stats or any debug check is: the entry points' detour. */
DECLARE_STATIC_KEY_FALSE(lalloc_hooks_key);

/*
 * Whether an entry point takes the detour. A LALLOC_HOOKS=n build (make
 * bench's baseline, never shipped) compiles the detour out, so the cost of
 * the key while off can be measured against none at all.
 */
static __always_inline bool lalloc_hooks_on(void)
{
#ifdef LALLOC_NO_HOOKS
	return false;
#else
	return static_branch_unlikely(&lalloc_hooks_key);
#endif
}

extern bool lalloc_latency_stats;
void lalloc_latency_alloc(u64 ns);
void lalloc_latency_free(u64 ns);
void lalloc_latency_reset(void);
void lalloc_latency_enable(bool on);
void lalloc_latency_read(struct lalloc_latency *hist);
struct seq_file;
int lalloc_latency_show(struct seq_file *m, void *v);

/* procfs.c */
int lalloc_procfs_init(void);
void lalloc_procfs_exit(void);

/* device.c */
int lalloc_device_init(void);
void lalloc_device_exit(void);
void lalloc_device_stats(struct lalloc_stats *st);

/* stats.c */
extern atomic_long_t lalloc_held_pages;
extern atomic_long_t lalloc_quarantine_pages;
void lalloc_account_pages(long delta);
void lalloc_cache_stats_read(struct lalloc_cache *s,
			     struct lalloc_cpu_stats *sum);
void lalloc_global_stats_read(struct lalloc_global_stats *sum);
void lalloc_cache_record(struct lalloc_cache *s, struct lalloc_cache_stats *r);
void lalloc_stats_fill(struct lalloc_stats *st);
void lalloc_stats_reset(void);
unsigned long lalloc_pages_held(void);
unsigned long lalloc_quarantined_pages(void);

/* Size rounded up to the alignment; 0 on overflow or a bad alignment. */
static inline size_t lalloc_padded(struct lalloc_layout l)
{
	size_t mask = l.align - 1;

	return (l.size + mask) & ~mask;
}

static inline unsigned int lalloc_kind_of(struct lalloc_layout l)
{
	size_t padded;

	if (!lalloc_layout_valid(l))
		return LALLOC_KIND_INVALID;
	if (!l.size)
		return LALLOC_KIND_ZST;
	padded = lalloc_padded(l);
	if (padded <= LALLOC_MAX_SLOT)
		return LALLOC_KIND_SLAB;
	if (padded <= LALLOC_MAX_BLOCK)
		return LALLOC_KIND_PAGES;
	return LALLOC_KIND_VMALLOC;
}

/* The class of a padded size in [1, LALLOC_MAX_SLOT]. */
static __always_inline struct lalloc_cache *lalloc_cache_of(size_t padded)
{
	unsigned int idx;

	if (padded <= LALLOC_SMALL_LIMIT)
		idx = lalloc_class_small[(padded + 7) >> LALLOC_SMALL_SHIFT];
	else
		idx = lalloc_class_big[(padded + 127) >> LALLOC_BIG_SHIFT];
	return &lalloc_caches[idx];
}

static __always_inline struct lalloc_slab *lalloc_slab_of(const void *obj)
{
	return (struct lalloc_slab *)page_private(virt_to_page(obj));
}

/* A ratio times 1000, 0 when there is nothing to divide by. */
static inline u64 lalloc_permille(u64 num, u64 den)
{
	return den ? div64_u64(num * 1000, den) : 0;
}

/*
 * kmemleak scans the per-CPU stacks: an entry left above the top would be
 * a stale reference to an object handed out since and hide its leak. Only
 * kernels with kmemleak clear them.
 */
static __always_inline void lalloc_cpu_forget(struct lalloc_cpu_cache *c,
					      unsigned int from, unsigned int n)
{
	if (IS_ENABLED(CONFIG_DEBUG_KMEMLEAK))
		memset(&c->objs[from], 0, n * sizeof(c->objs[0]));
}

#define lalloc_stat_inc(s, field)	this_cpu_inc((s)->cpu->stat.field)
#define lalloc_stat_add(s, field, v)	this_cpu_add((s)->cpu->stat.field, v)
#define lalloc_gstat_inc(field)		this_cpu_inc(lalloc_gstats->field)
#define lalloc_gstat_add(field, v)	this_cpu_add(lalloc_gstats->field, v)

#endif /* _LALLOC_INTERNAL_H */
