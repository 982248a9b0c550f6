/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels lalloc builds on (6.1 to 6.12 and
 * later) lives here. Force-included into every file by Kbuild.
 */
#ifndef _LALLOC_COMPAT_H
#define _LALLOC_COMPAT_H

#include <linux/version.h>
#include <linux/mmzone.h>

/* The largest order the page allocator hands out (inclusive). */
#if defined(MAX_PAGE_ORDER)
#define LALLOC_MAX_PAGE_ORDER MAX_PAGE_ORDER
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define LALLOC_MAX_PAGE_ORDER MAX_ORDER
#else
#define LALLOC_MAX_PAGE_ORDER (MAX_ORDER - 1)
#endif

/* Shrinkers became dynamically allocated objects in 6.7. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#define LALLOC_DYNAMIC_SHRINKER 1
#else
#define LALLOC_DYNAMIC_SHRINKER 0
#endif

/*
 * EXPORT_SYMBOL_IF_KUNIT's namespace is a bare identifier before 6.13 and
 * a string after; MODULE_IMPORT_NS follows it.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define LALLOC_IMPORT_KUNIT_NS() MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING")
#else
#define LALLOC_IMPORT_KUNIT_NS() MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING)
#endif

/* struct device_type's devnode() takes a const device from 6.2 on. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define LALLOC_DEVNODE_CONST const
#else
#define LALLOC_DEVNODE_CONST
#endif

/*
 * kvrealloc() took the old size until 6.12 (and grew by a new allocation
 * and a copy every time; never shrank); it finds the size itself since.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#define LALLOC_KVREALLOC(p, oldsize, newsize, gfp) \
	((void)(oldsize), kvrealloc(p, newsize, gfp))
#else
#define LALLOC_KVREALLOC(p, oldsize, newsize, gfp) kvrealloc(p, oldsize, newsize, gfp)
#endif

#endif /* _LALLOC_COMPAT_H */
