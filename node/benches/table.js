'use strict';
// The Node table of docs/performance.md: the addon against the recipe it replaces — a pool of 2
// worker_threads over a SharedArrayBuffer, woken and joined with Atomics (as
// benches/anchors/node_sum.js does) — and a plain loop on the main thread, for `sum` and `stats`
// at 1,000, 1 Mi and 128 Mi f64 elements (1 GiB).
//
//     cd node && npm install && npm run build && node benches/table.js   # about a minute, 1 GiB
//
// Each time is the median of several calls in this one process; compare the ratios.
const { Worker, isMainThread, workerData } = require('worker_threads');
const os = require('os');
const { execSync } = require('child_process');

// The kernels of the recipe and of the plain loop: 8 accumulators for the sum; one pass of
// count/sum/min/max and Welford's mean and M2 for the statistics (merged with Chan's formula).
function sliceSum(a, lo, hi) {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
  let i = lo;
  for (; i + 8 <= hi; i += 8) {
    s0 += a[i]; s1 += a[i + 1]; s2 += a[i + 2]; s3 += a[i + 3];
    s4 += a[i + 4]; s5 += a[i + 5]; s6 += a[i + 6]; s7 += a[i + 7];
  }
  let s = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
  for (; i < hi; i++) s += a[i];
  return s;
}
function sliceStats(a, lo, hi, out, at) {
  let n = 0, sum = 0, min = Infinity, max = -Infinity, mean = 0, m2 = 0;
  for (let i = lo; i < hi; i++) {
    const x = a[i];
    if (x !== x) continue;
    n++; sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
    const d = x - mean; mean += d / n; m2 += d * (x - mean);
  }
  out[at] = n; out[at + 1] = sum; out[at + 2] = min; out[at + 3] = max; out[at + 4] = mean; out[at + 5] = m2;
}
function mergeStats(out, parts) {
  let n = 0, sum = 0, min = Infinity, max = -Infinity, mean = 0, m2 = 0;
  for (let w = 0; w < parts; w++) {
    const b = w * 6, nb = out[b];
    if (nb === 0) continue;
    const d = out[b + 4] - mean, nn = n + nb;
    m2 += out[b + 5] + d * d * n * nb / nn; mean += d * nb / nn; n = nn;
    sum += out[b + 1]; min = Math.min(min, out[b + 2]); max = Math.max(max, out[b + 3]);
  }
  return { count: n, sum, min, max, mean, variance: n > 1 ? m2 / (n - 1) : NaN };
}

const GO = 0, DONE = 1, OP = 2, N = 3;
if (!isMainThread) {
  const { id, threads, data, ctl: ctlSab, res } = workerData;
  const a = new Float64Array(data), ctl = new Int32Array(ctlSab), out = new Float64Array(res);
  let seen = 0;
  for (;;) {
    Atomics.wait(ctl, GO, seen);
    seen = Atomics.load(ctl, GO);
    const op = Atomics.load(ctl, OP), n = Atomics.load(ctl, N);
    if (op < 0) break;
    const lo = Math.floor(id * n / threads), hi = Math.floor((id + 1) * n / threads);
    if (op === 0) out[id * 6] = sliceSum(a, lo, hi); else sliceStats(a, lo, hi, out, id * 6);
    if (Atomics.add(ctl, DONE, 1) === threads - 1) Atomics.notify(ctl, DONE);
  }
  return;
}

const shmkern = require('..');
const THREADS = 2;
const MAX = 1 << 27;
const data = new SharedArrayBuffer(MAX * 8);
const a = new Float64Array(data);
for (let i = 0; i < MAX; i++) a[i] = ((i * 2654435761) % 1000003) / 1000003 - 0.5;
const ctl = new Int32Array(new SharedArrayBuffer(16));
const res = new Float64Array(new SharedArrayBuffer(THREADS * 6 * 8));
const workers = [];
for (let id = 0; id < THREADS; id++) {
  workers.push(new Worker(__filename, { workerData: { id, threads: THREADS, data, ctl: ctl.buffer, res: res.buffer } }));
}

// One recipe call: publish the op and n, wake the workers, block until both are done.
function recipe(op, n) {
  Atomics.store(ctl, OP, op); Atomics.store(ctl, N, n); Atomics.store(ctl, DONE, 0);
  Atomics.add(ctl, GO, 1); Atomics.notify(ctl, GO);
  for (let d; (d = Atomics.load(ctl, DONE)) !== THREADS;) Atomics.wait(ctl, DONE, d);
  if (op === 0) { let s = 0; for (let w = 0; w < THREADS; w++) s += res[w * 6]; return s; }
  return mergeStats(res, THREADS);
}
// The loop a user writes: one accumulator for the sum; for the statistics one pass of Welford's.
function plain(op, view) {
  if (op === 0) {
    let s = 0;
    for (let i = 0; i < view.length; i++) s += view[i];
    return s;
  }
  const out = new Float64Array(6); sliceStats(view, 0, view.length, out, 0); return mergeStats(out, 1);
}
// The sum tuned by hand: eight accumulators, as the recipe's workers use.
const tuned = (view) => sliceSum(view, 0, view.length);

async function median(f, repeat) {
  await f();
  const t = [];
  for (let i = 0; i < repeat; i++) {
    const s = process.hrtime.bigint();
    await f();
    t.push(Number(process.hrtime.bigint() - s));
  }
  t.sort((x, y) => x - y);
  return t[t.length >> 1];
}
const fmt = (ns) => (ns < 1e6 ? `${(ns / 1e3).toFixed(1)} µs` : `${(ns / 1e6).toFixed(1)} ms`);

(async () => {
  const commit = (() => { try { return execSync('git rev-parse --short HEAD').toString().trim(); } catch { return '?'; } })();
  console.log(`machine: ${os.cpus()[0].model}, ${os.cpus().length} cores; commit ${commit}; ${new Date().toISOString().slice(0, 10)}; Node ${process.version}`);
  console.log('');
  console.log('| elements | kernel | shmkern addon | recipe: 2 workers + SAB + Atomics | plain loop | tuned loop (8 sums) | recipe ÷ addon | plain ÷ addon | tuned ÷ addon |');
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [n, label, repeat] of [[1000, '1,000', 2001], [1 << 20, '1 Mi', 101], [MAX, '128 Mi (1 GiB)', 7]]) {
    const view = a.subarray(0, n);
    for (const [op, name, call] of [[0, 'sum', () => shmkern.sum(view)], [1, 'stats', () => shmkern.stats(view, { ddof: 1 })]]) {
      const ours = await median(call, repeat);
      const theirs = await median(() => recipe(op, n), repeat);
      const loop = await median(() => plain(op, view), repeat);
      const fast = op === 0 ? await median(() => tuned(view), repeat) : NaN;
      const t = op === 0 ? fmt(fast) : '—';
      const r = op === 0 ? `×${(fast / ours).toFixed(2)}` : '—';
      console.log(`| ${label} | ${name} | ${fmt(ours)} | ${fmt(theirs)} | ${fmt(loop)} | ${t} | ×${(theirs / ours).toFixed(2)} | ×${(loop / ours).toFixed(2)} | ${r} |`);
    }
  }
  Atomics.store(ctl, OP, -1); Atomics.add(ctl, GO, 1); Atomics.notify(ctl, GO);
  await Promise.all(workers.map((w) => new Promise((r) => w.on('exit', r))));
})();
