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
	struct lalloc_new_block nb;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	ret = lalloc_dev_alloc(f, a.size, a.align, a.flags, &nb);
	if (ret)
		return ret;
	a.handle = nb.id;
	a.usable = nb.usable;
	if (copy_to_user(uarg, &a, sizeof(a))) {
		/* The caller cannot learn the handle: the ALLOC did not happen. */
		lalloc_dev_abort(f, &nb);
		return -EFAULT;
	}
	lalloc_dev_publish(f, &nb);
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
	/*
	 * A failed call leaves the block as it was, so the result must be
	 * writable before the block changes: write the arguments back first.
	 */
	if (copy_to_user(uarg, &a, sizeof(a)))
		return -EFAULT;
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
	/* Only the handle is input; like every command, the rest must be zero. */
	out = in;
	out.handle = 0;
	if (memchr_inv(&out, 0, sizeof(out)))
		return -EINVAL;
	ret = lalloc_dev_info(f, in.handle, &out);
	if (ret)
		return ret;
	return copy_struct_out(uarg, usize, &out, sizeof(out));
}

/* No allocation here: a user must not be able to make STATS fail or warn. */
static int ioc_stats(void __user *uarg, size_t usize)
{
	struct lalloc_stats st;
	struct lalloc_cache_stats rec;
	void __user *recs;
	u64 caches;
	u32 rec_size, count, i;
	int ret;

	if (usize < offsetofend(struct lalloc_stats, reserved))
		return -EINVAL;
	ret = copy_struct_from_user(&st, sizeof(st), uarg, usize);
	if (ret)
		return ret;
	caches = st.caches;
	recs = u64_to_user_ptr(caches);
	rec_size = st.cache_rec_size;
	count = st.cache_rec_count;
	if (st.reserved || (st.caches && !rec_size) || rec_size > PAGE_SIZE)
		return -EINVAL;

	memset(&st, 0, sizeof(st));
	st.caches = caches;
	st.cache_rec_size = rec_size;
	st.cache_rec_count = count;
	st.nr_caches = LALLOC_NR_CLASSES;
	lalloc_stats_fill(&st);

	for (i = 0; recs && i < min_t(u32, count, LALLOC_NR_CLASSES); i++) {
		lalloc_cache_record(&lalloc_caches[i], &rec);
		ret = copy_struct_out(recs + (size_t)i * rec_size, rec_size,
				      &rec, sizeof(rec));
		if (ret)
			return ret;
	}
	return copy_struct_out(uarg, usize, &st, sizeof(st));
}

static int ioc_set_backend(struct lalloc_file *f, void __user *uarg)
{
	struct lalloc_backend_args a;
	int ret = 0;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.reserved || a.backend > LALLOC_BACKEND_KMALLOC)
		return -EINVAL;
	/* Waits for allocations under way; only a successful one counts. */
	down_write(&f->backend_sem);
	if (f->used)
		ret = -EBUSY;
	else
		f->backend = a.backend;
	up_write(&f->backend_sem);
	return ret;
}

/* A BATCH ALLOC: published only once its entry has been written back. */
static int batch_alloc(struct lalloc_file *f, struct lalloc_batch_op *op,
		       void __user *uop, u32 op_size)
{
	struct lalloc_new_block nb;
	int ret;

	op->result = lalloc_dev_alloc(f, op->size, op->align, op->flags, &nb);
	lalloc_count_error(op->result);
	if (!op->result) {
		op->handle = nb.id;
		op->value = nb.usable;
	}
	ret = copy_struct_out(uop, op_size, op, sizeof(*op));
	if (op->result)
		return ret;
	if (ret)
		lalloc_dev_abort(f, &nb);
	else
		lalloc_dev_publish(f, &nb);
	return ret;
}

static int batch_one(struct lalloc_file *f, struct lalloc_batch_op *op)
{
	u32 moved = 0;

	switch (op->op) {
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

/*
 * Run one entry. Its result is written back into the entry; the entry is
 * written once before it runs too, so that an entry that cannot be written
 * fails before it changes anything.
 */
static int batch_entry(struct lalloc_file *f, void __user *uop, u32 op_size,
		       bool *failed)
{
	struct lalloc_batch_op op;
	int ret;

	ret = copy_struct_from_user(&op, sizeof(op), uop, op_size);
	if (ret)
		return ret;
	ret = copy_struct_out(uop, op_size, &op, sizeof(op));
	if (ret)
		return ret;
	if (op.op == LALLOC_OP_ALLOC) {
		ret = batch_alloc(f, &op, uop, op_size);
	} else {
		op.result = batch_one(f, &op);
		lalloc_count_error(op.result);
		ret = copy_struct_out(uop, op_size, &op, sizeof(op));
	}
	*failed = op.result != 0;
	return ret;
}

static int ioc_batch(struct lalloc_file *f, void __user *uarg)
{
	struct lalloc_batch_args a;
	void __user *ops;
	bool failed;
	u32 i;
	int ret = 0;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	/* done and failed are outputs: whatever they hold on input is ignored. */
	if (a.reserved || (a.flags & ~LALLOC_BATCH_STOP_ON_ERROR) ||
	    a.count > LALLOC_BATCH_MAX ||
	    a.op_size < sizeof(struct lalloc_batch_op) ||
	    a.op_size > PAGE_SIZE)
		return -EINVAL;
	a.done = 0;
	a.failed = 0;
	/* How far it got is written back at the end: it must be writable. */
	if (copy_to_user(uarg, &a, sizeof(a)))
		return -EFAULT;
	ops = u64_to_user_ptr(a.ops);

	for (i = 0; i < a.count; i++) {
		ret = batch_entry(f, ops + (size_t)i * a.op_size, a.op_size,
				  &failed);
		if (ret)
			break;
		a.done = i + 1;
		if (failed) {
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
		/* Each entry's error is counted as it runs; the call's here. */
		ret = ioc_batch(f, uarg);
		break;
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
