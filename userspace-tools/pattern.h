/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bytes lalloc-stress keeps in each block: a function of the run's seed,
 * the block's id and its generation (bumped on every rewrite) and the byte's
 * offset, so any byte of any block can be checked without a copy.
 */
#ifndef LALLOC_PATTERN_H
#define LALLOC_PATTERN_H

#include <stddef.h>
#include <stdint.h>

uint64_t pattern_key(uint64_t seed, uint64_t id, uint32_t gen);
/* The byte at offset @pos of a block whose key is @key. */
unsigned char pattern_byte(uint64_t key, uint64_t pos);
/* Fills @buf with bytes [@off, @off + @len) of the pattern. */
void pattern_fill(unsigned char *buf, uint64_t off, size_t len, uint64_t key);
/* Index in @buf of the first byte that is not the pattern, or -1. */
long pattern_mismatch(const unsigned char *buf, uint64_t off, size_t len, uint64_t key);
/* Index in @buf of the first non-zero byte, or -1. */
long zero_mismatch(const unsigned char *buf, size_t len);

#endif /* LALLOC_PATTERN_H */
