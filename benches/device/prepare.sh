#!/usr/bin/env bash
# Prepares the table runs for a lent device machine (16 cores, no Rust toolchain there): builds
# the `tables` bench (benches/tables/) as a static executable here and puts it, with the scripts
# that run it there, into `.dev/` (ignored through .git/info/exclude, so it travels only when
# carried).
#
#   bash benches/device/prepare.sh
#   then the device tool's `run` with command `bash .dev/run.sh`, carry [".dev"], timeout_s 480
#   or, for the anchors (rayon, paralight, oneTBB, Node.js) on all cores, `bash .dev/anchors.sh`;
#   or `bash .dev/tables.sh`: kernels, scaling at 1, 2 and all cores, then anchors.sh
#
# On the device, run.sh writes machine.txt, scaling1.md, scaling2.md, kernels.md and pool.md to
# $OUT (about 4 minutes on 16 cores); anchors.sh writes machine.txt and anchors.md (about a
# minute). Their tables go into docs/performance.md.
#
# The anchors' children need what the device may lack: oneTBB's child is compiled here (for
# x86-64-v4, AVX-512, rather than this CPU) and carried with the shared libraries it loads,
# including this machine's dynamic loader, which runs it there; Node.js is carried compressed
# (xz) with the same loader, for a device without its own `node`.
set -euo pipefail
cd "$(dirname "$0")/../.."

grep -qx '/.dev/' .git/info/exclude 2>/dev/null || echo '/.dev/' >>.git/info/exclude
mkdir -p .dev
target=x86_64-unknown-linux-gnu
# crt-static: the device's C library may differ from this machine's, so link it in.
RUSTFLAGS="-C target-feature=+crt-static" cargo bench --no-run --target "$target" \
    --target-dir target/static --bench tables \
    --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' |
    while read -r exe; do
        name=$(basename "$exe" | sed 's/-[0-9a-f]*$//')
        cp "$exe" ".dev/$name"
        strip ".dev/$name"
    done
cp benches/device/run.sh benches/device/anchors.sh benches/device/tables.sh .dev/
mkdir -p .dev/lib .dev/benches/anchors
cp benches/anchors/node_sum.js .dev/benches/anchors/
# 512-bit vectors preferred, as -march=native picks them on an AVX-512 CPU here.
if g++ -O3 -march=x86-64-v4 -mprefer-vector-width=512 -std=c++17 -o .dev/tbb_sum \
    benches/anchors/tbb_sum.cpp -ltbb; then
    for lib in $(ldd .dev/tbb_sum "$(command -v node)" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p' | sort -u); do
        cp -L "$lib" .dev/lib/
    done
    cp -L /lib64/ld-linux-x86-64.so.2 .dev/lib/
else
    echo "!!! oneTBB's child did not compile (apt install libtbb-dev): the device run skips it"
fi
if command -v node >/dev/null && [ ! -f .dev/node.xz ]; then
    xz -T0 -6 -c "$(command -v node)" >.dev/node.xz
fi
ls -l .dev
