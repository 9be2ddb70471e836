'use strict';
// Every kernel: the Rust library's bits (through the command), the same bits on 1–4 threads,
// every typed array type.
const test = require('node:test');
const assert = require('node:assert/strict');
const shmkern = require('..');
const { cli, tempFile, normal, rng } = require('./helpers');

const x = normal(300_001, 7, 1e6, 3); // shifted data, several chunks
const y = normal(300_001, 8);
const fx = tempFile(x, 'x.f64');
const fy = tempFile(y, 'y.f64');

test('sum, stats, minmax, moments, norms: the Rust library\'s bits', async () => {
  for (const accuracy of ['fast', 'compensated', 'exact']) {
    assert.equal(await shmkern.sum(x, { accuracy }), cli(['sum', fx, '--dtype', 'f64', '--accuracy', accuracy]).sum);
  }
  const s = await shmkern.stats(x, { ddof: 1 });
  const c = cli(['stats', fx, '--dtype', 'f64']);
  for (const [ours, theirs] of [['count', 'count'], ['nanCount', 'nan_count'], ['sum', 'sum'], ['min', 'min'], ['max', 'max'], ['mean', 'mean'], ['variance', 'variance'], ['std', 'std_dev']]) {
    assert.equal(s[ours], c[theirs], ours);
  }
  // The exact moments' sum is the exact sum, rounded once: the command's `--accuracy exact` bits.
  const em = await shmkern.exactMoments(x);
  assert.equal(em.sum, cli(['sum', fx, '--dtype', 'f64', '--accuracy', 'exact']).sum);
  assert.equal(em.count, x.length);
  const m = await shmkern.minmax(x);
  const cm = cli(['reduce', 'minmax', fx, '--dtype', 'f64']);
  assert.deepEqual([m.min, m.argmin, m.max, m.argmax], [cm.min, cm.argmin, cm.max, cm.argmax]);
  const mo = await shmkern.moments(x, { ddof: 1 });
  const cmo = cli(['reduce', 'moments', fx, '--dtype', 'f64']);
  for (const k of ['mean', 'variance', 'skewness', 'kurtosis']) assert.equal(mo[k], cmo[k], k);
  const n = await shmkern.norms(x);
  const cn = cli(['reduce', 'norms', fx, '--dtype', 'f64']);
  for (const k of ['l1', 'l2', 'linf']) assert.equal(n[k], cn[k], k);
});

test('dot, covariance, quantiles, histogram: the Rust library\'s bits', async () => {
  assert.equal(await shmkern.dot(x, y), cli(['reduce', 'dot', fx, fy, '--dtype', 'f64']).dot);
  assert.equal(await shmkern.dot(x, y, { accuracy: 'exact' }), cli(['reduce', 'dot', fx, fy, '--dtype', 'f64', '--exact']).dot);
  const cv = await shmkern.covariance(x, y);
  assert.equal(cv.covariance, cli(['reduce', 'covariance', fx, fy, '--dtype', 'f64']).covariance);
  const q = await shmkern.quantiles(x, [0.25, 0.5, 0.99]);
  const cq = cli(['quantile', fx, '0.25', '0.5', '0.99', '--dtype', 'f64']).quantiles;
  assert.deepEqual(q, Object.values(cq));
  const h = await shmkern.histogram(x, { bins: 9 });
  assert.deepEqual(h.counts, cli(['hist', fx, '--bins', '9', '--dtype', 'f64']).counts);
});

test('describe: the command\'s describe --json, bit for bit', async () => {
  const d = await shmkern.describe(x);
  const c = cli(['describe', fx, '--dtype', 'f64']);
  const keys = { nanCount: 'nan_count' };
  for (const k of Object.keys(d)) assert.equal(d[k], c[keys[k] || k], k);
});

test('the same bits for every thread count, every element type', async () => {
  const r = rng(3);
  const types = [Float64Array, Float32Array, Int8Array, Int16Array, Int32Array, Uint8Array, Uint8ClampedArray, Uint16Array, Uint32Array];
  for (const T of types) {
    const a = new T(100_003);
    for (let i = 0; i < a.length; i++) a[i] = (r() - 0.4) * 1000;
    const all = async (threads) => [
      await shmkern.sum(a, { threads }),
      await shmkern.stats(a, { threads }),
      await shmkern.minmax(a, { threads, nan: 'propagate' }),
      await shmkern.moments(a, { threads }),
      await shmkern.norms(a, { threads }),
      await shmkern.histogram(a, { bins: 7, threads }),
      await shmkern.quantiles(a, [0, 0.5, 1], { threads }),
    ];
    const one = await all(1);
    for (const threads of [2, 3, 4]) assert.deepStrictEqual(await all(threads), one, `${T.name}, ${threads} threads`);
  }
  const big = BigInt64Array.from({ length: 1000 }, (_, i) => BigInt(i) * 10n ** 15n - 3n);
  const s = await shmkern.stats(big);
  assert.equal(s.sum, big.reduce((a, b) => a + b, 0n)); // exact, as a BigInt
  assert.equal(s.max, 999n * 10n ** 15n - 3n);
  assert.equal(await shmkern.sum(new BigUint64Array([2n ** 64n - 1n, 2n ** 64n - 1n])), 2n ** 65n - 2n);
});

test('NaN, empty input, exact moments, groups', async () => {
  const a = Float64Array.from([3, NaN, -1, 7]);
  assert.ok(Number.isNaN(await shmkern.sum(a)));
  const s = await shmkern.stats(a);
  assert.deepEqual([s.count, s.nanCount, s.min, s.max], [3, 1, -1, 7]);
  assert.equal((await shmkern.minmax(a, { nan: 'propagate' })).argmax, 1);
  const e = await shmkern.stats(new Float64Array(0));
  assert.deepEqual([e.count, e.mean, e.min], [0, null, null]);
  const p = await shmkern.exactMoments(Float64Array.from([1e9 + 1, 1e9 + 2, 1e9 + 3]), { ddof: 1 });
  assert.deepEqual([p.mean, p.variance], [1e9 + 2, 1]);
  const keys = Int32Array.from([0, 1, 0, 2]);
  const g = await shmkern.groupStats(keys, Float64Array.from([1, 2, 3, 4]), 4);
  assert.deepEqual(g.map((s) => s.sum), [4, 2, 4, 0]);
  assert.equal(g[3].mean, null);
});
