// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/lalloc's ioctls: argument checking, the extensible structs (INFO,
 * STATS, BATCH entries) and BATCH itself. Every struct handed back is
 * built zeroed in the kernel first, so no stale byte reaches userspace.
 */
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "device.h"

/*
 * The counterpart of copy_struct_from_user(): write @ksize bytes of @src to
 * a user struct of @usize bytes; a larger user struct gets a zeroed tail,
 * a smaller one only its leading bytes.
 */
static int copy_struct_out(void __user *dst, size_t usize, const void *src,
			   size_t ksize)
{
	if (copy_to_user(dst, src, min(usize, ksize)))
		return -EFAULT;
	if (usize > ksize && clear_user(dst + ksize, usize - ksize))
		return -EFAULT;
	return 0;
}

static int ioc_alloc(struct lalloc_file *f, void __user *uarg)
{
	struct lalloc_alloc_args a;
	u32 handle = 0;
	u64 usable = 0;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	ret = lalloc_dev_alloc(f, a.size, a.align, a.flags, &handle, &usable);
	if (ret)
		return ret;
	a.handle = handle;
	a.usable = usable;
	if (copy_to_user(uarg, &a, sizeof(a))) {
		/* The caller cannot learn the handle: do not leave it behind. */
		lalloc_dev_free(f, handle);
		return -EFAULT;
	}
	return 0;
}

static int ioc_free(struct lalloc_file *f, void __user *uarg)
{
	struct lalloc_handle_args a;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.reserved)
		return -EINVAL;
	return lalloc_dev_free(f, a.handle);
}

static int ioc_resize(struct lalloc_file *f, void __user *uarg, unsigned int op)
{
	struct lalloc_resize_args a;
	u32 moved = 0;
	u64 usable = 0;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.reserved)
		return -EINVAL;
	ret = lalloc_dev_resize(f, a.handle, op, a.size, a.align, a.flags,
				&usable, &moved);
	if (ret)
		return ret;
	a.usable = usable;
	a.moved = moved;
	return copy_to_user(uarg, &a, sizeof(a)) ? -EFAULT : 0;
}

static int ioc_rw(struct lalloc_file *f, void __user *uarg, bool write)
{
	struct lalloc_rw_args a;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.reserved)
		return -EINVAL;
	return lalloc_dev_rw(f, a.handle, a.offset, a.len, a.buf, write);
}

static int ioc_info(struct lalloc_file *f, void __user *uarg, size_t usize)
{
	struct lalloc_info in, out;
	int ret;

	if (usize < offsetofend(struct lalloc_info, handle))
		return -EINVAL;
	ret = copy_struct_from_user(&in, sizeof(in), uarg, usize);
	if (ret)
		return ret;
	ret = lalloc_dev_info(f, in.handle, &out);
	if (ret)
		return ret;
	return copy_struct_out(uarg, usize, &out, sizeof(out));
}

static int ioc_stats(void __user *uarg, size_t usize)
{
	struct lalloc_stats *st;
	struct lalloc_cache_stats rec;
	void __user *recs;
	u64 caches;
	u32 rec_size, count, i;
	int ret;

	if (usize < offsetofend(struct lalloc_stats, reserved))
		return -EINVAL;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	ret = copy_struct_from_user(st, sizeof(*st), uarg, usize);
	if (ret)
		goto out;
	caches = st->caches;
	recs = u64_to_user_ptr(caches);
	rec_size = st->cache_rec_size;
	count = st->cache_rec_count;
	ret = -EINVAL;
	if (st->reserved || (st->caches && !rec_size) || rec_size > PAGE_SIZE)
		goto out;

	memset(st, 0, sizeof(*st));
	st->caches = caches;
	st->cache_rec_size = rec_size;
	st->cache_rec_count = count;
	st->nr_caches = LALLOC_NR_CLASSES;
	lalloc_stats_fill(st);

	ret = 0;
	for (i = 0; recs && i < min_t(u32, count, LALLOC_NR_CLASSES); i++) {
		lalloc_cache_record(&lalloc_caches[i], &rec);
		ret = copy_struct_out(recs + (size_t)i * rec_size, rec_size,
				      &rec, sizeof(rec));
		if (ret)
			goto out;
	}
	ret = copy_struct_out(uarg, usize, st, sizeof(*st));
out:
	kfree(st);
	return ret;
}

static int ioc_set_backend(struct lalloc_file *f, void __user *uarg)
{
	struct lalloc_backend_args a;
	int ret = 0;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.reserved || a.backend > LALLOC_BACKEND_KMALLOC)
		return -EINVAL;
	mutex_lock(&f->backend_lock);
	if (f->used)
		ret = -EBUSY;
	else
		f->backend = a.backend;
	mutex_unlock(&f->backend_lock);
	return ret;
}

static int batch_one(struct lalloc_file *f, struct lalloc_batch_op *op)
{
	u32 moved = 0;

	switch (op->op) {
	case LALLOC_OP_ALLOC:
		return lalloc_dev_alloc(f, op->size, op->align, op->flags,
					&op->handle, &op->value);
	case LALLOC_OP_FREE:
		return op->flags ? -EINVAL : lalloc_dev_free(f, op->handle);
	case LALLOC_OP_GROW:
	case LALLOC_OP_SHRINK:
	case LALLOC_OP_REALLOC: {
		u64 usable;
		int ret = lalloc_dev_resize(f, op->handle, op->op, op->size,
					    op->align, op->flags, &usable, &moved);

		op->value = moved;
		return ret;
	}
	case LALLOC_OP_WRITE:
	case LALLOC_OP_READ:
		if (op->flags)
			return -EINVAL;
		return lalloc_dev_rw(f, op->handle, op->offset, op->size,
				     op->buf, op->op == LALLOC_OP_WRITE);
	case LALLOC_OP_FILL:
	case LALLOC_OP_CHECK:
		if (op->flags || op->align > 0xff)
			return -EINVAL;
		return lalloc_dev_fill(f, op->handle, op->offset, op->size,
				       op->align, op->op == LALLOC_OP_CHECK);
	default:
		return -EINVAL;
	}
}

static int ioc_batch(struct lalloc_file *f, void __user *uarg)
{
	struct lalloc_batch_args a;
	struct lalloc_batch_op op;
	void __user *ops;
	u32 i;
	int ret = 0;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.reserved || a.done || a.failed ||
	    (a.flags & ~LALLOC_BATCH_STOP_ON_ERROR) ||
	    a.count > LALLOC_BATCH_MAX ||
	    a.op_size < sizeof(struct lalloc_batch_op) ||
	    a.op_size > PAGE_SIZE)
		return -EINVAL;
	ops = u64_to_user_ptr(a.ops);

	for (i = 0; i < a.count; i++) {
		void __user *uop = ops + (size_t)i * a.op_size;

		ret = copy_struct_from_user(&op, sizeof(op), uop, a.op_size);
		if (ret)
			break;
		op.result = batch_one(f, &op);
		lalloc_count_error(op.result);
		ret = copy_struct_out(uop, a.op_size, &op, sizeof(op));
		if (ret) {
			/* A handle the caller cannot see would leak until close. */
			if (op.op == LALLOC_OP_ALLOC && !op.result)
				lalloc_dev_free(f, op.handle);
			break;
		}
		a.done = i + 1;
		if (op.result) {
			a.failed++;
			if (a.flags & LALLOC_BATCH_STOP_ON_ERROR)
				break;
		}
		if (need_resched())
			cond_resched();
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
	}
	/* How far it got matters even when it stopped early. */
	if (copy_to_user(uarg, &a, sizeof(a)))
		return -EFAULT;
	return ret;
}

long lalloc_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct lalloc_file *f = file->private_data;
	void __user *uarg = (void __user *)arg;
	long ret;

	if (_IOC_TYPE(cmd) != LALLOC_IOC_MAGIC)
		return -ENOTTY;

	/* Extensible structs: matched by type and number, sized by the caller. */
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(LALLOC_IOC_INFO):
		if (_IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE))
			return -ENOTTY;
		ret = ioc_info(f, uarg, _IOC_SIZE(cmd));
		goto out;
	case _IOC_NR(LALLOC_IOC_STATS):
		if (_IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE))
			return -ENOTTY;
		ret = ioc_stats(uarg, _IOC_SIZE(cmd));
		goto out;
	}

	switch (cmd) {
	case LALLOC_IOC_ALLOC:
		ret = ioc_alloc(f, uarg);
		break;
	case LALLOC_IOC_FREE:
		ret = ioc_free(f, uarg);
		break;
	case LALLOC_IOC_GROW:
		ret = ioc_resize(f, uarg, LALLOC_OP_GROW);
		break;
	case LALLOC_IOC_SHRINK:
		ret = ioc_resize(f, uarg, LALLOC_OP_SHRINK);
		break;
	case LALLOC_IOC_REALLOC:
		ret = ioc_resize(f, uarg, LALLOC_OP_REALLOC);
		break;
	case LALLOC_IOC_WRITE:
		ret = ioc_rw(f, uarg, true);
		break;
	case LALLOC_IOC_READ:
		ret = ioc_rw(f, uarg, false);
		break;
	case LALLOC_IOC_BATCH:
		/* Each entry's error is counted as it runs. */
		return ioc_batch(f, uarg);
	case LALLOC_IOC_SET_BACKEND:
		ret = ioc_set_backend(f, uarg);
		break;
	default:
		return -ENOTTY;
	}
out:
	lalloc_count_error(ret);
	return ret;
}
