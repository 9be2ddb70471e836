'use strict';
// index.d.ts against a TypeScript user's calls (test/usage.ts), with the compiler `npm install`
// brings (devDependencies).
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('child_process');
const path = require('path');

test('the TypeScript declarations type-check a user\'s calls', () => {
  const tsc = path.join(__dirname, '..', 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'commonjs',
    '--types', 'node', path.join(__dirname, 'usage.ts')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc failed (run npm install in node/ first):\n${r.stdout}${r.stderr}`);
});
