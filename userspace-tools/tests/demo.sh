#!/bin/sh
# Guest side of `make demo`: one Vec's reallocations down every layer
# (glibc and its system calls, lalloc, kmalloc), then lalloc's statistics.
set -e
section() { printf '\n==== %s ====\n' "$*"; }

section "lalloc loaded"
dmesg | grep 'lalloc: version'
ls -l /dev/lalloc
ls /proc/lalloc

section "A Vec<[u64; 3]> (24 bytes, align 8) growing to 100000 elements: glibc, lalloc, kmalloc"
lalloc-path --elem 24:8 --count 100000 --cycles 2 --dot /tmp/path.dot

section "A Vec of 64-byte-aligned 320-byte records (aligned_alloc past 16), summary"
lalloc-path --elem 320:64 --count 300 --quiet

# The graph of the first Vec, both halves, for scripts/demo to render.
echo '---- BEGIN path.dot ----'
cat /tmp/path.dot
echo '---- END path.dot ----'

section "lalloc-top -o (after the Vecs were freed: what the caches kept)"
lalloc-top -o -d 0.2

section "/proc/lalloc/stats"
cat /proc/lalloc/stats

section "Giving memory back: drop_caches runs lalloc's shrinker"
echo 2 > /proc/sys/vm/drop_caches
grep -E '^(held_bytes|shrinker_scans|shrinker_pages) ' /proc/lalloc/stats

section "Unloading lalloc"
rmmod lalloc
dmesg | tail -n 1
