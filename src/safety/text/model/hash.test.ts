/**
 * Feature hashing must never drift: a changed hash silently remaps every trained weight. These tests pin
 * FNV-1a to its textbook definition and to fixed values for known inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fnv1a32, fnv1a32Bytes } from './hash.js';
import { extractFeatures, FeatureBuffer, fmix32, tokenize, type FeatureConfig } from './features.js';

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
  scheme: 2,
  bits: 18,
  charBits: 16,
  charMin: 3,
  charMax: 5,
  negMax: 6,
  weights: { word: 1, bigram: 1, neg: 1, lex: 1, abs: 1, absTri: 1, char: 0.5 },
};

test('feature extraction is stable, in range and scaled per space', () => {
  const buf = new FeatureBuffer(8); // small on purpose: exercises growth
  const n = extractFeatures('i hate women', CFG, buf);
  // Word space: 3 words + 4 bigrams (with the end marker) + 6 lexicon features (hate: class, with
  // identity, in context; women: class, in context; the identity-present flag) + 4 class bigrams and
  // 4 class trigrams (every token is a class symbol: i = self, hate = negative emotion, women = identity).
  assert.equal(buf.nWord, 3 + 4 + 6 + 4 + 4);
  // Char space: 3-5-grams of <i> (1), <hate> (4 + 3 + 2), <women> (5 + 4 + 3).
  assert.equal(n - buf.nWord, 1 + 9 + 12);
  const W = 1 << CFG.bits;
  for (let i = 0; i < n; i++) {
    if (i < buf.nWord) assert.ok(buf.idx[i] >= 0 && buf.idx[i] < W);
    else assert.ok(buf.idx[i] >= W && buf.idx[i] < W + (1 << CFG.charBits));
  }
  let sw = 0;
  let sc = 0;
  for (let i = 0; i < n; i++) (i < buf.nWord ? (sw += buf.val[i] ** 2) : (sc += buf.val[i] ** 2));
  assert.ok(Math.abs(sw - buf.sumSqWord) < 1e-12 && Math.abs(sc - buf.sumSqChar) < 1e-12);
  assert.ok(Math.abs(buf.scaleAll() - 1 / Math.sqrt(sw + sc)) < 1e-15);
  assert.ok(Math.abs(buf.scaleWord() - 1 / Math.sqrt(sw)) < 1e-15);
  const first = Array.from(buf.idx.subarray(0, n));
  const again = new FeatureBuffer();
  extractFeatures('i hate women', CFG, again);
  assert.deepEqual(Array.from(again.idx.subarray(0, n)), first);
  // The first feature is the word "i": its FNV-1a hash, keyed by the word namespace, finalised.
  assert.equal(first[0], fmix32(fnv1a32('i') ^ fnv1a32('w\u0001')) & (W - 1));
});

test('an empty message has no features and scale 0', () => {
  const buf = new FeatureBuffer();
  assert.equal(extractFeatures('', CFG, buf), 0);
  assert.equal(buf.scaleAll(), 0);
  assert.equal(extractFeatures(' ... !!', CFG, buf), 0);
});

test('tokenize keeps words, masked words and emoji', () => {
  assert.deepEqual(tokenize('f*ck this, ok 😂!'), ['f*ck', 'this', 'ok', '😂']);
});
