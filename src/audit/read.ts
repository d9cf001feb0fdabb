/**
 * audit/read: everything the public `/log/...` routes and `/v1/me/access-log` serve. Each function returns
 * bytes or strings and throws DomainError codes (`invalid_tile_path`, `tile_not_found`,
 * `invalid_proof_request`, `entry_not_found`, `checkpoint_not_found`); HTTP lives in `http/`.
 * Everything served is already committed under a signed checkpoint (the sequencer writes both in one
 * transaction), so nothing here can leak an entry that a checkpoint does not cover.
 */
import type { Queryable } from '../storage/index.js';
import { AuditErrorCode, auditError } from './errors.js';
import { MissingHashError, dbHashReader, latestCheckpointRow, readEntryRows } from './store.js';
import { TILE_WIDTH, buildTile, encodeEntryBundle, parseTilePath, tilePath, type TileRef } from './tiles.js';
import { consistencyProofPlan, inclusionProofFrom, inclusionProofPlan, resolvePlan, treeHashFrom, type ProofPlan } from './tree.js';

async function latestSize(db: Queryable): Promise<number> {
  const head = await latestCheckpointRow(db);
  if (!head) throw auditError(AuditErrorCode.checkpointNotFound, 'the log has no checkpoint yet');
  return head.size;
}

/** The latest signed checkpoint note (for `/log/checkpoint`, text/plain; charset=utf-8). */
export async function latestCheckpoint(db: Queryable): Promise<string> {
  const head = await latestCheckpointRow(db);
  if (!head) throw auditError(AuditErrorCode.checkpointNotFound, 'the log has no checkpoint yet');
  return head.note;
}

/**
 * The bytes at a tlog-tiles path (`tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`, no leading slash).
 * Partial tiles are prefixes of the growing tile, so any width the log has reached is served.
 */
export async function readTile(db: Queryable, path: string): Promise<Buffer> {
  const tile = parseTilePath(path);
  if (tile.kind === 'entries') return readEntryBundle(db, tile.index, tile.width);
  return buildTile(dbHashReader(db), tile);
}

/** Entry bundle `index` with `width` entries (256 = full). */
export async function readEntryBundle(db: Queryable, index: number, width: number = TILE_WIDTH): Promise<Buffer> {
  if (!Number.isSafeInteger(index) || index < 0 || !Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
    throw auditError(AuditErrorCode.invalidTilePath, 'invalid entry bundle');
  }
  const tile: TileRef = { kind: 'entries', level: 0, index, width };
  const rows = await readEntryRows(db, index * TILE_WIDTH, width);
  if (rows.length !== width) throw auditError(AuditErrorCode.tileNotFound, 'tile not found', { path: tilePath(tile) });
  return encodeEntryBundle(rows.map((r) => r.body));
}

/** One entry's bytes (canonical JSON). */
export async function readEntry(db: Queryable, index: number): Promise<Buffer> {
  if (!Number.isSafeInteger(index) || index < 0) throw auditError(AuditErrorCode.entryNotFound, 'entry not found');
  const rows = await readEntryRows(db, index, 1);
  if (rows.length === 0) throw auditError(AuditErrorCode.entryNotFound, 'entry not found');
  return rows[0].body;
}

function checkSizeArg(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw auditError(AuditErrorCode.invalidProofRequest, `${name} must be a non-negative integer`);
}

/**
 * Runs a read over the tree of `size` leaves without first asking for the latest size: hashes are only ever
 * written together with a checkpoint covering them, so every node a tree of `size` needs is present exactly
 * when size <= the latest checkpoint's size. Only a miss costs the extra query, to tell "beyond the log"
 * (the caller's mistake) from a damaged store (ours).
 */
async function withinLog<T>(db: Queryable, size: number, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof MissingHashError && size > (await latestSize(db))) {
      throw auditError(AuditErrorCode.invalidProofRequest, 'size beyond the latest checkpoint');
    }
    throw err;
  }
}

/**
 * Resolves a proof plan plus the leaf hash at size-1 in the same round trip. A proof need not touch the
 * tree's last leaf (the path of leaf 3 in a tree of 4 is nodes 0/2 and 1/0), so that sentinel is what makes
 * a missing hash reliably mean "size is beyond the log" rather than a proof built for a tree that never was.
 */
async function provenWithSentinel(db: Queryable, plan: ProofPlan, size: number): Promise<Buffer[]> {
  const resolved = await resolvePlan(dbHashReader(db), [...plan, [{ level: 0, index: size - 1 }]]);
  return resolved.slice(0, -1);
}

/** RFC 6962 tree head for any size up to the latest checkpoint. */
export async function treeHead(db: Queryable, size: number): Promise<Buffer> {
  checkSizeArg('size', size);
  if (size === 0) await latestSize(db); // the empty tree needs no hashes; still require an opened log
  return withinLog(db, size, () => treeHashFrom(dbHashReader(db), size));
}

/** Inclusion proof (RFC 9162 §2.1.3) for entry `index` in the tree of `size`; needs index < size <= latest. */
export async function inclusionProof(db: Queryable, index: number, size: number): Promise<Buffer[]> {
  checkSizeArg('index', index);
  checkSizeArg('size', size);
  if (index >= size) throw auditError(AuditErrorCode.invalidProofRequest, 'index must be below size');
  return withinLog(db, size, () => provenWithSentinel(db, inclusionProofPlan(index, size), size));
}

/** Consistency proof (RFC 9162 §2.1.4) from tree size `from` to `to`; needs 0 < from <= to <= latest. */
export async function consistencyProof(db: Queryable, from: number, to: number): Promise<Buffer[]> {
  checkSizeArg('from', from);
  checkSizeArg('to', to);
  if (from === 0 || from > to) throw auditError(AuditErrorCode.invalidProofRequest, 'need 0 < from <= to');
  if (from === to) {
    // The empty proof needs no hashes, so check the size explicitly.
    if (to > (await latestSize(db))) throw auditError(AuditErrorCode.invalidProofRequest, 'size beyond the latest checkpoint');
    return [];
  }
  return withinLog(db, to, () => provenWithSentinel(db, consistencyProofPlan(from, to), to));
}

/**
 * An entry with everything a user needs to check it independently: the signed checkpoint and the inclusion
 * proof against it (for `/v1/me/access-log`). No transaction is needed: hashes for a committed size never
 * change, so a proof for the checkpoint read first stays valid however far the log grows meanwhile.
 */
export async function entryWithProof(
  db: Queryable,
  index: number,
): Promise<{ index: number; entry: Buffer; checkpoint: string; treeSize: number; proof: Buffer[] }> {
  const head = await latestCheckpointRow(db);
  if (!head) throw auditError(AuditErrorCode.checkpointNotFound, 'the log has no checkpoint yet');
  if (!Number.isSafeInteger(index) || index < 0 || index >= head.size) throw auditError(AuditErrorCode.entryNotFound, 'entry not found');
  const entry = await readEntry(db, index);
  const proof = await inclusionProofFrom(dbHashReader(db), index, head.size);
  return { index, entry, checkpoint: head.note, treeSize: head.size, proof };
}
