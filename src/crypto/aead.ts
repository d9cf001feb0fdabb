/**
 * crypto/aead: AES-256-GCM sealing with a random 96-bit nonce and caller-supplied AAD.
 * Sealed layout: version (1 byte, 0x01) || nonce (12) || ciphertext || tag (16). The AAD is not stored: the
 * caller rebuilds it from the row (conversation, message, sender), so a ciphertext moved to another row fails.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { randomInto } from './random.js';

const VERSION = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class DecryptError extends Error {
  constructor() {
    // Deliberately no detail: a decrypt failure message must not echo ciphertext, AAD or key material.
    super('decryption failed');
    this.name = 'DecryptError';
  }
}

export function seal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  if (key.length !== 32) throw new Error('AES-256-GCM needs a 32-byte key');
  // One output buffer, the nonce drawn straight into it: version || nonce || ciphertext || tag.
  const out = Buffer.allocUnsafe(1 + NONCE_BYTES + plaintext.length + TAG_BYTES);
  out[0] = VERSION;
  randomInto(out, 1, NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, out.subarray(1, 1 + NONCE_BYTES));
  cipher.setAAD(aad);
  let at = 1 + NONCE_BYTES;
  at += cipher.update(plaintext).copy(out, at);
  at += cipher.final().copy(out, at);
  cipher.getAuthTag().copy(out, at);
  return out;
}

export function open(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Buffer {
  if (key.length !== 32) throw new Error('AES-256-GCM needs a 32-byte key');
  if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES || sealed[0] !== VERSION) throw new DecryptError();
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const nonce = buf.subarray(1, 1 + NONCE_BYTES);
  const tag = buf.subarray(buf.length - TAG_BYTES);
  const body = buf.subarray(1 + NONCE_BYTES, buf.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new DecryptError();
  }
}

/** AAD from labelled parts, length-prefixed so ("ab","c") and ("a","bc") differ. */
export function aadOf(...parts: string[]): Buffer {
  // One allocation: every message is sealed and opened with one of these.
  let size = 0;
  for (const part of parts) size += 4 + Buffer.byteLength(part, 'utf8');
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const part of parts) {
    const n = out.write(part, at + 4, 'utf8');
    out.writeUInt32BE(n, at);
    at += 4 + n;
  }
  return out;
}
