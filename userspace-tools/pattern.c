// SPDX-License-Identifier: GPL-2.0
/* The per-block byte pattern of lalloc-stress (see pattern.h). */
#include "pattern.h"

#include <string.h>

/* splitmix64's finalizer: every input bit reaches every output bit. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t pattern_key(uint64_t seed, uint64_t id, uint32_t gen)
{
	return mix64(mix64(seed) ^ mix64(id * 0x9e3779b97f4a7c15ULL + gen));
}

/* Bytes 8k..8k+7 of the block are the little-endian bytes of word k. */
static uint64_t pattern_word(uint64_t key, uint64_t k)
{
	return mix64(key + k * 0x9e3779b97f4a7c15ULL);
}

unsigned char pattern_byte(uint64_t key, uint64_t pos)
{
	return (unsigned char)(pattern_word(key, pos / 8) >> (pos % 8 * 8));
}

void pattern_fill(unsigned char *buf, uint64_t off, size_t len, uint64_t key)
{
	size_t i = 0;

	while (i < len) {
		uint64_t pos = off + i;
		uint64_t w = pattern_word(key, pos / 8);

		if (pos % 8 == 0 && len - i >= 8) {
			for (int b = 0; b < 8; b++)
				buf[i + b] = (unsigned char)(w >> (b * 8));
			i += 8;
		} else {
			buf[i++] = (unsigned char)(w >> (pos % 8 * 8));
		}
	}
}

long pattern_mismatch(const unsigned char *buf, uint64_t off, size_t len, uint64_t key)
{
	size_t i = 0;

	while (i < len) {
		uint64_t pos = off + i;
		uint64_t w = pattern_word(key, pos / 8);

		if (pos % 8 == 0 && len - i >= 8) {
			for (int b = 0; b < 8; b++)
				if (buf[i + b] != (unsigned char)(w >> (b * 8)))
					return (long)(i + b);
			i += 8;
		} else {
			if (buf[i] != (unsigned char)(w >> (pos % 8 * 8)))
				return (long)i;
			i++;
		}
	}
	return -1;
}

long zero_mismatch(const unsigned char *buf, size_t len)
{
	static const unsigned char zeros[256];
	size_t i = 0;

	while (len - i >= sizeof(zeros) && !memcmp(buf + i, zeros, sizeof(zeros)))
		i += sizeof(zeros);
	for (; i < len; i++)
		if (buf[i])
			return (long)i;
	return -1;
}
