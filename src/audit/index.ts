/**
 * audit: the verifiable access log (RFC 6962 tree, C2SP checkpoints and tiles).
 * Owns: audit_* tables, leaf encoding, proofs, checkpoint signing.
 * Exposes: openAuditLog/AuditLog (appendEntry, appendEntries, close), pseudonymize, canonicalJson,
 *   latestCheckpoint, readTile, readEntryBundle, readEntry, entryWithProof, treeHead, inclusionProof,
 *   consistencyProof, verifyLog, auditMigrations; pure verification (verifyInclusion, verifyConsistency,
 *   openCheckpoint) and key handling (generateNoteKey, parseVerifierKey, …) for clients and the CLI.
 * May import: storage, crypto, config. Nothing above it.
 * Never: update or delete an entry; put a user id or content in a leaf.
 */
export { auditMigrations } from './store.js';
export { AuditLog, openAuditLog, type AuditLogOptions } from './log.js';
export { canonicalJson, encodeEntry, pseudonymize, type JsonValue } from './entry.js';
export {
  consistencyProof,
  entryWithProof,
  inclusionProof,
  latestCheckpoint,
  readEntry,
  readEntryBundle,
  readTile,
  treeHead,
} from './read.js';
export { verifyLog, type VerifyLogOptions, type VerifyLogResult } from './verify-log.js';
export { treeHeadFromTiles, type TileFetcher } from './tiles-client.js';
export { rootFromInclusionProof, verifyConsistency, verifyInclusion } from './verify.js';
export { formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint, type Checkpoint } from './checkpoint.js';
export {
  formatVerifierKey,
  generateNoteKey,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  verifierKeyFromSignerKey,
  type NoteSigner,
  type NoteVerifier,
} from './note.js';
export { emptyRoot, hashChildren, hashLeaf } from './hash.js';
export {
  TILE_HEIGHT,
  TILE_WIDTH,
  encodeEntryBundle,
  parseEntryBundle,
  parseTilePath,
  tilePath,
  tilesForSize,
  newTilesForSize,
  type TileRef,
} from './tiles.js';
export { MemoryTree } from './tree.js';
export { AuditErrorCode } from './errors.js';
