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
const B32 = '0123456789abcdefghjkmnpqrstvwxyz';
export function randomId(prefix: string): string {
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(Date.now(), 0, 6);
  randomInto(bytes, 6, 10);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return `${prefix}_${out}`;
}
