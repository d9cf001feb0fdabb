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
import { downsampleTo64 } from './downsample.js';

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
/** Refuse absurd sizes before decoding: 50 MP of RGB is 150 MB, and hashing it takes about a second. */
export const PDQ_MAX_PIXELS = 50_000_000;

const DOWN = 64; // the reference downsamples to 64x64 before the DCT
const DCT_N = 16;

// The reference multiplies each byte by a float coefficient in float, so each product is rounded to float.
// One table per channel holds those rounded products (as doubles, to skip a conversion on every load).
const LUMA_R = new Float64Array(256);
const LUMA_G = new Float64Array(256);
const LUMA_B = new Float64Array(256);
{
  const cr = fround(0.299);
  const cg = fround(0.587);
  const cb = fround(0.114);
  for (let v = 0; v < 256; v++) {
    LUMA_R[v] = fround(cr * v);
    LUMA_G[v] = fround(cg * v);
    LUMA_B[v] = fround(cb * v);
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

const buf64 = new Float32Array(DOWN * DOWN);
const buf16x64 = new Float32Array(DCT_N * DOWN);
const dct16 = new Float32Array(DCT_N * DCT_N);
const aux16 = new Float32Array(DCT_N * DCT_N);
const sortBuf = new Float32Array(DCT_N * DCT_N);

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

/**
 * Fills buf64 and dct16 and returns the quality. Pixels come from a luminance plane or from packed RGB
 * converted a few rows at a time, so an RGB hash never holds a full-size float copy of the image.
 * `copy64`: the reference's single hash skips the filter for an input that is already 64x64 (pre-scaled
 * video frames), but its dihedral function filters anyway; we follow each, so at exactly 64x64 the
 * dihedral 'orig' can differ from the plain hash by a few bits, as it does in the reference.
 */
function coeffs(width: number, height: number, plane: Float32Array | null, rgb: Uint8Array | null, copy64: boolean): number {
  if (copy64 && width === DOWN && height === DOWN) {
    if (plane) buf64.set(plane);
    else lumaRowsFromRgb(rgb!, width, 0, DOWN, buf64);
  } else if (plane) {
    downsampleTo64(width, height, plane, null, buf64);
  } else {
    downsampleTo64(width, height, null, (row, count, out) => lumaRowsFromRgb(rgb!, width, row, count, out), buf64);
  }
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

/** Luminance of `count` rows from `row` on, written at the start of out. */
function lumaRowsFromRgb(rgb: Uint8Array, width: number, row: number, count: number, out: Float32Array): void {
  const n = width * count;
  for (let p = 0, q = row * width * 3; p < n; p++, q += 3) {
    out[p] = fround(LUMA_R[rgb[q]] + LUMA_G[rgb[q + 1]]) + LUMA_B[rgb[q + 2]];
  }
}

/** Float luminance (0.299R + 0.587G + 0.114B, summed in float as the reference does) of packed RGB. */
export function lumaFromRgb(rgb: Uint8Array, width: number, height: number): Float32Array {
  checkRgb(rgb, width, height);
  const luma = new Float32Array(width * height);
  lumaRowsFromRgb(rgb, width, 0, height, luma);
  return luma;
}

/** PDQ hash of a row-major float luminance buffer (values 0..255). The buffer is not modified. */
export function pdqFromLuma(luma: Float32Array, width: number, height: number): PdqHash {
  checkLuma(luma, width, height);
  const quality = coeffs(width, height, luma, null, true);
  return { hash: bitsFromDct(dct16), quality };
}

/** PDQ hash of packed 8-bit RGB (3 bytes per pixel, row-major). */
export function pdqFromRgb(rgb: Uint8Array, width: number, height: number): PdqHash {
  checkRgb(rgb, width, height);
  const quality = coeffs(width, height, null, rgb, true);
  return { hash: bitsFromDct(dct16), quality };
}

/** The 8 dihedral PDQ hashes (rotations and flips) of packed RGB, from one DCT. */
export function pdqDihedralFromRgb(rgb: Uint8Array, width: number, height: number): PdqDihedral {
  checkRgb(rgb, width, height);
  const quality = coeffs(width, height, null, rgb, false);
  return { quality, hashes: dihedralFromDct() };
}

/** The 8 dihedral PDQ hashes of a float luminance buffer. */
export function pdqDihedralFromLuma(luma: Float32Array, width: number, height: number): PdqDihedral {
  checkLuma(luma, width, height);
  const quality = coeffs(width, height, luma, null, false);
  return { quality, hashes: dihedralFromDct() };
}

function dihedralFromDct(): Record<PdqVariant, Uint8Array> {
  const hashes = {} as Record<PdqVariant, Uint8Array>;
  for (const v of PDQ_VARIANTS) hashes[v] = bitsFromDct(dihedralCoeffs(v, dct16, aux16));
  return hashes;
}
