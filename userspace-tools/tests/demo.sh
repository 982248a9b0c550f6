#!/bin/sh
# Guest side of `make demo`: lalloc at work, then its statistics.
set -e
section() { printf '\n==== %s ====\n' "$*"; }

section "lalloc loaded"
dmesg | grep 'lalloc: version'
ls -l /dev/lalloc
ls /proc/lalloc

section "A Vec<u64x3> (24 bytes, align 8) growing to 100000 elements, through lalloc"
lalloc-vec --elem 24 --align 8 --count 100000 --shrink

section "The same Vec through kmalloc (krealloc)"
lalloc-vec --elem 24 --align 8 --count 100000 --shrink --backend kmalloc

section "A Vec of 64-byte-aligned 320-byte records, lalloc then kmalloc"
lalloc-vec --elem 320 --align 64 --count 300
lalloc-vec --elem 320 --align 64 --count 300 --backend kmalloc

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
