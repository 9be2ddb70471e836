'use strict';
// Image processing — the seed's third example with the addon: an RGB frame in a SharedArrayBuffer
// (so worker threads could draw or read it in place), turned to its luma plane and box-blurred on
// shmkern's pool off the event loop, then checked byte for byte against a plain pass.
//
//   cd node && npm install && npm run build && cd .. && node examples/node/image.js [out-dir]
//
// Writes the result as a PGM file into out-dir (default: the system's temporary directory).
const fs = require('fs');
const os = require('os');
const path = require('path');
const shmkern = require('../../node');

const WIDTH = 1920, HEIGHT = 1080, RADIUS = 4;

function draw(rgb) {
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const [fx, fy] = [x / WIDTH, y / HEIGHT];
      const [dx, dy] = [fx - 0.5, ((fy - 0.5) * HEIGHT) / WIDTH];
      const ring = Math.sin(Math.sqrt(dx * dx + dy * dy) * 60) > 0;
      const i = 3 * (y * WIDTH + x);
      rgb[i] = 255 * fx; rgb[i + 1] = 255 * fy; rgb[i + 2] = ring ? 230 : 40;
    }
  }
}

(async () => {
  const rgb = new Uint8Array(new SharedArrayBuffer(WIDTH * HEIGHT * 3));
  draw(rgb);
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 1);
  const t0 = process.hrtime.bigint();
  const gray = await shmkern.image.grayscale(rgb, WIDTH, HEIGHT);
  const blurred = await shmkern.image.boxBlur(gray, WIDTH, HEIGHT, RADIUS, { out: new Uint8Array(new SharedArrayBuffer(WIDTH * HEIGHT)) });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  clearInterval(ticker);

  // The same transforms as a plain pass, for the check.
  const t1 = process.hrtime.bigint();
  const want = new Uint8Array(WIDTH * HEIGHT);
  for (let i = 0; i < want.length; i++) {
    want[i] = Math.floor((299 * rgb[3 * i] + 587 * rgb[3 * i + 1] + 114 * rgb[3 * i + 2] + 500) / 1000);
  }
  const wantBlur = new Uint8Array(WIDTH * HEIGHT);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const [x0, x1] = [Math.max(0, x - RADIUS), Math.min(WIDTH - 1, x + RADIUS)];
      const [y0, y1] = [Math.max(0, y - RADIUS), Math.min(HEIGHT - 1, y + RADIUS)];
      let sum = 0;
      for (let yy = y0; yy <= y1; yy++) for (let xx = x0; xx <= x1; xx++) sum += want[yy * WIDTH + xx];
      const n = (x1 - x0 + 1) * (y1 - y0 + 1);
      wantBlur[y * WIDTH + x] = Math.floor((sum + Math.floor(n / 2)) / n);
    }
  }
  const plainMs = Number(process.hrtime.bigint() - t1) / 1e6;

  const out = path.join(process.argv[2] || os.tmpdir(), 'shmkern-node-image.pgm');
  fs.writeFileSync(out, Buffer.concat([Buffer.from(`P5\n${WIDTH} ${HEIGHT}\n255\n`), Buffer.from(blurred.buffer)]));
  console.log(`${WIDTH}×${HEIGHT} RGB → grayscale → ${2 * RADIUS + 1}×${2 * RADIUS + 1} box blur: ${ms.toFixed(1)} ms on the pool (plain JavaScript ${plainMs.toFixed(1)} ms); the event loop ticked ${ticks} times meanwhile`);
  if (!Buffer.from(gray).equals(Buffer.from(want)) || !Buffer.from(blurred.buffer).equals(Buffer.from(wantBlur))) {
    console.error('MISMATCH with the plain pass');
    process.exit(1);
  }
  console.log(`checked byte for byte against a plain pass; output: ${out}`);
})().catch((e) => { console.error(e); process.exit(1); });
