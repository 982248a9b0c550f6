#!/bin/sh
# The drain of every CPU's per-CPU stacks (the shrinker, through
# drop_caches) while lalloc-stress allocates and frees on every CPU: every
# byte verified, the stats back at baseline, no kernel report. On
# PREEMPT_RT a drain that takes the per-CPU local lock from an IPI finds it
# held by the task it interrupted and schedules in atomic context.
set -e
fail() { echo "FAIL: $*"; exit 1; }
lalloc-stress --duration 8 --seed 11 --files 2 --json > /tmp/drain-stress.json &
pid=$!
drops=0
# Until lalloc-stress is done, at least 50 drains.
while kill -0 $pid 2>/dev/null || [ $drops -lt 50 ]; do
	echo 2 > /proc/sys/vm/drop_caches
	drops=$((drops + 1))
done
wait $pid || fail "lalloc-stress failed beside $drops drains: $(cat /tmp/drain-stress.json)"
grep -q '"result":"pass"' /tmp/drain-stress.json || fail "lalloc-stress did not pass"
echo "$drops drains beside lalloc-stress"
