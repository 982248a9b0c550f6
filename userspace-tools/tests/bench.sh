#!/bin/sh
# The benchmark module (bench/lalloc_bench.ko), in the guest:
#   scripts/vm --kernel stock --smp 2 -- sh tests/bench.sh [ONLY [SCALE]]
#   scripts/vm --icount --kernel stock -- sh tests/bench.sh 'pair' 1
# Loads it with only=ONLY (comma-separated globs over the workload names,
# default '*') and
# scale=SCALE (1..100, default 10), prints its results file (TSV lines
# "workload shape allocator metric value" and "#" comments), unloads it.
# Exits non-zero on any failure.
only=${1:-*}
scale=${2:-10}
ko=/lalloc/bench/lalloc_bench.ko
results=/sys/kernel/debug/lalloc_bench/results

fail() {
	echo "FAIL: bench: $*" >&2
	dmesg | grep 'lalloc_bench' | tail -n 20 >&2
	grep -q '^lalloc_bench ' /proc/modules && rmmod lalloc_bench
	exit 1
}

[ -f $ko ] || fail "no $ko"
insmod $ko only="$only" scale="$scale" || fail "insmod failed"
out=/tmp/lalloc_bench.$$
cat $results > $out || { rm -f $out; fail "reading $results failed"; }
cat $out
rm -f $out
rmmod lalloc_bench || fail "rmmod failed"
