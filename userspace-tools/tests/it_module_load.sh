#!/bin/sh
# lalloc is loaded, logged its version, and unloads and reloads cleanly.
set -e
grep -q '^lalloc ' /proc/modules
dmesg | grep -q '] lalloc: version [0-9.]* loaded'
rmmod lalloc
if grep -q '^lalloc ' /proc/modules; then exit 1; fi
dmesg | grep -q '] lalloc: version [0-9.]* unloaded'
insmod /lalloc/module/lalloc.ko
grep -q '^lalloc ' /proc/modules
