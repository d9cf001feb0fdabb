/**
 * crypto/envelope: data keys wrapped by region keys. A data key encrypts one conversation's content for one
 * epoch; it is stored only wrapped (AES-256-GCM under the region KEK, AAD = scope, epoch, KEK id), so a wrapped
 * key copied to another conversation or epoch will not unwrap.
 */
import { randomBytes } from 'node:crypto';
import { aadOf, open, seal } from './aead.js';
import type { Keyring } from './keyring.js';

export interface WrappedDataKey {
  kekId: string;
  wrapped: Buffer;
}

export function newDataKey(): Buffer {
  return randomBytes(32);
}

export function wrapDataKey(keyring: Keyring, region: string, scope: string, epoch: number, dataKey: Buffer): WrappedDataKey {
  const kek = keyring.regionKey(region);
  return { kekId: kek.keyId, wrapped: seal(kek.key, dataKey, aadOf('dek', scope, String(epoch), kek.keyId)) };
}

/** Returns null when the KEK is not held here (another region) or was destroyed (shredded). */
export function unwrapDataKey(keyring: Keyring, scope: string, epoch: number, w: WrappedDataKey): Buffer | null {
  const kek = keyring.regionKeyById(w.kekId);
  if (!kek) return null;
  return open(kek.key, w.wrapped, aadOf('dek', scope, String(epoch), w.kekId));
}
