/**
 * safety/hashes errors: the stable DomainError codes this capability throws, in one place so the HTTP
 * layer and the README can list them. Messages never carry hash values or user content.
 */
import { DomainError } from '../../errors.js';

export const HASH_ERROR_CODES = [
  'invalid_hash', // a hash of the wrong length or not hex
  'invalid_pdq_threshold', // threshold not an integer in range
  'invalid_pdq_quality', // quality not a number in 0..100
  'invalid_bank', // bank config malformed (empty id, unknown action)
  'invalid_entry', // entry id or metadata malformed
  'hash_bank_exists',
  'hash_bank_not_found',
  'hash_entry_exists',
  'hash_entry_not_found',
  'hash_entry_empty', // an entry without any hash
  'hash_import_bad_header', // a CSV whose header names no hash column
] as const;

export type HashErrorCode = (typeof HASH_ERROR_CODES)[number];

export function hashError(code: HashErrorCode, message: string, details?: Record<string, string | number | boolean>): DomainError {
  return new DomainError(code, message, details);
}
