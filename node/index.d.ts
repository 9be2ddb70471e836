// TypeScript declarations for shmkern's Node.js addon (index.js).

/** Any typed array the kernels read, on an ArrayBuffer or a SharedArrayBuffer. */
export type NumericArray =
  | Float64Array | Float32Array
  | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint8ClampedArray | Uint16Array | Uint32Array | BigUint64Array;
export type FloatArray = Float64Array | Float32Array;
export type IntegerArray =
  | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint8ClampedArray | Uint16Array | Uint32Array | BigUint64Array;

/** Options every call takes. */
export interface CallOptions {
  /** Participants in the computation (default: one per core). The result's bits do not depend on it. */
  threads?: number;
  /** Cancels the call: before it starts, or at the next chunk boundary. The promise rejects with the signal's reason. */
  signal?: AbortSignal;
}
export type Accuracy = 'fast' | 'compensated' | 'exact';

/** A value of the array's element type: a number, or a BigInt for BigInt64Array/BigUint64Array. */
export type Element = number | bigint;

export interface Stats {
  count: number; nanCount: number;
  /** A number for float arrays; the exact sum as a BigInt for integer arrays. */
  sum: number | bigint;
  min: Element | null; max: Element | null;
  mean: number | null; variance: number | null; std: number | null;
}
export interface Extremes {
  count: number; nanCount: number;
  min: Element | null; argmin: number | null; max: Element | null; argmax: number | null;
}
export interface Moments {
  count: number; nanCount: number;
  mean: number | null; variance: number | null; std: number | null;
  skewness: number | null; kurtosis: number | null;
}
export interface ExactMoments {
  count: number; nanCount: number; sum: number;
  mean: number | null; variance: number | null; std: number | null;
}
export interface Norms { count: number; l1: number; l2: number; linf: number }
export interface Covariance {
  count: number; meanA: number | null; meanB: number | null;
  varianceA: number | null; varianceB: number | null;
  covariance: number | null; correlation: number | null;
}
export interface Histogram { counts: number[]; edges: number[]; below: number; above: number; nanCount: number }

/** Sum: floats in f64 on shmkern's fixed tree; integers exactly, as a BigInt. NaN propagates. */
export function sum(data: FloatArray, options?: CallOptions & { accuracy?: Accuracy }): Promise<number>;
export function sum(data: IntegerArray, options?: CallOptions): Promise<bigint>;
/** Count, NaN count, sum, min, max, mean, variance and std (`ddof`, default 0) in one read. */
export function stats(data: NumericArray, options?: CallOptions & { ddof?: number }): Promise<Stats>;
/** Extremes and their first positions; `nan`: 'skip' (default), 'propagate', 'greatest'. */
export function minmax(data: NumericArray, options?: CallOptions & { nan?: 'skip' | 'propagate' | 'greatest' }): Promise<Extremes>;
/** Mean, variance (`ddof`), std, skewness, excess kurtosis; NaN skipped. */
export function moments(data: NumericArray, options?: CallOptions & { ddof?: number }): Promise<Moments>;
/** Exact sum; mean and variance (`ddof`) rounded once from exact power sums. */
export function exactMoments(data: FloatArray, options?: CallOptions & { ddof?: number }): Promise<ExactMoments>;
/** L1, L2 (scaled: no overflow or underflow) and L∞ norms. */
export function norms(data: NumericArray, options?: CallOptions): Promise<Norms>;
/** Dot product of two float arrays of one type and length. */
export function dot(a: FloatArray, b: FloatArray, options?: CallOptions & { accuracy?: Accuracy }): Promise<number>;
/** Covariance (`ddof`, default 1) and Pearson correlation of two arrays of one type and length. */
export function covariance(a: NumericArray, b: NumericArray, options?: CallOptions & { ddof?: number }): Promise<Covariance>;
/** numpy's histogram: `bins` (default 10) uniform bins over `range` or the data's min and max. */
export function histogram(data: NumericArray, options?: CallOptions & { bins?: number; range?: [number, number] }): Promise<Histogram>;
/** Exact quantiles (numpy's 'linear' method over the non-NaN values), each q in [0, 1]; null where none. */
export function quantiles(data: NumericArray, q: number[], options?: CallOptions): Promise<(number | null)[]>;
/** Stats of each group 0..groups-1 of an integer key array. */
export function groupStats(keys: IntegerArray, values: NumericArray, groups: number, options?: CallOptions & { ddof?: number }): Promise<Stats[]>;
export interface Describe {
  count: number; nanCount: number; mean: number | null; std: number | null; min: Element | null;
  q25: number | null; q50: number | null; q75: number | null; max: Element | null;
  skewness: number | null; kurtosis: number | null;
}
/** pandas' describe() (std with ddof 1, quartiles by numpy's 'linear' method) plus skewness and excess kurtosis. */
export function describe(data: NumericArray, options?: CallOptions): Promise<Describe>;
/** A .npy file, or a raw little-endian one with `dtype`, mapped copy-on-write as a typed array (no copy into the JS heap). */
export function open(path: string, options?: { dtype?: 'f64' | 'f32' | 'i8' | 'i16' | 'i32' | 'i64' | 'u8' | 'u16' | 'u32' | 'u64' }): NumericArray;

/** Image transforms on shmkern's pool, by chunks of rows, into `out` (default: a new Uint8Array of width × height). */
export namespace image {
  /** The luma plane of an RGB or RGBA image: (299 r + 587 g + 114 b + 500) / 1000 per pixel. */
  function grayscale(pixels: Uint8Array | Uint8ClampedArray, width: number, height: number,
    options?: CallOptions & { channels?: 3 | 4; out?: Uint8Array }): Promise<Uint8Array>;
  /** Each pixel the rounded mean of its (2·radius + 1)² window, clamped at the edges. */
  function boxBlur(pixels: Uint8Array | Uint8ClampedArray, width: number, height: number, radius: number,
    options?: CallOptions & { out?: Uint8Array }): Promise<Uint8Array>;
}
/** PBKDF2-HMAC-SHA512 of each password with one salt (defaults: 100,000 iterations, 64-byte keys). */
export function hashPasswords(passwords: string[], salt: string | ArrayBufferView,
  options?: CallOptions & { iterations?: number; keyLength?: number }): Promise<Buffer[]>;
