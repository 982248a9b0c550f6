#!/bin/sh
# The benchmark module runs at scale=1 and its output is well formed: every
# line a "#" comment or 5 tab-separated fields with an unsigned value; every
# workload run reports every allocator it should; the values are sane
# (ns_per_op > 0, pages_held > 0 but for kmalloc under KASAN, moves <=
# steps, failed 0 or 1). No timing thresholds: the numbers are for
# scripts/vm --icount runs.
ko=/lalloc/bench/lalloc_bench.ko
results=/sys/kernel/debug/lalloc_bench/results
out=/tmp/it_bench_smoke.out

fail() {
	echo "FAIL: $*"
	grep -q '^lalloc_bench ' /proc/modules && rmmod lalloc_bench
	exit 1
}

[ -f $ko ] || { echo "SKIP: no $ko"; exit 77; }
# pair and bulk are the slow ones: a few of their shapes are enough here,
# but the module runs them all, so only the cheaper workloads run in full.
# The 100 MiB chain is make bench's: here up to 10 MiB (seconds under KASAN).
insmod $ko only='[cmx]*' scale=1 chain_max_mib=10 || fail "insmod failed"
test "$(stat -c %a $results)" = 400 || fail "$results mode $(stat -c %a $results)"
cat $results > $out || fail "reading $results failed"
# A second read runs it again.
cat $results > $out.2 || fail "second read of $results failed"
rmmod lalloc_bench || fail "rmmod failed"
insmod $ko only=pair scale=1 || fail "insmod (pair) failed"
cat $results >> $out || fail "reading $results (pair) failed"
rmmod lalloc_bench || fail "rmmod (pair) failed"
cat $out

grep -q '^# kernel ' $out || fail "no '# kernel' line"
grep -q '^# slub ' $out || fail "no '# slub' line"
grep -q '^# cpus [0-9][0-9]*$' $out || fail "no '# cpus' line"
cmp -s $out.2 /dev/null && fail "second read empty"

# Under KASAN, kmalloc's memory held is noise (the module says so).
kasan=0
grep -q '^# memory: KASAN' $out && kasan=1
bad=$(awk -F '\t' -v kasan=$kasan '
	/^#/ { next }
	NF != 5 || $5 !~ /^[0-9]+$/ { print "malformed: " $0; next }
	$4 == "ns_per_op" && $5 == 0 { print "zero ns_per_op: " $0 }
	$1 == "memory" && $4 == "pages_held" && $5 == 0 && !(kasan && $3 == "kmalloc") {
		print "zero pages_held: " $0
	}
	$1 == "memory" && $4 == "bytes_requested" && $5 == 0 { print "zero bytes_requested: " $0 }
	$1 == "chain" && $4 == "failed" && $5 > 1 { print "failed not 0/1: " $0 }
	$1 == "chain" && $4 == "steps" { steps[$2 "/" $3] = $5 }
	$1 == "chain" && $4 == "moves" { moves[$2 "/" $3] = $5 }
	$1 == "chain" && $4 == "peak_bytes" && $5 == 0 { print "zero peak_bytes: " $0 }
	END {
		for (k in moves)
			if (!(k in steps) || moves[k] + 0 > steps[k] + 0)
				print "moves > steps: " k " " moves[k] " " steps[k]
	}' $out)
[ -z "$bad" ] || fail "$bad"

# Every workload with each of its allocators (xcpu only with 2 CPUs).
has() { awk -F '\t' -v w="$1" -v a="$2" '$1 == w && $3 == a { f = 1 } END { exit !f }' $out; }
for a in lalloc kmalloc kmem_cache; do
	has pair $a || fail "no pair line for $a"
done
for a in lalloc krealloc kvrealloc; do
	for s in 1M 10M; do
		awk -F '\t' -v s=$s -v a=$a '$1 == "chain" && $2 == s && $3 == a { n++ } END { exit n < 6 }' $out ||
			fail "chain $s $a: not every metric"
	done
done
! grep -q '^chain	100M	' $out || fail "chain_max_mib=10 ran the 100M chain"
for a in lalloc kmalloc; do
	has memory $a || fail "no memory line for $a"
done
for s in uniform powerlaw aligned; do
	grep -q "^memory	$s	" $out || fail "no memory $s"
done
if grep -q '^# xcpu skipped: one CPU' $out; then
	[ "$(grep -c '^# cpus 1$' $out)" -ge 1 ] || fail "xcpu skipped with more than one CPU"
else
	for a in lalloc kmalloc kmem_cache; do
		has xcpu $a || fail "no xcpu line for $a"
	done
fi
# pair at scale 1: every shape for every allocator.
n=$(awk -F '\t' '$1 == "pair" { n++ } END { print n + 0 }' $out)
if [ $((n % 3)) -ne 0 ] || [ "$n" -lt 90 ]; then
	fail "pair: $n lines"
fi
echo "PASS: bench smoke: $(grep -vc '^#' $out) result lines"
