#!/bin/sh
# Guest side of a KUnit run: kunit.sh [SUITE_GLOB [MODULE]]
# Loads MODULE (default lalloc_kunit) from /lalloc/kunit, whose suites run
# at insmod; KTAP goes to the console (parsed on the host by kunit.py).
# Exits 1 if any case failed.
if [ -n "$1" ]; then
	# No trailing newline: it would become part of the glob.
	printf '%s' "$1" > /sys/module/kunit/parameters/filter_glob || exit 2
fi
dmesg -n 8
insmod "/lalloc/kunit/${2:-lalloc_kunit}.ko" || exit 2
dmesg -n 5
set -- /sys/kernel/debug/kunit/lalloc_*/results
if [ ! -f "$1" ]; then
	echo "kunit.sh: no lalloc suite ran"
	exit 2
fi
if grep -q 'not ok' "$@"; then
	exit 1
fi
exit 0
