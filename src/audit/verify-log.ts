/**
 * audit/verify-log: `custodian log verify`. Re-derives the whole tree from the entries and checks, without
 * trusting anything else in the store: every stored subtree hash (and so every tile), that no row exists
 * beyond the tree's edge, and that every stored checkpoint is signed by the given key, for this origin, and
 * names the root the entries actually produce at its size. A changed entry, a truncated log, or history
 * rewritten and re-signed all surface here as problems.
 *
 * It streams level by level in chunks: level 0 is hashed from entries; level l+1 is hashed from level l,
 * which has just been checked equal to its re-derivation. Memory stays bounded by the chunk size. Checking
 * every stored hash checks every tile, since tiles are the level-0, 8, 16… hash rows.
 */
import type { Queryable } from '../storage/index.js';
import { parseCheckpoint } from './checkpoint.js';
import { HASH_SIZE, foldRight, hashChildren, hashLeaf } from './hash.js';
import { openNote, parseVerifierKey } from './note.js';
import {
  checkpointRows,
  countEntryRowsFrom,
  HASH_ROW,
  countHashRowsBeyond,
  dbHashReader,
  latestCheckpointRow,
  readEntryRows,
  readHashTileRows,
} from './store.js';
import { treeHashNodes } from './tree.js';

export interface VerifyLogResult {
  ok: boolean;
  /** Size of the latest checkpoint. */
  size: number;
  /** Root re-derived from the entries at that size (base64), or null if it could not be. */
  rootHash: string | null;
  checkpointsChecked: number;
  /** The first problems found (capped), as sentences without entry content. */
  problems: string[];
}

const ROW = HASH_ROW;
/** Hash rows read per query: 128 × 32 hashes keeps memory small and round trips few. */
const ROWS_PER_READ = 128;
const MAX_PROBLEMS = 50;

export interface VerifyLogOptions {
  /** Expected checkpoint origin; checkpoints for any other origin are problems. */
  origin?: string;
  /**
   * Checkpoint notes obtained earlier from outside the store (a witness, a user's saved receipt, an earlier
   * run). A store rewritten or truncated wholesale, even re-signed with a stolen key, is internally
   * consistent; only a checkpoint held elsewhere exposes it.
   */
  trustedCheckpoints?: readonly string[];
}

export async function verifyLog(db: Queryable, verifierKey: string, opts: VerifyLogOptions = {}): Promise<VerifyLogResult> {
  const verifier = parseVerifierKey(verifierKey);
  const problems: string[] = [];
  const problem = (p: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };
  const head = await latestCheckpointRow(db);
  if (!head) return { ok: false, size: 0, rootHash: null, checkpointsChecked: 0, problems: ['no checkpoint'] };
  const size = head.size;

  // Level 0: entries → leaf hashes, compared row by row with the stored level 0.
  for (let row = 0; row * ROW < size; row += ROWS_PER_READ) {
    const stored = await readHashTileRows(db, 0, row, ROWS_PER_READ);
    const start = row * ROW;
    const count = Math.min(ROW * ROWS_PER_READ, size - start);
    const entries = await readEntryRows(db, start, count);
    if (entries.length !== count) problem(`entries missing in [${start}, ${start + count}): found ${entries.length} of ${count}`);
    const byIndex = new Map(entries.map((e) => [e.index, e.body]));
    compareRows(0, stored, row, Math.min(ROWS_PER_READ, Math.ceil((size - start) / ROW)), size, (i) => {
      const body = byIndex.get(i);
      return body ? hashLeaf(body) : undefined;
    });
  }
  if ((await countEntryRowsFrom(db, size)) > 0) problem(`entries exist beyond the latest checkpoint size ${size}`);

  // Levels 1…: each stored hash must be the hash of its two stored (already checked) children.
  for (let level = 1; Math.floor(size / 2 ** level) >= 1; level++) {
    const width = Math.floor(size / 2 ** level);
    for (let row = 0; row * ROW < width; row += ROWS_PER_READ) {
      const stored = await readHashTileRows(db, level, row, ROWS_PER_READ);
      const children = await readHashTileRows(db, level - 1, row * 2, ROWS_PER_READ * 2);
      const childRows = new Map(children.map((c) => [c.index, c.hashes]));
      const child = (i: number): Buffer | undefined => {
        const hashes = childRows.get(Math.floor(i / ROW));
        const off = (i % ROW) * HASH_SIZE;
        return hashes && hashes.length >= off + HASH_SIZE ? hashes.subarray(off, off + HASH_SIZE) : undefined;
      };
      compareRows(level, stored, row, Math.min(ROWS_PER_READ, Math.ceil((width - row * ROW) / ROW)), size, (i) => {
        const l = child(2 * i);
        const r = child(2 * i + 1);
        return l && r ? hashChildren(l, r) : undefined;
      });
    }
  }
  if ((await countHashRowsBeyond(db, size)) > 0) problem(`hash rows reach beyond the tree edge (size ${size})`);

  /** Compares stored rows [firstRow, firstRow+rowCount) of `level` with re-derived hashes. */
  function compareRows(
    level: number,
    stored: { index: number; hashes: Buffer }[],
    firstRow: number,
    rowCount: number,
    treeSize: number,
    derive: (i: number) => Buffer | undefined,
  ): void {
    const width = Math.floor(treeSize / 2 ** level);
    const byRow = new Map(stored.map((x) => [x.index, x.hashes]));
    for (let row = firstRow; row < firstRow + rowCount; row++) {
      const expected = Math.min(ROW, width - row * ROW);
      const hashes = byRow.get(row);
      if (!hashes || hashes.length < expected * HASH_SIZE) {
        problem(`level ${level} hashes missing in row ${row}`);
        continue;
      }
      for (let k = 0; k < expected; k++) {
        const i = row * ROW + k;
        const want = derive(i);
        if (!want) continue; // reported as missing input above
        if (!want.equals(hashes.subarray(k * HASH_SIZE, (k + 1) * HASH_SIZE))) {
          problem(level === 0 ? `entry ${i} does not match its stored leaf hash` : `stored hash ${level}/${i} does not match its children`);
        }
      }
    }
  }

  // Checkpoints: each must be well-signed, for this log, and name the re-derived root at its size.
  let checked = 0;
  let rootHash: string | null = null;
  for (let from = 0; ; ) {
    const rows = await checkpointRows(db, from, 1000);
    if (rows.length === 0) break;
    for (const cp of rows) {
      checked += 1;
      let body;
      try {
        body = parseCheckpoint(openNote(cp.note, [verifier]).text);
      } catch (err) {
        problem(`checkpoint ${cp.size} does not verify: ${(err as { code?: string }).code ?? 'error'}`);
        continue;
      }
      if (opts.origin !== undefined && body.origin !== opts.origin) problem(`checkpoint ${cp.size} is for another origin`);
      if (body.size !== cp.size || !body.rootHash.equals(cp.root)) problem(`checkpoint ${cp.size} note disagrees with its row`);
      const root = await rootFromVerifiedHashes(db, cp.size);
      if (!root) problem(`checkpoint ${cp.size}: hashes to recompute its root are missing`);
      else if (!root.equals(body.rootHash)) problem(`checkpoint ${cp.size} root does not match the entries (history rewritten?)`);
      if (cp.size === size && root) rootHash = root.toString('base64');
    }
    from = rows[rows.length - 1].size + 1;
  }

  for (const [i, note] of (opts.trustedCheckpoints ?? []).entries()) {
    let body;
    try {
      body = parseCheckpoint(openNote(note, [verifier]).text);
    } catch (err) {
      problem(`trusted checkpoint #${i} does not verify: ${(err as { code?: string }).code ?? 'error'}`);
      continue;
    }
    checked += 1;
    if (body.size > size) {
      problem(`the log (size ${size}) is shorter than trusted checkpoint #${i} (size ${body.size}): truncated`);
      continue;
    }
    const root = await rootFromVerifiedHashes(db, body.size);
    if (!root || !root.equals(body.rootHash)) problem(`trusted checkpoint #${i} (size ${body.size}) is not a prefix of this log: history rewritten`);
  }
  return { ok: problems.length === 0, size, rootHash, checkpointsChecked: checked, problems };
}

/** Folds the tree head from stored hashes that the passes above have already checked. */
async function rootFromVerifiedHashes(db: Queryable, size: number): Promise<Buffer | undefined> {
  try {
    return foldRight(await dbHashReader(db).readHashes(treeHashNodes(size)));
  } catch {
    return undefined;
  }
}
