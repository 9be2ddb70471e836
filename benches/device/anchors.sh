#!/bin/bash
# Runs on the lent device machine from `.dev/` (see prepare.sh): the machine's description, then
# the anchors table on all its cores, with oneTBB's child and Node.js run through the carried
# dynamic loader and libraries where the device has no `node` of its own.
cd "$(dirname "$0")"
here=$(pwd)
{ date -u; nproc; lscpu; cat /sys/kernel/mm/transparent_hugepage/enabled; free -g; } >"$OUT/machine.txt" 2>&1
head -5 "$OUT/machine.txt"
loader="$here/lib/ld-linux-x86-64.so.2 --library-path $here/lib"
if [ -x tbb_sum ]; then
    export SHMKERN_ANCHOR_TBB="$loader $here/tbb_sum"
fi
if ! command -v node >/dev/null && [ -f node.xz ]; then
    if command -v xz >/dev/null; then
        xz -dc node.xz >/tmp/node
    else
        python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open("node.xz"), open("/tmp/node", "wb"))'
    fi
    chmod +x /tmp/node && export SHMKERN_ANCHOR_NODE="$loader /tmp/node"
fi
echo "oneTBB: ${SHMKERN_ANCHOR_TBB:-compiled there}; Node.js: ${SHMKERN_ANCHOR_NODE:-$(command -v node)}"
timeout 240 ./tables anchors >"$OUT/anchors.md" 2>&1
echo "anchors: exit status $?"
cat "$OUT/anchors.md"
