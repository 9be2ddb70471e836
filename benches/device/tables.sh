#!/bin/bash
# Runs on the lent device machine from `.dev/` (see prepare.sh): kernels_table (2 threads),
# scaling at 1, 2 and all cores (SHMKERN_BENCH_THREADS) and then anchors.sh (the anchors on all
# cores), each with its own time limit; about 5 minutes on 16 cores. Writes kernels_table.md,
# scaling.md, machine.txt and anchors_table.md to $OUT.
cd "$(dirname "$0")"
timeout 150 ./kernels_table >"$OUT/kernels_table.md" 2>&1
echo "kernels_table: exit status $?"
grep -E '^- |target \(4\)' "$OUT/kernels_table.md"
SHMKERN_BENCH_THREADS="1,2,$(nproc)" timeout 150 ./scaling >"$OUT/scaling.md" 2>&1
echo "scaling: exit status $?"
bash ./anchors.sh
