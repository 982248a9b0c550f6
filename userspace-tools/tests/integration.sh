#!/bin/sh
# Guest side of the integration tests: runs every it_*.sh here and every
# test program the tools install (lalloc-*-test), each printing
# "PASS: name" / "FAIL: name" / "SKIP: name" lines. Exits 1 if any failed.
cd "$(dirname "$0")" || exit 2
status=0
for t in ./it_*.sh; do
	[ -f "$t" ] || continue
	name=${t#./it_}
	name=${name%.sh}
	if sh "$t" > "/tmp/$name.out" 2>&1; then
		echo "PASS: $name"
	else
		echo "FAIL: $name"
		sed 's/^/    /' "/tmp/$name.out"
		status=1
	fi
done
for prog in /usr/bin/lalloc-*-test; do
	[ -x "$prog" ] || continue
	"$prog" || status=1
done
exit $status
