// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/lalloc: userspace allocates, resizes, reads, writes and frees kernel
 * blocks through ioctls on handles (include/uapi/linux/lalloc.h).
 *
 * Each open file keeps its blocks in an xarray of handles. A handle is
 * reference-counted and has its own mutex: an operation looks the handle up
 * under the xarray lock, takes a reference, then the mutex; FREE removes the
 * handle from the xarray first, so of two racing FREEs one gets ENOENT, and
 * an operation that found the handle before it was removed sees it dead
 * once it holds the mutex. So no operation can touch a freed block, and user
 * copies (which may fault and sleep) run under the handle's mutex only.
 *
 * Closing the file frees every block it still holds. The module cannot go
 * away while a file is open (fops.owner).
 */
#include <linux/cdev.h>
#include <linux/compat.h>
#include <linux/cred.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "device.h"
#include "internal.h"

/*
 * Module parameters. Each is checked as it is set, at load or through
 * sysfs: a value out of range is refused with EINVAL (a load with it fails)
 * rather than masked or clamped.
 */
static unsigned int device_mode = 0600;

/* Permission bits only; 0 is refused: devtmpfs would make it 0600. */
static int device_mode_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_uint_minmax(val, kp, 1, 0777);

	if (ret)
		return ret;
	if (device_mode & 0077)
		pr_warn("device_mode=0%o: /dev/lalloc is open to users other than root\n",
			device_mode);
	return 0;
}

static int device_mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "0%o\n", *(unsigned int *)kp->arg);
}

static const struct kernel_param_ops device_mode_ops = {
	.set = device_mode_set,
	.get = device_mode_get,
};
module_param_cb(device_mode, &device_mode_ops, &device_mode, 0444);
MODULE_PARM_DESC(device_mode,
		 "Permissions of /dev/lalloc, 01 to 0777 (default 0600; a warning if group or others get any)");

static unsigned int device_gid;
static kgid_t device_kgid = GLOBAL_ROOT_GID;

static int device_gid_set(const char *val, const struct kernel_param *kp)
{
	unsigned int gid;
	kgid_t kgid;
	int ret = kstrtouint(val, 0, &gid);

	if (ret)
		return ret;
	kgid = make_kgid(current_user_ns(), gid);
	if (!gid_valid(kgid))
		return -EINVAL;
	device_gid = gid;
	device_kgid = kgid;
	return 0;
}

static const struct kernel_param_ops device_gid_ops = {
	.set = device_gid_set,
	.get = param_get_uint,
};
module_param_cb(device_gid, &device_gid_ops, &device_gid, 0444);
MODULE_PARM_DESC(device_gid,
		 "Group owning /dev/lalloc, a gid valid in the loader's namespace (default 0, root)");

/*
 * The limits on what userspace holds. A 0 means the same kind of thing for
 * each: a per-file limit of 0 is no limit of its own (only the global one
 * applies); a global limit of 0 is the automatic default (half of RAM for
 * bytes, see total_limit(); LALLOC_AUTO_HANDLES for handles). sysfs shows
 * the value as set; charge() and charge_handle() read the limit it makes.
 */
#define LALLOC_AUTO_HANDLES	BIT(20)

static unsigned int max_handles_per_file = 1U << 20;
static unsigned int max_handles_total = 1U << 20;
static unsigned long max_bytes_per_file = 512UL << 20;
static unsigned long max_bytes_total;

struct limit_param {
	unsigned long set;	/* as set; what sysfs shows */
	unsigned long zero;	/* the limit a 0 stands for */
	unsigned long max;	/* the largest value accepted */
	unsigned int *limit_u;	/* the limit in force: one of these two */
	unsigned long *limit_ul;
};

static int limit_set(const char *val, const struct kernel_param *kp)
{
	struct limit_param *p = kp->arg;
	unsigned long v;
	int ret = kstrtoul(val, 0, &v);

	if (ret)
		return ret;
	if (v > p->max)
		return -EINVAL;
	p->set = v;
	if (!v)
		v = p->zero;
	if (p->limit_u)
		WRITE_ONCE(*p->limit_u, v);
	else
		WRITE_ONCE(*p->limit_ul, v);
	return 0;
}

static int limit_get(char *buf, const struct kernel_param *kp)
{
	const struct limit_param *p = kp->arg;

	return sysfs_emit(buf, "%lu\n", p->set);
}

static const struct kernel_param_ops limit_ops = {
	.set = limit_set,
	.get = limit_get,
};

static struct limit_param handles_per_file_param = {
	.set = 1U << 20, .zero = UINT_MAX, .max = UINT_MAX,
	.limit_u = &max_handles_per_file,
};
module_param_cb(max_handles_per_file, &limit_ops, &handles_per_file_param, 0644);
MODULE_PARM_DESC(max_handles_per_file,
		 "Live handles one open file may hold (default 1048576; 0: no limit of its own; EDQUOT past it)");

static struct limit_param handles_total_param = {
	.set = 1U << 20, .zero = LALLOC_AUTO_HANDLES, .max = UINT_MAX,
	.limit_u = &max_handles_total,
};
module_param_cb(max_handles_total, &limit_ops, &handles_total_param, 0644);
MODULE_PARM_DESC(max_handles_total,
		 "Live handles all open files together may hold (default 1048576; 0: 1048576; ENOSPC past it)");

static struct limit_param bytes_per_file_param = {
	.set = 512UL << 20, .zero = ULONG_MAX, .max = ULONG_MAX,
	.limit_ul = &max_bytes_per_file,
};
module_param_cb(max_bytes_per_file, &limit_ops, &bytes_per_file_param, 0644);
MODULE_PARM_DESC(max_bytes_per_file,
		 "Live bytes one open file may hold (default 512 MiB; 0: no limit of its own; EDQUOT past it)");

/* total_limit() turns 0 into half of RAM as it reads it: RAM may change. */
static struct limit_param bytes_total_param = {
	.set = 0, .zero = 0, .max = ULONG_MAX,
	.limit_ul = &max_bytes_total,
};
module_param_cb(max_bytes_total, &limit_ops, &bytes_total_param, 0644);
MODULE_PARM_DESC(max_bytes_total,
		 "Live bytes all open files together may hold (default 0: half of RAM; ENOSPC past it)");

static atomic_long_t device_bytes = ATOMIC_LONG_INIT(0);
static atomic_t device_handles = ATOMIC_INIT(0);
static atomic_long_t open_files = ATOMIC_LONG_INIT(0);

/* Chunk of a READ/WRITE/FILL/CHECK between checks for rescheduling and signals. */
#define RW_CHUNK	(64UL << 10)

/*
 * Look a handle up and lock it. The lock may be held across a long user
 * copy (a READ into a slow mapping), so the wait is killable.
 *
 * Return: the locked handle holding a reference, ERR_PTR(-ENOENT) or
 * ERR_PTR(-EINTR).
 */
static struct lalloc_handle *handle_get(struct lalloc_file *f, u32 id)
{
	struct lalloc_handle *h;

	/* A reserved id (an ALLOC not yet published) loads as NULL. */
	xa_lock(&f->handles);
	h = xa_load(&f->handles, id);
	if (h)
		kref_get(&h->ref);
	xa_unlock(&f->handles);
	if (!h)
		return ERR_PTR(-ENOENT);
	if (mutex_lock_killable(&h->lock)) {
		lalloc_handle_put(h);
		return ERR_PTR(-EINTR);
	}
	if (h->dead) {
		mutex_unlock(&h->lock);
		lalloc_handle_put(h);
		return ERR_PTR(-ENOENT);
	}
	return h;
}

static void handle_release(struct kref *ref)
{
	kfree(container_of(ref, struct lalloc_handle, ref));
}

void lalloc_handle_put(struct lalloc_handle *h)
{
	kref_put(&h->ref, handle_release);
}

static void handle_unlock_put(struct lalloc_handle *h)
{
	mutex_unlock(&h->lock);
	lalloc_handle_put(h);
}

/* Requests refused as bad input (not for lack of memory) go in the stats. */
void lalloc_count_error(int err)
{
	if (err && err != -ENOMEM && err != -EINTR)
		lalloc_gstat_inc(errors_detected);
}

static unsigned long total_limit(void)
{
	unsigned long limit = READ_ONCE(max_bytes_total);

	return limit ? limit : (totalram_pages() << PAGE_SHIFT) / 2;
}

/*
 * Reserve @bytes against the file's and the global caps. Every charge is
 * made before the memory is taken and settled to the exact length once it
 * is known, so f->bytes and device_bytes are exact between calls.
 */
static int charge(struct lalloc_file *f, size_t bytes)
{
	if (atomic_long_add_return(bytes, &f->bytes) > READ_ONCE(max_bytes_per_file)) {
		atomic_long_sub(bytes, &f->bytes);
		return -EDQUOT;
	}
	if (atomic_long_add_return(bytes, &device_bytes) > total_limit()) {
		atomic_long_sub(bytes, &device_bytes);
		atomic_long_sub(bytes, &f->bytes);
		return -ENOSPC;
	}
	return 0;
}

static void uncharge(struct lalloc_file *f, size_t bytes)
{
	atomic_long_sub(bytes, &f->bytes);
	atomic_long_sub(bytes, &device_bytes);
}

/* Reserve one handle against the file's and the global handle caps. */
static int charge_handle(struct lalloc_file *f)
{
	if (atomic_inc_return(&f->nr_handles) > READ_ONCE(max_handles_per_file)) {
		atomic_dec(&f->nr_handles);
		return -EDQUOT;
	}
	if (atomic_inc_return(&device_handles) > READ_ONCE(max_handles_total)) {
		atomic_dec(&device_handles);
		atomic_dec(&f->nr_handles);
		return -ENOSPC;
	}
	return 0;
}

static void uncharge_handle(struct lalloc_file *f)
{
	atomic_dec(&f->nr_handles);
	atomic_dec(&device_handles);
}

static int check_layout(u64 size, u64 align, struct lalloc_layout *l)
{
	if (lalloc_layout_new(size, align, l))
		return -EINVAL;
	if (size > LALLOC_MAX_OBJECT_SIZE)
		return -E2BIG;
	return 0;
}

/* The block's real length now differs from what was charged: settle. */
static void settle(struct lalloc_file *f, size_t charged, size_t usable)
{
	if (usable > charged) {
		atomic_long_add(usable - charged, &f->bytes);
		atomic_long_add(usable - charged, &device_bytes);
	} else {
		uncharge(f, charged - usable);
	}
}

/**
 * lalloc_dev_alloc() - allocate a block for a file, not yet visible
 * @f: the file
 * @size: the layout's size
 * @align: the layout's alignment
 * @flags: LALLOC_ALLOC_*
 * @nb: receives the block, its reserved handle id and usable size
 *
 * Everything about the block is settled here (memory, charges, the id), so
 * that lalloc_dev_publish() only makes it visible: no other thread can free
 * or resize the block before the caller has told userspace its handle.
 *
 * Return: 0 or a negative errno, nothing allocated or charged.
 */
int lalloc_dev_alloc(struct lalloc_file *f, u64 size, u64 align, u32 flags,
		     struct lalloc_new_block *nb)
{
	struct lalloc_handle *h;
	struct lalloc_layout l;
	size_t need;
	int ret;

	/* Blocks are always zeroed; the flag stays valid for old callers. */
	if (flags & ~LALLOC_ALLOC_ZEROED)
		return -EINVAL;
	ret = check_layout(size, align, &l);
	if (ret)
		return ret;
	ret = charge_handle(f);
	if (ret)
		return ret;

	h = kzalloc(sizeof(*h), LALLOC_USER_GFP);
	ret = -ENOMEM;
	if (!h)
		goto undo_handle;
	kref_init(&h->ref);
	mutex_init(&h->lock);
	h->l = l;

	/* A reserved id: xa_load() gives NULL for it until it is published. */
	ret = xa_alloc(&f->handles, &nb->id, NULL, xa_limit_31b, LALLOC_USER_GFP);
	if (ret) {
		ret = ret == -EBUSY ? -EDQUOT : ret;
		goto free_handle;
	}

	/* The backend cannot change while an allocation is under way. */
	down_read(&f->backend_sem);
	need = lalloc_backend_usable(f, l);
	ret = charge(f, need);
	if (!ret) {
		ret = lalloc_backend_alloc(f, h);
		if (ret)
			uncharge(f, need);
		else
			WRITE_ONCE(f->used, true);
	}
	up_read(&f->backend_sem);
	if (ret)
		goto release_id;
	settle(f, need, h->usable);
	nb->h = h;
	nb->usable = h->usable;
	return 0;

release_id:
	xa_erase(&f->handles, nb->id);
free_handle:
	kfree(h);
undo_handle:
	uncharge_handle(f);
	return ret;
}

/**
 * lalloc_dev_publish() - make a block from lalloc_dev_alloc() visible
 * @f: the file
 * @nb: the block
 *
 * From here on another thread may free the block at any moment: nothing
 * of it is touched after the store.
 */
void lalloc_dev_publish(struct lalloc_file *f, struct lalloc_new_block *nb)
{
	/* The id is reserved: storing into its slot allocates nothing. */
	xa_store(&f->handles, nb->id, nb->h, LALLOC_USER_GFP);
}

/* Free the block of a handle no other thread can reach through the file. */
static void handle_destroy(struct lalloc_file *f, struct lalloc_handle *h)
{
	mutex_lock(&h->lock);
	h->dead = true;
	lalloc_backend_free(f, h);
	uncharge(f, h->usable);
	uncharge_handle(f);
	mutex_unlock(&h->lock);
	lalloc_handle_put(h);
}

/**
 * lalloc_dev_abort() - undo lalloc_dev_alloc() for a block never published
 * @f: the file
 * @nb: the block
 */
void lalloc_dev_abort(struct lalloc_file *f, struct lalloc_new_block *nb)
{
	handle_destroy(f, nb->h);
	xa_erase(&f->handles, nb->id);
}

int lalloc_dev_free(struct lalloc_file *f, u32 handle)
{
	struct lalloc_handle *h;

	/*
	 * Only a published handle is erased: a reserved id belongs to an
	 * ALLOC still under way, and erasing it would let another ALLOC take
	 * the same id.
	 */
	xa_lock(&f->handles);
	h = xa_load(&f->handles, handle);
	if (h)
		__xa_erase(&f->handles, handle);
	xa_unlock(&f->handles);
	if (!h)
		return -ENOENT;
	handle_destroy(f, h);
	return 0;
}

int lalloc_dev_resize(struct lalloc_file *f, u32 handle, unsigned int op,
		      u64 size, u64 align, u32 flags, u64 *usable, u32 *moved)
{
	struct lalloc_handle *h;
	struct lalloc_layout l;
	size_t old_usable, need, extra;
	int ret;

	/* Grown bytes are always zeroed; ZEROED stays valid on GROW. */
	if (flags & ~LALLOC_RESIZE_ZEROED)
		return -EINVAL;
	ret = check_layout(size, align, &l);
	if (ret)
		return ret;
	h = handle_get(f, handle);
	if (IS_ERR(h))
		return PTR_ERR(h);
	if ((op == LALLOC_OP_GROW && l.size < h->l.size) ||
	    (op == LALLOC_OP_SHRINK && l.size > h->l.size) ||
	    (op != LALLOC_OP_GROW && (flags & LALLOC_RESIZE_ZEROED))) {
		ret = -EINVAL;
		goto out;
	}
	/*
	 * The growth in real length is charged before the backend takes it;
	 * a move holds the old block only until its bytes are copied.
	 */
	old_usable = h->usable;
	need = lalloc_backend_usable(f, l);
	extra = need > old_usable ? need - old_usable : 0;
	ret = charge(f, extra);
	if (ret)
		goto out;
	ret = lalloc_backend_resize(f, h, l, moved);
	if (ret) {
		uncharge(f, extra);
		goto out;
	}
	settle(f, old_usable + extra, h->usable);
	*usable = h->usable;
out:
	handle_unlock_put(h);
	return ret;
}

/*
 * WRITE goes through a bounce buffer: copy_from_user() zeroes what it could
 * not read, and a bad user buffer must not wipe the block. Bytes before a
 * fault are written, bytes after it are left as they were (as write(2)).
 */
static int write_chunk(void *kaddr, const void __user *ubuf, size_t n, void *bounce)
{
	size_t left = copy_from_user(bounce, ubuf, n);

	memcpy(kaddr, bounce, n - left);
	return left ? -EFAULT : 0;
}

int lalloc_dev_rw(struct lalloc_file *f, u32 handle, u64 offset, u64 len,
		  u64 buf, bool write)
{
	void __user *ubuf = u64_to_user_ptr(buf);
	size_t chunk = min_t(u64, len, RW_CHUNK);
	struct lalloc_handle *h;
	void *bounce = NULL;
	u64 end, done = 0;
	int ret = 0;

	if (check_add_overflow(offset, len, &end))
		return -ERANGE;
	if (!access_ok(ubuf, len))
		return -EFAULT;
	if (write && len) {
		bounce = kvmalloc(chunk, LALLOC_USER_GFP);
		if (!bounce)
			return -ENOMEM;
	}
	h = handle_get(f, handle);
	if (IS_ERR(h)) {
		kvfree(bounce);
		return PTR_ERR(h);
	}
	if (end > h->l.size) {
		ret = -ERANGE;
		goto out;
	}
	while (done < len) {
		size_t n = min_t(u64, len - done, chunk);
		void *kaddr = h->p + offset + done;

		if (write)
			ret = write_chunk(kaddr, ubuf + done, n, bounce);
		else if (copy_to_user(ubuf + done, kaddr, n))
			ret = -EFAULT;
		if (ret)
			break;
		done += n;
		if (done < len) {
			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				break;
			}
			cond_resched();
		}
	}
out:
	handle_unlock_put(h);
	kvfree(bounce);
	return ret;
}

int lalloc_dev_fill(struct lalloc_file *f, u32 handle, u64 offset, u64 len,
		    u8 byte, bool check)
{
	struct lalloc_handle *h;
	u64 end, done;
	int ret = 0;

	if (check_add_overflow(offset, len, &end))
		return -ERANGE;
	h = handle_get(f, handle);
	if (IS_ERR(h))
		return PTR_ERR(h);
	if (end > h->l.size) {
		ret = -ERANGE;
		goto out;
	}
	/* Up to 1 GiB: in chunks, with a chance to reschedule or be killed. */
	for (done = 0; done < len; done += RW_CHUNK) {
		size_t n = min_t(u64, len - done, RW_CHUNK);
		void *kaddr = h->p + offset + done;

		if (!check) {
			memset(kaddr, byte, n);
		} else if (memchr_inv(kaddr, byte, n)) {
			ret = -EILSEQ;
			break;
		}
		if (done + n < len) {
			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				break;
			}
			cond_resched();
		}
	}
out:
	handle_unlock_put(h);
	return ret;
}

int lalloc_dev_info(struct lalloc_file *f, u32 handle, struct lalloc_info *info)
{
	struct lalloc_handle *h = handle_get(f, handle);

	if (IS_ERR(h))
		return PTR_ERR(h);
	memset(info, 0, sizeof(*info));
	info->handle = handle;
	info->size = h->l.size;
	info->align = h->l.align;
	info->usable = h->usable;
	info->origin = h->origin;
	info->backend = f->backend;
	lalloc_backend_info(f, h, info);
	handle_unlock_put(h);
	return 0;
}

static int lalloc_open(struct inode *inode, struct file *file)
{
	struct lalloc_file *f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);

	if (!f)
		return -ENOMEM;
	xa_init_flags(&f->handles, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	init_rwsem(&f->backend_sem);
	f->backend = LALLOC_BACKEND_LALLOC;
	file->private_data = f;
	atomic_long_inc(&open_files);
	return 0;
}

static int lalloc_release(struct inode *inode, struct file *file)
{
	struct lalloc_file *f = file->private_data;
	struct lalloc_handle *h;
	unsigned long id;
	long left;

	/* No ioctl can run any more: the file's last reference is gone. */
	xa_for_each(&f->handles, id, h) {
		xa_erase(&f->handles, id);
		handle_destroy(f, h);
		cond_resched();
	}
	xa_destroy(&f->handles);
	/*
	 * Charges are exact, so nothing is left. Were it not, say so and put
	 * the global figure right: a user action must never reach a WARN.
	 */
	left = atomic_long_read(&f->bytes);
	if (left) {
		pr_err_ratelimited("closed file still charged %ld bytes\n", left);
		atomic_long_sub(left, &device_bytes);
		lalloc_gstat_inc(errors_detected);
	}
	kfree(f);
	atomic_long_dec(&open_files);
	return 0;
}

static const struct file_operations lalloc_fops = {
	.owner = THIS_MODULE,
	.open = lalloc_open,
	.release = lalloc_release,
	.unlocked_ioctl = lalloc_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static dev_t lalloc_devt;
static struct cdev lalloc_cdev;
static struct device *lalloc_dev;

static char *lalloc_devnode(LALLOC_DEVNODE_CONST struct device *dev,
			    umode_t *mode, kuid_t *uid, kgid_t *gid)
{
	if (mode)
		*mode = device_mode;
	if (gid)
		*gid = device_kgid;
	return NULL;
}

static const struct device_type lalloc_dev_type = {
	.name = "lalloc",
	.devnode = lalloc_devnode,
};

static void lalloc_dev_release(struct device *dev)
{
	kfree(dev);
}

void lalloc_device_stats(struct lalloc_stats *st)
{
	st->open_files = atomic_long_read(&open_files);
	st->device_bytes = atomic_long_read(&device_bytes);
}

int lalloc_device_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&lalloc_devt, 0, 1, "lalloc");
	if (ret)
		return ret;
	cdev_init(&lalloc_cdev, &lalloc_fops);
	lalloc_cdev.owner = THIS_MODULE;

	lalloc_dev = kzalloc(sizeof(*lalloc_dev), GFP_KERNEL);
	if (!lalloc_dev) {
		ret = -ENOMEM;
		goto unregister;
	}
	device_initialize(lalloc_dev);
	lalloc_dev->devt = lalloc_devt;
	lalloc_dev->type = &lalloc_dev_type;
	lalloc_dev->release = lalloc_dev_release;
	ret = dev_set_name(lalloc_dev, "lalloc");
	if (ret)
		goto put;
	/* The node appears with the device; the cdev must answer by then. */
	ret = cdev_device_add(&lalloc_cdev, lalloc_dev);
	if (ret)
		goto put;
	return 0;

put:
	put_device(lalloc_dev);
unregister:
	unregister_chrdev_region(lalloc_devt, 1);
	return ret;
}

void lalloc_device_exit(void)
{
	cdev_device_del(&lalloc_cdev, lalloc_dev);
	put_device(lalloc_dev);
	unregister_chrdev_region(lalloc_devt, 1);
}
