#!/bin/sh
# lalloc-stress: about 15 s of the verified random mix on both backends
# (batched and not, several files), the hand-written trace replayed on both
# backends from a plain and a gzip file, and its refusals of bad input.
set -e
cd "$(dirname "$0")"
trace=traces/stress-hand.trace
pass() { grep -q '"result":"pass"' "$1"; }

lalloc-stress --duration 5 --seed 1 --dist uniform --json > /tmp/s1.json
pass /tmp/s1.json
lalloc-stress --duration 4 --seed 2 --dist powerlaw --batch 16 --files 2 --json > /tmp/s2.json
pass /tmp/s2.json
lalloc-stress --duration 4 --seed 3 --dist aligned --backend kmalloc --json > /tmp/s3.json
pass /tmp/s3.json
lalloc-stress --ops 2000 --seed 4 --backend kmalloc --batch 8 --max-live 64 --json > /tmp/s4.json
pass /tmp/s4.json
grep -q '"ops":2000,' /tmp/s4.json

lalloc-stress --trace "$trace" --compare > /tmp/replay.out
cat /tmp/replay.out
grep -q '^held bytes lalloc/kmalloc: ' /tmp/replay.out
gzip -c "$trace" > /tmp/hand.trace.gz
lalloc-stress --trace /tmp/hand.trace.gz --threads 2 --json > /tmp/replay.json
pass /tmp/replay.json
grep -q '"ops":47,' /tmp/replay.json || grep -q '"ops":4[0-9],' /tmp/replay.json

# Bad arguments and a malformed trace: exit 2 with a one-line error.
rc=0; lalloc-stress --dist zipf 2> /tmp/err || rc=$?
test "$rc" = 2 && test "$(wc -l < /tmp/err)" = 1
printf '# lalloc-trace v1\na 1 16 8\na 2 16 3\n' > /tmp/bad.trace
rc=0; lalloc-stress --trace /tmp/bad.trace 2> /tmp/err || rc=$?
test "$rc" = 2 && grep -q '/tmp/bad.trace:3: ' /tmp/err
printf 'a 1 16 8\nf 2\n' > /tmp/bad.trace
rc=0; lalloc-stress --trace /tmp/bad.trace 2> /tmp/err || rc=$?
test "$rc" = 2 && grep -q '/tmp/bad.trace:2: ' /tmp/err
lalloc-stress --version | grep -q '^lalloc-stress [0-9]'
