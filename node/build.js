'use strict';
// `npm run build`: compiles the addon (release) with cargo and copies it next to index.js as
// shmkern.node. Needs a Rust toolchain (1.89 or later); the crate is node/ in shmkern's workspace.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
execFileSync('cargo', ['build', '--release', '-p', 'shmkern-node'], { cwd: root, stdio: 'inherit' });
const target = process.env.CARGO_TARGET_DIR
  ? path.resolve(root, process.env.CARGO_TARGET_DIR)
  : path.join(root, 'target');
const lib = { linux: 'libshmkern_node.so', darwin: 'libshmkern_node.dylib', win32: 'shmkern_node.dll' }[
  process.platform
];
if (!lib) throw new Error(`shmkern: no build recipe for platform ${process.platform}`);
fs.copyFileSync(path.join(target, 'release', lib), path.join(__dirname, 'shmkern.node'));
console.log('built', path.join(__dirname, 'shmkern.node'));
