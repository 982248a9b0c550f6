#!/bin/sh
# The fast-path benchmark runs and reports both allocators (its numbers are
# for scripts/vm --icount runs, not asserted here).
set -e
f=/sys/kernel/debug/lalloc/fastpath_bench
# Under KASAN the loops take many seconds and their figures say nothing:
# the Debian kernels run them (exit 77: skipped).
[ "$(cat /lalloc/kernel 2>/dev/null)" != debug ] || exit 77
# Root only, like the rest of debugfs.
test "$(stat -c %a $f)" = 400
out=$(cat $f)
echo "$out"
echo "$out" | grep -q '^pairs 100000$'
k=$(echo "$out" | awk '$1 == "kmalloc_64_ns_per_pair" { print $2 }')
l=$(echo "$out" | awk '$1 == "lalloc_64_8_ns_per_pair" { print $2 }')
test "$k" -gt 0 && test "$l" -gt 0
