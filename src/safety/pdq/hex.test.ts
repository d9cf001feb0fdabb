// Hex form and distance: hex round-trips in the reference's text order, malformed hex is `invalid_hash`,
// and distance counts differing bits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainError } from '../../errors.js';
import { pdqDistance, pdqFromHex, pdqToHex } from './index.js';

const A = 'f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22';

test('hex round-trips and is lowercase', () => {
  assert.equal(pdqToHex(pdqFromHex(A)), A);
  assert.equal(pdqToHex(pdqFromHex(A.toUpperCase())), A);
  assert.equal(pdqFromHex(A)[0], 0xf8);
  assert.equal(pdqFromHex(A).length, 32);
});

test('malformed hex is invalid_hash', () => {
  for (const bad of ['', A.slice(1), `${A}0`, `${A.slice(0, 63)}g`, ` ${A.slice(1)}`]) {
    assert.throws(() => pdqFromHex(bad), (e: unknown) => e instanceof DomainError && e.code === 'invalid_hash', bad);
  }
  assert.throws(() => pdqToHex(new Uint8Array(31)), (e: unknown) => e instanceof DomainError && e.code === 'invalid_hash');
});

test('distance counts differing bits', () => {
  const a = pdqFromHex(A);
  assert.equal(pdqDistance(a, a), 0);
  const b = a.slice();
  b[0] ^= 0x81;
  b[31] ^= 0x10;
  assert.equal(pdqDistance(a, b), 3);
  assert.equal(pdqDistance(new Uint8Array(32), new Uint8Array(32).fill(255)), 256);
  assert.throws(() => pdqDistance(a, new Uint8Array(8)), (e: unknown) => e instanceof DomainError && e.code === 'invalid_hash');
});
