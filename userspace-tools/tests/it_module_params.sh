#!/bin/sh
# Every module parameter has its effect, at load and through sysfs, and a
# value out of range is refused: insmod with it fails, a sysfs write with it
# fails and changes nothing.
set -e
ko=/lalloc/module/lalloc.ko
P=/sys/module/lalloc/parameters
fail() { echo "FAIL: $*"; exit 1; }
# Whatever fails, the next test gets lalloc loaded with its defaults.
trap 'rc=$?; rmmod lalloc 2>/dev/null; insmod $ko; exit $rc' EXIT
reload() { rmmod lalloc; insmod $ko "$@"; }
expect() { # expect "what" actual wanted
	[ "$2" = "$3" ] || fail "$1: '$2', want '$3'"
}
hold() { lalloc-hold "$@" || true; }
caches_col() { # the column named $1 of /proc/lalloc/caches, summed and maxed
	awk -v c="$1" '/^#/ { for (i = 2; i <= NF; i++) if ($i == c) k = i - 1; next }
		{ s += $k; if ($k > m) m = $k } END { print s + 0, m + 0 }' /proc/lalloc/caches
}

# Defaults.
expect "device_mode" "$(cat $P/device_mode)" 0600
expect "device_gid" "$(cat $P/device_gid)" 0
expect "empty_slabs_kept" "$(cat $P/empty_slabs_kept)" 1
expect "max_handles_per_file" "$(cat $P/max_handles_per_file)" 1048576
expect "max_handles_total" "$(cat $P/max_handles_total)" 1048576
expect "max_bytes_per_file" "$(cat $P/max_bytes_per_file)" 536870912
expect "max_bytes_total" "$(cat $P/max_bytes_total)" 0
expect "default node" "$(stat -c '%a %u %g' /dev/lalloc)" "600 0 0"

# Out of range at load: insmod fails and lalloc stays unloaded.
rmmod lalloc
for bad in device_mode=99999 device_mode=01000 device_mode=0 device_mode=-1 \
	device_mode=0x1ff0 device_mode=rw device_gid=4294967295 device_gid=4294967296 \
	device_gid=-1 empty_slabs_kept=1025 empty_slabs_kept=4294967296 \
	max_handles_per_file=4294967296 max_handles_total=-1 max_bytes_per_file=1x \
	max_bytes_total=18446744073709551616 latency_stats=2; do
	if insmod $ko "$bad" 2>/dev/null; then
		rmmod lalloc
		fail "insmod with $bad succeeded"
	fi
	if grep -q '^lalloc ' /proc/modules; then fail "lalloc loaded after $bad"; fi
	dmesg | grep -q "lalloc: \`${bad#*=}' invalid for parameter \`${bad%%=*}'" ||
		fail "no 'invalid' message for $bad"
done

# device_mode and device_gid make the node at load; group or other bits warn.
warned() { dmesg | grep -c 'lalloc: device_mode=0[0-7]*: /dev/lalloc is open to users other than root' || true; }
w0=$(warned)
insmod $ko device_mode=0640 device_gid=65534
expect "node 0640 65534" "$(stat -c '%a %u %g' /dev/lalloc)" "640 0 65534"
expect "device_mode in sysfs" "$(cat $P/device_mode)" 0640
expect "device_gid in sysfs" "$(cat $P/device_gid)" 65534
expect "warnings after 0640" "$(warned)" $((w0 + 1))
dmesg | grep -q 'lalloc: device_mode=0640: /dev/lalloc is open' || fail "warning text"
reload device_mode=0400
expect "node 0400" "$(stat -c '%a %u %g' /dev/lalloc)" "400 0 0"
expect "no warning for 0400" "$(warned)" $((w0 + 1))
reload device_mode=0606
expect "node 0606" "$(stat -c '%a' /dev/lalloc)" 606
expect "warnings after 0606" "$(warned)" $((w0 + 2))
# Load-only: sysfs refuses the write.
if (echo 0666 > $P/device_mode) 2>/dev/null; then fail "device_mode writable at run time"; fi
reload

# The limits at run time. An out-of-range write fails and keeps the value.
if echo 4294967296 > $P/max_handles_per_file 2>/dev/null; then fail "4294967296 handles taken"; fi
if echo 12ab > $P/max_bytes_per_file 2>/dev/null; then fail "12ab bytes taken"; fi
expect "max_handles_per_file kept" "$(cat $P/max_handles_per_file)" 1048576
expect "max_bytes_per_file kept" "$(cat $P/max_bytes_per_file)" 536870912

echo 2 > $P/max_handles_per_file
expect "2 handles per file" "$(hold -n 3)" "file 1: 2 of 3 EDQUOT"
expect "2 handles, two files" "$(hold -n 2 -f 2)" "file 1: 2 of 2
file 2: 2 of 2"
echo 3 > $P/max_handles_per_file
echo 4 > $P/max_handles_total
expect "4 handles in all" "$(hold -n 3 -f 2)" "file 1: 3 of 3
file 2: 1 of 3 ENOSPC"
# 0 per file: no limit of its own, the global one applies.
echo 0 > $P/max_handles_per_file
expect "0 handles per file shown" "$(cat $P/max_handles_per_file)" 0
expect "0 per file, 4 in all" "$(hold -n 5)" "file 1: 4 of 5 ENOSPC"
# 0 in all: the automatic 1048576.
echo 0 > $P/max_handles_total
expect "0 in all" "$(hold -n 5000)" "file 1: 5000 of 5000"
echo 1048576 > $P/max_handles_per_file
echo 1048576 > $P/max_handles_total

# Bytes: blocks of one page hold exactly one page each.
echo 8192 > $P/max_bytes_per_file
expect "8192 bytes per file" "$(hold -n 3 -s 4096 -a 4096)" "file 1: 2 of 3 EDQUOT"
echo 16384 > $P/max_bytes_total
echo 0 > $P/max_bytes_per_file
expect "0 bytes per file shown" "$(cat $P/max_bytes_per_file)" 0
expect "0 per file, 16384 in all" "$(hold -n 5 -s 4096 -a 4096)" "file 1: 4 of 5 ENOSPC"
echo 0 > $P/max_bytes_total
expect "0 per file, half of RAM in all" "$(hold -n 2 -s 1048576 -a 4096)" "file 1: 2 of 2"
echo 536870912 > $P/max_bytes_per_file

# empty_slabs_kept: how many empty slabs a cache keeps after frees.
if echo 1025 > $P/empty_slabs_kept 2>/dev/null; then fail "1025 empty slabs taken"; fi
expect "empty_slabs_kept kept" "$(cat $P/empty_slabs_kept)" 1
echo 1024 > $P/empty_slabs_kept
hold -n 4000 -s 1000 > /dev/null
set -- $(caches_col slabs_empty)
[ "$2" -gt 1 ] || fail "1024 kept: at most $2 empty slabs in a cache"
echo 0 > $P/empty_slabs_kept
echo 2 > /proc/sys/vm/drop_caches
hold -n 4000 -s 1000 > /dev/null
set -- $(caches_col slabs_empty)
expect "0 kept: empty slabs" "$1" 0
echo 1 > $P/empty_slabs_kept
# At load too.
reload empty_slabs_kept=1024 max_handles_per_file=2
expect "empty_slabs_kept at load" "$(cat $P/empty_slabs_kept)" 1024
expect "max_handles_per_file at load" "$(hold -n 3)" "file 1: 2 of 3 EDQUOT"

# debug=: flags for every cache or the caches named, read-only, and the
# device's blocks go through the checks (their stats move, nothing is
# detected in correct use).
D=/sys/kernel/debug/lalloc
flags_of() { awk -v c="$1" '$1 == c { print $2 }' $D/debug_flags; }
rmmod lalloc
for bad in debug=X debug=FZ,lalloc-nosuch debug=F,; do
	if insmod $ko "$bad" 2>/dev/null; then
		rmmod lalloc
		fail "insmod with $bad succeeded"
	fi
	if grep -q '^lalloc ' /proc/modules; then fail "lalloc loaded after $bad"; fi
done
insmod $ko
reload debug=FZPU,lalloc-104,lalloc-208
expect "debug in sysfs" "$(cat $P/debug)" "FZPU,lalloc-104,lalloc-208"
expect "lalloc-104 flags" "$(flags_of lalloc-104)" FZPU
expect "lalloc-64 flags" "$(flags_of lalloc-64)" -
if echo FZ > $P/debug 2>/dev/null; then fail "debug writable in sysfs"; fi
e0=$(awk '$1 == "errors_detected" { print $2 }' /proc/lalloc/stats)
hold -n 200 -s 100 > /dev/null
expect "errors after correct use" "$(awk '$1 == "errors_detected" { print $2 }' /proc/lalloc/stats)" "$e0"
expect "validate" "$(cat $D/validate)" "lalloc-104 errors 0
lalloc-208 errors 0"
echo "lalloc-104 -" > $D/debug_flags
expect "lalloc-104 flags off" "$(flags_of lalloc-104)" -
echo "lalloc-64 FP" > $D/debug_flags
expect "lalloc-64 flags on" "$(flags_of lalloc-64)" FP
if echo "lalloc-nosuch F" > $D/debug_flags 2>/dev/null; then fail "unknown cache taken"; fi
reload debug=F
expect "every cache: lalloc-32768" "$(flags_of lalloc-32768)" F
reload
