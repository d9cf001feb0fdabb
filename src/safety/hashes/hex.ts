/**
 * safety/hashes hex: strict hex parsing for hash values (no prefixes, no separators, either case).
 * Returns null on bad input instead of throwing: the importer counts bad lines, callers that need an
 * error wrap it (parseHashHex).
 */
import { hashError } from './errors.js';

export type HashType = 'pdq' | 'md5' | 'sha256';

/** Byte length of each hash type. PDQ and SHA-256 are both 32 bytes; the type decides which index. */
export const HASH_BYTES: Readonly<Record<HashType, number>> = { pdq: 32, md5: 16, sha256: 32 };

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/** Decodes exactly `bytes` bytes of hex, or null when the text is not that. */
export function tryParseHex(text: string, bytes: number): Uint8Array | null {
  if (text.length !== bytes * 2) return null;
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) {
    const hi = nibble(text.charCodeAt(2 * i));
    const lo = nibble(text.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Decodes a hash of the given type or throws `invalid_hash`. */
export function parseHashHex(type: HashType, text: string): Uint8Array {
  const out = tryParseHex(text.trim(), HASH_BYTES[type]);
  if (out === null) throw hashError('invalid_hash', `not a ${HASH_BYTES[type] * 2}-digit hex ${type} hash`, { hashType: type });
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
