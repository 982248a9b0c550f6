/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/lalloc: userspace access to the lalloc allocator.
 *
 * Each open file owns a set of kernel blocks named by handles (small
 * positive integers, never addresses). Every ioctl takes a pointer to one of
 * the structs below; all fields are fixed-size, pointers travel as __u64,
 * and the layout is the same for 32- and 64-bit userspace. Reserved fields
 * and unknown flags must be zero.
 *
 * No byte userspace did not write reaches it: new blocks and the grown part
 * of a resized block read as zero on both backends, ZEROED or not. The byte
 * limits count what the backend really holds for a block (its usable size),
 * checked before the memory is taken. A call that changes a block and then
 * reports back checks that its result can be written first: EFAULT means
 * nothing changed (unless another thread unmaps the struct during the call).
 *
 * Errors (errno), the same for every command and every BATCH entry:
 *   EINVAL     invalid layout (align not a power of two, size rounded up to
 *              align past INT64_MAX), non-zero reserved field or unknown flag,
 *              GROW to a smaller / SHRINK to a larger size, bad BATCH op
 *   ENOENT     no such handle in this file
 *   ENOMEM     the allocator (or kmalloc backend) has no memory; the block
 *              being resized is unchanged
 *   E2BIG      size past LALLOC_MAX_OBJECT_SIZE, or an extensible struct
 *              larger than the kernel knows with non-zero bytes past it
 *   EDQUOT     this file's live handle or live byte limit reached
 *   ENOSPC     the global live byte or live handle limit reached
 *   ERANGE     READ/WRITE range outside [0, size) of the block
 *   EFAULT     a user buffer cannot be read or written
 *   EBUSY      SET_BACKEND once an ALLOC of this file has allocated a block
 *              (also one undone because its handle could not be written back)
 *   ENOTTY     unknown command
 *   EINTR      a fatal signal came while waiting for a block or copying
 *              (only a process being killed sees it)
 *
 * The numbers come from magic 0xBC, unassigned in
 * Documentation/userspace-api/ioctl/ioctl-number.rst, commands 0x00-0x1F.
 */
#ifndef _UAPI_LINUX_LALLOC_H
#define _UAPI_LINUX_LALLOC_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define LALLOC_DEVICE			"/dev/lalloc"
#define LALLOC_IOC_MAGIC		0xBC

/* The largest block userspace may ask for (also capped by module limits). */
#define LALLOC_MAX_OBJECT_SIZE		(1ULL << 30)

/* Backends (SET_BACKEND): the same operations on two allocators. */
#define LALLOC_BACKEND_LALLOC		0
#define LALLOC_BACKEND_KMALLOC		1	/* kmalloc/krealloc/kfree */

/* Where a block came from (INFO). */
#define LALLOC_ORIGIN_NONE		0
#define LALLOC_ORIGIN_ZST		1	/* zero-size: no memory */
#define LALLOC_ORIGIN_CPU_CACHE		2	/* per-CPU object stack */
#define LALLOC_ORIGIN_PARTIAL_SLAB	3	/* refill from an existing slab */
#define LALLOC_ORIGIN_NEW_SLAB		4	/* a new slab from the page allocator */
#define LALLOC_ORIGIN_PAGES		5	/* exact pages from the page allocator */
#define LALLOC_ORIGIN_VMALLOC		6
#define LALLOC_ORIGIN_KMALLOC		7	/* kmalloc backend */

/* Which allocator serves a layout (INFO). */
#define LALLOC_KIND_ZST			0
#define LALLOC_KIND_SLAB		1
#define LALLOC_KIND_PAGES		2
#define LALLOC_KIND_VMALLOC		3
#define LALLOC_KIND_KMALLOC		5

/* ALLOC flags */
#define LALLOC_ALLOC_ZEROED		(1U << 0)

/**
 * struct lalloc_alloc_args - LALLOC_IOC_ALLOC
 * @size: bytes; 0 is a valid zero-size block
 * @align: a power of two
 * @flags: LALLOC_ALLOC_* (blocks are zeroed with or without ZEROED)
 * @handle: out: the new block's handle
 * @usable: out: the block's real length (>= @size)
 */
struct lalloc_alloc_args {
	__u64 size;
	__u64 align;
	__u32 flags;
	__u32 handle;
	__u64 usable;
};

/**
 * struct lalloc_handle_args - LALLOC_IOC_FREE
 * @handle: the block
 * @reserved: must be zero
 */
struct lalloc_handle_args {
	__u32 handle;
	__u32 reserved;
};

/* RESIZE flags */
#define LALLOC_RESIZE_ZEROED		(1U << 0)	/* grow only; new bytes are always zero */

/**
 * struct lalloc_resize_args - LALLOC_IOC_GROW, _SHRINK and _REALLOC
 * @handle: the block; it keeps its handle when it moves
 * @flags: LALLOC_RESIZE_*
 * @size: the new size (GROW: >= current, SHRINK: <= current)
 * @align: the new alignment, any power of two
 * @usable: out: the new real length
 * @moved: out: 1 when the block moved, 0 when it was resized in place
 * @reserved: must be zero
 *
 * On error the block keeps its old size, alignment and contents.
 */
struct lalloc_resize_args {
	__u32 handle;
	__u32 flags;
	__u64 size;
	__u64 align;
	__u64 usable;
	__u32 moved;
	__u32 reserved;
};

/**
 * struct lalloc_rw_args - LALLOC_IOC_WRITE and LALLOC_IOC_READ
 * @handle: the block
 * @reserved: must be zero
 * @offset: first byte of the block
 * @len: bytes; [@offset, @offset + @len) must lie within the block's size
 * @buf: user buffer address
 */
struct lalloc_rw_args {
	__u32 handle;
	__u32 reserved;
	__u64 offset;
	__u64 len;
	__u64 buf;
};

/**
 * struct lalloc_info - LALLOC_IOC_INFO (extensible: the size is in the
 * command number)
 * @handle: in: the block; every other field must be zero on input
 * @kind: LALLOC_KIND_*
 * @size: the current layout's size
 * @align: the current layout's alignment
 * @usable: the real length
 * @origin: LALLOC_ORIGIN_* of the allocation or last move
 * @slab_order: for LALLOC_ORIGIN_NEW_SLAB, the new slab's order
 * @class_slot: slab class slot size (0 when not a slab block)
 * @class_index: slab class index (0 when not a slab block)
 * @backend: LALLOC_BACKEND_* of the file
 * @reserved: zero
 */
struct lalloc_info {
	__u32 handle;
	__u32 kind;
	__u64 size;
	__u64 align;
	__u64 usable;
	__u32 origin;
	__u32 slab_order;
	__u32 class_slot;
	__u32 class_index;
	__u32 backend;
	__u32 reserved;
};

/*
 * struct lalloc_cache_stats - one slab cache, in LALLOC_IOC_STATS
 *
 * Extensible: userspace says in struct lalloc_stats how large it thinks
 * this record is; the kernel writes that many bytes per cache.
 */
struct lalloc_cache_stats {
	__u32 index;
	__u32 slot_size;
	__u32 align;			/* the alignment every slot has */
	__u32 objs_per_slab;		/* at the preferred order */
	__u32 order;			/* preferred slab order */
	__u32 cpu_limit;		/* objects each CPU may keep */
	__u64 active_objs;		/* live objects */
	__u64 total_objs;		/* slots in all slabs */
	__u64 slabs_full;
	__u64 slabs_partial;
	__u64 slabs_empty;
	__u64 pages;
	__u64 allocs;
	__u64 frees;
	__u64 fast_allocs;
	__u64 fast_frees;
	__u64 slow_allocs;
	__u64 slow_frees;
	__u64 slabs_allocated;
	__u64 slabs_freed;
	__u64 grow_in_place;
	__u64 grow_moved;
	__u64 shrink_in_place;
	__u64 shrink_moved;
	__u64 failures;
	__u64 requested_bytes;		/* live bytes asked for */
	__u64 reserved_bytes;		/* live slots, in bytes */
	__u64 held_bytes;		/* slab pages, in bytes */
};

/*
 * struct lalloc_stats - LALLOC_IOC_STATS (extensible: the size is in the
 * command number)
 *   caches:          in: user address of an array of struct lalloc_cache_stats, or 0
 *   cache_rec_size:  in: the size of one element of that array, at most the
 *                    page size (EINVAL past it, with or without an array)
 *   cache_rec_count: in: how many elements fit
 *   nr_caches:       out: how many caches lalloc has (may exceed the count given)
 *   reserved:        must be zero
 * The other fields are described in Documentation/device.rst.
 *
 * Byte figures are live gauges unless named *_total; "_hwm" is a high-water
 * mark (requested_bytes_hwm: the highest value a read computed, sampled);
 * "_permille" figures are ratios times 1000.
 */
struct lalloc_stats {
	__u64 caches;
	__u32 cache_rec_size;
	__u32 cache_rec_count;
	__u32 nr_caches;
	__u32 reserved;

	__u64 requested_bytes;
	__u64 reserved_bytes;
	__u64 held_bytes;
	__u64 slab_bytes;
	__u64 large_bytes;
	__u64 vmalloc_bytes;
	__u64 held_bytes_hwm;
	__u64 requested_bytes_hwm;
	__u64 active_objs;
	__u64 allocs;
	__u64 frees;
	__u64 fast_allocs;
	__u64 slow_allocs;
	__u64 large_allocs;
	__u64 large_frees;
	__u64 vmalloc_allocs;
	__u64 vmalloc_frees;
	__u64 page_allocs[16];		/* page-allocator calls by order */
	__u64 shrinker_scans;
	__u64 shrinker_pages;
	__u64 invalid_layouts;
	__u64 failures;
	__u64 errors_detected;
	__u64 fragmentation_permille;	/* reserved / requested */
	__u64 utilisation_permille;	/* live slots / slots in slabs */
	__u64 fast_hit_permille;	/* fast allocs / allocs */
	__u64 open_files;
	__u64 device_bytes;		/* live bytes held for /dev/lalloc files */
	__u64 freelist_corruptions;	/* freelist links caught leading off their slab */
	__u64 quarantined_bytes;	/* slabs retired for a detected corruption */
	/* Detections of the debug checks (debug= and debugfs). */
	__u64 debug_double_frees;
	__u64 debug_foreign_frees;	/* pointers never handed out, or inside one */
	__u64 debug_layout_mismatches;	/* another class, or a size not given */
	__u64 debug_redzone_overwrites;
	__u64 debug_poison_overwrites;	/* writes after free */
};

/* BACKEND */
struct lalloc_backend_args {
	__u32 backend;
	__u32 reserved;
};

/* BATCH operations */
#define LALLOC_OP_ALLOC			1	/* size, align, flags -> handle, value=usable */
#define LALLOC_OP_FREE			2	/* handle */
#define LALLOC_OP_GROW			3	/* handle, size, align, flags -> value=moved */
#define LALLOC_OP_SHRINK		4
#define LALLOC_OP_REALLOC		5
#define LALLOC_OP_WRITE			6	/* handle, offset, len=size, buf */
#define LALLOC_OP_READ			7
#define LALLOC_OP_FILL			8	/* handle, offset, len=size, byte=align */
#define LALLOC_OP_CHECK			9	/* like FILL, but compares; -EILSEQ on mismatch */

/**
 * struct lalloc_batch_op - one entry of a BATCH
 * @op: LALLOC_OP_*
 * @flags: the op's flags (LALLOC_ALLOC_ZEROED, LALLOC_RESIZE_ZEROED)
 * @handle: in: the block; out: the new handle for ALLOC
 * @result: out: 0 or a negative errno
 * @size: the size (ALLOC, resizes) or length (WRITE, READ, FILL, CHECK)
 * @align: the alignment (ALLOC, resizes) or the byte (FILL, CHECK)
 * @offset: WRITE, READ, FILL, CHECK: the first byte
 * @buf: WRITE, READ: user buffer
 * @value: out: ALLOC: usable size; resizes: 1 when the block moved
 */
struct lalloc_batch_op {
	__u32 op;
	__u32 flags;
	__u32 handle;
	__s32 result;
	__u64 size;
	__u64 align;
	__u64 offset;
	__u64 buf;
	__u64 value;
};

/* BATCH flags */
#define LALLOC_BATCH_STOP_ON_ERROR	(1U << 0)

/**
 * struct lalloc_batch_args - LALLOC_IOC_BATCH
 * @ops: user address of the array of ops (each op's result written back)
 * @count: entries in the array (at most LALLOC_BATCH_MAX)
 * @op_size: sizeof(struct lalloc_batch_op) as userspace knows it (EINVAL
 *	if smaller than the kernel's or larger than the page size)
 * @flags: LALLOC_BATCH_*
 * @done: out: entries run (all of them, unless stopped on an error);
 *	ignored on input, so a struct can be submitted again as it is
 * @failed: out: entries whose result is an error; ignored on input
 * @reserved: must be zero
 */
struct lalloc_batch_args {
	__u64 ops;
	__u32 count;
	__u32 op_size;
	__u32 flags;
	__u32 done;
	__u32 failed;
	__u32 reserved;
};

#define LALLOC_BATCH_MAX		65536

#define LALLOC_IOC_ALLOC	_IOWR(LALLOC_IOC_MAGIC, 0x01, struct lalloc_alloc_args)
#define LALLOC_IOC_FREE		_IOW(LALLOC_IOC_MAGIC, 0x02, struct lalloc_handle_args)
#define LALLOC_IOC_GROW		_IOWR(LALLOC_IOC_MAGIC, 0x03, struct lalloc_resize_args)
#define LALLOC_IOC_SHRINK	_IOWR(LALLOC_IOC_MAGIC, 0x04, struct lalloc_resize_args)
#define LALLOC_IOC_REALLOC	_IOWR(LALLOC_IOC_MAGIC, 0x05, struct lalloc_resize_args)
#define LALLOC_IOC_WRITE	_IOW(LALLOC_IOC_MAGIC, 0x06, struct lalloc_rw_args)
#define LALLOC_IOC_READ		_IOW(LALLOC_IOC_MAGIC, 0x07, struct lalloc_rw_args)
#define LALLOC_IOC_INFO		_IOWR(LALLOC_IOC_MAGIC, 0x08, struct lalloc_info)
#define LALLOC_IOC_STATS	_IOWR(LALLOC_IOC_MAGIC, 0x09, struct lalloc_stats)
#define LALLOC_IOC_BATCH	_IOWR(LALLOC_IOC_MAGIC, 0x0A, struct lalloc_batch_args)
#define LALLOC_IOC_SET_BACKEND	_IOW(LALLOC_IOC_MAGIC, 0x0B, struct lalloc_backend_args)

#endif /* _UAPI_LINUX_LALLOC_H */
