#!/bin/sh
# The benchmark module runs at scale=1 and its output is well formed: every
# line a "#" comment or 5 tab-separated fields with an unsigned value; every
# workload run reports every allocator it should; the values are sane
# (ns_per_op > 0, pages_held > 0 but for kmalloc under KASAN, moves <=
# steps, failed 0 or 1). The trace workload replays one small recorded
# trace (gcc-hello-cc1): its lines are well formed, both allocators took
# pages, and their peak of live bytes requested is the same and the one
# lalloc-record --check reports; traces that break the format are refused
# with EINVAL (at the write, or at the run for an empty one), naming the
# line. No timing thresholds: the numbers are for scripts/vm --icount runs.
ko=/lalloc/bench/lalloc_bench.ko
results=/sys/kernel/debug/lalloc_bench/results
tracefile=/sys/kernel/debug/lalloc_bench/trace
name_param=/sys/module/lalloc_bench/parameters/trace_name
small=/lalloc/traces/gcc-hello-cc1.trace.gz
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

# The trace workload: one recorded trace, then traces it must refuse.
[ -f $small ] || fail "no $small"
insmod $ko only=trace scale=1 || fail "insmod (trace) failed"
test "$(stat -c %a $tracefile)" = 200 || fail "$tracefile mode $(stat -c %a $tracefile)"
cat $results > $out.none || fail "reading $results with no trace loaded failed"
grep -q '^# trace: none loaded' $out.none || fail "no trace loaded: no '# trace: none loaded'"
echo gcc-hello-cc1 > $name_param || fail "setting trace_name failed"
zcat $small > $tracefile || fail "writing $small to $tracefile failed"
cat $results >> $out || fail "reading $results (trace) failed"
# refused FILE WHAT LINE: writing FILE (or reading the results after it, when
# the write cannot tell) fails with EINVAL, and the kernel log names LINE.
refused() {
	dmesg -c > /dev/null
	msg=$(cat "$1" 2>&1 > $tracefile) && msg=$(cat $results 2>&1 > /dev/null) &&
		fail "$2: accepted"
	case $msg in
	*"Invalid argument"*) ;;
	*) fail "$2: not EINVAL: $msg" ;;
	esac
	dmesg | grep -q "lalloc_bench: trace line $3: " ||
		fail "$2: no warning naming line $3: $(dmesg | grep lalloc_bench | tail -n 3)"
	# Refused, it is not run: the run fails as long as it is the last one.
	cat $results > /dev/null 2>&1 && fail "$2: the run after it succeeded"
}
printf '# lalloc-trace v2\na 0 8 8\n' > /tmp/bad-header.trace
refused /tmp/bad-header.trace "wrong header" 1
printf '# lalloc-trace v1\na 0 8 8\nf 0\nr 0 16\n' > /tmp/bad-dead.trace
refused /tmp/bad-dead.trace "r of a dead id" 4
: > /tmp/bad-empty.trace
refused /tmp/bad-empty.trace "empty trace" 0
# A good one after them runs again; the "# exe" comment names it.
printf '# lalloc-trace v1\n# exe /usr/bin/tiny\na 0 100 8\nr 0 5000\na 1 0 4096\nf 0\n' > /tmp/tiny.trace
echo > $name_param
cat /tmp/tiny.trace > $tracefile || fail "writing tiny.trace failed"
cat $results > $out.tiny || fail "reading $results (tiny) failed"
grep -q '^trace	tiny	lalloc	bytes_requested_peak	5000$' $out.tiny ||
	fail "tiny: $(cat $out.tiny)"
rmmod lalloc_bench || fail "rmmod (trace) failed"
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
# The trace: both allocators, sane, the same peak requested, and the one
# lalloc-record --check counts.
t='trace	gcc-hello-cc1'
for a in lalloc kmalloc; do
	for m in bytes_requested_peak pages_held_peak permille_of_requested; do
		[ "$(grep -c "^$t	$a	$m	[0-9][0-9]*\$" $out)" = 1 ] || fail "trace $a $m: not one line"
	done
done
val() { awk -F '\t' -v a="$1" -v m="$2" '$1 == "trace" && $3 == a && $4 == m { print $5 }' $out; }
for a in lalloc kmalloc; do
	[ "$(val $a pages_held_peak)" -gt 0 ] || fail "trace $a: pages_held_peak 0"
	[ "$(val $a permille_of_requested)" -gt 0 ] || fail "trace $a: permille_of_requested 0"
done
req=$(val lalloc bytes_requested_peak)
[ "$req" -gt 0 ] || fail "trace: bytes_requested_peak 0"
[ "$req" = "$(val kmalloc bytes_requested_peak)" ] ||
	fail "trace: bytes_requested_peak lalloc $req, kmalloc $(val kmalloc bytes_requested_peak)"
if command -v lalloc-record > /dev/null; then
	chk=$(lalloc-record --check $small) || fail "lalloc-record --check $small: $chk"
	peak=$(echo "$chk" | sed -n 's/.*, peak live \([0-9]*\) bytes in .*/\1/p')
	[ "$req" = "$peak" ] || fail "trace: bytes_requested_peak $req, lalloc-record --check: $chk"
fi
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
