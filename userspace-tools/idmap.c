// SPDX-License-Identifier: GPL-2.0
/* id -> value hash table for trace replay (see idmap.h). */
#include "idmap.h"

#include <stdlib.h>

static size_t hash(uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return (size_t)id;
}

void idmap_init(struct idmap *m)
{
	m->slots = NULL;
	m->mask = 0;
	m->count = 0;
}

void idmap_destroy(struct idmap *m)
{
	free(m->slots);
	idmap_init(m);
}

uint32_t *idmap_get(struct idmap *m, uint64_t id)
{
	if (!m->slots)
		return NULL;
	for (size_t i = hash(id) & m->mask; m->slots[i].used; i = (i + 1) & m->mask)
		if (m->slots[i].id == id)
			return &m->slots[i].value;
	return NULL;
}

static void insert(struct idmap_slot *slots, size_t mask, uint64_t id, uint32_t value)
{
	size_t i = hash(id) & mask;

	while (slots[i].used)
		i = (i + 1) & mask;
	slots[i] = (struct idmap_slot){ .id = id, .value = value, .used = true };
}

bool idmap_put(struct idmap *m, uint64_t id, uint32_t value)
{
	if (!m->slots || (m->count + 1) * 2 > m->mask + 1) {
		size_t n = m->slots ? (m->mask + 1) * 2 : 64;
		struct idmap_slot *s = calloc(n, sizeof(*s));

		if (!s)
			return false;
		for (size_t i = 0; m->slots && i <= m->mask; i++)
			if (m->slots[i].used)
				insert(s, n - 1, m->slots[i].id, m->slots[i].value);
		free(m->slots);
		m->slots = s;
		m->mask = n - 1;
	}
	insert(m->slots, m->mask, id, value);
	m->count++;
	return true;
}

bool idmap_del(struct idmap *m, uint64_t id)
{
	size_t i, j;

	if (!m->slots)
		return false;
	for (i = hash(id) & m->mask; m->slots[i].used && m->slots[i].id != id; i = (i + 1) & m->mask)
		;
	if (!m->slots[i].used)
		return false;
	/* Backward shift: move later entries of the run into the hole if their home allows. */
	for (j = (i + 1) & m->mask; m->slots[j].used; j = (j + 1) & m->mask) {
		size_t home = hash(m->slots[j].id) & m->mask;

		/* j's entry may move to i unless its home lies cyclically in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].used = false;
	m->count--;
	return true;
}
