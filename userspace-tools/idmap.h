/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A hash table from a trace's block ids (u64) to small values (an index
 * into the replayer's block array): open addressing, linear probing,
 * backward-shift deletion, growing at 1/2 load.
 */
#ifndef LALLOC_IDMAP_H
#define LALLOC_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct idmap_slot {
	uint64_t id;
	uint32_t value;
	bool used;
};

struct idmap {
	struct idmap_slot *slots;
	size_t mask, count;
};

void idmap_init(struct idmap *m);
void idmap_destroy(struct idmap *m);
/* Pointer to the value of @id, or NULL. */
uint32_t *idmap_get(struct idmap *m, uint64_t id);
/* Adds @id (not present); false when out of memory. */
bool idmap_put(struct idmap *m, uint64_t id, uint32_t value);
/* Removes @id; false if it was not there. */
bool idmap_del(struct idmap *m, uint64_t id);

#endif /* LALLOC_IDMAP_H */
