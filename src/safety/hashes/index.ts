/**
 * safety/hashes: known-content matching against hash banks (PDQ perceptual, MD5 and SHA-256 exact).
 * Owns: the in-memory bank set (banks, entries, PDQ multi-index, exact digest maps), the matching rules
 *   (per-bank thresholds, quality floor, dihedral variants, allow-list, severity) and the hash-list parser.
 * Exposes: createBankSet, addBank, updateBank, getBank, listBanks, addEntry, disableEntry, enableEntry,
 *   getEntry, beginBulkLoad, compactBanks, matchMedia, resolveMatches, parseHashImport, PdqIndex, bruteForcePdq,
 *   hammingDistance, parseHashHex, tryParseHex, toHex, HASH_ERROR_CODES.
 * May import: errors (and node built-ins). Persistence (safety_* tables), the admin API and the upload
 *   route are the caller's: it stores banks and entries, replays them here at start
 *   (beginBulkLoad, addBank/addEntry, compactBanks).
 * Never: compute PDQ itself (that is safety/pdq), do I/O, or put a hash or user content in an error message.
 */
export {
  addBank,
  addEntry,
  BANK_ACTIONS,
  beginBulkLoad,
  compactBanks,
  createBankSet,
  disableEntry,
  enableEntry,
  getBank,
  getEntry,
  listBanks,
  matchMedia,
  PDQ_MAX_BANK_THRESHOLD,
  PDQ_QUALITY_FLOOR,
  resolveMatches,
  updateBank,
} from './banks.js';
export type {
  BankAction,
  BankConfig,
  BankInfo,
  BankMatch,
  BankSet,
  EntryInfo,
  EntryInput,
  EntryMetadata,
  MediaAction,
  MediaHashes,
  MediaMatchResult,
} from './banks.js';
export { HASH_ERROR_CODES } from './errors.js';
export type { HashErrorCode } from './errors.js';
export { hammingDistance } from './hamming.js';
export { HASH_BYTES, parseHashHex, toHex, tryParseHex } from './hex.js';
export type { HashType } from './hex.js';
export { parseHashImport } from './import.js';
export type { ImportFormat, ImportOptions, ImportProgress, ImportRejectReason, ParsedHashEntry, RejectedHashLine } from './import.js';
export { PdqIndex, bruteForcePdq, isValidPdqThreshold, PDQ_BYTES, PDQ_DEFAULT_THRESHOLD, PDQ_MAX_THRESHOLD } from './pdq-index.js';
export type { PdqIndexOptions, PdqMatch } from './pdq-index.js';
