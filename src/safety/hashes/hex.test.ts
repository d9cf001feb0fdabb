/**
 * Tests for the small helpers: strict hex parsing and Hamming distance / popcount.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DomainError } from '../../errors.js';
import { hammingDistance, pdqToWords, popcount32, wordsToPdq } from './hamming.js';
import { parseHashHex, toHex, tryParseHex } from './hex.js';

describe('hex', () => {
  it('round-trips bytes of the right length in either case', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const text = toHex(bytes);
        assert.deepEqual(tryParseHex(text, 16), bytes);
        assert.deepEqual(tryParseHex(text.toUpperCase(), 16), bytes);
      }),
    );
  });

  it('rejects wrong lengths, prefixes and non-hex characters', () => {
    assert.equal(tryParseHex('00'.repeat(15), 16), null);
    assert.equal(tryParseHex('0x' + '00'.repeat(15), 16), null);
    assert.equal(tryParseHex('0g' + '00'.repeat(15), 16), null);
    assert.equal(tryParseHex(' '.repeat(32), 16), null);
    assert.throws(() => parseHashHex('md5', 'nope'), (e: unknown) => e instanceof DomainError && e.code === 'invalid_hash');
    assert.equal(toHex(parseHashHex('sha256', ` ${'AB'.repeat(32)} `)), 'ab'.repeat(32));
  });
});

describe('hamming', () => {
  it('counts differing bits, matching a bit-by-bit count', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (a, b) => {
        let want = 0;
        for (let i = 0; i < 256; i++) want += ((a[i >> 3] >> (i & 7)) & 1) ^ ((b[i >> 3] >> (i & 7)) & 1);
        assert.equal(hammingDistance(a, b), want);
      }),
    );
    assert.equal(hammingDistance(new Uint8Array(3), Uint8Array.of(1, 3, 255)), 11);
    assert.throws(() => hammingDistance(new Uint8Array(2), new Uint8Array(3)), RangeError);
  });

  it('popcount32 and the word conversion agree with the bytes', () => {
    assert.equal(popcount32(0xffffffff), 32);
    assert.equal(popcount32(0x80000001), 2);
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
    const words = new Uint32Array(8);
    pdqToWords(bytes, words);
    assert.equal(words[0], 0x00070e15);
    assert.deepEqual(wordsToPdq(words), bytes);
  });
});
