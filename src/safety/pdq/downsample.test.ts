// The streamed tent filter must equal, bit for bit, the plain formulation of the reference's algorithm:
// full-size buffers, one box1D per row then per column (strided), twice, then centre decimation. The
// oracle below is written for clarity, not speed, and rounds to float after every step as the C++ does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downsampleTo64, jaroszWindow } from './downsample.js';

const f = Math.fround;

function box1D(src: Float32Array, dst: Float32Array, start: number, length: number, stride: number, full: number): void {
  const half = Math.trunc((full + 2) / 2);
  let sum = 0;
  let count = 0;
  let ri = 0;
  let li = 0;
  let oi = 0;
  const at = (i: number) => start + i * stride;
  for (let k = 0; k < half - 1; k++) {
    sum = f(sum + src[at(ri++)]);
    count++;
  }
  for (let k = 0; k < full - half + 1; k++) {
    sum = f(sum + src[at(ri++)]);
    count++;
    dst[at(oi++)] = f(sum / count);
  }
  for (let k = 0; k < length - full; k++) {
    sum = f(sum + src[at(ri++)]);
    sum = f(sum - src[at(li++)]);
    dst[at(oi++)] = f(sum / count);
  }
  for (let k = 0; k < half - 1; k++) {
    sum = f(sum - src[at(li++)]);
    count--;
    dst[at(oi++)] = f(sum / count);
  }
}

function oracle(luma: Float32Array, width: number, height: number): Float32Array {
  const a = Float32Array.from(luma);
  const b = new Float32Array(a.length);
  for (let pass = 0; pass < 2; pass++) {
    for (let r = 0; r < height; r++) box1D(a, b, r * width, width, 1, jaroszWindow(width));
    for (let c = 0; c < width; c++) box1D(b, a, c, height, width, jaroszWindow(height));
  }
  const out = new Float32Array(64 * 64);
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < 64; j++) {
      out[i * 64 + j] = a[Math.trunc(((i + 0.5) * height) / 64) * width + Math.trunc(((j + 0.5) * width) / 64)];
    }
  }
  return out;
}

test('window sizes follow the reference: ceil(dim / 128)', () => {
  assert.deepEqual([5, 64, 127, 128, 129, 512, 1004, 1600].map(jaroszWindow), [1, 1, 1, 1, 2, 4, 8, 13]);
});

test('streamed downsampling equals the plain two-pass filter bit for bit, over many sizes', () => {
  let seed = 99;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const sizes: Array<[number, number]> = [[5, 5], [6, 9], [63, 64], [65, 66], [128, 7], [7, 300], [257, 131], [400, 401]];
  for (let i = 0; i < 12; i++) sizes.push([5 + Math.floor(rand() * 500), 5 + Math.floor(rand() * 500)]);
  for (const [w, h] of sizes) {
    const luma = new Float32Array(w * h);
    for (let i = 0; i < luma.length; i++) luma[i] = f(rand() * 255);
    const got = new Float32Array(64 * 64);
    downsampleTo64(w, h, luma, null, got);
    assert.deepEqual(got, oracle(luma, w, h), `${w}x${h}`);
    // The row-callback source gives the same result as the plane.
    const viaRows = new Float32Array(64 * 64);
    downsampleTo64(w, h, null, (row, count, out) => out.set(luma.subarray(row * w, (row + count) * w)), viaRows);
    assert.deepEqual(viaRows, got, `${w}x${h} via rows`);
  }
});
