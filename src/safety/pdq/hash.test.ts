// PDQ core behaviour on synthetic images (no fixtures needed): the entry points agree with each other,
// inputs are never modified, flat images score quality 0, the dihedral variants track real rotations and
// flips, and hostile sizes or buffers are refused with stable DomainError codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '../../errors.js';
import {
  PDQ_VARIANTS,
  pdqDihedralFromLuma,
  pdqDihedralFromRgb,
  pdqDistance,
  pdqFromLuma,
  pdqFromRgb,
  type PdqVariant,
} from './index.js';
import { lumaFromRgb } from './hash.js';

/** Deterministic textured RGB: a few overlapping gradients and blobs, so the hash has structure. */
function synthetic(width: number, height: number, seed: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const blobs = Array.from({ length: 6 }, () => ({ x: rand() * width, y: rand() * height, r: 5 + rand() * width / 3, c: rand() * 255 }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = (x * 97) / width + (y * 53) / height;
      for (const b of blobs) if ((x - b.x) ** 2 + (y - b.y) ** 2 < b.r ** 2) v += b.c;
      const p = (y * width + x) * 3;
      rgb[p] = v % 256;
      rgb[p + 1] = (v * 0.7 + x) % 256;
      rgb[p + 2] = (v * 0.3 + y) % 256;
    }
  }
  return rgb;
}

/** Applies a dihedral transform to packed RGB; returns the new pixels and size. */
function transform(rgb: Uint8Array, w: number, h: number, v: PdqVariant): { rgb: Uint8Array; w: number; h: number } {
  const swap = v === 'rot90' || v === 'rot270' || v === 'flipplus1' || v === 'flipminus1';
  const ow = swap ? h : w;
  const oh = swap ? w : h;
  const out = new Uint8Array(rgb.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let nx: number, ny: number;
      switch (v) {
        case 'orig': [nx, ny] = [x, y]; break;
        case 'rot90': [nx, ny] = [y, w - 1 - x]; break; // counter-clockwise, as the reference names it
        case 'rot180': [nx, ny] = [w - 1 - x, h - 1 - y]; break;
        case 'rot270': [nx, ny] = [h - 1 - y, x]; break;
        case 'flipx': [nx, ny] = [x, h - 1 - y]; break; // mirror top-bottom
        case 'flipy': [nx, ny] = [w - 1 - x, y]; break; // mirror left-right
        case 'flipplus1': [nx, ny] = [y, x]; break; // transpose
        case 'flipminus1': [nx, ny] = [h - 1 - y, w - 1 - x]; break; // anti-transpose
      }
      out.set(rgb.subarray((y * w + x) * 3, (y * w + x) * 3 + 3), (ny * ow + nx) * 3);
    }
  }
  return { rgb: out, w: ow, h: oh };
}

test('pdqFromRgb equals pdqFromLuma on the same luminance, and neither modifies its input', () => {
  for (const [w, h] of [[300, 200], [64, 64], [5, 5], [130, 7], [1000, 37]]) {
    const rgb = synthetic(w, h, w * 31 + h);
    const rgbCopy = rgb.slice();
    const luma = lumaFromRgb(rgb, w, h);
    const lumaCopy = luma.slice();
    const a = pdqFromRgb(rgb, w, h);
    const b = pdqFromLuma(luma, w, h);
    assert.deepEqual(a, b, `${w}x${h}`);
    assert.deepEqual(rgb, rgbCopy);
    assert.deepEqual(luma, lumaCopy);
    assert.equal(a.hash.length, 32);
    // The same call twice gives the same answer (scratch buffers are reused between calls).
    assert.deepEqual(pdqFromRgb(rgb, w, h), a);
    assert.deepEqual(pdqDihedralFromLuma(luma, w, h), pdqDihedralFromRgb(rgb, w, h));
  }
});

test('different images hash far apart; a flat image has quality 0', () => {
  const a = pdqFromRgb(synthetic(256, 256, 1), 256, 256);
  const b = pdqFromRgb(synthetic(256, 256, 2), 256, 256);
  assert.ok(pdqDistance(a.hash, b.hash) > 64);
  assert.ok(a.quality > 50);
  const flat = pdqFromRgb(new Uint8Array(100 * 80 * 3).fill(128), 100, 80);
  assert.equal(flat.quality, 0);
});

// At 320x320 the filter window is odd and the decimation grid symmetric, so a transformed image should give
// the variant up to float rounding; at 320x240 the grid is not symmetric, so only a match-level distance.
for (const [w, h, limit] of [[320, 320, 8], [320, 240, 31]]) {
  test(`each dihedral variant is close to the hash of the really transformed image (${w}x${h})`, () => {
    const rgb = synthetic(w, h, 7);
    const { hashes } = pdqDihedralFromRgb(rgb, w, h);
    for (const v of PDQ_VARIANTS) {
      const t = transform(rgb, w, h, v);
      const actual = pdqFromRgb(t.rgb, t.w, t.h).hash;
      const d = pdqDistance(hashes[v], actual);
      assert.ok(d <= limit, `${v}: distance ${d}`);
      if (v !== 'orig') assert.ok(pdqDistance(hashes.orig, actual) > 40, `${v} differs from orig`);
    }
  });
}

function assertDomainError(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof DomainError && err.code === code);
}

test('hostile sizes and buffers are refused with stable codes', () => {
  assertDomainError(() => pdqFromRgb(new Uint8Array(3), 1, 1), 'image_too_small');
  assertDomainError(() => pdqFromRgb(new Uint8Array(12), 2, 2), 'image_too_small');
  assertDomainError(() => pdqFromRgb(new Uint8Array(4 * 100 * 3), 4, 100), 'image_too_small');
  assertDomainError(() => pdqDihedralFromRgb(new Uint8Array(12), 2, 2), 'image_too_small');
  assertDomainError(() => pdqFromLuma(new Float32Array(4), 2, 2), 'image_too_small');
  assertDomainError(() => pdqFromRgb(new Uint8Array(10), 10, 10), 'invalid_image');
  assertDomainError(() => pdqFromLuma(new Float32Array(99), 10, 10), 'invalid_image');
  assertDomainError(() => pdqFromRgb(new Uint8Array(300), 10.5, 10), 'invalid_image');
  assertDomainError(() => pdqFromRgb(new Uint8Array(0), 0, 0), 'invalid_image');
  assertDomainError(() => pdqFromRgb(new Uint8Array(300), Number.NaN, 10), 'invalid_image');
  assertDomainError(() => pdqFromRgb(new Uint8Array(0), 100_000, 100_000), 'image_too_large');
});
