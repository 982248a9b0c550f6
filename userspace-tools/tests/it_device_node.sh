#!/bin/sh
# /dev/lalloc is root-only by default; device_mode and device_gid change it.
set -e
test "$(stat -c '%a %u %g' /dev/lalloc)" = "600 0 0"
if su nobody -s /bin/sh -c 'exec 3<>/dev/lalloc' 2>/dev/null; then exit 1; fi
rmmod lalloc
insmod /lalloc/module/lalloc.ko device_mode=0660 device_gid=65534
test "$(stat -c '%a %u %g' /dev/lalloc)" = "660 0 65534"
# nobody is in group 65534: it may open the device now.
su nobody -s /bin/sh -c 'exec 3<>/dev/lalloc'
rmmod lalloc
insmod /lalloc/module/lalloc.ko
test "$(stat -c '%a %u %g' /dev/lalloc)" = "600 0 0"
