#!/bin/sh
# Guest side of the integration tests: runs every it_*.sh here and every
# test program the tools install (lalloc-*-test), each printing
# "PASS: name" / "FAIL: name" / "SKIP: name" lines (a script exiting 77
# is skipped), and a "TIME: name seconds" line for each. Exits 1 if any
# failed.
cd "$(dirname "$0")" || exit 2
status=0
for t in ./it_*.sh; do
	[ -f "$t" ] || continue
	name=${t#./it_}
	name=${name%.sh}
	t0=$(date +%s)
	sh "$t" > "/tmp/$name.out" 2>&1
	rc=$?
	echo "TIME: $name $(($(date +%s) - t0))"
	case $rc in
	0) echo "PASS: $name" ;;
	77) echo "SKIP: $name" ;;
	*)
		echo "FAIL: $name"
		sed 's/^/    /' "/tmp/$name.out"
		status=1
		;;
	esac
done
for prog in /usr/bin/lalloc-*-test; do
	[ -x "$prog" ] || continue
	t0=$(date +%s)
	"$prog" > /tmp/prog.out 2>&1
	rc=$?
	echo "TIME: ${prog##*/} $(($(date +%s) - t0))"
	cat /tmp/prog.out
	if [ $rc -ne 0 ]; then
		status=1
		# A crash before any verdict still has to show as a failure.
		grep -q '^FAIL: ' /tmp/prog.out || echo "FAIL: ${prog##*/} (exit $rc)"
	fi
done
exit $status
