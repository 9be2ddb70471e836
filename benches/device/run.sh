#!/bin/bash
# Runs on the lent device machine from `.dev/` (see prepare.sh): the machine's description, the
# scaling bench twice (its run-to-run spread), then kernels_table and pool_table at 2 threads.
# Each bench has its own time limit, so one that hangs leaves the others' results.
cd "$(dirname "$0")"
{ date -u; nproc; lscpu; cat /sys/kernel/mm/transparent_hugepage/enabled; free -g; } >"$OUT/machine.txt" 2>&1
head -20 "$OUT/machine.txt"
for i in 1 2; do
    timeout 150 ./scaling >"$OUT/scaling$i.md" 2>&1
    echo "scaling run $i: exit status $?"
done
cat "$OUT/scaling1.md"
timeout 150 ./kernels_table >"$OUT/kernels_table.md" 2>&1
echo "kernels_table: exit status $?"
timeout 100 ./pool_table >"$OUT/pool_table.md" 2>&1
echo "pool_table: exit status $?"
