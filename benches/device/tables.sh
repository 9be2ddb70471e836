#!/bin/bash
# Runs on the lent device machine from `.dev/` (see prepare.sh): the kernels table (2 threads),
# scaling at 1, 2 and all cores (SHMKERN_BENCH_THREADS) and then anchors.sh (the anchors on all
# cores), each with its own time limit; about 5 minutes on 16 cores. Writes kernels.md,
# scaling.md, machine.txt and anchors.md to $OUT.
cd "$(dirname "$0")"
timeout 150 ./tables kernels >"$OUT/kernels.md" 2>&1
echo "kernels: exit status $?"
grep -E '^- |^Target' "$OUT/kernels.md"
SHMKERN_BENCH_THREADS="1,2,$(nproc)" timeout 150 ./tables scaling >"$OUT/scaling.md" 2>&1
echo "scaling: exit status $?"
bash ./anchors.sh
