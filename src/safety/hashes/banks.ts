/**
 * safety/hashes banks: named hash banks and the pure, in-memory matching of one media item against them.
 *
 * A bank is a list of known hashes with one action: `quarantine_and_report` (known CSAM lists), `block`,
 * `flag`, or `allow` (an allow-list that fixes perceptual false positives). A media item brings its PDQ
 * hash as 8 dihedral variants (rotations and flips, computed on the query side only, so each bank stores
 * one hash per image) with the PDQ quality score, and its MD5 and SHA-256. Rules:
 * - PDQ matching uses each bank's own threshold (default 31, Meta's recommendation) and is skipped when
 *   the media's PDQ quality is below the floor (default 50: low-quality hashes of flat images collide);
 *   exact digests match regardless of quality.
 * - Disabled banks and disabled entries never match.
 * - An entry found by several variants is reported once, with its smallest distance (lowest variant on ties).
 * - The overall action is the most severe unsuppressed match: quarantine_and_report > block > flag.
 * - An allow-list match suppresses the other banks' matches, with one exception: an exact (MD5/SHA-256)
 *   match in a quarantine_and_report bank is never suppressed, because a cryptographic match to a known-CSAM
 *   list is not the kind of false positive an allow-list exists to fix. Suppressed matches are returned
 *   separately so the caller can audit them. With no other match, an allow match gives action `allow`.
 *
 * The set holds no per-entry objects beyond the entry id string: entry numbers index typed arrays, and
 * metadata lives in a sparse map. Persistence, the admin API and upload wiring belong to the caller, which
 * reloads banks with addBank/addEntry at start and then calls compactBanks once.
 */
import { hashError } from './errors.js';
import { addExact, exactKey, lookupExact, type ExactIndex } from './exact-index.js';
import { HASH_BYTES, toHex, type HashType } from './hex.js';
import { PDQ_DEFAULT_THRESHOLD, PdqIndex, type PdqMatch } from './pdq-index.js';

export type BankAction = 'quarantine_and_report' | 'block' | 'flag' | 'allow';
export const BANK_ACTIONS: readonly BankAction[] = ['quarantine_and_report', 'block', 'flag', 'allow'];
/** The resolved outcome for one media item. */
export type MediaAction = 'none' | 'allow' | 'flag' | 'block' | 'quarantine_and_report';

/** PDQ quality below which a hash is not matched perceptually (Meta's guidance). */
export const PDQ_QUALITY_FLOOR = 50;
/** Highest per-bank PDQ threshold accepted: beyond it, unrelated images start to match. */
export const PDQ_MAX_BANK_THRESHOLD = 63;
const MAX_ID_LENGTH = 200;
const MAX_METADATA_LENGTH = 1000;
const SEVERITY: Record<BankAction, number> = { quarantine_and_report: 3, block: 2, flag: 1, allow: 0 };

export interface BankConfig {
  id: string;
  name: string;
  action: BankAction;
  /** Maximum PDQ Hamming distance that counts as a match, 0..63. Default 31. */
  pdqThreshold?: number;
  /** Default true. */
  enabled?: boolean;
}

export interface BankInfo {
  id: string;
  name: string;
  action: BankAction;
  pdqThreshold: number;
  enabled: boolean;
  entries: number;
  activeEntries: number;
}

export interface EntryMetadata {
  source?: string;
  label?: string;
  externalId?: string;
}

export interface EntryInput {
  entryId: string;
  pdq?: Uint8Array;
  md5?: Uint8Array;
  sha256?: Uint8Array;
  metadata?: EntryMetadata;
  /** Default true. */
  enabled?: boolean;
}

export interface EntryInfo {
  bankId: string;
  entryId: string;
  enabled: boolean;
  /** Lower-case hex. */
  pdq?: string;
  md5?: string;
  sha256?: string;
  metadata?: EntryMetadata;
}

export interface MediaHashes {
  /** The PDQ hash of each dihedral variant (1 to 8; index 0 the original) and the PDQ quality 0..100. */
  pdq?: { variants: readonly Uint8Array[]; quality: number };
  md5?: Uint8Array;
  sha256?: Uint8Array;
}

export interface BankMatch {
  bankId: string;
  entryId: string;
  action: BankAction;
  hashType: HashType;
  /** Hamming distance for PDQ; 0 for exact digests. */
  distance: number;
  /** Which query variant matched (PDQ); null for exact digests. */
  variant: number | null;
}

export interface MediaMatchResult {
  action: MediaAction;
  /** Matches that count, most severe first. */
  matches: BankMatch[];
  /** Matches an allow-list match overruled. */
  suppressed: BankMatch[];
}

interface Bank {
  id: string;
  name: string;
  action: BankAction;
  pdqThreshold: number;
  enabled: boolean;
  /** Entry number -> caller's entry id. */
  entryIds: string[];
  entryNumbers: Map<string, number>;
  disabled: Uint8Array;
  active: number;
  /** Created on the first PDQ entry, so exact-only banks carry no PDQ index. */
  pdq: PdqIndex | null;
  /** PDQ index id -> entry number, and entry number -> PDQ index id (-1: none). */
  entryOfPdq: Uint32Array;
  pdqOfEntry: Int32Array;
  md5: ExactIndex;
  sha256: ExactIndex;
  /** Entry number -> exact key, so getEntry can show the digests; shares the map's key strings. */
  md5Keys: (string | undefined)[];
  sha256Keys: (string | undefined)[];
  metadata: Map<number, EntryMetadata>;
}

export interface BankSet {
  readonly pdqQualityFloor: number;
  /** Set by beginBulkLoad, cleared by compactBanks. */
  bulkLoading: boolean;
  /** Insertion-ordered. Treat as read-only: change it through the functions here. */
  readonly banks: Map<string, Bank>;
}

export function createBankSet(options: { pdqQualityFloor?: number } = {}): BankSet {
  const floor = options.pdqQualityFloor ?? PDQ_QUALITY_FLOOR;
  if (!isQuality(floor)) throw hashError('invalid_pdq_quality', 'quality floor must be a number 0..100');
  return { pdqQualityFloor: floor, bulkLoading: false, banks: new Map() };
}

export function addBank(set: BankSet, config: BankConfig): BankInfo {
  if (typeof config.id !== 'string' || config.id.length === 0 || config.id.length > MAX_ID_LENGTH) {
    throw hashError('invalid_bank', 'bank id must be a non-empty string of at most 200 characters');
  }
  if (set.banks.has(config.id)) throw hashError('hash_bank_exists', 'a bank with this id exists');
  const bank: Bank = {
    id: config.id,
    name: '',
    action: 'flag',
    pdqThreshold: PDQ_DEFAULT_THRESHOLD,
    enabled: true,
    entryIds: [],
    entryNumbers: new Map(),
    disabled: new Uint8Array(16),
    active: 0,
    pdq: null,
    entryOfPdq: new Uint32Array(16),
    pdqOfEntry: new Int32Array(16),
    md5: new Map(),
    sha256: new Map(),
    md5Keys: [],
    sha256Keys: [],
    metadata: new Map(),
  };
  applyBankSettings(bank, { name: config.name, action: config.action, pdqThreshold: config.pdqThreshold ?? PDQ_DEFAULT_THRESHOLD, enabled: config.enabled ?? true });
  set.banks.set(bank.id, bank);
  return bankInfo(bank);
}

/** Changes a bank's name, action, threshold or enabled flag; its entries stay. */
export function updateBank(set: BankSet, bankId: string, patch: Partial<Omit<BankConfig, 'id'>>): BankInfo {
  const bank = requireBank(set, bankId);
  applyBankSettings(bank, {
    name: patch.name ?? bank.name,
    action: patch.action ?? bank.action,
    pdqThreshold: patch.pdqThreshold ?? bank.pdqThreshold,
    enabled: patch.enabled ?? bank.enabled,
  });
  return bankInfo(bank);
}

export function getBank(set: BankSet, bankId: string): BankInfo {
  return bankInfo(requireBank(set, bankId));
}

export function listBanks(set: BankSet): BankInfo[] {
  return [...set.banks.values()].map(bankInfo);
}

/** Adds one entry. Entry ids are unique across the whole set. */
export function addEntry(set: BankSet, bankId: string, input: EntryInput): void {
  const bank = requireBank(set, bankId);
  const { entryId } = input;
  if (typeof entryId !== 'string' || entryId.length === 0 || entryId.length > MAX_ID_LENGTH) {
    throw hashError('invalid_entry', 'entry id must be a non-empty string of at most 200 characters');
  }
  if (findEntry(set, entryId) !== undefined) throw hashError('hash_entry_exists', 'an entry with this id exists');
  if (input.pdq === undefined && input.md5 === undefined && input.sha256 === undefined) {
    throw hashError('hash_entry_empty', 'an entry needs at least one hash');
  }
  checkDigest('pdq', input.pdq);
  checkDigest('md5', input.md5);
  checkDigest('sha256', input.sha256);
  const metadata = input.metadata === undefined ? undefined : cleanMetadata(input.metadata);

  const e = bank.entryIds.length;
  if (e >= bank.disabled.length) {
    bank.disabled = grownU8(bank.disabled, e + 1);
    bank.pdqOfEntry = grownI32(bank.pdqOfEntry, e + 1);
  }
  bank.entryIds.push(entryId);
  bank.entryNumbers.set(entryId, e);
  bank.pdqOfEntry[e] = -1;
  if (input.pdq !== undefined) {
    if (bank.pdq === null) {
      bank.pdq = new PdqIndex();
      if (set.bulkLoading) bank.pdq.deferPostings();
    }
    const slot = bank.pdq.add(input.pdq);
    if (slot >= bank.entryOfPdq.length) bank.entryOfPdq = grownU32(bank.entryOfPdq, slot + 1);
    bank.entryOfPdq[slot] = e;
    bank.pdqOfEntry[e] = slot;
  }
  if (input.md5 !== undefined) {
    const key = exactKey(input.md5);
    addExact(bank.md5, key, e);
    bank.md5Keys[e] = key;
  }
  if (input.sha256 !== undefined) {
    const key = exactKey(input.sha256);
    addExact(bank.sha256, key, e);
    bank.sha256Keys[e] = key;
  }
  if (metadata !== undefined) bank.metadata.set(e, metadata);
  bank.active++;
  if (input.enabled === false) setEntryEnabled(bank, e, false);
}

/** Stops an entry matching. Returns false when it was already disabled. */
export function disableEntry(set: BankSet, entryId: string): boolean {
  const found = requireEntry(set, entryId);
  return setEntryEnabled(found.bank, found.e, false);
}

/** Lets a disabled entry match again. Returns false when it was enabled. */
export function enableEntry(set: BankSet, entryId: string): boolean {
  const found = requireEntry(set, entryId);
  return setEntryEnabled(found.bank, found.e, true);
}

export function getEntry(set: BankSet, entryId: string): EntryInfo {
  const { bank, e } = requireEntry(set, entryId);
  const info: EntryInfo = { bankId: bank.id, entryId, enabled: bank.disabled[e] === 0 };
  const slot = bank.pdqOfEntry[e];
  if (slot >= 0 && bank.pdq !== null) info.pdq = toHex(bank.pdq.getHash(slot));
  const md5 = bank.md5Keys[e];
  if (md5 !== undefined) info.md5 = keyToHex(md5);
  const sha256 = bank.sha256Keys[e];
  if (sha256 !== undefined) info.sha256 = keyToHex(sha256);
  const metadata = bank.metadata.get(e);
  if (metadata !== undefined) info.metadata = { ...metadata };
  return info;
}

/**
 * Starts a bulk load (the replay of stored banks at start, or a large import): PDQ entries added until
 * compactBanks are indexed once, at the end, instead of one by one. Matching stays correct meanwhile
 * but scans the new entries linearly, so finish with compactBanks before serving traffic.
 */
export function beginBulkLoad(set: BankSet): void {
  set.bulkLoading = true;
  for (const bank of set.banks.values()) bank.pdq?.deferPostings();
}

/**
 * Lays every bank's PDQ postings out contiguously (see PdqIndex.compact) and ends a bulk load. Call after
 * loading banks at start, and optionally after a large import; matching is correct either way, only
 * faster after.
 */
export function compactBanks(set: BankSet): void {
  set.bulkLoading = false;
  for (const bank of set.banks.values()) bank.pdq?.compact(); // a no-op for small banks (linear search)
}

/** Matches one media item against every enabled bank and resolves the action. */
export function matchMedia(set: BankSet, media: MediaHashes): MediaMatchResult {
  const pdq = media.pdq;
  if (pdq !== undefined) {
    if (!Array.isArray(pdq.variants) || pdq.variants.length === 0 || pdq.variants.length > 8) {
      throw hashError('invalid_hash', 'PDQ needs 1 to 8 variant hashes');
    }
    for (const v of pdq.variants) checkDigest('pdq', v);
    if (!isQuality(pdq.quality)) throw hashError('invalid_pdq_quality', 'PDQ quality must be a number 0..100');
  }
  checkDigest('md5', media.md5);
  checkDigest('sha256', media.sha256);
  const usePdq = pdq !== undefined && pdq.quality >= set.pdqQualityFloor;
  const md5Key = media.md5 === undefined ? undefined : exactKey(media.md5);
  const sha256Key = media.sha256 === undefined ? undefined : exactKey(media.sha256);

  const all: BankMatch[] = [];
  const found: PdqMatch[] = [];
  for (const bank of set.banks.values()) {
    if (!bank.enabled) continue;
    if (usePdq && bank.pdq !== null && bank.pdq.activeSize > 0) {
      // Best (distance, variant) per PDQ id across the variants.
      const best = new Map<number, number>();
      for (let v = 0; v < pdq.variants.length; v++) {
        found.length = 0;
        bank.pdq.searchInto(pdq.variants[v], bank.pdqThreshold, found);
        for (const m of found) {
          const score = m.distance * 8 + v;
          const had = best.get(m.id);
          if (had === undefined || score < had) best.set(m.id, score);
        }
      }
      for (const [slot, score] of best) {
        all.push({
          bankId: bank.id,
          entryId: bank.entryIds[bank.entryOfPdq[slot]],
          action: bank.action,
          hashType: 'pdq',
          distance: score >>> 3,
          variant: score & 7,
        });
      }
    }
    const exact = (hashType: 'md5' | 'sha256', index: ExactIndex, key: string | undefined) => {
      if (key === undefined) return;
      lookupExact(index, key, (e) => {
        if (bank.disabled[e] === 0) {
          all.push({ bankId: bank.id, entryId: bank.entryIds[e], action: bank.action, hashType, distance: 0, variant: null });
        }
      });
    };
    exact('md5', bank.md5, md5Key);
    exact('sha256', bank.sha256, sha256Key);
  }
  return resolveMatches(all);
}

/** Applies the allow-list and severity rules to a list of raw matches (see the file comment). */
export function resolveMatches(all: readonly BankMatch[]): MediaMatchResult {
  const allowed = all.some((m) => m.action === 'allow');
  const matches: BankMatch[] = [];
  const suppressed: BankMatch[] = [];
  for (const m of all) {
    const keep = !allowed || m.action === 'allow' || (m.action === 'quarantine_and_report' && m.hashType !== 'pdq');
    (keep ? matches : suppressed).push(m);
  }
  const order = (a: BankMatch, b: BankMatch) =>
    SEVERITY[b.action] - SEVERITY[a.action] ||
    (a.bankId < b.bankId ? -1 : a.bankId > b.bankId ? 1 : 0) ||
    a.distance - b.distance ||
    (a.entryId < b.entryId ? -1 : a.entryId > b.entryId ? 1 : 0) ||
    (a.hashType < b.hashType ? -1 : a.hashType > b.hashType ? 1 : 0);
  matches.sort(order);
  suppressed.sort(order);
  let action: MediaAction = allowed ? 'allow' : 'none';
  let severity = 0;
  for (const m of matches) {
    if (SEVERITY[m.action] > severity) {
      severity = SEVERITY[m.action];
      action = m.action;
    }
  }
  return { action, matches, suppressed };
}

function applyBankSettings(bank: Bank, s: { name: string; action: BankAction; pdqThreshold: number; enabled: boolean }): void {
  if (typeof s.name !== 'string' || s.name.length > MAX_METADATA_LENGTH) throw hashError('invalid_bank', 'bank name must be a string of at most 1000 characters');
  if (!BANK_ACTIONS.includes(s.action)) throw hashError('invalid_bank', 'unknown bank action');
  if (!Number.isInteger(s.pdqThreshold) || s.pdqThreshold < 0 || s.pdqThreshold > PDQ_MAX_BANK_THRESHOLD) {
    throw hashError('invalid_pdq_threshold', 'PDQ threshold must be an integer 0..63');
  }
  if (typeof s.enabled !== 'boolean') throw hashError('invalid_bank', 'enabled must be a boolean');
  bank.name = s.name;
  bank.action = s.action;
  bank.pdqThreshold = s.pdqThreshold;
  bank.enabled = s.enabled;
}

function bankInfo(bank: Bank): BankInfo {
  return {
    id: bank.id,
    name: bank.name,
    action: bank.action,
    pdqThreshold: bank.pdqThreshold,
    enabled: bank.enabled,
    entries: bank.entryIds.length,
    activeEntries: bank.active,
  };
}

function requireBank(set: BankSet, bankId: string): Bank {
  const bank = set.banks.get(bankId);
  if (bank === undefined) throw hashError('hash_bank_not_found', 'no bank with this id');
  return bank;
}

/** Banks are few (tens), so a scan over them beats a second per-entry map. */
function findEntry(set: BankSet, entryId: string): { bank: Bank; e: number } | undefined {
  for (const bank of set.banks.values()) {
    const e = bank.entryNumbers.get(entryId);
    if (e !== undefined) return { bank, e };
  }
  return undefined;
}

function requireEntry(set: BankSet, entryId: string): { bank: Bank; e: number } {
  const found = findEntry(set, entryId);
  if (found === undefined) throw hashError('hash_entry_not_found', 'no entry with this id');
  return found;
}

function setEntryEnabled(bank: Bank, e: number, enabled: boolean): boolean {
  const was = bank.disabled[e] === 0;
  if (was === enabled) return false;
  bank.disabled[e] = enabled ? 0 : 1;
  bank.active += enabled ? 1 : -1;
  const slot = bank.pdqOfEntry[e];
  if (slot >= 0 && bank.pdq !== null) {
    if (enabled) bank.pdq.enable(slot);
    else bank.pdq.disable(slot);
  }
  return true;
}

function checkDigest(type: HashType, digest: Uint8Array | undefined): void {
  if (digest === undefined) return;
  if (!(digest instanceof Uint8Array) || digest.length !== HASH_BYTES[type]) {
    throw hashError('invalid_hash', `${type} hash must be ${HASH_BYTES[type]} bytes`, { hashType: type });
  }
}

function cleanMetadata(m: EntryMetadata): EntryMetadata {
  const out: EntryMetadata = {};
  for (const field of ['source', 'label', 'externalId'] as const) {
    const value = m[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length > MAX_METADATA_LENGTH) {
      throw hashError('invalid_entry', 'metadata fields must be strings of at most 1000 characters', { field });
    }
    out[field] = value;
  }
  return out;
}

function isQuality(q: unknown): q is number {
  return typeof q === 'number' && Number.isFinite(q) && q >= 0 && q <= 100;
}

function keyToHex(key: string): string {
  return toHex(Uint8Array.from(key, (ch) => ch.charCodeAt(0)));
}

function grownU8(a: Uint8Array, need: number): Uint8Array {
  const b = new Uint8Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

function grownU32(a: Uint32Array, need: number): Uint32Array {
  const b = new Uint32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

function grownI32(a: Int32Array, need: number): Int32Array {
  const b = new Int32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}
