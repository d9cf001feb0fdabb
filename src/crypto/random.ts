/**
 * crypto/random: cryptographically secure random bytes, drawn from a pooled buffer.
 * Each message needs a nonce and an id; asking OpenSSL for 12 and 10 bytes at a time costs more in call overhead
 * than in randomness, so bytes are taken from a 4 KiB pool refilled from the CSPRNG (as node's own randomUUID
 * does). Bytes are copied out and the pool never hands the same byte out twice.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafeSlow(POOL_BYTES);
let offset = POOL_BYTES;

/** Writes `length` random bytes into `target` at `at`. */
export function randomInto(target: Uint8Array, at: number, length: number): void {
  if (length > POOL_BYTES / 4) {
    randomFillSync(target, at, length);
    return;
  }
  if (offset + length > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  pool.copy(target, at, offset, offset + length);
  // Used bytes are cleared so that nothing drawn once stays readable in the pool.
  pool.fill(0, offset, offset + length);
  offset += length;
}
