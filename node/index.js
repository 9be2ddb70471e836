'use strict';
// shmkern for Node.js: every kernel runs on shmkern's thread pool, off the event loop, over the
// typed array's own memory (an ArrayBuffer or a SharedArrayBuffer; never copied), and gives the
// same bits as the Rust library for any `threads`. Each function returns a promise; options are
// `{ threads, signal }` plus the kernel's own. Errors: TypeError (wrong type), RangeError (a
// value out of range, columns that do not fit together), the signal's reason when aborted.
const native = require('./shmkern.node');

const TAGGED = /^\[(TypeError|RangeError|AbortError)\] ([\s\S]*)$/;

// The JavaScript error a native error stands for (error.rs tags the message).
function typed(e, signal) {
  const m = e && typeof e.message === 'string' ? TAGGED.exec(e.message) : null;
  if (signal && signal.aborted && (!m || m[1] === 'AbortError')) return signal.reason;
  if (!m) return e;
  if (m[1] === 'TypeError') return new TypeError(m[2]);
  if (m[1] === 'RangeError') return new RangeError(m[2]);
  const abort = new Error(m[2]);
  abort.name = 'AbortError';
  return abort;
}

function options(o, name) {
  if (o === undefined || o === null) return {};
  if (typeof o !== 'object') throw new TypeError(`${name}: options must be an object`);
  if (o.threads !== undefined && !(Number.isInteger(o.threads) && o.threads >= 1)) {
    throw new RangeError(`${name}: threads must be a positive integer, got ${o.threads}`);
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw new TypeError(`${name}: signal must be an AbortSignal`);
  }
  return o;
}

const NONE = Object.freeze({});

// A native call's result as a promise: its own (a call queued off the event loop), or one already
// settled (a small input, computed at once; or an error, which napi-rs hands back rather than
// throws for a call refused before it started). Errors become typed rejections.
function settle(r, signal) {
  if (r instanceof Promise) {
    return r.catch((e) => {
      throw typed(e, signal);
    });
  }
  if (r instanceof Error) return Promise.reject(typed(r, signal));
  return Promise.resolve(r);
}

// Runs one native call with its options checked. Not an async function: at 1,000 elements the
// call itself costs less than one.
function call(name, o, start) {
  let signal;
  try {
    if (o === undefined) {
      o = NONE;
    } else {
      o = options(o, name);
      signal = o.signal;
      if (signal && signal.aborted) return Promise.reject(signal.reason);
    }
    return settle(start(o, signal), signal);
  } catch (e) {
    return Promise.reject(typed(e, signal));
  }
}

const u = (x) => (x === undefined ? null : x);

// The output plane of an image call: `o.out`, or a new one of width × height bytes.
function plane(o, width, height) {
  for (const [k, v] of [['width', width], ['height', height]]) {
    if (!Number.isInteger(v) || v < 1 || v > 0xffffffff) throw new RangeError(`image: ${k} must be a positive integer, got ${v}`);
  }
  if (o.out === undefined) return new Uint8Array(width * height);
  if (!(o.out instanceof Uint8Array)) throw new TypeError('image: out must be a Uint8Array');
  return o.out;
}

module.exports = {
  /** Sum; floats in f64 on shmkern's fixed tree (`accuracy`: 'fast', 'compensated', 'exact'), integers exactly as a BigInt. */
  sum(data, o) {
    if (o === undefined) {
      try {
        return settle(native.sum(data, null, null, null)); // the common call, without closures
      } catch (e) {
        return Promise.reject(typed(e));
      }
    }
    return call('sum', o, (o, s) => native.sum(data, u(o.accuracy), u(o.threads), u(s)));
  },
  /** count, nanCount, sum, min, max, mean, variance, std (`ddof`, default 0), one read. */
  stats(data, o) {
    if (o === undefined) {
      try {
        return settle(native.stats(data, null, null, null));
      } catch (e) {
        return Promise.reject(typed(e));
      }
    }
    return call('stats', o, (o, s) => native.stats(data, u(o.ddof), u(o.threads), u(s)));
  },
  /** min, argmin, max, argmax, count, nanCount; `nan`: 'skip' (default), 'propagate', 'greatest'. */
  minmax: (data, o) => call('minmax', o, (o, s) => native.minmax(data, u(o.nan), u(o.threads), u(s))),
  /** mean, variance, std (`ddof`), skewness, excess kurtosis; NaN skipped. */
  moments: (data, o) => call('moments', o, (o, s) => native.moments(data, u(o.ddof), u(o.threads), u(s))),
  /** count, nanCount, exact sum, mean and variance (`ddof`) rounded once. Float arrays. */
  exactMoments: (data, o) =>
    call('exactMoments', o, (o, s) => native.exactMoments(data, u(o.ddof), u(o.threads), u(s))),
  /** l1, l2 (scaled: no overflow or underflow), linf, count. */
  norms: (data, o) => call('norms', o, (o, s) => native.norms(data, u(o.threads), u(s))),
  /** Dot product of two float arrays of one type (`accuracy` as `sum`). */
  dot: (a, b, o) => call('dot', o, (o, s) => native.dot(a, b, u(o.accuracy), u(o.threads), u(s))),
  /** covariance (`ddof`, default 1), correlation, means and variances of two arrays. */
  covariance: (a, b, o) =>
    call('covariance', o, (o, s) => native.covariance(a, b, u(o.ddof), u(o.threads), u(s))),
  /** numpy's histogram: `bins` (default 10) over `range` [lo, hi] or the data's min and max. */
  histogram: (data, o) =>
    call('histogram', o, (o, s) => {
      const bins = o.bins === undefined ? 10 : o.bins;
      if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`histogram: bins must be a positive integer, got ${bins}`);
      const r = o.range;
      if (r !== undefined && !(Array.isArray(r) && r.length === 2)) throw new TypeError('histogram: range must be [lo, hi]');
      return native.histogram(data, bins, r ? r[0] : null, r ? r[1] : null, u(o.threads), u(s));
    }),
  /** Exact quantiles, numpy's default 'linear' method over the non-NaN values; null where none. */
  quantiles: (data, q, o) =>
    call('quantiles', o, (o, s) => {
      if (!Array.isArray(q) || !q.every((x) => typeof x === 'number')) throw new TypeError('quantiles: q must be an array of numbers');
      return native.quantiles(data, q, u(o.threads), u(s));
    }),
  /** `stats` of each group 0..groups-1 of an integer key array. */
  groupStats: (keys, values, groups, o) =>
    call('groupStats', o, (o, s) => {
      if (!Number.isInteger(groups) || groups < 0) throw new RangeError(`groupStats: groups must be a non-negative integer, got ${groups}`);
      return native.groupStats(keys, values, groups, u(o.ddof), u(o.threads), u(s));
    }),
  /** pandas' describe() of one array plus skewness and excess kurtosis, the keys of `shmkern describe --json`. */
  describe: async (data, o) => {
    const opts = { ...(o || {}), ddof: 1 };
    const [s, m, q] = await Promise.all([
      module.exports.stats(data, opts),
      module.exports.moments(data, opts),
      module.exports.quantiles(data, [0.25, 0.5, 0.75], o),
    ]);
    return {
      count: s.count, nanCount: s.nanCount, mean: m.mean, std: m.std, min: s.min,
      q25: q[0], q50: q[1], q75: q[2], max: s.max, skewness: m.skewness, kurtosis: m.kurtosis,
    };
  },
  /** Image transforms on the pool, into `out` (default: a new Uint8Array of width × height). */
  image: {
    /** The luma plane of an RGB or RGBA image (`channels` 3 or 4; default from the length). */
    grayscale: (pixels, width, height, o) =>
      call('image.grayscale', o, (o, s) => {
        const channels = o.channels !== undefined ? o.channels : pixels && pixels.length === width * height * 4 ? 4 : 3;
        return native.imageGrayscale(pixels, plane(o, width, height), width, height, channels, u(o.threads), u(s));
      }),
    /** A box blur of a luma plane: each pixel the rounded mean of its (2·radius + 1)² window, clamped at the edges. */
    boxBlur: (pixels, width, height, radius, o) =>
      call('image.boxBlur', o, (o, s) => {
        if (!Number.isInteger(radius) || radius < 0) throw new RangeError(`image.boxBlur: radius must be a non-negative integer, got ${radius}`);
        return native.imageBoxBlur(pixels, plane(o, width, height), width, height, radius, u(o.threads), u(s));
      }),
  },
  /** PBKDF2-HMAC-SHA512 of each password with one salt, a pool task each: Buffers equal to crypto.pbkdf2's. */
  hashPasswords: (passwords, salt, o) =>
    call('hashPasswords', o, (o, s) => {
      if (!Array.isArray(passwords) || !passwords.every((p) => typeof p === 'string')) throw new TypeError('hashPasswords: passwords must be an array of strings');
      const saltBytes = typeof salt === 'string' ? Buffer.from(salt) : ArrayBuffer.isView(salt) ? Buffer.from(salt.buffer, salt.byteOffset, salt.byteLength) : null;
      if (!saltBytes) throw new TypeError('hashPasswords: salt must be a string, a Buffer or a typed array');
      const iterations = o.iterations === undefined ? 100_000 : o.iterations;
      const keyLength = o.keyLength === undefined ? 64 : o.keyLength;
      for (const [k, v] of [['iterations', iterations], ['keyLength', keyLength]]) {
        if (!Number.isInteger(v) || v < 1 || v > 0xffffffff) throw new RangeError(`hashPasswords: ${k} must be a positive integer, got ${v}`);
      }
      return native.hashPasswords(passwords, saltBytes, iterations, keyLength, u(o.threads), u(s));
    }),
  /** A .npy file (or a raw one, with `{ dtype: 'f64' }`) mapped as a typed array: no copy into the JS heap. */
  open: (path, o) => {
    o = o || {};
    if (typeof path !== 'string') throw new TypeError('open: path must be a string');
    let array;
    try {
      array = native.open(path, u(o.dtype));
    } catch (e) {
      throw typed(e);
    }
    if (array instanceof Error) throw typed(array);
    return array;
  },
};
