#!/bin/sh
# The torture test (torture/lalloc_torture.ko), in the guest:
#   scripts/vm --kernel debug --smp 4 -- sh tests/torture.sh [SECONDS] [PARAM=VALUE...]
# Loads the module for SECONDS (default 30; more module parameters may
# follow), waits for its summary line, which must say errors 0 and ops > 0,
# unloads it and checks that lalloc's active_objs and requested_bytes are
# back at what they were before. Prints one PASS:/FAIL: line. With the
# parameter inject=1 the workers' allocations also fail at random, one in
# twenty, from lalloc's fail_alloc and the kernel's failslab and
# fail_page_alloc confined to lalloc (tests/faults.sh); every source must
# have injected failures, and the PASS line says how many.
t=${1:-30}
[ $# -gt 0 ] && shift
ko=/lalloc/torture/lalloc_torture.ko
line_re='lalloc-torture: ops [0-9]* errors [0-9]* irq_ops [0-9]* hotplug [0-9]*$'

fail() {
	echo "FAIL: torture $t s: $*"
	dmesg | grep 'lalloc[-_]torture' | tail -n 30
	exit 1
}
stat() { sed -n "s/^$1 //p" /proc/lalloc/stats; }

[ -f $ko ] || fail "no $ko"
active0=$(stat active_objs)
req0=$(stat requested_bytes)
failures0=$(stat failures)
invalid0=$(stat invalid_layouts)
before=$(dmesg | grep -c "$line_re")
case " $* " in
*" inject=1 "*|*" inject=Y "*|*" inject=y "*)
	. /lalloc/tests/faults.sh
	faults_on 5
	injecting=1 ;;
*) injecting= ;;
esac
insmod $ko duration="$t" "$@" || fail "insmod failed"
dmesg | grep 'lalloc_torture: seed' | tail -n 1

# The run, then the teardown: on the debug kernel under TCG a teardown
# verifying and freeing every block may take a while.
waited=0
while [ "$(dmesg | grep -c "$line_re")" = "$before" ]; do
	[ $waited -lt $((t + 300)) ] || fail "no summary line after $waited s"
	sleep 1
	waited=$((waited + 1))
done
summary=$(dmesg | grep "$line_re" | tail -n 1)
summary=lalloc-torture:${summary#*lalloc-torture:}
dmesg | grep 'lalloc_torture: nomem' | tail -n 1
echo "$summary"
dmesg | grep 'lalloc_torture: .*NULL for layout' | tail -n 5
echo "lalloc stats during the run: failures +$(($(stat failures) - failures0)) invalid_layouts +$(($(stat invalid_layouts) - invalid0))"
rmmod lalloc_torture || fail "rmmod failed"
injected=
if [ -n "$injecting" ]; then
	faults_report
	faults_off
	trap - EXIT
	[ -z "$faults_none" ] || fail "no failure injected by$faults_none"
	injected=", $faults_total failures injected"
fi

set -- $summary
ops=$3 errors=$5 irq_ops=$7 hotplug=$9
[ "$errors" = 0 ] || fail "$errors errors ($summary)"
[ "$ops" -gt 0 ] || fail "no operations ($summary)"

# Frees of vmalloc blocks made in softirq context are unmapped by a work
# item a moment later: give the counters a few seconds to come back.
n=0
while :; do
	active=$(stat active_objs)
	req=$(stat requested_bytes)
	[ "$active" = "$active0" ] && [ "$req" = "$req0" ] && break
	[ $n -lt 10 ] || fail "stats not back: active_objs $active0 -> $active, requested_bytes $req0 -> $req"
	sleep 1
	n=$((n + 1))
done
echo "PASS: torture $t s: ops $ops irq_ops $irq_ops hotplug $hotplug$injected, stats back at baseline"
