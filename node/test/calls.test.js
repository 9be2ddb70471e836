'use strict';
// Zero-copy, off the event loop, abort, bad input, open().
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const shmkern = require('..');

// 64 Mi f64 (512 MiB): exact moments on one thread take a few hundred ms, long enough for the
// checks below, none of which compares times.
const LONG = 1 << 26;
let long;
function longInput() {
  if (!long) {
    long = new Float64Array(new SharedArrayBuffer(LONG * 8));
    for (let i = 0; i < LONG; i++) long[i] = (i % 1000) * 0.5;
  }
  return long;
}

test('a SharedArrayBuffer is read in place: no copy, and later writes are seen', async () => {
  const a = longInput();
  const before = process.resourceUsage().maxRSS; // KiB
  const s = await shmkern.stats(a);
  const grown = process.resourceUsage().maxRSS - before;
  assert.equal(s.count, LONG);
  // A copy would raise the peak by 512 MiB (524,288 KiB).
  assert.ok(grown < 64 * 1024, `peak RSS grew by ${grown} KiB`);
  const small = new Float64Array(new SharedArrayBuffer(8 * 4));
  assert.equal(await shmkern.sum(small), 0);
  small[2] = 5;
  assert.equal(await shmkern.sum(small), 5);
  const view = new Float64Array(small.buffer, 8, 2); // a view at an offset
  assert.equal(await shmkern.sum(view), 5);
});

test('the event loop keeps ticking during a call', async () => {
  const a = longInput();
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    const p = shmkern.exactMoments(a, { threads: 1 });
    const atStart = ticks;
    await p;
    // Interval callbacks run only while the loop is free: a call that blocked it would see none.
    assert.ok(ticks - atStart >= 3, `${ticks - atStart} ticks during the call`);
  } finally {
    clearInterval(timer);
  }
});

test('an AbortSignal cancels a running call; an aborted one never starts', async () => {
  const a = longInput();
  const ac = new AbortController();
  // 5 ms in: a call of this input takes tens of milliseconds, so the abort lands inside it even
  // on a CPU several times faster. A call that ignored the signal would resolve (index.js
  // returns a finished call's result).
  setTimeout(() => ac.abort(), 5);
  await assert.rejects(shmkern.exactMoments(a, { threads: 1, signal: ac.signal }), { name: 'AbortError' });
  await assert.rejects(shmkern.sum(a, { signal: AbortSignal.abort() }), { name: 'AbortError' });
  assert.equal(await shmkern.sum(Float64Array.from([1, 2])), 3); // the pool is fine afterwards
});

test('bad input: TypeError or RangeError, never a crash', async () => {
  const a = Float64Array.from([1, 2, 3]);
  for (const bad of [[1, 2], 'x', 3, null, undefined, {}, new ArrayBuffer(8), new DataView(new ArrayBuffer(8))]) {
    await assert.rejects(shmkern.sum(bad), TypeError);
  }
  await assert.rejects(shmkern.sum(a, { accuracy: 'precise' }), RangeError);
  await assert.rejects(shmkern.sum(a, { threads: 0 }), RangeError);
  await assert.rejects(shmkern.sum(a, 'fast'), TypeError);
  await assert.rejects(shmkern.minmax(a, { nan: 'ignore' }), RangeError);
  await assert.rejects(shmkern.dot(a, a.subarray(1)), RangeError);
  await assert.rejects(shmkern.dot(a, Float32Array.from(a)), TypeError);
  await assert.rejects(shmkern.dot(Int32Array.from(a), Int32Array.from(a)), TypeError);
  await assert.rejects(shmkern.quantiles(a, [1.5]), RangeError);
  await assert.rejects(shmkern.quantiles(a, 0.5), TypeError);
  await assert.rejects(shmkern.histogram(a, { bins: 0 }), RangeError);
  await assert.rejects(shmkern.groupStats(Int32Array.from([0, 7, 1]), a, 3), RangeError);
  await assert.rejects(shmkern.groupStats(a, a, 3), TypeError);
  await assert.rejects(shmkern.exactMoments(Int8Array.from([1])), TypeError);
});

test('open(): a .npy file mapped as a typed array', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkern-open-'));
  const values = Float64Array.from({ length: 100_000 }, (_, i) => i * 0.25);
  const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000,), }";
  const pad = 64 - ((10 + header.length + 1) % 64);
  const npy = Buffer.concat([
    Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0]),
    Buffer.from(Uint16Array.from([header.length + pad + 1]).buffer),
    Buffer.from(header + ' '.repeat(pad) + '\n'),
    Buffer.from(values.buffer),
  ]);
  const file = path.join(dir, 'v.npy');
  fs.writeFileSync(file, npy);
  const m = shmkern.open(file);
  assert.ok(m instanceof Float64Array);
  assert.equal(m.length, values.length);
  assert.deepStrictEqual(await shmkern.stats(m), await shmkern.stats(values));
  m[0] = 1e6; // copy-on-write: this process's page only
  assert.equal(fs.readFileSync(file).readDoubleLE(npy.length - values.byteLength), 0);
  assert.equal(await shmkern.sum(m), (await shmkern.sum(values)) + 1e6);
  const raw = path.join(dir, 'v.i32');
  fs.writeFileSync(raw, Buffer.from(Int32Array.from([5, -2, 9]).buffer));
  assert.deepStrictEqual(Array.from(shmkern.open(raw, { dtype: 'i32' })), [5, -2, 9]);
  assert.throws(() => shmkern.open(raw), TypeError); // a raw file needs its dtype
  assert.throws(() => shmkern.open(raw, { dtype: 'f64' }), RangeError); // 12 bytes: not whole f64s
  assert.throws(() => shmkern.open(path.join(dir, 'missing.npy')), /No such file/);
  assert.throws(() => shmkern.open(42), TypeError);
});

test('examples/node/analysis.js runs and checks itself', () => {
  const { spawnSync } = require('child_process');
  const script = path.join(__dirname, '..', '..', 'examples', 'node', 'analysis.js');
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /checked against a plain pass: ok/);
});
