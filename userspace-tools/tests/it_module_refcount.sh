#!/bin/sh
# rmmod lalloc is refused while a module using its API is loaded, and an
# open /dev/lalloc file pins it too. Needs the KUnit module (debug kernel):
# exit 77 (skip) without it.
set -e
[ -f /lalloc/kunit/lalloc_kunit.ko ] || exit 77
# Load the user of the API without running its suites.
printf 'no-such-suite' > /sys/module/kunit/parameters/filter_glob
insmod /lalloc/kunit/lalloc_kunit.ko
if rmmod lalloc 2>/dev/null; then exit 1; fi
rmmod lalloc_kunit
printf '' > /sys/module/kunit/parameters/filter_glob
exec 3<>/dev/lalloc
if rmmod lalloc 2>/dev/null; then exit 1; fi
exec 3<&-
rmmod lalloc
insmod /lalloc/module/lalloc.ko
