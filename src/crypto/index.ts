/**
 * crypto: keyring, envelope encryption and signing keys; the only place that calls node:crypto ciphers.
 * Owns: the keyring file. Exposes: seal/open (AES-256-GCM), aadOf, keyrings, data-key wrapping, hashSecret,
 * hmacHex, randomId.
 * May import: node built-ins only.
 * Never: log or throw with key material, plaintext or ciphertext in a message.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { randomInto } from './random.js';

export { seal, open, aadOf, DecryptError } from './aead.js';
export { openLocalKeyring, memoryKeyring, type Keyring, type RegionKey, type SigningKey } from './keyring.js';
export { newDataKey, wrapDataKey, unwrapDataKey, type WrappedDataKey } from './envelope.js';

/** Hash of a high-entropy secret (API keys): SHA-256 is enough because the secret is 256 random bits. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function hmacHex(key: Uint8Array, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('hex');
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * Time-ordered ids: 48-bit ms timestamp + 80 random bits, base32 (Crockford). Sortable, unguessable, and safe in
 * URLs. The prefix says what the id names (`cv_`, `m_`), which makes logs and support tickets readable.
 */
const B32 = Buffer.from('0123456789abcdefghjkmnpqrstvwxyz', 'latin1');
// Scratch space reused by every call (ids are made synchronously, one at a time): one id is sent per message, and
// building it a character at a time made a string per character.
const idBytes = Buffer.alloc(16);
const idChars = Buffer.alloc(26);
export function randomId(prefix: string): string {
  idBytes.writeUIntBE(Date.now(), 0, 6);
  randomInto(idBytes, 6, 10);
  let bits = 0;
  let value = 0;
  let at = 0;
  for (let i = 0; i < 16; i++) {
    value = (value << 8) | idBytes[i]!;
    bits += 8;
    while (bits >= 5) {
      idChars[at++] = B32[(value >>> (bits - 5)) & 31]!;
      bits -= 5;
    }
  }
  idChars[at] = B32[(value << (5 - bits)) & 31]!; // 128 bits: 25 full characters and 3 bits left over
  return `${prefix}_${idChars.toString('latin1')}`;
}
