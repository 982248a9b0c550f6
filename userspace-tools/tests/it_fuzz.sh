#!/bin/sh
# lalloc-fuzz: a bounded pass of the structure-aware fuzzer (every ioctl,
# broken arguments, BATCH, forks, reopened files; errnos held against the
# uapi header, bytes against a model, gauges back at their baseline), then
# a single-thread replay and its refusal of bad arguments. About 30 s in
# the debug kernel (KASAN, lockdep, kmemleak watch it), 15 s elsewhere;
# `make fuzz` is the long run.
set -e
secs=20
[ "$(cat /lalloc/kernel 2>/dev/null)" = debug ] || secs=8
rc=0; lalloc-fuzz --seconds $secs --threads 2 --files 3 --json > /tmp/fuzz.json 2> /tmp/fuzz.err || rc=$?
cat /tmp/fuzz.err
test "$rc" = 0
grep -q '"result":"pass"' /tmp/fuzz.json
grep -q '"baseline":{[^}]*"ok":true}' /tmp/fuzz.json
grep -q '^lalloc-fuzz: seed [0-9]* ops [0-9]* errors 0$' /tmp/fuzz.err

# A replay: one thread, a given seed, --ops (the same sequence unless the
# kernel's ENOMEM answers differ, as they may for huge alignments).
lalloc-fuzz --seed 42 --threads 1 --ops 3000 > /tmp/fuzz1.out
tail -n 1 /tmp/fuzz1.out
test "$(tail -n 1 /tmp/fuzz1.out)" = "lalloc-fuzz: seed 42 ops 3000 errors 0"

rc=0; lalloc-fuzz --threads 0 2> /tmp/err || rc=$?
test "$rc" = 2 && test "$(wc -l < /tmp/err)" = 1
lalloc-fuzz --version | grep -q '^lalloc-fuzz [0-9]'
