'use strict';
// The Rust library's own results for the same data, through the `shmkern` command's JSON output:
// SHMKERN_CLI, or the workspace's debug build (built here with cargo the first time if missing).
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const CLI = process.env.SHMKERN_CLI || path.resolve(__dirname, '../../target/debug/shmkern');

function cli(args) {
  if (!fs.existsSync(CLI) && !process.env.SHMKERN_CLI) {
    execFileSync('cargo', ['build', '-q', '-p', 'shmkern-cli'], { cwd: path.resolve(__dirname, '../..'), stdio: 'inherit' });
  }
  return JSON.parse(execFileSync(CLI, [...args, '--json'], { encoding: 'utf8' }));
}

// Writes a typed array's bytes to a temporary file and returns its path.
function tempFile(array, name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmkern-node-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.from(array.buffer, array.byteOffset, array.byteLength));
  return file;
}

// A deterministic pseudo-random generator (xorshift64*), so failures reproduce.
function rng(seed) {
  let s = BigInt(seed) | 1n;
  return () => {
    s ^= s >> 12n; s ^= (s << 25n) & 0xffffffffffffffffn; s ^= s >> 27n;
    const r = (s * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn;
    return Number(r >> 11n) / 2 ** 53;
  };
}

function normal(n, seed, mean = 0, sd = 1) {
  const r = rng(seed);
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = mean + sd * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  }
  return a;
}

module.exports = { cli, tempFile, rng, normal };
