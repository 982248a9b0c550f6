#!/bin/sh
# Latency histograms: nothing counted while latency_stats=0; once on, every
# alloc and free through the device lands in exactly one bucket, and the
# bulk falls where the time goes: a 64-byte block from 128 ns to under
# 128 us (emulated or debug kernel included), a 25-page zeroed block at
# least two buckets (4x) higher.
set -e
P=/sys/module/lalloc/parameters
L=/proc/lalloc/latency
tmp=/tmp/it_latency
fail() { echo "FAIL: $*"; exit 1; }
# The next test gets the histograms off, whatever fails here.
trap 'rc=$?; echo 0 > $P/latency_stats; exit $rc' EXIT
mkdir -p $tmp
snap() { grep -v '^#' $L > "$tmp/$1"; }
# Per bucket "ns_from count" of column $3 (2: alloc, 3: free) from snapshot $1 to $2.
delta() { awk -v c="$3" 'NR == FNR { b[$1] = $c; next } { print $1, $c - b[$1] }' "$tmp/$1" "$tmp/$2"; }
total() { awk '{ s += $2 } END { print s + 0 }'; }
within() { awk -v lo="$1" -v hi="$2" '$1 >= lo && $1 < hi { s += $2 } END { print s + 0 }'; }
median() {
	awk '{ n[NR] = $1; c[NR] = $2; t += $2 }
	     END { for (i = 1; i <= NR; i++) { s += c[i]; if (t && 2 * s >= t) { print n[i]; exit } } print -1 }'
}
stat() { awk -v k="$1" '$1 == k { print $2 }' /proc/lalloc/stats; }
expect() { [ "$2" = "$3" ] || fail "$1: $2, want $3"; }

# Off: the entry points count nothing.
grep -q '^# enabled 0' $L || fail "latency_stats not off at load"
snap off0
lalloc-hold -n 1000 > /dev/null
snap off1
expect "allocs counted while off" "$(delta off0 off1 2 | total)" 0
expect "frees counted while off" "$(delta off0 off1 3 | total)" 0

echo 1 > $P/latency_stats
grep -q '^# enabled 1' $L || fail "'# enabled 1' missing"

# 1000 blocks of 64 bytes, freed as the file closes.
a0=$(stat allocs) f0=$(stat frees)
snap s0
lalloc-hold -n 1000 -s 64 > /dev/null
snap s1
expect "64-byte allocs in the histogram" "$(delta s0 s1 2 | total)" 1000
expect "64-byte frees in the histogram" "$(delta s0 s1 3 | total)" 1000
expect "histogram allocs = stats allocs" 1000 $(($(stat allocs) - a0))
expect "histogram frees = stats frees" 1000 $(($(stat frees) - f0))
n=$(delta s0 s1 2 | within 128 131072)
[ "$n" -ge 900 ] || { delta s0 s1 2; fail "$n of 1000 allocs from 128 ns to 128 us"; }
n=$(delta s0 s1 3 | within 128 131072)
[ "$n" -ge 900 ] || { delta s0 s1 3; fail "$n of 1000 frees from 128 ns to 128 us"; }
small=$(delta s0 s1 2 | median)

# 20 blocks of 25 zeroed pages each, from the page allocator.
snap l0
lalloc-hold -n 20 -s 100000 -a 4096 > /dev/null
snap l1
expect "large allocs in the histogram" "$(delta l0 l1 2 | total)" 20
expect "large frees in the histogram" "$(delta l0 l1 3 | total)" 20
large=$(delta l0 l1 2 | median)
[ "$large" -ge $((4 * small)) ] ||
	{ delta l0 l1 2; fail "median large alloc in bucket $large ns, small in $small ns"; }

# Off again: counting stops.
echo 0 > $P/latency_stats
grep -q '^# enabled 0' $L || fail "'# enabled 0' missing after switching off"
snap o0
lalloc-hold -n 1000 > /dev/null
snap o1
expect "allocs counted after switching off" "$(delta o0 o1 2 | total)" 0
expect "frees counted after switching off" "$(delta o0 o1 3 | total)" 0
