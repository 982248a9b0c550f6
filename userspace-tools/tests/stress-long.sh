#!/bin/sh
# The long lalloc-stress run, for the debug kernel (KASAN, lockdep):
#   scripts/vm --kernel debug --smp 4 -- sh tests/stress-long.sh [SECONDS]
# 4 threads for SECONDS (default 60) in all: half the uniform mix over two
# files, a quarter power-law sizes in BATCHes, a quarter over-aligned blocks
# on the kmalloc backend. Exits non-zero on the first run that fails.
set -e
t=${1:-60}
half=$((t / 2))
quarter=$(((t - half) / 2))
rest=$((t - half - quarter))
lalloc-stress --threads 4 --duration "$half" --dist uniform --files 2
lalloc-stress --threads 4 --duration "$quarter" --dist powerlaw --batch 16
lalloc-stress --threads 4 --duration "$rest" --dist aligned --backend kmalloc
