#!/bin/sh
# Latency histograms stay empty while off and fill once latency_stats=1.
set -e
hist_total() { awk '!/^#/ { a += $2; f += $3 } END { print a + 0, f + 0 }' /proc/lalloc/latency; }
grep -q '^# enabled 0' /proc/lalloc/latency
lalloc-path --kernel-only --quiet --count 2000 > /dev/null
test "$(hist_total)" = "0 0"
echo 1 > /sys/module/lalloc/parameters/latency_stats
grep -q '^# enabled 1' /proc/lalloc/latency
lalloc-path --kernel-only --quiet --count 2000 > /dev/null
set -- $(hist_total)
test "$1" -gt 0 && test "$2" -gt 0
echo 0 > /sys/module/lalloc/parameters/latency_stats
before=$(hist_total)
lalloc-path --kernel-only --quiet --count 2000 > /dev/null
test "$(hist_total)" = "$before"
