// Type-checked by types.test.js (tsc --strict): the declarations in index.d.ts describe the API as
// a TypeScript user calls it.
import * as shmkern from '..';

async function main(): Promise<void> {
  const a = new Float64Array(new SharedArrayBuffer(8 * 1000));
  const s: shmkern.Stats = await shmkern.stats(a, { ddof: 1, threads: 2 });
  const total: number = await shmkern.sum(a, { accuracy: 'exact', signal: new AbortController().signal });
  const exact: bigint = await shmkern.sum(new Int32Array(4));
  const e: shmkern.Extremes = await shmkern.minmax(a, { nan: 'propagate' });
  const q: (number | null)[] = await shmkern.quantiles(a, [0.5]);
  const h: shmkern.Histogram = await shmkern.histogram(a, { bins: 4, range: [0, 1] });
  const g: shmkern.Stats[] = await shmkern.groupStats(new Uint8Array(1000), a, 3);
  const d: number = await shmkern.dot(a, a);
  const desc: shmkern.Describe = await shmkern.describe(a);
  console.log(desc.q50);
  const m = shmkern.open('data.npy');
  const n: shmkern.Norms = await shmkern.norms(m);
  const gray: Uint8Array = await shmkern.image.grayscale(new Uint8ClampedArray(4 * 6), 2, 3);
  const blurred: Uint8Array = await shmkern.image.boxBlur(gray, 2, 3, 1, { out: new Uint8Array(6) });
  const keys: Buffer[] = await shmkern.hashPasswords(['a', 'b'], 'salt', { iterations: 10 });
  console.log(blurred.length, keys[0].length);
  console.log(s.mean, total, exact, e.argmax, q, h.counts, g.length, d, n.l2);
}
void main;
