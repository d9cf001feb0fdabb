/**
 * safety/pdq hex form and distance: 64 lowercase hex chars, in the reference CLI's order (16-bit word 15
 * first), and Hamming distance between two 32-byte hashes.
 */
import { DomainError } from '../../errors.js';

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

const HEX = /^[0-9a-fA-F]{64}$/;

export function pdqToHex(hash: Uint8Array): string {
  if (!(hash instanceof Uint8Array) || hash.length !== 32) {
    throw new DomainError('invalid_hash', 'a PDQ hash is 32 bytes');
  }
  return Buffer.from(hash.buffer, hash.byteOffset, 32).toString('hex');
}

/** Parses 64 hex chars (either case). Anything else is `invalid_hash`. */
export function pdqFromHex(hex: string): Uint8Array {
  if (typeof hex !== 'string' || !HEX.test(hex)) {
    throw new DomainError('invalid_hash', 'a PDQ hash is 64 hex characters');
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** Number of differing bits (0..256). */
export function pdqDistance(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== 32 || b.length !== 32) {
    throw new DomainError('invalid_hash', 'a PDQ hash is 32 bytes');
  }
  let d = 0;
  for (let i = 0; i < 32; i++) d += POPCOUNT[a[i] ^ b[i]];
  return d;
}
