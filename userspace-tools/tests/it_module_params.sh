#!/bin/sh
# The module's parameters are visible and take effect at load.
set -e
test "$(cat /sys/module/lalloc/parameters/empty_slabs_kept)" = 1
rmmod lalloc
insmod /lalloc/module/lalloc.ko empty_slabs_kept=4
test "$(cat /sys/module/lalloc/parameters/empty_slabs_kept)" = 4
