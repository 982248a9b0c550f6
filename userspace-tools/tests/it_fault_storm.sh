#!/bin/sh
# Allocation failures injected at random while the fuzzer drives the
# device: lalloc's fail_alloc (every allocation that leaves the per-CPU
# stacks: slab refills and new slabs, page and vmalloc blocks, the moves of
# resizes) fails one call in ten of the fuzzer's worker threads
# (task-filter and make-it-fail), sleeping allocations included. The
# kernel's failslab and fail_page_alloc are not used: without
# CONFIG_FAULT_INJECTION_STACKTRACE_FILTER they cannot be confined to
# lalloc's call chains, and failing the fuzzer's own mmap()s and page faults
# tests the fuzzer, not lalloc. Every failure
# must surface as a documented errno (the fuzzer's oracle: ENOMEM where an
# operation allocates), the device's gauges return to their baseline
# (checked by the fuzzer and here), and the kernel reports nothing (KASAN,
# lockdep, kmemleak after the run). Prints how many failures were
# injected. Needs fault injection (debug kernel); exits 77 elsewhere.
set -e
D=/sys/kernel/debug
[ -d $D/lalloc/fail_alloc ] || exit 77
N=100000000
attrs="lalloc/fail_alloc"
set_attr() { # set_attr ATTR KNOB VALUE
	[ -e "$D/$1/$2" ] && echo "$3" > "$D/$1/$2"
}
restore() {
	for a in $attrs; do
		set_attr "$a" probability 0
		set_attr "$a" times 1
		set_attr "$a" task-filter N
	done
}
trap 'rc=$?; restore; exit $rc' EXIT
stat_of() { awk -v k="$1" '$1 == k { print $2 }' /proc/lalloc/stats; }
active0=$(stat_of active_objs)
requested0=$(stat_of requested_bytes)
device0=$(stat_of device_bytes)

for a in $attrs; do
	set_attr "$a" verbose 0
	set_attr "$a" interval 1
	set_attr "$a" times $N
	set_attr "$a" task-filter Y
	set_attr "$a" probability 10
done

rc=0
lalloc-fuzz --inject-failures --seconds 20 --threads 2 --files 3 --json \
	> /tmp/storm.json 2> /tmp/storm.err || rc=$?
total=0
for a in $attrs; do
	left=$(cat "$D/$a/times")
	n=$((N - left))
	echo "$a: $n failures injected"
	total=$((total + n))
done
restore
trap - EXIT
tail -n 3 /tmp/storm.err
if [ "$rc" != 0 ]; then
	tail -n 30 /tmp/storm.err
	echo "FAIL: lalloc-fuzz exit $rc under injected failures"
	exit 1
fi
grep -q '^lalloc-fuzz: seed [0-9]* ops [0-9]* errors 0$' /tmp/storm.err
grep -q '"result":"pass"' /tmp/storm.json
grep -q '"baseline":{[^}]*"ok":true}' /tmp/storm.json
[ "$total" -gt 100 ] || { echo "FAIL: only $total failures injected"; exit 1; }
echo "$total failures injected and survived"
[ "$(stat_of active_objs)" = "$active0" ] || { echo "FAIL: active_objs $(stat_of active_objs), was $active0"; exit 1; }
[ "$(stat_of requested_bytes)" = "$requested0" ] || { echo "FAIL: requested_bytes moved"; exit 1; }
[ "$(stat_of device_bytes)" = "$device0" ] || { echo "FAIL: device_bytes moved"; exit 1; }
