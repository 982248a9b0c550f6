/* SPDX-License-Identifier: GPL-2.0 */
/*
 * /dev/lalloc internals: the per-file state, handles, the operations the
 * ioctls (device_ioctl.c) and BATCH share, and the two backends
 * (device_backend.c).
 */
#ifndef _LALLOC_DEVICE_H
#define _LALLOC_DEVICE_H

#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/xarray.h>
#include <uapi/linux/lalloc.h>

#include "internal.h"

struct lalloc_file {
	struct xarray handles;		/* handle -> struct lalloc_handle */
	struct rw_semaphore backend_sem; /* allocations (read) vs SET_BACKEND */
	u32 backend;			/* LALLOC_BACKEND_* */
	bool used;			/* an allocation succeeded */
	atomic_long_t bytes;		/* live usable bytes */
	atomic_t nr_handles;		/* live and reserved handles */
};

struct lalloc_handle {
	struct kref ref;
	struct mutex lock;		/* the block's state, below */
	bool dead;			/* freed: no more access */
	void *p;
	struct lalloc_layout l;
	size_t usable;
	u32 origin;			/* LALLOC_ORIGIN_* of the last (re)allocation */
};

/* Userspace memory: charged to the caller's memcg, no OOM kill, no WARN. */
#define LALLOC_USER_GFP	(GFP_KERNEL_ACCOUNT | __GFP_NOWARN | __GFP_RETRY_MAYFAIL)

void lalloc_handle_put(struct lalloc_handle *h);
void lalloc_count_error(int err);

/*
 * A block allocated, charged and holding a reserved handle id that no other
 * thread can look up yet: the caller tells userspace the id and usable size,
 * then publishes it, or aborts when userspace could not be told.
 */
struct lalloc_new_block {
	struct lalloc_handle *h;
	u32 id;
	u64 usable;
};

int lalloc_dev_alloc(struct lalloc_file *f, u64 size, u64 align, u32 flags,
		     struct lalloc_new_block *nb);
void lalloc_dev_publish(struct lalloc_file *f, struct lalloc_new_block *nb);
void lalloc_dev_abort(struct lalloc_file *f, struct lalloc_new_block *nb);
int lalloc_dev_free(struct lalloc_file *f, u32 handle);
int lalloc_dev_resize(struct lalloc_file *f, u32 handle, unsigned int op,
		      u64 size, u64 align, u32 flags, u64 *usable, u32 *moved);
int lalloc_dev_rw(struct lalloc_file *f, u32 handle, u64 offset, u64 len,
		  u64 buf, bool write);
int lalloc_dev_fill(struct lalloc_file *f, u32 handle, u64 offset, u64 len,
		    u8 byte, bool check);
int lalloc_dev_info(struct lalloc_file *f, u32 handle, struct lalloc_info *info);

/* device_ioctl.c */
long lalloc_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

/* device_backend.c: h->l is the layout wanted; they set p, usable, origin. */
size_t lalloc_backend_usable(struct lalloc_file *f, struct lalloc_layout l);
int lalloc_backend_alloc(struct lalloc_file *f, struct lalloc_handle *h);
void lalloc_backend_free(struct lalloc_file *f, struct lalloc_handle *h);
int lalloc_backend_resize(struct lalloc_file *f, struct lalloc_handle *h,
			  struct lalloc_layout new, u32 *moved);
void lalloc_backend_info(struct lalloc_file *f, struct lalloc_handle *h,
			 struct lalloc_info *info);

#endif /* _LALLOC_DEVICE_H */
