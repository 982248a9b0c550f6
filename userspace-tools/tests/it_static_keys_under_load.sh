#!/bin/sh
# latency_stats switched on and off (a static key: code patched at run time
# on kernels with CONFIG_JUMP_LABEL) as fast as it goes while lalloc-stress
# runs through the patched sites on every CPU: every byte verified, the
# stats back at baseline, no kernel report. Under QEMU's multi-threaded
# TCG this oopses with an int3 (scripts/vm --tcg).
set -e
P=/sys/module/lalloc/parameters/latency_stats
fail() { echo "FAIL: $*"; exit 1; }
trap 'echo 0 > $P' EXIT
lalloc-stress --duration 6 --seed 13 --json > /tmp/keys-stress.json &
pid=$!
n=0
while kill -0 $pid 2>/dev/null || [ $n -lt 20 ]; do
	echo 1 > $P
	echo 0 > $P
	n=$((n + 1))
done
wait $pid || fail "lalloc-stress failed beside $n toggles: $(cat /tmp/keys-stress.json)"
grep -q '"result":"pass"' /tmp/keys-stress.json || fail "lalloc-stress did not pass"
echo "$n on/off cycles beside lalloc-stress"
