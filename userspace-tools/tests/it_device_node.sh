#!/bin/sh
# /dev/lalloc is root-only by default: nobody's open fails with EACCES.
# device_mode=0660 device_gid=65534 lets nobody (group 65534) in, 0606
# lets others in, 0660 with group root does not. su has to work: a su
# that cannot run a command as nobody fails the test, it is no refusal.
set -e
ko=/lalloc/module/lalloc.ko
fail() { echo "FAIL: $*"; exit 1; }
# Whatever fails, the next test gets lalloc loaded with its defaults.
trap 'rc=$?; rmmod lalloc 2>/dev/null; insmod $ko; exit $rc' EXIT
reload() { rmmod lalloc; insmod $ko "$@"; }
# lalloc-hold prints "open: EACCES" or "file 1: 1 of 1"; anything else is su's.
as_nobody() { su nobody -s /bin/sh -c 'lalloc-hold -n 1' 2>&1 || true; }
expect() { [ "$2" = "$3" ] || fail "$1: '$2', want '$3'"; }

command -v su > /dev/null || fail "no su in the guest"
expect "su nobody runs id" "$(su nobody -s /bin/sh -c 'id -u; id -g' 2>&1 || true)" "65534
65534"

expect "default node" "$(stat -c '%a %u %g' /dev/lalloc)" "600 0 0"
expect "nobody at 0600" "$(as_nobody)" "open: EACCES"
expect "root at 0600" "$(lalloc-hold -n 1)" "file 1: 1 of 1"

reload device_mode=0660 device_gid=65534
expect "node 0660 65534" "$(stat -c '%a %u %g' /dev/lalloc)" "660 0 65534"
expect "nobody at 0660, group 65534" "$(as_nobody)" "file 1: 1 of 1"

reload device_mode=0660
expect "node 0660 0" "$(stat -c '%a %u %g' /dev/lalloc)" "660 0 0"
expect "nobody at 0660, group root" "$(as_nobody)" "open: EACCES"

reload device_mode=0606
expect "node 0606" "$(stat -c '%a %u %g' /dev/lalloc)" "606 0 0"
expect "nobody at 0606" "$(as_nobody)" "file 1: 1 of 1"

reload
expect "node back to default" "$(stat -c '%a %u %g' /dev/lalloc)" "600 0 0"
expect "nobody at 0600 again" "$(as_nobody)" "open: EACCES"
