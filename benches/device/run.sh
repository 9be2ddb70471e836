#!/bin/bash
# Runs on the lent device machine from `.dev/` (see prepare.sh): the machine's description, the
# scaling table twice (its run-to-run spread), then the kernels and pool tables at 2 threads.
# Each table has its own time limit, so one that hangs leaves the others' results.
cd "$(dirname "$0")"
{ date -u; nproc; lscpu; cat /sys/kernel/mm/transparent_hugepage/enabled; free -g; } >"$OUT/machine.txt" 2>&1
head -20 "$OUT/machine.txt"
for i in 1 2; do
    timeout 150 ./tables scaling >"$OUT/scaling$i.md" 2>&1
    echo "scaling run $i: exit status $?"
done
cat "$OUT/scaling1.md"
timeout 150 ./tables kernels >"$OUT/kernels.md" 2>&1
echo "kernels: exit status $?"
timeout 100 ./tables pool >"$OUT/pool.md" 2>&1
echo "pool: exit status $?"
