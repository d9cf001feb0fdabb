/**
 * safety/pdq hash core: PDQ (Meta's perceptual image hash) from luminance or RGB pixels, bit-exact with the
 * reference C++ (pdqhashing.cpp / downscaling.cpp), which keeps every buffer in 32-bit float.
 *
 * Why the Math.fround everywhere: the reference rounds to float after each arithmetic step; a float64
 * pipeline drifts by a few bits on some images. fround on the double result of one +,-,*,/ of two floats
 * equals the float operation (double has more than 2*24+2 bits, so double rounding is innocuous).
 * Stores into a Float32Array round the same way, so a final fround before a store is not needed.
 */
import { DomainError } from '../../errors.js';

const fround = Math.fround;

/** A 256-bit PDQ hash (32 bytes, in the order of its hex form) and its 0..100 quality. */
export type PdqHash = { hash: Uint8Array; quality: number };

export const PDQ_VARIANTS = [
  'orig',
  'rot90',
  'rot180',
  'rot270',
  'flipx',
  'flipy',
  'flipplus1',
  'flipminus1',
] as const;
export type PdqVariant = (typeof PDQ_VARIANTS)[number];
export type PdqDihedral = { quality: number; hashes: Record<PdqVariant, Uint8Array> };

/** The reference returns an all-zero hash below this; we refuse instead, since zero hashes match each other. */
export const PDQ_MIN_DIM = 5;
/** Two float buffers of this many pixels is ~400 MB: the most one hash may hold. */
export const PDQ_MAX_PIXELS = 50_000_000;

const DOWN = 64; // the reference downsamples to 64x64 before the DCT
const DCT_N = 16;

// The reference's luma coefficients are float constants; the products with a byte are exact floats,
// so one table per channel gives the same value as multiplying every time.
const LUMA_R = new Float32Array(256);
const LUMA_G = new Float32Array(256);
const LUMA_B = new Float32Array(256);
{
  const cr = fround(0.299);
  const cg = fround(0.587);
  const cb = fround(0.114);
  for (let v = 0; v < 256; v++) {
    LUMA_R[v] = cr * v;
    LUMA_G[v] = cg * v;
    LUMA_B[v] = cb * v;
  }
}

// DCT-II rows 1..16 of a 64-point transform, computed as the reference does: float scale times a double
// cosine, product taken in double and rounded once to float.
const DCT = new Float32Array(DCT_N * DOWN);
{
  const scale = fround(Math.sqrt(2 / DOWN));
  for (let i = 0; i < DCT_N; i++) {
    for (let j = 0; j < DOWN; j++) {
      DCT[i * DOWN + j] = scale * Math.cos((Math.PI / 2 / DOWN) * (i + 1) * (2 * j + 1));
    }
  }
}

// Reused scratch so that a hash allocates almost nothing; big images get their own buffers so one huge
// upload does not pin its memory for the life of the process.
const SCRATCH_KEEP_MAX = 4_000_000;
let scratchA = new Float32Array(0);
let scratchB = new Float32Array(0);
let scratchNarrow = new Float32Array(0);
const colSums = new Float32Array(DOWN);
const buf64 = new Float32Array(DOWN * DOWN);
const buf16x64 = new Float32Array(DCT_N * DOWN);
const dct16 = new Float32Array(DCT_N * DCT_N);
const aux16 = new Float32Array(DCT_N * DCT_N);
const sortBuf = new Float32Array(DCT_N * DCT_N);
const sampleRows = new Int32Array(DOWN);
const sampleCols = new Int32Array(DOWN);
let wideSums = new Float32Array(0);

function scratch(which: 'a' | 'b' | 'narrow' | 'sums', n: number): Float32Array {
  const current = which === 'a' ? scratchA : which === 'b' ? scratchB : which === 'narrow' ? scratchNarrow : wideSums;
  if (current.length >= n) return current.length === n ? current : current.subarray(0, n);
  const fresh = new Float32Array(n);
  if (n <= SCRATCH_KEEP_MAX) {
    if (which === 'a') scratchA = fresh;
    else if (which === 'b') scratchB = fresh;
    else if (which === 'narrow') scratchNarrow = fresh;
    else wideSums = fresh;
  }
  return fresh;
}

function checkDims(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new DomainError('invalid_image', 'image dimensions must be positive integers');
  }
  if (width < PDQ_MIN_DIM || height < PDQ_MIN_DIM) {
    throw new DomainError('image_too_small', `PDQ needs at least ${PDQ_MIN_DIM}x${PDQ_MIN_DIM} pixels`);
  }
  if (width * height > PDQ_MAX_PIXELS) {
    throw new DomainError('image_too_large', `PDQ accepts at most ${PDQ_MAX_PIXELS} pixels`);
  }
}

/** Per-pass window: half of one 64th of the dimension, rounded up (two passes make a full tent). */
function windowSize(dim: number): number {
  return Math.trunc((dim + 2 * DOWN - 1) / (2 * DOWN));
}

// The box filter's running sum is kept in float and updated in the reference's exact order: first
// (half-1) adds with no output, then outputs with growing window, full window (add then subtract), and
// shrinking window. Each function below is that one sequence, laid out differently for memory order.

/** Box filter along every row, all outputs. */
function boxRows(src: Float32Array, dst: Float32Array, rows: number, cols: number, full: number): void {
  const half = (full + 2) >> 1;
  const p1 = half - 1;
  const p2 = full - half + 1;
  const p3 = cols - full;
  const p4 = half - 1;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let ri = base;
    let li = base;
    let oi = base;
    let sum = 0;
    let n = 0;
    for (let k = 0; k < p1; k++) {
      sum = fround(sum + src[ri++]);
      n++;
    }
    for (let k = 0; k < p2; k++) {
      sum = fround(sum + src[ri++]);
      n++;
      dst[oi++] = sum / n;
    }
    for (let k = 0; k < p3; k++) {
      sum = fround(sum + src[ri++]);
      sum = fround(sum - src[li++]);
      dst[oi++] = sum / n;
    }
    for (let k = 0; k < p4; k++) {
      sum = fround(sum - src[li++]);
      n--;
      dst[oi++] = sum / n;
    }
  }
}

/**
 * Box filter along every column, all outputs. Walks rows in order and keeps one running sum per column,
 * which is the same arithmetic as the reference's strided walk but reads memory sequentially.
 */
function boxCols(src: Float32Array, dst: Float32Array, rows: number, cols: number, full: number, sums: Float32Array): void {
  const half = (full + 2) >> 1;
  const p1 = half - 1;
  const p2 = full - half + 1;
  const p3 = rows - full;
  const p4 = half - 1;
  sums.fill(0, 0, cols);
  let ri = 0;
  let li = 0;
  let oi = 0;
  let n = 0;
  for (let k = 0; k < p1; k++, ri += cols) {
    for (let c = 0; c < cols; c++) sums[c] = sums[c] + src[ri + c];
    n++;
  }
  for (let k = 0; k < p2; k++, ri += cols, oi += cols) {
    n++;
    for (let c = 0; c < cols; c++) {
      const s = fround(sums[c] + src[ri + c]);
      sums[c] = s;
      dst[oi + c] = s / n;
    }
  }
  for (let k = 0; k < p3; k++, ri += cols, li += cols, oi += cols) {
    for (let c = 0; c < cols; c++) {
      const s = fround(fround(sums[c] + src[ri + c]) - src[li + c]);
      sums[c] = s;
      dst[oi + c] = s / n;
    }
  }
  for (let k = 0; k < p4; k++, li += cols, oi += cols) {
    n--;
    for (let c = 0; c < cols; c++) {
      const s = fround(sums[c] - src[li + c]);
      sums[c] = s;
      dst[oi + c] = s / n;
    }
  }
}

/**
 * Second row pass, keeping only the 64 columns that decimation will read (dst is rows x 64). The running
 * sum must still visit every pixel to round the same way; only the divisions and stores are skipped.
 */
function boxRowsSampled(
  src: Float32Array,
  dst: Float32Array,
  rows: number,
  cols: number,
  full: number,
  keep: Int32Array,
): void {
  const half = (full + 2) >> 1;
  const p1 = half - 1;
  const p2 = full - half + 1;
  const p3 = cols - full;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const out = r * DOWN;
    let ri = base;
    let li = base;
    let oi = 0;
    let t = 0;
    let next = keep[0];
    let sum = 0;
    let n = 0;
    for (let k = 0; k < p1; k++) {
      sum = fround(sum + src[ri++]);
      n++;
    }
    for (let k = 0; k < p2; k++, oi++) {
      sum = fround(sum + src[ri++]);
      n++;
      while (next === oi) {
        dst[out + t++] = sum / n;
        next = t < DOWN ? keep[t] : -1;
      }
    }
    for (let k = 0; k < p3; k++, oi++) {
      sum = fround(fround(sum + src[ri++]) - src[li++]);
      while (next === oi) {
        dst[out + t++] = sum / n;
        next = t < DOWN ? keep[t] : -1;
      }
    }
    // Shrinking phase: stop as soon as the last kept column is written.
    while (t < DOWN) {
      sum = fround(sum - src[li++]);
      n--;
      while (next === oi) {
        dst[out + t++] = sum / n;
        next = t < DOWN ? keep[t] : -1;
      }
      oi++;
    }
  }
}

/** Second column pass over the rows x 64 buffer, writing only the 64 rows that decimation reads. */
function boxColsSampled(src: Float32Array, dst: Float32Array, rows: number, full: number, keep: Int32Array): void {
  const half = (full + 2) >> 1;
  const p1 = half - 1;
  const p2 = full - half + 1;
  const p3 = rows - full;
  const sums = colSums;
  sums.fill(0);
  let ri = 0;
  let li = 0;
  let oi = 0;
  let t = 0;
  let n = 0;
  const emit = (): void => {
    while (t < DOWN && keep[t] === oi) {
      const o = t * DOWN;
      for (let c = 0; c < DOWN; c++) dst[o + c] = sums[c] / n;
      t++;
    }
  };
  for (let k = 0; k < p1; k++, ri += DOWN) {
    for (let c = 0; c < DOWN; c++) sums[c] = sums[c] + src[ri + c];
    n++;
  }
  for (let k = 0; k < p2; k++, ri += DOWN, oi++) {
    n++;
    for (let c = 0; c < DOWN; c++) sums[c] = sums[c] + src[ri + c];
    emit();
  }
  for (let k = 0; k < p3; k++, ri += DOWN, li += DOWN, oi++) {
    for (let c = 0; c < DOWN; c++) sums[c] = fround(sums[c] + src[ri + c]) - src[li + c];
    emit();
  }
  while (t < DOWN) {
    n--;
    for (let c = 0; c < DOWN; c++) sums[c] = sums[c] - src[li + c];
    li += DOWN;
    emit();
    oi++;
  }
}

/** Which input index the reference's decimation reads for each of the 64 outputs (pixel centres). */
function fillSamples(keep: Int32Array, dim: number): void {
  for (let k = 0; k < DOWN; k++) keep[k] = Math.trunc(((k + 0.5) * dim) / DOWN);
}

/** Blur (two tent passes) and decimate `src` into buf64. `src` is only read. */
function downsample(src: Float32Array, width: number, height: number, a: Float32Array, b: Float32Array): void {
  if (width === DOWN && height === DOWN) {
    // The reference skips filtering when the input is already 64x64 (e.g. pre-scaled video frames).
    buf64.set(src.subarray(0, DOWN * DOWN));
    return;
  }
  const wRows = windowSize(width);
  const wCols = windowSize(height);
  fillSamples(sampleCols, width);
  fillSamples(sampleRows, height);
  const sums = scratch('sums', width);
  boxRows(src, a, height, width, wRows);
  boxCols(a, b, height, width, wCols, sums);
  const narrow = scratch('narrow', height * DOWN);
  boxRowsSampled(b, narrow, height, width, wRows, sampleCols);
  boxColsSampled(narrow, buf64, height, wCols, sampleRows);
}

/** Sum of quantised neighbour differences, scaled to 0..100; low values mean a flat, unhashable image. */
function quality64(buf: Float32Array): number {
  let gradient = 0;
  for (let i = 0; i < DOWN - 1; i++) {
    for (let j = 0; j < DOWN; j++) {
      const d = Math.trunc(fround(fround(fround(buf[i * DOWN + j] - buf[(i + 1) * DOWN + j]) * 100) / 255));
      gradient += Math.abs(d);
    }
  }
  for (let i = 0; i < DOWN; i++) {
    for (let j = 0; j < DOWN - 1; j++) {
      const d = Math.trunc(fround(fround(fround(buf[i * DOWN + j] - buf[i * DOWN + j + 1]) * 100) / 255));
      gradient += Math.abs(d);
    }
  }
  return Math.min(100, Math.trunc(gradient / 90));
}

/** B = D A Dᵀ with float accumulation in the reference's order (k ascending). */
function dct64To16(a: Float32Array, t: Float32Array, out: Float32Array): void {
  // T = D A. Walk A row by row (k) and accumulate into a row of T: same per-element order, sequential reads.
  for (let i = 0; i < DCT_N; i++) {
    const drow = i * DOWN;
    const trow = i * DOWN;
    t.fill(0, trow, trow + DOWN);
    for (let k = 0; k < DOWN; k++) {
      const d = DCT[drow + k];
      const arow = k * DOWN;
      for (let j = 0; j < DOWN; j++) t[trow + j] = t[trow + j] + fround(d * a[arow + j]);
    }
  }
  for (let i = 0; i < DCT_N; i++) {
    const trow = i * DOWN;
    for (let j = 0; j < DCT_N; j++) {
      const drow = j * DOWN;
      let s = 0;
      for (let k = 0; k < DOWN; k++) s = fround(s + fround(t[trow + k] * DCT[drow + k]));
      out[i * DCT_N + j] = s;
    }
  }
}

/**
 * Bit (i*16+j) is set where the coefficient exceeds the median (the 128th smallest, as Torben's selection
 * in the reference returns). The reference stores bit k in 16-bit word k>>4 and prints word 15 first, so
 * word w is bytes 30-2w (high) and 31-2w (low) of the hex-ordered byte array.
 */
function bitsFromDct(coeffs: Float32Array): Uint8Array {
  sortBuf.set(coeffs);
  sortBuf.sort();
  const median = sortBuf[(DCT_N * DCT_N) / 2 - 1];
  const out = new Uint8Array(32);
  for (let i = 0; i < DCT_N; i++) {
    let word = 0;
    for (let j = 0; j < DCT_N; j++) if (coeffs[i * DCT_N + j] > median) word |= 1 << j;
    out[30 - 2 * i] = word >>> 8;
    out[31 - 2 * i] = word & 0xff;
  }
  return out;
}

/**
 * The DCT of a rotated or flipped image is the original's coefficients transposed and/or with the signs of
 * odd rows or columns flipped, so the 8 variants cost 8 medians, not 8 hashes.
 */
function dihedralCoeffs(v: PdqVariant, a: Float32Array, b: Float32Array): Float32Array {
  if (v === 'orig') return a;
  for (let i = 0; i < DCT_N; i++) {
    for (let j = 0; j < DCT_N; j++) {
      const x = a[i * DCT_N + j];
      switch (v) {
        case 'rot90':
          b[j * DCT_N + i] = j & 1 ? x : -x;
          break;
        case 'rot180':
          b[i * DCT_N + j] = (i + j) & 1 ? -x : x;
          break;
        case 'rot270':
          b[j * DCT_N + i] = i & 1 ? x : -x;
          break;
        case 'flipx':
          b[i * DCT_N + j] = i & 1 ? x : -x;
          break;
        case 'flipy':
          b[i * DCT_N + j] = j & 1 ? x : -x;
          break;
        case 'flipplus1':
          b[j * DCT_N + i] = x;
          break;
        case 'flipminus1':
          b[j * DCT_N + i] = (i + j) & 1 ? -x : x;
          break;
      }
    }
  }
  return b;
}

/** Fills dct16 from a luma buffer (only read) and returns the quality. */
function coeffsFromLuma(luma: Float32Array, width: number, height: number, a: Float32Array, b: Float32Array): number {
  downsample(luma, width, height, a, b);
  const quality = quality64(buf64);
  dct64To16(buf64, buf16x64, dct16);
  return quality;
}

function checkLuma(luma: Float32Array, width: number, height: number): void {
  checkDims(width, height);
  if (!(luma instanceof Float32Array) || luma.length !== width * height) {
    throw new DomainError('invalid_image', 'luma buffer length does not match width*height');
  }
}

function checkRgb(rgb: Uint8Array, width: number, height: number): void {
  checkDims(width, height);
  if (!(rgb instanceof Uint8Array) || rgb.length !== width * height * 3) {
    throw new DomainError('invalid_image', 'rgb buffer length does not match width*height*3');
  }
}

/** Float luminance (0.299R + 0.587G + 0.114B, in float as the reference sums it) of packed RGB bytes. */
export function lumaFromRgb(rgb: Uint8Array, width: number, height: number, out?: Float32Array): Float32Array {
  checkRgb(rgb, width, height);
  const n = width * height;
  const luma = out && out.length >= n ? out : new Float32Array(n);
  for (let p = 0, q = 0; p < n; p++, q += 3) {
    luma[p] = fround(LUMA_R[rgb[q]] + LUMA_G[rgb[q + 1]]) + LUMA_B[rgb[q + 2]];
  }
  return luma;
}

/** PDQ hash of a row-major float luminance buffer (values 0..255). The buffer is not modified. */
export function pdqFromLuma(luma: Float32Array, width: number, height: number): PdqHash {
  checkLuma(luma, width, height);
  const n = width * height;
  const quality = coeffsFromLuma(luma, width, height, scratch('a', n), scratch('b', n));
  return { hash: bitsFromDct(dct16), quality };
}

function lumaIntoScratch(rgb: Uint8Array, width: number, height: number): { luma: Float32Array; other: Float32Array } {
  const n = width * height;
  const luma = lumaFromRgb(rgb, width, height, scratch('b', n));
  // The column pass writes into 'b' only after the luma there has been consumed by the row pass.
  return { luma, other: scratch('a', n) };
}

/** PDQ hash of packed 8-bit RGB (3 bytes per pixel, row-major). */
export function pdqFromRgb(rgb: Uint8Array, width: number, height: number): PdqHash {
  const { luma, other } = lumaIntoScratch(rgb, width, height);
  const quality = coeffsFromLuma(luma, width, height, other, luma);
  return { hash: bitsFromDct(dct16), quality };
}

/** The 8 dihedral PDQ hashes (rotations and flips) of packed RGB, from one DCT. */
export function pdqDihedralFromRgb(rgb: Uint8Array, width: number, height: number): PdqDihedral {
  const { luma, other } = lumaIntoScratch(rgb, width, height);
  const quality = coeffsFromLuma(luma, width, height, other, luma);
  return { quality, hashes: dihedralFromDct() };
}

/** The 8 dihedral PDQ hashes of a float luminance buffer. */
export function pdqDihedralFromLuma(luma: Float32Array, width: number, height: number): PdqDihedral {
  checkLuma(luma, width, height);
  const n = width * height;
  const quality = coeffsFromLuma(luma, width, height, scratch('a', n), scratch('b', n));
  return { quality, hashes: dihedralFromDct() };
}

function dihedralFromDct(): Record<PdqVariant, Uint8Array> {
  const hashes = {} as Record<PdqVariant, Uint8Array>;
  for (const v of PDQ_VARIANTS) hashes[v] = bitsFromDct(dihedralCoeffs(v, dct16, aux16));
  return hashes;
}
