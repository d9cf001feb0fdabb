/**
 * safety/hashes hamming: popcount and Hamming distance over the fixed-size hashes this module handles.
 * PDQ hashes are 32 bytes; internally they are eight big-endian 32-bit words, and chunk i (0..15) is
 * bytes 2i..2i+1 read big-endian, so chunk 2j is the high half of word j and chunk 2j+1 its low half.
 */

/** Bits set in each 16-bit value. A 64 KiB table stays in L2 and beats bit tricks in the scan loop. */
export const POPCOUNT16: Uint8Array = (() => {
  const t = new Uint8Array(65536);
  for (let i = 1; i < 65536; i++) t[i] = (i & 1) + t[i >>> 1];
  return t;
})();

export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Hamming distance between two equal-length byte strings (any length). */
export function hammingDistance(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new RangeError('hashes differ in length');
  let d = 0;
  let i = 0;
  for (; i + 1 < a.length; i += 2) d += POPCOUNT16[((a[i] ^ b[i]) << 8) | (a[i + 1] ^ b[i + 1])];
  if (i < a.length) d += POPCOUNT16[a[i] ^ b[i]];
  return d;
}

/** Reads a 32-byte PDQ hash (from `offset`) into eight big-endian words. */
export function pdqToWords(hash: Uint8Array, out: Uint32Array, outOffset = 0, offset = 0): void {
  for (let j = 0; j < 8; j++) {
    const p = offset + 4 * j;
    out[outOffset + j] = ((hash[p] << 24) | (hash[p + 1] << 16) | (hash[p + 2] << 8) | hash[p + 3]) >>> 0;
  }
}

export function wordsToPdq(words: Uint32Array, offset = 0): Uint8Array {
  const out = new Uint8Array(32);
  for (let j = 0; j < 8; j++) {
    const w = words[offset + j];
    out[4 * j] = w >>> 24;
    out[4 * j + 1] = (w >>> 16) & 0xff;
    out[4 * j + 2] = (w >>> 8) & 0xff;
    out[4 * j + 3] = w & 0xff;
  }
  return out;
}
