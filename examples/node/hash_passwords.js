'use strict';
// Password hashing with a worker pool — the seed's second example with the addon: PBKDF2-HMAC-
// SHA512 (100,000 iterations) of a batch of passwords in one awaited call, a pool task each,
// checked against Node's own crypto.pbkdf2 (which runs on libuv's thread pool).
//
//   cd node && npm install && npm run build && cd .. && node examples/node/hash_passwords.js
const crypto = require('crypto');
const { promisify } = require('util');
const shmkern = require('../../node');

const pbkdf2 = promisify(crypto.pbkdf2);
const ITERATIONS = 100_000;

(async () => {
  const passwords = Array.from({ length: 8 }, (_, i) => `user-${i}-correct-horse-battery-staple`);
  const salt = Buffer.from('shmkern example salt');

  let t = process.hrtime.bigint();
  const keys = await shmkern.hashPasswords(passwords, salt, { iterations: ITERATIONS });
  const ours = Number(process.hrtime.bigint() - t) / 1e6;

  t = process.hrtime.bigint();
  const theirs = await Promise.all(passwords.map((p) => pbkdf2(p, salt, ITERATIONS, 64, 'sha512')));
  const node = Number(process.hrtime.bigint() - t) / 1e6;

  console.log(`${passwords.length} passwords, PBKDF2-HMAC-SHA512 × ${ITERATIONS.toLocaleString()}: shmkern ${ours.toFixed(0)} ms, crypto.pbkdf2 ${node.toFixed(0)} ms`);
  console.log(`first key: ${keys[0].toString('hex').slice(0, 32)}…`);
  if (!keys.every((k, i) => k.equals(theirs[i]))) {
    console.error('MISMATCH with crypto.pbkdf2');
    process.exit(1);
  }
  console.log('checked: every key equals crypto.pbkdf2\'s');
})().catch((e) => { console.error(e); process.exit(1); });
