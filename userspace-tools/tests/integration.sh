#!/bin/sh
# Guest side of the integration tests: runs every it_*.sh here and every
# test program the tools install (lalloc-*-test), each printing
# "PASS: name" / "FAIL: name" / "SKIP: name" lines (a script exiting 77
# is skipped), and a "TIME: name seconds" line for each. Exits 1 if any
# failed. "--skip NAME" (repeatable) leaves out one script (it_NAME.sh) or
# program (its file name), for a run that gives it a guest of its own.
cd "$(dirname "$0")" || exit 2
skips=" "
while [ "$1" = --skip ]; do
	skips="$skips$2 "
	shift 2
done
skipped() { case "$skips" in *" $1 "*) return 0 ;; esac; return 1; }
status=0
for t in ./it_*.sh; do
	[ -f "$t" ] || continue
	name=${t#./it_}
	name=${name%.sh}
	! skipped "$name" || continue
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
	! skipped "${prog##*/}" || continue
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
