'use strict';
// Data analysis over a large array shared with worker threads — the seed's first example, with
// the addon doing the statistics instead of hand-written workers and Atomics.
//
//   cd node && npm install && npm run build && cd .. && node examples/node/analysis.js
//
// Two worker threads fill one SharedArrayBuffer (16 Mi f64 readings, 128 MiB) in place; the main
// thread then awaits shmkern's statistics, quartiles and histogram over the same memory — no copy,
// the event loop free meanwhile — and checks them against a plain pass of its own. Exits 1 on a
// mismatch.
const { Worker, isMainThread, workerData } = require('worker_threads');

const N = 1 << 24;

if (!isMainThread) {
  // A worker fills its half: a daily cycle plus deterministic noise, some sensor dropouts (NaN).
  const { sab, lo, hi } = workerData;
  const a = new Float64Array(sab);
  let s = BigInt(lo) * 2654435761n + 1n;
  for (let i = lo; i < hi; i++) {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    const u = Number(s >> 11n) / 2 ** 53;
    a[i] = i % 100_003 === 7 ? NaN : 20 + 8 * Math.sin((2 * Math.PI * (i % 1440)) / 1440) + (u - 0.5) * 4;
  }
  return;
}

const shmkern = require('../../node');

(async () => {
  const sab = new SharedArrayBuffer(N * 8);
  const half = N / 2;
  await Promise.all(
    [[0, half], [half, N]].map(([lo, hi]) => new Promise((resolve, reject) => {
      new Worker(__filename, { workerData: { sab, lo, hi } }).on('exit', resolve).on('error', reject);
    })),
  );
  const a = new Float64Array(sab);

  let ticks = 0;
  const ticker = setInterval(() => ticks++, 1);
  const t0 = process.hrtime.bigint();
  const [stats, quartiles, hist] = await Promise.all([
    shmkern.stats(a, { ddof: 1 }),
    shmkern.quantiles(a, [0.25, 0.5, 0.75]),
    shmkern.histogram(a, { bins: 8 }),
  ]);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  clearInterval(ticker);

  // A plain pass for comparison: count, NaNs, extremes exactly; the mean to 1e-12.
  let count = 0, nans = 0, sum = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < N; i++) {
    const x = a[i];
    if (Number.isNaN(x)) { nans++; continue; }
    count++; sum += x; if (x < min) min = x; if (x > max) max = x;
  }
  const checks = [
    ['count', stats.count === count],
    ['NaN count', stats.nanCount === nans],
    ['min and max', stats.min === min && stats.max === max],
    ['mean', Math.abs(stats.mean - sum / count) <= 1e-12 * Math.abs(stats.mean)],
    ['quartiles ordered', quartiles[0] <= quartiles[1] && quartiles[1] <= quartiles[2]],
    ['histogram total', hist.counts.reduce((x, y) => x + y, 0) === count],
  ];
  console.log(`${N.toLocaleString()} readings (${nans} dropouts) in a SharedArrayBuffer`);
  console.log(`mean ${stats.mean.toFixed(4)}, std ${stats.std.toFixed(4)}, min ${stats.min.toFixed(3)}, max ${stats.max.toFixed(3)}`);
  console.log(`quartiles ${quartiles.map((q) => q.toFixed(4)).join(', ')}`);
  console.log(`histogram ${hist.counts.join(' ')}`);
  console.log(`three kernels in ${ms.toFixed(1)} ms; the event loop ticked ${ticks} times meanwhile`);
  const failed = checks.filter(([, ok]) => !ok).map(([name]) => name);
  if (failed.length) {
    console.error(`MISMATCH: ${failed.join(', ')}`);
    process.exit(1);
  }
  console.log('checked against a plain pass: ok');
})().catch((e) => { console.error(e); process.exit(1); });
