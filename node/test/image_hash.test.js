'use strict';
// The image transforms and password hashing against plain JavaScript and Node's crypto.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('crypto');
const path = require('path');
const { spawnSync } = require('child_process');
const shmkern = require('..');
const { rng } = require('./helpers');

function randomImage(width, height, channels, seed) {
  const r = rng(seed);
  return Uint8ClampedArray.from({ length: width * height * channels }, () => Math.floor(r() * 256));
}

function grayscaleJs(px, width, height, channels) {
  const out = new Uint8Array(width * height);
  for (let i = 0; i < out.length; i++) {
    const [r, g, b] = [px[i * channels], px[i * channels + 1], px[i * channels + 2]];
    out[i] = Math.floor((299 * r + 587 * g + 114 * b + 500) / 1000);
  }
  return out;
}

function blurJs(src, width, height, radius) {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [x0, x1] = [Math.max(0, x - radius), Math.min(width - 1, x + radius)];
      const [y0, y1] = [Math.max(0, y - radius), Math.min(height - 1, y + radius)];
      let sum = 0;
      for (let yy = y0; yy <= y1; yy++) for (let xx = x0; xx <= x1; xx++) sum += src[yy * width + xx];
      const n = (x1 - x0 + 1) * (y1 - y0 + 1);
      out[y * width + x] = Math.floor((sum + Math.floor(n / 2)) / n);
    }
  }
  return out;
}

test('grayscale and box blur: the bytes of a plain pass, on any thread count', async () => {
  for (const [width, height, channels] of [[37, 23, 3], [64, 48, 4], [1, 1, 3], [300, 201, 3]]) {
    const px = randomImage(width, height, channels, width * height);
    const want = grayscaleJs(px, width, height, channels);
    for (const threads of [1, 2, 3]) {
      assert.deepStrictEqual(await shmkern.image.grayscale(px, width, height, { threads }), want);
    }
    for (const radius of [0, 1, 3]) {
      const blurred = blurJs(want, width, height, radius);
      const out = new Uint8Array(new SharedArrayBuffer(width * height));
      const got = await shmkern.image.boxBlur(want, width, height, radius, { out, threads: 2 });
      assert.equal(got, out); // resolves to the output it was given
      assert.deepStrictEqual(new Uint8Array(out), blurred);
    }
  }
});

test('image: bad input is a TypeError or RangeError', async () => {
  const px = new Uint8Array(4 * 4 * 3);
  await assert.rejects(shmkern.image.grayscale(px, 4, 5), RangeError); // wrong size
  await assert.rejects(shmkern.image.grayscale(px, 4, 4, { channels: 2 }), RangeError);
  await assert.rejects(shmkern.image.grayscale(new Float64Array(48), 4, 4), TypeError);
  await assert.rejects(shmkern.image.grayscale(px, 4, 4, { out: new Uint8Array(3) }), RangeError);
  await assert.rejects(shmkern.image.grayscale(px, 4, 4, { out: px.subarray(0, 16) }), /overlap/);
  await assert.rejects(shmkern.image.boxBlur(px, 0, 4, 1), RangeError);
  await assert.rejects(shmkern.image.boxBlur(new Uint8Array(16), 4, 4, -1), RangeError);
});

test('hashPasswords: the keys of crypto.pbkdf2 with sha512', async () => {
  const passwords = ['correct horse', 'battery staple', '', 'pässwörd', 'x'.repeat(200)];
  const salt = crypto.randomBytes(16);
  const keys = await shmkern.hashPasswords(passwords, salt, { iterations: 1000, keyLength: 48 });
  assert.equal(keys.length, passwords.length);
  passwords.forEach((p, i) => assert.deepStrictEqual(keys[i], crypto.pbkdf2Sync(p, salt, 1000, 48, 'sha512')));
  assert.deepStrictEqual(await shmkern.hashPasswords([], 'salt'), []);
  await assert.rejects(shmkern.hashPasswords(['a'], 'salt', { iterations: 0 }), RangeError);
  await assert.rejects(shmkern.hashPasswords(['a'], 'salt', { keyLength: 5000 }), RangeError);
  await assert.rejects(shmkern.hashPasswords('a', 'salt'), TypeError);
  await assert.rejects(shmkern.hashPasswords(['a'], 42), TypeError);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(shmkern.hashPasswords(['a'], 'salt', { signal: ac.signal }), { name: 'AbortError' });
});

test('examples/node: image.js and hash_passwords.js run and check themselves', () => {
  for (const name of ['image.js', 'hash_passwords.js']) {
    const r = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'examples', 'node', name)], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${name}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /checked/);
  }
});
