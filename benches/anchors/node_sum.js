'use strict';
// node_sum.js: the "Node.js approach" anchor for the parallel f64 sum benchmark.
// Spawned by the Rust bench driver:  node node_sum.js <data_path> <count> <max_threads>
//
// Protocol (one stdout line per event; stdout carries nothing else):
//   startup  reads count*8 bytes (little-endian f64) from data_path into one SharedArrayBuffer,
//            starts max_threads Workers once, waits until all are ready, then prints
//            `ready node <version>, <max_threads> worker_threads, SharedArrayBuffer, Atomics.wait/notify`
//   `sum <threads> <n> <iters>`  iters back-to-back parallel sums of a[0..n); worker w sums
//            [floor(w*n/threads), floor((w+1)*n/threads)), main adds the partials in worker order.
//   `seq <n> <iters>`            the same kernel over [0, n) on the main thread.
//            Both answer `<elapsed_ns> <bits>`: hrtime of the whole loop, and the last call's
//            result as 16 lowercase hex digits of its IEEE-754 bit pattern.
//   `quit` or EOF: exit 0.  Anything malformed: `error <message>`, exit 1.
//
// Design. This same file is the worker script (isMainThread / workerData). Shared state:
//   data    SharedArrayBuffer of count f64, viewed as a Float64Array (x86-64 is little-endian).
//   ctl     control SAB: f64 slot 0 = n of the current call (a float so n may exceed 2^31);
//           Int32 words PENDING, THREADS, QUIT, READY; then one wake (generation) word per
//           worker at WAKE0 + w. Per-worker words let main wake exactly workers 0..threads, so
//           workers with id >= threads really stay asleep instead of all being notified.
//   results Float64Array, one partial per worker.
// A call: main stores n and threads, sets PENDING = threads, then for each participating w does
// Atomics.add(ctl, WAKE0+w, 1) + Atomics.notify. Each worker sleeps in Atomics.wait on its own
// word (no spinning), computes its slice, stores results[w], Atomics.sub(PENDING); the worker
// that takes PENDING to 0 notifies main. Main blocks in Atomics.wait on PENDING (allowed on
// Node's main thread; a Node program would await instead, but each call is a synchronous
// dispatch/join here, and blocking avoids charging event-loop turns to the measurement).
// Memory ordering: Atomics operations are sequentially consistent and synchronize-with each
// other, so the plain stores of n (before the wake add) are visible to a worker that saw the
// new generation, and results[w] (stored before the PENDING decrement) is visible to main once
// it observes PENDING == 0. No plain access races with another, so the program is data-race-free.
const fs = require('fs');
const { Worker, isMainThread, workerData } = require('worker_threads');

const PENDING = 2, THREADS = 3, QUIT = 4, READY = 5, FAILED = 6, WAKE0 = 8; // Int32 indices (0,1 = f64 n)

// The slice kernel: 8 independent accumulators, pairwise combine, then the tail in order.
// Always called with the same Float64Array, so it stays monomorphic.
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

if (!isMainThread) {
  // Worker: sleep on our wake word, run a slice per generation bump, until QUIT.
  const { id, dataSab, ctlSab, resSab } = workerData;
  const a = new Float64Array(dataSab), ctl = new Int32Array(ctlSab), nbox = new Float64Array(ctlSab, 0, 1);
  const results = new Float64Array(resSab);
  let seen = Atomics.load(ctl, WAKE0 + id);
  Atomics.add(ctl, READY, 1);
  Atomics.notify(ctl, READY);
  for (;;) {
    Atomics.wait(ctl, WAKE0 + id, seen); // returns at once if the word already moved on
    const g = Atomics.load(ctl, WAKE0 + id);
    if (g === seen) continue;
    seen = g;
    if (Atomics.load(ctl, QUIT) !== 0) break;
    const threads = Atomics.load(ctl, THREADS), n = nbox[0];
    try {
      results[id] = sliceSum(a, Math.floor(id * n / threads), Math.floor((id + 1) * n / threads));
    } catch (e) {
      // The main thread blocks in Atomics.wait and cannot see an 'error' event: flag it.
      Atomics.store(ctl, FAILED, 1);
    }
    if (Atomics.sub(ctl, PENDING, 1) === 1) Atomics.notify(ctl, PENDING);
  }
} else {
  const out = (line) => fs.writeSync(1, line + '\n'); // synchronous: no lost lines at exit
  const fail = (msg) => { out('error ' + msg); process.exit(1); };
  const uint = (s) => (/^\d+$/.test(s) && Number.isSafeInteger(+s) ? +s : NaN);

  const [dataPath, countArg, maxArg] = process.argv.slice(2);
  const count = uint(countArg), maxThreads = uint(maxArg);
  if (process.argv.length !== 5 || !(count >= 1) || !(maxThreads >= 1))
    fail('usage: node node_sum.js <data_path> <count> <max_threads>');

  // Load exactly count*8 bytes, with explicit positions, in chunks of at most 256 MiB.
  const total = count * 8, CHUNK = 256 * 1024 * 1024;
  let dataSab;
  try { dataSab = new SharedArrayBuffer(total); } catch (e) { fail('cannot allocate ' + total + ' bytes: ' + e.message); }
  const bytes = new Uint8Array(dataSab);
  try {
    const fd = fs.openSync(dataPath, 'r');
    for (let pos = 0; pos < total;) {
      const got = fs.readSync(fd, bytes, pos, Math.min(CHUNK, total - pos), pos);
      if (got === 0) fail(`${dataPath}: short file, ${pos} of ${total} bytes`);
      pos += got;
    }
    fs.closeSync(fd);
  } catch (e) { fail(`${dataPath}: ${e.message}`); }
  const a = new Float64Array(dataSab);

  const ctlSab = new SharedArrayBuffer(4 * (WAKE0 + maxThreads));
  const ctl = new Int32Array(ctlSab), nbox = new Float64Array(ctlSab, 0, 1);
  const resSab = new SharedArrayBuffer(8 * maxThreads), results = new Float64Array(resSab);
  for (let id = 0; id < maxThreads; id++) {
    const w = new Worker(__filename, { workerData: { id, dataSab, ctlSab, resSab } });
    w.on('error', (e) => fail(`worker ${id}: ${e.message}`));
    w.unref(); // workers never keep the process alive
  }
  // Workers boot on their own threads, so main may block until all have checked in.
  for (let r; (r = Atomics.load(ctl, READY)) < maxThreads;)
    if (Atomics.wait(ctl, READY, r, 60000) === 'timed-out') fail('workers did not start');

  let sink = 0; // every call's result flows in here, so no call can be optimised away
  const bitsBox = new DataView(new ArrayBuffer(8));
  const hexBits = (x) => { bitsBox.setFloat64(0, x); return bitsBox.getBigUint64(0).toString(16).padStart(16, '0'); };

  function parallelSum(threads, n) {
    nbox[0] = n;
    Atomics.store(ctl, THREADS, threads);
    Atomics.store(ctl, PENDING, threads);
    for (let w = 0; w < threads; w++) { Atomics.add(ctl, WAKE0 + w, 1); Atomics.notify(ctl, WAKE0 + w); }
    for (let p; (p = Atomics.load(ctl, PENDING)) !== 0;) Atomics.wait(ctl, PENDING, p);
    if (Atomics.load(ctl, FAILED) !== 0) fail('a worker threw during a sum');
    let r = results[0];
    for (let w = 1; w < threads; w++) r += results[w];
    return r;
  }

  function quit() {
    Atomics.store(ctl, QUIT, 1);
    for (let w = 0; w < maxThreads; w++) { Atomics.add(ctl, WAKE0 + w, 1); Atomics.notify(ctl, WAKE0 + w); }
    process.exit(0); // exit also tears down the (already quitting) workers
  }

  function command(line) {
    const f = line.trim().split(/\s+/), v = f.slice(1).map(uint);
    let r = 0, t0, t1;
    if (f[0] === 'quit' && f.length === 1) return quit();
    if (f[0] === 'sum' && f.length === 4) {
      const [threads, n, iters] = v;
      if (!(threads >= 1 && threads <= maxThreads && n <= count && iters >= 1)) fail('bad arguments: ' + line);
      t0 = process.hrtime.bigint();
      for (let k = 0; k < iters; k++) { r = parallelSum(threads, n); sink += r; }
      t1 = process.hrtime.bigint();
    } else if (f[0] === 'seq' && f.length === 3) {
      const [n, iters] = v;
      if (!(n <= count && iters >= 1)) fail('bad arguments: ' + line);
      t0 = process.hrtime.bigint();
      for (let k = 0; k < iters; k++) { r = sliceSum(a, 0, n); sink += r; }
      t1 = process.hrtime.bigint();
    } else fail('unknown command: ' + line);
    globalThis.sumSink = sink; // publish the sink: an observable store keeps every call live
    out(`${t1 - t0} ${hexBits(r)}`);
  }

  out(`ready node ${process.version}, ${maxThreads} worker_threads, SharedArrayBuffer, Atomics.wait/notify`);
  const rl = require('readline').createInterface({ input: process.stdin, terminal: false });
  rl.on('line', command);
  rl.on('close', quit);
}
