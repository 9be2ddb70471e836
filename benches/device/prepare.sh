#!/usr/bin/env bash
# Prepares the kernel scaling run for a lent device machine (16 cores, no Rust toolchain there):
# builds the table benches as static executables here and puts them, with the script that runs
# them there, into `.dev/` (ignored through .git/info/exclude, so it travels only when carried).
#
#   bash benches/device/prepare.sh
#   then the device tool's `run` with command `bash .dev/run.sh`, carry [".dev"], timeout_s 480
#
# On the device, run.sh writes machine.txt, scaling1.md, scaling2.md, kernels_table.md and
# pool_table.md to $OUT (about 4 minutes on 16 cores); their tables go into docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

grep -qx '/.dev/' .git/info/exclude 2>/dev/null || echo '/.dev/' >>.git/info/exclude
mkdir -p .dev
target=x86_64-unknown-linux-gnu
# crt-static: the device's C library may differ from this machine's, so link it in.
RUSTFLAGS="-C target-feature=+crt-static" cargo bench --no-run --target "$target" \
    --target-dir target/static --bench scaling --bench kernels_table --bench pool_table \
    --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' |
    while read -r exe; do
        name=$(basename "$exe" | sed 's/-[0-9a-f]*$//')
        cp "$exe" ".dev/$name"
        strip ".dev/$name"
    done
cp benches/device/run.sh .dev/run.sh
ls -l .dev
