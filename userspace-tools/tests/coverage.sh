#!/bin/sh
# Guest side of make coverage (scripts/coverage), with lalloc.ko built for
# gcov: the whole suite in one boot, so one set of counters sees it all.
# The KUnit suites (their module unloaded after, so lalloc can be), every
# integration test and program, then the torture test for SECONDS (default
# 20), plain and with injected failures, and last the KASAN suite, whose
# reports scripts/vm --expect-kasan checks. Prints each step's verdict lines;
# exits 1 if any step failed.
t=${1:-20}
status=0
sh /lalloc/tests/kunit.sh || { echo "FAIL: coverage: KUnit"; status=1; }
rmmod lalloc_kunit || { echo "FAIL: coverage: rmmod lalloc_kunit"; status=1; }
sh /lalloc/tests/integration.sh || status=1
sh /lalloc/tests/torture.sh "$t" || status=1
sh /lalloc/tests/torture.sh "$t" inject=1 || status=1
# Its own glob: an integration test may have left KUnit's filter set.
if [ -f /lalloc/kunit/lalloc_kasan_kunit.ko ]; then
	sh /lalloc/tests/kunit.sh lalloc_kasan lalloc_kasan_kunit ||
		{ echo "FAIL: coverage: KUnit lalloc_kasan"; status=1; }
	rmmod lalloc_kasan_kunit || { echo "FAIL: coverage: rmmod lalloc_kasan_kunit"; status=1; }
fi
exit $status
