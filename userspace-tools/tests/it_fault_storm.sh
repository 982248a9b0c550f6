#!/bin/sh
# Allocation failures injected at random while the fuzzer drives the
# device: one call in ten of the fuzzer's worker threads fails, from
# lalloc's fail_alloc and from the kernel's failslab and fail_page_alloc
# confined to lalloc's code (tests/faults.sh). Every failure must surface
# as a documented errno (the fuzzer's oracle: ENOMEM where an operation
# allocates), the device's gauges return to their baseline (checked by the
# fuzzer and here), and the kernel reports nothing (KASAN, lockdep, kmemleak
# after the run). Prints how many failures each source injected: each must
# have injected some, and more than 100 in all, in 20 to 90 s. Needs fault
# injection (debug kernel); exits 77 elsewhere.
set -e
[ -d /sys/kernel/debug/lalloc/fail_alloc ] || exit 77
. /lalloc/tests/faults.sh
stat_of() { awk -v k="$1" '$1 == k { print $2 }' /proc/lalloc/stats; }
active0=$(stat_of active_objs)
requested0=$(stat_of requested_bytes)
device0=$(stat_of device_bytes)
# The knobs as the kernel had them: faults_off must put them all back (a
# later test in the boot uses failslab through fail-nth).
knobs0=$(faults_knob_values)

faults_on 10
# Rounds of 10 s with a seed each, for 20 s and on until every source has
# injected failures and more than 100 in all (a slow or busy host makes fewer
# operations per second), 90 s at most.
round=0
while :; do
	round=$((round + 1))
	rc=0
	lalloc-fuzz --inject-failures --seconds 10 --threads 2 --files 3 --json \
		> /tmp/storm.json 2> /tmp/storm.err || rc=$?
	tail -n 1 /tmp/storm.err
	if [ "$rc" != 0 ]; then
		tail -n 30 /tmp/storm.err
		echo "FAIL: lalloc-fuzz exit $rc under injected failures (round $round)"
		exit 1
	fi
	grep -q '^lalloc-fuzz: seed [0-9]* ops [0-9]* errors 0$' /tmp/storm.err
	grep -q '"result":"pass"' /tmp/storm.json
	grep -q '"baseline":{[^}]*"ok":true}' /tmp/storm.json
	faults_count
	[ $round -ge 2 ] && [ "$faults_total" -gt 100 ] && [ -z "$faults_none" ] && break
	[ $round -lt 9 ] || break
done
faults_report
faults_off
trap - EXIT
[ "$(faults_knob_values)" = "$knobs0" ] || { echo "FAIL: fault injection knobs not put back:"; faults_knob_values; exit 1; }
[ "$faults_total" -gt 100 ] || { echo "FAIL: only $faults_total failures injected in $round rounds"; exit 1; }
[ -z "$faults_none" ] || { echo "FAIL: no failure injected by$faults_none in $round rounds"; exit 1; }
echo "$faults_total failures injected and survived in $round rounds of 10 s"
[ "$(stat_of active_objs)" = "$active0" ] || { echo "FAIL: active_objs $(stat_of active_objs), was $active0"; exit 1; }
[ "$(stat_of requested_bytes)" = "$requested0" ] || { echo "FAIL: requested_bytes moved"; exit 1; }
[ "$(stat_of device_bytes)" = "$device0" ] || { echo "FAIL: device_bytes moved"; exit 1; }
