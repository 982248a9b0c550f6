#!/bin/sh
# With the caps lifted, a Vec growing through the device past the guest's
# memory gets ENOMEM, nothing is OOM-killed, and exiting gives it all back.
# The Vec doubles to 1 GiB (the per-file cap) in a 1 GiB guest: a
# vmalloc-kind block grows by mapping its pages again, without a copy, so
# only a block larger than the guest's memory is sure to fail.
set -e
stat() { awk -v k="$1" '$1 == k { print $2 }' /proc/lalloc/stats; }
echo 1073741824 > /sys/module/lalloc/parameters/max_bytes_per_file
echo 4294967296 > /sys/module/lalloc/parameters/max_bytes_total
if out=$(lalloc-path --kernel-only --quiet --elem 4096:4096 --count 262144 2>&1); then status=0; else status=$?; fi
echo "$out" | tail -n 3
echo 536870912 > /sys/module/lalloc/parameters/max_bytes_per_file
echo 0 > /sys/module/lalloc/parameters/max_bytes_total
test "$status" = 1
echo "$out" | grep -q 'lalloc grow to [0-9]* bytes: Cannot allocate memory'
if dmesg | grep -qi 'oom-killer\|Out of memory'; then exit 1; fi
test "$(stat active_objs)" = 0
test "$(stat device_bytes)" = 0
