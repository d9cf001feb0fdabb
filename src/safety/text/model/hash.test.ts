/**
 * Feature hashing must never drift: a changed hash silently remaps every trained weight. These tests pin
 * FNV-1a to its textbook definition and to fixed values for known inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fnv1a32, fnv1a32Bytes } from './hash.js';
import { extractFeatures, FeatureBuffer, tokenize, type FeatureConfig } from './features.js';

test('fnv1a32 equals byte-wise FNV-1a over UTF-16LE', () => {
  for (const s of ['', 'a', 'hate', 'Ünïcödé', '😂 emoji', 'a longer sentence with spaces']) {
    assert.equal(fnv1a32(s), fnv1a32Bytes(new Uint8Array(Buffer.from(s, 'utf16le'))));
  }
});

test('byte-wise FNV-1a matches published reference values', () => {
  // Reference vectors for 32-bit FNV-1a over ASCII bytes.
  assert.equal(fnv1a32Bytes(new Uint8Array()), 0x811c9dc5);
  assert.equal(fnv1a32Bytes(new TextEncoder().encode('a')), 0xe40c292c);
  assert.equal(fnv1a32Bytes(new TextEncoder().encode('foobar')), 0xbf9cf968);
});

test('fnv1a32 is pinned for known inputs', () => {
  assert.equal(fnv1a32(''), 0x811c9dc5);
  assert.equal(fnv1a32('hate'), fnv1a32Bytes(new Uint8Array([0x68, 0, 0x61, 0, 0x74, 0, 0x65, 0])));
  assert.equal(fnv1a32('a'), fnv1a32Bytes(new Uint8Array([0x61, 0x00])));
  // Literal values: if these change, every shipped weight lands in a different bucket.
  assert.equal(fnv1a32('hate'), 0xfdfd9cad);
  assert.equal(fnv1a32('a'), 0x2b24d044);
  assert.equal(fnv1a32('😂'), 0x734e3618);
});

const CFG: FeatureConfig = {
  bits: 18,
  charMin: 2,
  charMax: 5,
  squashMin: 4,
  squashMax: 6,
  weights: { word: 1, bigram: 1, char: 0.5, squash: 0.5 },
};

test('feature extraction is stable and normalised', () => {
  const buf = new FeatureBuffer(8); // small on purpose: exercises growth
  const n = extractFeatures('i hate women', CFG, buf);
  // 3 words + 4 bigrams + char n-grams of <i>, <hate>, <women> + squashed n-grams of "ihatewomen".
  const charGrams = (len: number) => {
    let c = 0;
    for (let s = 0; s < len; s++) for (let k = CFG.charMin; k <= CFG.charMax; k++) if (s + k <= len) c++;
    return c;
  };
  const squash = (len: number) => {
    let c = 0;
    for (let s = 0; s < len; s++) for (let k = CFG.squashMin; k <= CFG.squashMax; k++) if (s + k <= len) c++;
    return c;
  };
  assert.equal(n, 3 + 4 + charGrams(3) + charGrams(6) + charGrams(7) + squash(10));
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    assert.ok(buf.idx[i] >= 0 && buf.idx[i] < 1 << CFG.bits);
    sumSq += buf.val[i] * buf.val[i];
  }
  assert.ok(Math.abs(sumSq - 1) < 1e-12);
  const first = Array.from(buf.idx.subarray(0, n));
  const again = new FeatureBuffer();
  extractFeatures('i hate women', CFG, again);
  assert.deepEqual(Array.from(again.idx.subarray(0, n)), first);
  // The first feature is the word "i" hashed under the word namespace.
  assert.equal(first[0], fnv1a32('w\u0001i') & ((1 << CFG.bits) - 1));
});

test('tokenize keeps words, masked words and emoji', () => {
  assert.deepEqual(tokenize('f*ck this, ok 😂!'), ['f*ck', 'this', 'ok', '😂']);
});
