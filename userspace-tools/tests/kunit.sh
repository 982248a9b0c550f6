#!/bin/sh
# Guest side of a KUnit run: kunit.sh [SUITE_GLOB]
# Loads lalloc_kunit.ko, whose suites run at insmod; KTAP goes to the
# console (parsed on the host by kunit.py). Exits 1 if any case failed.
if [ -n "$1" ]; then
	echo "$1" > /sys/module/kunit/parameters/filter_glob || exit 2
fi
dmesg -n 8
insmod /lalloc/kunit/lalloc_kunit.ko || exit 2
dmesg -n 5
if grep -q 'not ok' /sys/kernel/debug/kunit/lalloc_*/results; then
	exit 1
fi
exit 0
