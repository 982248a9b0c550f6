// SPDX-License-Identifier: GPL-2.0
/*
 * Debug checks, in the spirit of SLUB's slab_debug=, per cache:
 *
 *   F  consistency: a free (or resize) of a pointer the cache never handed
 *      out or off a slot boundary, a double free, a layout of another
 *      class or a size outside the block's
 *   Z  red zone: the bytes after each object's requested size up to the
 *      end of its slot, checked at free and by validate
 *   P  poison: free slots filled, checked when they are handed out again
 *      (a write after free)
 *   U  user tracking: the allocation and free call stacks of every object
 *      (stack depot), printed with each report
 *
 * Set at load with debug=FLAGS[,CACHE...] (debug=FZPU: every cache;
 * debug=FZ,lalloc-64,lalloc-208: those two), or per cache at run time by
 * writing "NAME FLAGS" to /sys/kernel/debug/lalloc/debug_flags while the
 * cache has no slab in service. Reading /sys/kernel/debug/lalloc/validate
 * walks every slab of every cache with checks.
 *
 * A cache with checks bypasses the per-CPU stacks: every allocation and
 * free takes the cache lock, so a slot's record (struct lalloc_debug_obj,
 * kept beside the slab) and the freelist change together. A detection is
 * reported once per burst (rate-limited, the cache and the check by name,
 * the stacks with U, no addresses), counted in the stats, and the object
 * is quarantined: it stays counted in use, is never handed out again, and
 * its slab's pages are pinned. The kernel goes on.
 *
 * With no check on anywhere, the fast path is what it was: the detour is
 * the static branch latency_stats already pays for.
 */
#include <linux/debugfs.h>
#include <linux/kasan.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/ratelimit.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/stackdepot.h>
#include <linux/stacktrace.h>
#include <linux/xarray.h>
#include <kunit/visibility.h>

#include "internal.h"

#define REDZONE_BYTE	0xcc	/* SLUB_RED_ACTIVE */
#define POISON_BYTE	0x6b	/* POISON_FREE */
#define STACK_DEPTH	16

/* Every page of every debug slab, by pfn: what F trusts instead of page->private. */
static DEFINE_XARRAY_FLAGS(debug_slabs, XA_FLAGS_LOCK_IRQ);
static DEFINE_MUTEX(debug_flags_lock);
static unsigned int debug_caches;	/* caches with flags: one hooks-key count */
static bool stack_depot_ready;
static char *debug_param;

module_param_named(debug, debug_param, charp, 0444);
MODULE_PARM_DESC(debug,
		 "Debug checks: FLAGS[,CACHE...] with F (consistency), Z (red zones), P (poison), U (call stacks); no cache named: all (default none)");

static DEFINE_RATELIMIT_STATE(debug_ratelimit, 5 * HZ, 10);

/* What a check found, gathered under the lock and reported after it. */
struct finding {
	const char *check;
	unsigned int index;	/* the slot in its slab, or UINT_MAX */
	u32 size;
	u32 alloc_stack, free_stack;
};

/* "FZPU" in any order, "-" for none; UINT_MAX for anything else. */
static unsigned int parse_flags(const char *s, size_t len)
{
	static const char letters[] = "FZPU";
	unsigned int flags = 0;
	const char *at;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '-')
			continue;
		at = memchr(letters, s[i], sizeof(letters) - 1);
		if (!at)
			return UINT_MAX;
		flags |= 1U << (at - letters);
	}
	return flags;
}

static int flags_str(char *buf, size_t len, unsigned int flags)
{
	return scnprintf(buf, len, "%s%s%s%s%s\n",
			 flags & LALLOC_DEBUG_CONSISTENCY ? "F" : "",
			 flags & LALLOC_DEBUG_REDZONE ? "Z" : "",
			 flags & LALLOC_DEBUG_POISON ? "P" : "",
			 flags & LALLOC_DEBUG_USER ? "U" : "",
			 flags ? "" : "-");
}

static u32 save_stack(unsigned int flags)
{
#ifdef CONFIG_STACKDEPOT
	unsigned long entries[STACK_DEPTH];
	unsigned int n;

	if (!(flags & LALLOC_DEBUG_USER) || !READ_ONCE(stack_depot_ready))
		return 0;
	n = stack_trace_save(entries, ARRAY_SIZE(entries), 2);
	return stack_depot_save(entries, n, GFP_NOWAIT | __GFP_NOWARN);
#else
	return 0;
#endif
}

static void print_stack(const char *what, u32 handle)
{
#ifdef CONFIG_STACKDEPOT
	if (!handle)
		return;
	pr_err("  %s:\n", what);
	stack_depot_print(handle);
#endif
}

static void report(struct lalloc_cache *s, const struct finding *f)
{
	if (!__ratelimit(&debug_ratelimit))
		return;
	if (f->index == UINT_MAX)
		pr_err("%s: %s\n", s->name, f->check);
	else
		pr_err("%s: %s (slot %u of its slab, size %u); object quarantined\n",
		       s->name, f->check, f->index, f->size);
	print_stack("allocated", f->alloc_stack);
	print_stack("freed", f->free_stack);
}

static void finding_of(struct finding *f, const char *check, unsigned int index,
		       const struct lalloc_debug_obj *o)
{
	f->check = check;
	f->index = index;
	f->size = o ? o->size : 0;
	f->alloc_stack = o ? o->alloc_stack : 0;
	f->free_stack = o ? o->free_stack : 0;
}

/* Keep a slot out of service for good. Under the cache lock. */
static void quarantine(struct lalloc_slab *slab, struct lalloc_debug_obj *o)
{
	/* Never freed, never reachable again: not a leak for kmemleak. */
	if (o->state == LALLOC_OBJ_LIVE)
		lalloc_san_obj_forget(slab->base + (o - slab->dbg) * slab->cache->slot_size);
	o->state = LALLOC_OBJ_QUARANTINED;
	lalloc_slab_pin(slab);
}

static unsigned int slot_index(const struct lalloc_slab *slab, const void *p)
{
	return (p - slab->base) / slab->cache->slot_size;
}

/*
 * Bytes [from, slot end) hold @byte. They are red zone or free to KASAN,
 * and memchr_inv() is instrumented: its reads are lalloc's own, unreported,
 * as SLUB's metadata_access_enable() does.
 */
static bool bytes_are(const void *slot, size_t from, size_t slot_size, u8 byte)
{
	bool same;

	if (from >= slot_size)
		return true;
	kasan_disable_current();
	same = !memchr_inv(slot + from, byte, slot_size - from);
	kasan_enable_current();
	return same;
}

/**
 * lalloc_debug_usable() - the usable size of a block in a debug slab
 * @slab: its slab
 * @p: the block
 *
 * With red zones, what was asked for (the rest of the slot is the red
 * zone); otherwise the slot.
 *
 * Return: the usable size.
 */
size_t lalloc_debug_usable(const struct lalloc_slab *slab, const void *p)
{
	if (slab->dbg_flags & LALLOC_DEBUG_REDZONE)
		return READ_ONCE(slab->dbg[slot_index(slab, p)].size);
	return slab->cache->slot_size;
}

/**
 * lalloc_debug_slab_init() - give a new slab of a debug cache its records
 * @s: the cache
 * @slab: the slab, its base, order and nr_objs set, its freelist not yet
 * @gfp: flags for the records
 *
 * Return: 0, or -ENOMEM.
 */
int lalloc_debug_slab_init(struct lalloc_cache *s, struct lalloc_slab *slab, gfp_t gfp)
{
	unsigned long pfn = page_to_pfn(virt_to_page(slab->base)), i;

	slab->dbg_flags = READ_ONCE(s->debug_flags);
	slab->dbg = kcalloc(slab->nr_objs, sizeof(*slab->dbg), gfp);
	if (!slab->dbg)
		return -ENOMEM;
	/* Slabs come and go in any context, hard interrupts included. */
	for (i = 0; i < (1UL << slab->order); i++) {
		unsigned long flags;
		void *old;

		xa_lock_irqsave(&debug_slabs, flags);
		old = __xa_store(&debug_slabs, pfn + i, slab, gfp);
		xa_unlock_irqrestore(&debug_slabs, flags);
		if (xa_err(old)) {
			slab->dbg_pfns = i;
			lalloc_debug_slab_exit(slab);
			kfree(slab->dbg);
			slab->dbg = NULL;
			return -ENOMEM;
		}
	}
	slab->dbg_pfns = i;
	if (slab->dbg_flags & LALLOC_DEBUG_POISON)
		memset(slab->base, POISON_BYTE, PAGE_SIZE << slab->order);
	return 0;
}

/**
 * lalloc_debug_slab_exit() - make a slab unreachable from F's lookups
 * @slab: the slab, about to be freed
 *
 * Its records stay until lalloc_slab_free_meta()'s grace period: a lookup
 * that found the slab a moment ago may still read them.
 */
void lalloc_debug_slab_exit(struct lalloc_slab *slab)
{
	unsigned long pfn, i, flags;

	if (!slab->dbg)
		return;
	pfn = page_to_pfn(virt_to_page(slab->base));
	xa_lock_irqsave(&debug_slabs, flags);
	for (i = 0; i < slab->dbg_pfns; i++)
		__xa_erase(&debug_slabs, pfn + i);
	xa_unlock_irqrestore(&debug_slabs, flags);
}

static void slab_meta_free_rcu(struct rcu_head *head)
{
	struct lalloc_slab *slab = container_of(head, struct lalloc_slab, rcu);

	kfree(slab->dbg);
	kfree(slab);
}

/**
 * lalloc_slab_free_meta() - free a slab's struct (and records) once it is gone
 * @slab: the slab, its pages already freed
 *
 * A debug slab's struct and records are read by lookups under RCU (a
 * double free racing the slab's last free), so they go after a grace
 * period; module exit waits for it (lalloc_debug_exit()).
 */
void lalloc_slab_free_meta(struct lalloc_slab *slab)
{
	if (slab->dbg)
		call_rcu(&slab->rcu, slab_meta_free_rcu);
	else
		kfree(slab);
}

/*
 * Check a slot just taken from its slab. Under the cache lock. False (and
 * the slot quarantined) when it must not be handed out.
 */
static bool take_ok(struct lalloc_slab *slab, void *obj, struct finding *f)
{
	unsigned int idx = slot_index(slab, obj);
	struct lalloc_debug_obj *o = &slab->dbg[idx];

	if (o->state == LALLOC_OBJ_QUARANTINED)
		return false;		/* left on the list by a retired slab's past */
	if (o->state == LALLOC_OBJ_LIVE) {
		/* On the freelist while live: the list was forged. Stop using it. */
		finding_of(f, "freelist leads to a live object", idx, o);
		f->index = UINT_MAX;
		lalloc_gstat_inc(freelist_corruptions);
		lalloc_gstat_inc(errors_detected);
		lalloc_slab_retire(slab->cache, slab);
		return false;
	}
	/* The first word held the freelist link, wiped as the slot left. */
	if ((slab->dbg_flags & LALLOC_DEBUG_POISON) &&
	    !bytes_are(obj, sizeof(void *), slab->cache->slot_size, POISON_BYTE)) {
		finding_of(f, "written after it was freed", idx, o);
		lalloc_gstat_inc(debug_poison_overwrites);
		lalloc_gstat_inc(errors_detected);
		quarantine(slab, o);
		return false;
	}
	return true;
}

static void make_live(struct lalloc_slab *slab, void *obj, size_t size, u32 stack)
{
	struct lalloc_debug_obj *o = &slab->dbg[slot_index(slab, obj)];

	o->state = LALLOC_OBJ_LIVE;
	o->redzone_counted = 0;
	o->size = size;
	o->alloc_stack = stack;
	o->free_stack = 0;
}

/**
 * lalloc_debug_alloc() - allocate from a cache with debug checks
 * @s: the cache
 * @size: the requested size
 * @gfp: allocation flags
 * @origin: set to where the block came from; may be NULL
 *
 * Return: the block, or NULL.
 */
void *lalloc_debug_alloc(struct lalloc_cache *s, size_t size, gfp_t gfp, u32 *origin)
{
	u32 stack = save_stack(READ_ONCE(s->debug_flags));
	struct finding f = { NULL };
	struct lalloc_slab *slab;
	unsigned long flags;
	u32 from = LALLOC_ORIGIN_PARTIAL_SLAB;
	void *obj;

	if (IS_ENABLED(CONFIG_DEBUG_ATOMIC_SLEEP))
		might_alloc(gfp);
	if (lalloc_should_fail(gfp))
		return NULL;
	spin_lock_irqsave(&s->lock, flags);
	for (;;) {
		obj = lalloc_slab_take(s);
		if (!obj) {
			spin_unlock_irqrestore(&s->lock, flags);
			obj = lalloc_new_slab_alloc(s, gfp);
			if (!obj)
				return NULL;
			from = LALLOC_ORIGIN_NEW_SLAB;
			spin_lock_irqsave(&s->lock, flags);
		}
		slab = lalloc_slab_of(obj);
		if (!slab->dbg)		/* made before the checks were on */
			break;
		if (take_ok(slab, obj, &f)) {
			make_live(slab, obj, size, stack);
			break;
		}
	}
	spin_unlock_irqrestore(&s->lock, flags);
	if (f.check)
		report(s, &f);

	if (slab->dbg_flags & LALLOC_DEBUG_REDZONE)
		memset(obj + size, REDZONE_BYTE, s->slot_size - size);
	if (want_init_on_alloc(gfp))	/* __GFP_ZERO too */
		memset(obj, 0, lalloc_debug_usable(slab, obj));
	lalloc_san_obj_alloc(obj, size, s->slot_size, gfp);
	lalloc_stat_inc(s, slow_allocs);
	lalloc_stat_add(s, requested_bytes, size);
	if (origin)
		*origin = from;
	return obj;
}

/*
 * The debug slab of @p, if @p is a slot of one: with F from the lookup
 * (a foreign page's page->private is never read), else from the page.
 * Under rcu_read_lock(): the slab's struct and records outlive it.
 */
static struct lalloc_slab *find_slab(const void *p, unsigned int flags)
{
	struct lalloc_slab *slab;

	if (!(flags & LALLOC_DEBUG_CONSISTENCY)) {
		slab = lalloc_slab_of(p);
		return slab && slab->dbg ? slab : NULL;
	}
	if (!virt_addr_valid(p))
		return NULL;
	return xa_load(&debug_slabs, page_to_pfn(virt_to_page(p)));
}

static const char never_handed_out[] = "free or resize of a pointer lalloc never handed out";

/* F found no debug slab at @p: counted and reported. */
static void report_foreign(struct lalloc_cache *s)
{
	struct finding f = { never_handed_out, UINT_MAX };

	lalloc_gstat_inc(debug_foreign_frees);
	lalloc_gstat_inc(errors_detected);
	report(s, &f);
}

/*
 * Whether @p is a slot of @slab, a slab of @s. Under @s->lock, where the
 * slab cannot go. False with @f filled otherwise.
 */
static bool slot_of(struct lalloc_cache *s, struct lalloc_slab *slab, const void *p,
		    struct finding *f)
{
	unsigned long off = p - slab->base;

	if (slab->detached) {
		f->check = never_handed_out;
		lalloc_gstat_inc(debug_foreign_frees);
	} else if (slab->cache != s) {
		f->check = "free or resize with the layout of another size class";
		lalloc_gstat_inc(debug_layout_mismatches);
	} else if (off >= (unsigned long)slab->nr_objs * s->slot_size || off % s->slot_size) {
		f->check = "free or resize of a pointer inside an object or past the last";
		lalloc_gstat_inc(debug_foreign_frees);
	} else {
		return true;
	}
	lalloc_gstat_inc(errors_detected);
	return false;
}

/*
 * Whether the live object @p of @slab may be freed or resized with @l.
 * Under the cache lock; false with @f filled (and, for a broken red zone,
 * the object quarantined).
 */
static bool live_ok(struct lalloc_slab *slab, void *p, struct lalloc_layout l,
		    struct finding *f)
{
	unsigned int idx = slot_index(slab, p);
	struct lalloc_debug_obj *o = &slab->dbg[idx];
	size_t slot = slab->cache->slot_size;

	if (o->state != LALLOC_OBJ_LIVE) {
		finding_of(f, o->state == LALLOC_OBJ_FREE ? "double free" :
			   "free of a quarantined object", idx, o);
		f->index = UINT_MAX;	/* nothing more to quarantine */
		lalloc_gstat_inc(debug_double_frees);
		lalloc_gstat_inc(errors_detected);
		return false;
	}
	if ((slab->dbg_flags & LALLOC_DEBUG_CONSISTENCY) &&
	    (l.size < o->size || l.size > lalloc_debug_usable(slab, p))) {
		finding_of(f, "free or resize with a size the block was not given", idx, o);
		f->index = UINT_MAX;
		lalloc_gstat_inc(debug_layout_mismatches);
		lalloc_gstat_inc(errors_detected);
		return false;
	}
	if ((slab->dbg_flags & LALLOC_DEBUG_REDZONE) &&
	    !bytes_are(p, o->size, slot, REDZONE_BYTE)) {
		finding_of(f, "red zone overwritten (written past its end)", idx, o);
		/* One count per mistake: validate may have counted it already. */
		if (!o->redzone_counted) {
			lalloc_gstat_inc(debug_redzone_overwrites);
			lalloc_gstat_inc(errors_detected);
		}
		quarantine(slab, o);
		return false;
	}
	return true;
}

/**
 * lalloc_debug_free() - free into a cache with debug checks
 * @s: the cache @l's class names
 * @p: the block
 * @l: the layout it is freed with
 *
 * Return: true when handled here (freed, or refused and reported); false
 * for a block of a slab made before the checks were on, which the plain
 * path frees.
 */
bool lalloc_debug_free(struct lalloc_cache *s, void *p, struct lalloc_layout l)
{
	struct finding f = { NULL, UINT_MAX };
	struct lalloc_cache *owner;
	struct lalloc_slab *slab;
	unsigned long flags;
	LIST_HEAD(to_free);
	bool ok = false;
	u32 stack, size = 0;

	stack = save_stack(READ_ONCE(s->debug_flags));
	rcu_read_lock();
	slab = find_slab(p, READ_ONCE(s->debug_flags));
	if (!slab) {
		rcu_read_unlock();
		if (!(READ_ONCE(s->debug_flags) & LALLOC_DEBUG_CONSISTENCY))
			return false;	/* not a debug slab's: the plain path's business */
		report_foreign(s);
		return true;
	}
	/* The block's own cache's lock: the layout may name another. */
	owner = slab->cache;
	spin_lock_irqsave(&owner->lock, flags);
	if (slot_of(s, slab, p, &f) && live_ok(slab, p, l, &f)) {
		struct lalloc_debug_obj *o = &slab->dbg[slot_index(slab, p)];

		ok = true;
		size = o->size;
		o->state = LALLOC_OBJ_FREE;
		o->free_stack = stack;
		if (slab->dbg_flags & LALLOC_DEBUG_POISON)
			memset(p, POISON_BYTE, s->slot_size);
		else if (want_init_on_free())
			memset(p, 0, s->slot_size);
		lalloc_san_obj_free(p, s->slot_size);
		lalloc_slab_put(s, slab, p, &to_free);
	}
	spin_unlock_irqrestore(&owner->lock, flags);
	rcu_read_unlock();
	if (f.check)
		report(s, &f);
	if (ok) {
		lalloc_stat_inc(s, slow_frees);
		lalloc_stat_add(s, requested_bytes, -(s64)size);
	}
	lalloc_free_slabs(s, &to_free);
	return true;
}

/**
 * lalloc_debug_check_live() - check a block before it is resized
 * @s: the cache @l's class names
 * @p: the block
 * @l: its current layout, as the caller names it
 *
 * Return: true when @p is a live object of @s that @l describes (or not a
 * debug slab's); false, reported and counted, when it must not be used.
 */
bool lalloc_debug_check_live(struct lalloc_cache *s, void *p, struct lalloc_layout l)
{
	struct finding f = { NULL, UINT_MAX };
	struct lalloc_cache *owner;
	struct lalloc_slab *slab;
	unsigned long flags;
	bool ok;

	rcu_read_lock();
	slab = find_slab(p, READ_ONCE(s->debug_flags));
	if (!slab) {
		rcu_read_unlock();
		if (!(READ_ONCE(s->debug_flags) & LALLOC_DEBUG_CONSISTENCY))
			return true;
		report_foreign(s);
		return false;
	}
	owner = slab->cache;
	spin_lock_irqsave(&owner->lock, flags);
	ok = slot_of(s, slab, p, &f) && live_ok(slab, p, l, &f);
	spin_unlock_irqrestore(&owner->lock, flags);
	rcu_read_unlock();
	if (f.check)
		report(s, &f);
	return ok;
}

/* Every slab of @s, every slot: what validate finds. Under the cache lock. */
static unsigned long validate_slab(struct lalloc_cache *s, struct lalloc_slab *slab,
				   unsigned long *on_freelist, struct finding *first)
{
	unsigned int n = slab->nr_objs, i, free_slots = 0, idx;
	unsigned long errors = 0;
	void *slot;

	bitmap_zero(on_freelist, n);
	for (slot = slab->freelist; slot && free_slots <= n;
	     slot = lalloc_freeptr_get(s, slab, slot)) {
		idx = slot_index(slab, slot);
		if (__test_and_set_bit(idx, on_freelist) ||
		    slab->dbg[idx].state == LALLOC_OBJ_LIVE) {
			/* A loop, or a live slot on the freelist: take it all out. */
			lalloc_gstat_inc(freelist_corruptions);
			errors++;
			if (!first->check)
				finding_of(first, "freelist corrupted", UINT_MAX, NULL);
			lalloc_slab_retire(s, slab);
			return errors;
		}
		free_slots++;
	}
	for (i = 0; i < n; i++) {
		struct lalloc_debug_obj *o = &slab->dbg[i];
		const char *bad = NULL;

		slot = slab->base + (size_t)i * s->slot_size;
		if (o->state == LALLOC_OBJ_FREE && !slab->retired &&
		    !test_bit(i, on_freelist)) {
			bad = "free slot missing from the freelist";
			lalloc_gstat_inc(freelist_corruptions);
		} else if (o->state == LALLOC_OBJ_FREE && test_bit(i, on_freelist) &&
			   (slab->dbg_flags & LALLOC_DEBUG_POISON) &&
			   !bytes_are(slot, sizeof(void *), s->slot_size, POISON_BYTE)) {
			bad = "written after it was freed";
			lalloc_gstat_inc(debug_poison_overwrites);
			/* The writer may write again: nothing of this slab is used again. */
			lalloc_slab_retire(s, slab);
		} else if (o->state == LALLOC_OBJ_LIVE && !o->redzone_counted &&
			   (slab->dbg_flags & LALLOC_DEBUG_REDZONE) &&
			   !bytes_are(slot, o->size, s->slot_size, REDZONE_BYTE)) {
			bad = "red zone overwritten (written past its end)";
			lalloc_gstat_inc(debug_redzone_overwrites);
			o->redzone_counted = 1;	/* the free that follows counts nothing */
		}
		if (bad) {
			errors++;
			if (!first->check)
				finding_of(first, bad, i, o);
		}
	}
	if (!slab->retired && slab->inuse != n - free_slots) {
		errors++;
		if (!first->check)
			finding_of(first, "slab in-use count disagrees with its slots",
				   UINT_MAX, NULL);
	}
	return errors;
}

/**
 * lalloc_debug_validate() - check every slab and slot of a cache
 * @s: the cache
 *
 * Context: process context.
 * Return: the number of problems found (each reported and counted; the
 * first reported in full).
 */
unsigned long lalloc_debug_validate(struct lalloc_cache *s)
{
	struct finding first = { NULL };
	unsigned long *on_freelist, flags, errors = 0;
	struct lalloc_slab *slab, *next;
	unsigned int state;

	on_freelist = bitmap_zalloc(s->objs_per_slab, GFP_KERNEL);
	if (!on_freelist)
		return 0;
	spin_lock_irqsave(&s->lock, flags);
	/*
	 * A slab retired on the way moves to the full list (_safe), where it
	 * is met again and skipped: retired slabs are out of service and
	 * were reported when they were retired.
	 */
	for (state = 0; state < LALLOC_SLAB_NR_STATES; state++)
		list_for_each_entry_safe(slab, next, &s->slabs[state], list)
			if (slab->dbg && !slab->retired)
				errors += validate_slab(s, slab, on_freelist, &first);
	spin_unlock_irqrestore(&s->lock, flags);
	bitmap_free(on_freelist);
	if (errors) {
		lalloc_gstat_add(errors_detected, errors);
		report(s, &first);
		pr_err("%s: validate found %lu problems\n", s->name, errors);
	}
	return errors;
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_debug_validate);

static int ready_stack_depot(unsigned int flags)
{
	if (!(flags & LALLOC_DEBUG_USER) || stack_depot_ready)
		return 0;
	if (!IS_ENABLED(CONFIG_STACKDEPOT))
		return -EOPNOTSUPP;
#ifdef CONFIG_STACKDEPOT
	if (stack_depot_init())
		return -ENOMEM;
#endif
	WRITE_ONCE(stack_depot_ready, true);
	return 0;
}

/*
 * Before a cache's flags go from @was to @is: the first cache with checks
 * turns the hooks key on before its flags are set. Under debug_flags_lock,
 * never under a spinlock (the key change sleeps and waits for every CPU).
 */
static void hooks_get(unsigned int was, unsigned int is)
{
	if (is && !was && !debug_caches++)
		static_branch_inc(&lalloc_hooks_key);
}

/* After the flags went from @was to @is: the last one turns it off. */
static void hooks_put(unsigned int was, unsigned int is)
{
	if (!is && was && !--debug_caches)
		static_branch_dec(&lalloc_hooks_key);
}

/* Under debug_flags_lock, no spinlock held. */
static void set_flags_locked(struct lalloc_cache *s, unsigned int flags)
{
	unsigned int was = s->debug_flags;

	hooks_get(was, flags);
	WRITE_ONCE(s->debug_flags, flags);
	hooks_put(was, flags);
}

/*
 * Whether @s may switch checks: no slab in service. A slab pinned by a
 * detection counts as out of service once no live object is left in it
 * (only quarantined and free slots); it is then retired, so whatever
 * the new flags, nothing is handed out of it again. Under the cache lock.
 */
static bool cache_idle(struct lalloc_cache *s)
{
	struct lalloc_slab *slab, *next;
	unsigned int state, i;

	for (state = 0; state < LALLOC_SLAB_NR_STATES; state++)
		list_for_each_entry(slab, &s->slabs[state], list) {
			if (!slab->pinned)
				return false;
			for (i = 0; slab->dbg && i < slab->nr_objs; i++)
				if (slab->dbg[i].state == LALLOC_OBJ_LIVE)
					return false;
		}
	/* Retiring moves a slab to the full list: _safe, full list last. */
	for (state = 0; state < LALLOC_SLAB_NR_STATES; state++)
		list_for_each_entry_safe(slab, next, &s->slabs[state], list)
			lalloc_slab_retire(s, slab);
	return true;
}

/**
 * lalloc_debug_set_flags() - switch a cache's debug checks
 * @s: the cache
 * @flags: LALLOC_DEBUG_* (0: none)
 *
 * Only while the cache has no slab in service: its per-CPU stacks are
 * drained and its empty slabs given back first; a live object makes it
 * -EBUSY. Slabs pinned by a detection stay, retired.
 *
 * Context: process context.
 * Return: 0, -EBUSY, -EINVAL for unknown flags, -EOPNOTSUPP for U without
 * the kernel's stack depot, or -ENOMEM.
 */
int lalloc_debug_set_flags(struct lalloc_cache *s, unsigned int flags)
{
	unsigned long irqflags;
	unsigned int was;
	bool idle;
	int ret;

	if (flags & ~LALLOC_DEBUG_ALL)
		return -EINVAL;
	mutex_lock(&debug_flags_lock);
	ret = ready_stack_depot(flags);
	if (ret)
		goto out;
	lalloc_drain_all();
	lalloc_release_empty(s, ULONG_MAX);
	was = s->debug_flags;
	hooks_get(was, flags);
	spin_lock_irqsave(&s->lock, irqflags);
	idle = cache_idle(s);
	if (idle)
		WRITE_ONCE(s->debug_flags, flags);
	spin_unlock_irqrestore(&s->lock, irqflags);
	/* Refused: the count goes back as if nothing had changed. */
	hooks_put(idle ? was : flags, idle ? flags : was);
	ret = idle ? 0 : -EBUSY;
out:
	mutex_unlock(&debug_flags_lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(lalloc_debug_set_flags);

/* debug_flags: "NAME FLAGS" per cache; write "NAME FLAGS" to switch one. */
static int debug_flags_show(struct seq_file *m, void *v)
{
	char buf[8];
	unsigned int i;

	for (i = 0; i < LALLOC_NR_CLASSES; i++) {
		flags_str(buf, sizeof(buf), READ_ONCE(lalloc_caches[i].debug_flags));
		seq_printf(m, "%s %s", lalloc_caches[i].name, buf);
	}
	return 0;
}

static int debug_flags_open(struct inode *inode, struct file *file)
{
	return single_open(file, debug_flags_show, NULL);
}

static struct lalloc_cache *cache_named(const char *name, size_t len)
{
	unsigned int i;

	for (i = 0; i < LALLOC_NR_CLASSES; i++)
		if (strlen(lalloc_caches[i].name) == len &&
		    !strncmp(lalloc_caches[i].name, name, len))
			return &lalloc_caches[i];
	return NULL;
}

static ssize_t debug_flags_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct lalloc_cache *s;
	char buf[40], *sp;
	unsigned int flags;
	size_t len;
	int ret;

	if (!count || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	len = count;
	if (buf[len - 1] == '\n')
		len--;
	buf[len] = 0;
	sp = strchr(buf, ' ');
	if (!sp)
		return -EINVAL;
	s = cache_named(buf, sp - buf);
	flags = parse_flags(sp + 1, buf + len - (sp + 1));
	if (!s || flags == UINT_MAX)
		return -EINVAL;
	ret = lalloc_debug_set_flags(s, flags);
	return ret ? ret : count;
}

static const struct file_operations debug_flags_fops = {
	.owner = THIS_MODULE,
	.open = debug_flags_open,
	.read = seq_read,
	.write = debug_flags_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/* Reading validate checks every cache with checks on: "NAME errors N". */
static int validate_show(struct seq_file *m, void *v)
{
	unsigned int i;

	for (i = 0; i < LALLOC_NR_CLASSES; i++)
		if (READ_ONCE(lalloc_caches[i].debug_flags))
			seq_printf(m, "%s errors %lu\n", lalloc_caches[i].name,
				   lalloc_debug_validate(&lalloc_caches[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(validate);

/* debug=FLAGS[,CACHE...] */
static int apply_param(void)
{
	const char *p = debug_param, *comma;
	struct lalloc_cache *s;
	unsigned int flags, i;
	bool named = false;
	int ret;

	if (!p || !*p)
		return 0;
	comma = strchrnul(p, ',');
	flags = parse_flags(p, comma - p);
	if (flags == UINT_MAX) {
		pr_err("debug=%s: flags are F, Z, P and U\n", debug_param);
		return -EINVAL;
	}
	ret = ready_stack_depot(flags);
	if (ret) {
		pr_err("debug=%s: U needs the kernel's stack depot\n", debug_param);
		return ret;
	}
	mutex_lock(&debug_flags_lock);
	while (*comma) {
		p = comma + 1;
		comma = strchrnul(p, ',');
		s = cache_named(p, comma - p);
		if (!s) {
			mutex_unlock(&debug_flags_lock);
			pr_err("debug=%s: no cache named %.*s (see /proc/lalloc/caches)\n",
			       debug_param, (int)(comma - p), p);
			return -EINVAL;
		}
		set_flags_locked(s, flags);
		named = true;
	}
	for (i = 0; !named && i < LALLOC_NR_CLASSES; i++)
		set_flags_locked(&lalloc_caches[i], flags);
	mutex_unlock(&debug_flags_lock);
	return 0;
}

/**
 * lalloc_debug_init() - apply debug= and make the per-cache debugfs files
 * @dir: lalloc's debugfs directory (may be an error: debugfs is optional)
 *
 * Context: module init, no cache has a slab yet.
 * Return: 0, or a negative errno for a bad debug= value.
 */
int lalloc_debug_init(struct dentry *dir)
{
	int ret = apply_param();

	if (ret)
		return ret;
	debugfs_create_file("debug_flags", 0600, dir, NULL, &debug_flags_fops);
	debugfs_create_file("validate", 0400, dir, NULL, &validate_fops);
	return 0;
}

/**
 * lalloc_debug_exit() - switch every check off
 *
 * Context: module exit or a failed init; every slab already freed.
 */
void lalloc_debug_exit(void)
{
	unsigned int i;

	mutex_lock(&debug_flags_lock);
	for (i = 0; i < LALLOC_NR_CLASSES; i++)
		set_flags_locked(&lalloc_caches[i], 0);
	mutex_unlock(&debug_flags_lock);
	/* The last slabs' records go in RCU callbacks, which are this module's. */
	rcu_barrier();
}
