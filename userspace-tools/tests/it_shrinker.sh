#!/bin/sh
# The kernel's own reclaim path (drop_caches) reaches lalloc's shrinker,
# which gives every page of freed objects back.
set -e
stat() { awk -v k="$1" '$1 == k { print $2 }' /proc/lalloc/stats; }
echo 20 > /sys/module/lalloc/parameters/empty_slabs_kept
lalloc-path --kernel-only --quiet --count 200000 > /dev/null
lalloc-path --kernel-only --quiet --elem 320:64 --count 5000 > /dev/null
test "$(stat active_objs)" = 0
test "$(stat held_bytes)" -gt 0
scans=$(stat shrinker_scans)
echo 2 > /proc/sys/vm/drop_caches
test "$(stat shrinker_scans)" -gt "$scans"
test "$(stat shrinker_pages)" -gt 0
test "$(stat held_bytes)" = 0
echo 1 > /sys/module/lalloc/parameters/empty_slabs_kept
