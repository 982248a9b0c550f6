#!/bin/sh
# The benchmark module (bench/lalloc_bench.ko), in the guest:
#   scripts/vm --kernel stock --smp 2 -- sh tests/bench.sh [ONLY [SCALE [TRACE...]]]
#   scripts/vm --icount --kernel stock -- sh tests/bench.sh 'pair' 1
#   scripts/vm --icount --kernel stock --mem 2G --add userspace-tools/traces \
#       -- sh tests/bench.sh trace 1 add/traces
# Loads it with only=ONLY (comma-separated globs over the workload names,
# default '*') and
# scale=SCALE (1..100, default 10), prints its results file (TSV lines
# "workload shape allocator metric value" and "#" comments), unloads it.
# With TRACE arguments (lalloc traces, gzip-compressed if they end in .gz,
# or folders: their *.trace and *.trace.gz), each is written in turn to
# /sys/kernel/debug/lalloc_bench/trace, named by its file name less
# .trace(.gz) (trace_name), and the results file is read once per trace:
# the "trace" workload replays it (ONLY should select it).
# Exits non-zero on any failure.
only=${1:-*}
scale=${2:-10}
if [ $# -gt 2 ]; then shift 2; else set --; fi
ko=/lalloc/bench/lalloc_bench.ko
results=/sys/kernel/debug/lalloc_bench/results
tracefile=/sys/kernel/debug/lalloc_bench/trace
name_param=/sys/module/lalloc_bench/parameters/trace_name

fail() {
	echo "FAIL: bench: $*" >&2
	dmesg | grep 'lalloc_bench' | tail -n 20 >&2
	grep -q '^lalloc_bench ' /proc/modules && rmmod lalloc_bench
	exit 1
}

# Prints the results file once.
run() {
	out=/tmp/lalloc_bench.$$
	cat $results > $out || { rm -f $out; fail "reading $results failed${1:+ ($1)}"; }
	cat $out
	rm -f $out
}

# Writes trace $1 to the module.
load() {
	name=${1##*/}
	name=${name%.gz}
	name=${name%.trace}
	echo "$name" > $name_param || fail "setting trace_name failed"
	case $1 in
	*.gz) zcat "$1" > $tracefile ;;
	*) cat "$1" > $tracefile ;;
	esac || fail "writing $1 to $tracefile failed"
}

[ -f $ko ] || fail "no $ko"
insmod $ko only="$only" scale="$scale" || fail "insmod failed"
if [ $# -eq 0 ]; then
	run
else
	n=0
	for t in "$@"; do
		if [ -d "$t" ]; then
			set -- "$t"/*.trace "$t"/*.trace.gz
		else
			set -- "$t"
		fi
		for f in "$@"; do
			[ -f "$f" ] || continue
			load "$f"
			run "$f"
			n=$((n + 1))
		done
	done
	[ $n -gt 0 ] || fail "no trace found in the TRACE arguments"
fi
rmmod lalloc_bench || fail "rmmod failed"
