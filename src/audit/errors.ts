/**
 * audit/errors: the stable, public error codes the audit capability throws (codes are API: add, never rename).
 * `http/` maps them to statuses; messages never carry entry content.
 */
import { DomainError } from '../errors.js';

export const AuditErrorCode = {
  /** A tile or entry-bundle path that is not in canonical C2SP tlog-tiles form. */
  invalidTilePath: 'invalid_tile_path',
  /** A well-formed tile path for a tile the log has not (yet) published. */
  tileNotFound: 'tile_not_found',
  /** Proof asked for impossible sizes/indexes (index >= size, from > to, beyond the current tree). */
  invalidProofRequest: 'invalid_proof_request',
  /** A proof (inclusion or consistency) that does not verify, or has the wrong shape. */
  invalidProof: 'invalid_proof',
  /** The log has no checkpoint yet (it was never opened). */
  checkpointNotFound: 'checkpoint_not_found',
  /** An entry index the log does not hold. */
  entryNotFound: 'entry_not_found',
  /** An entry that cannot be logged (not canonical-JSON-able, or over the 65,535-byte bundle limit). */
  invalidEntry: 'invalid_audit_entry',
  /** The log was closed; appends are refused so no caller believes an unlogged read was recorded. */
  logClosed: 'audit_log_closed',
  /** A signed note that does not parse (signed-note syntax). */
  malformedNote: 'malformed_note',
  /** A note signed by a known key whose signature does not verify. */
  invalidNoteSignature: 'invalid_note_signature',
  /** A note with no signature from any trusted key. */
  unverifiedNote: 'unverified_note',
  /** A verifier or signer key string that does not parse or whose key ID does not match. */
  invalidKey: 'invalid_note_key',
  /** A checkpoint body that does not follow tlog-checkpoint. */
  malformedCheckpoint: 'malformed_checkpoint',
  /** A checkpoint for another log (origin mismatch). */
  checkpointOriginMismatch: 'checkpoint_origin_mismatch',
} as const;

export type AuditErrorCode = (typeof AuditErrorCode)[keyof typeof AuditErrorCode];

export function auditError(code: AuditErrorCode, message: string, details?: Record<string, string | number | boolean>): DomainError {
  return new DomainError(code, message, details);
}
