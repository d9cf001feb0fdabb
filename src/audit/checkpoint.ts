/**
 * audit/checkpoint: C2SP tlog-checkpoint bodies (c2sp.org/tlog-checkpoint) and their signed-note envelope.
 * Body: `<origin>\n<size>\n<base64 root>\n` then optional non-empty extension lines. The size has no leading
 * zeros and the root must be exactly 32 bytes, so one tree head has exactly one spelling.
 */
import { HASH_SIZE } from './hash.js';
import { AuditErrorCode, auditError } from './errors.js';
import { openNote, signNote, type NoteSigner, type NoteVerifier } from './note.js';

export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Buffer;
  extensions: string[];
}

function malformed(reason: string): never {
  throw auditError(AuditErrorCode.malformedCheckpoint, `malformed checkpoint: ${reason}`);
}

export function formatCheckpoint(cp: { origin: string; size: number; rootHash: Uint8Array; extensions?: readonly string[] }): string {
  if (cp.origin.length === 0 || cp.origin.includes('\n')) malformed('origin must be one non-empty line');
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) malformed('size must be a non-negative integer');
  if (cp.rootHash.length !== HASH_SIZE) malformed('root must be 32 bytes');
  for (const ext of cp.extensions ?? []) if (ext.length === 0 || ext.includes('\n')) malformed('extension lines must be non-empty lines');
  const lines = [cp.origin, String(cp.size), Buffer.from(cp.rootHash).toString('base64'), ...(cp.extensions ?? [])];
  return lines.map((l) => `${l}\n`).join('');
}

export function parseCheckpoint(body: string): Checkpoint {
  if (!body.endsWith('\n')) malformed('must end with a newline');
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) malformed('needs origin, size and root lines');
  const [origin, sizeLine, rootLine, ...extensions] = lines;
  if (origin.length === 0) malformed('empty origin');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine)) malformed('size must be decimal without leading zeros');
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size)) malformed('size too large');
  const rootHash = Buffer.from(rootLine, 'base64');
  if (rootHash.length !== HASH_SIZE || rootHash.toString('base64') !== rootLine) malformed('root must be base64 of 32 bytes');
  if (extensions.some((e) => e.length === 0)) malformed('empty extension line');
  return { origin, size, rootHash, extensions };
}

/** Formats and signs a checkpoint; the log's key name SHOULD equal the origin. */
export function signCheckpoint(cp: { origin: string; size: number; rootHash: Uint8Array; extensions?: readonly string[] }, signers: readonly NoteSigner[]): string {
  return signNote(formatCheckpoint(cp), signers);
}

/**
 * Opens a signed checkpoint: verifies the note against `verifiers`, parses the body and, if given, checks the
 * origin (a checkpoint from another log must never be mistaken for ours).
 */
export function openCheckpoint(note: string | Uint8Array, verifiers: readonly NoteVerifier[], expectedOrigin?: string): Checkpoint {
  const { text } = openNote(note, verifiers);
  const cp = parseCheckpoint(text);
  if (expectedOrigin !== undefined && cp.origin !== expectedOrigin) {
    throw auditError(AuditErrorCode.checkpointOriginMismatch, 'checkpoint is for another log');
  }
  return cp;
}
