/**
 * audit/verify-log: `custodian log verify`. Re-derives the whole tree from the entries and checks, without
 * trusting anything else in the store: every stored subtree hash (and so every tile), that no row exists
 * beyond the tree's edge, and that every stored checkpoint is signed by the given key, for this origin, and
 * names the root the entries actually produce at its size. A changed entry, a truncated log, or history
 * rewritten and re-signed all surface here as problems.
 *
 * It streams level by level in chunks: level 0 is hashed from entries; level l+1 is hashed from level l,
 * which has just been checked equal to its re-derivation. Memory stays bounded by the chunk size.
 */
import type { Queryable } from '../storage/index.js';
import { parseCheckpoint } from './checkpoint.js';
import { foldRight, hashChildren, hashLeaf } from './hash.js';
import { openNote, parseVerifierKey } from './note.js';
import {
  checkpointRows,
  countEntryRowsFrom,
  countHashRowsFrom,
  dbHashReader,
  latestCheckpointRow,
  maxHashLevel,
  readEntryRows,
  readHashRows,
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

const CHUNK = 4096;
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

  // Level 0: entries → leaf hashes, compared with stored leaf hashes.
  for (let start = 0; start < size; start += CHUNK) {
    const count = Math.min(CHUNK, size - start);
    const entries = await readEntryRows(db, start, count);
    const stored = await readHashRows(db, 0, start, count);
    if (entries.length !== count) problem(`entries missing in [${start}, ${start + count}): found ${entries.length} of ${count}`);
    if (stored.length !== count) problem(`leaf hashes missing in [${start}, ${start + count}): found ${stored.length} of ${count}`);
    const storedByIndex = new Map(stored.map((r) => [r.index, r.hash]));
    for (const e of entries) {
      const h = storedByIndex.get(e.index);
      if (h && !hashLeaf(e.body).equals(h)) problem(`entry ${e.index} does not match its stored leaf hash`);
    }
  }
  if ((await countEntryRowsFrom(db, size)) > 0) problem(`entries exist beyond the latest checkpoint size ${size}`);

  // Levels 1…: each stored node must be the hash of its two stored children.
  let level = 0;
  for (let width = size; width >= 2; width = Math.floor(width / 2)) {
    level += 1;
    const parents = Math.floor(width / 2);
    for (let start = 0; start < parents; start += CHUNK) {
      const count = Math.min(CHUNK, parents - start);
      const children = await readHashRows(db, level - 1, start * 2, count * 2);
      const stored = await readHashRows(db, level, start, count);
      if (stored.length !== count) problem(`level ${level} hashes missing in [${start}, ${start + count})`);
      const child = new Map(children.map((r) => [r.index, r.hash]));
      for (const s of stored) {
        const l = child.get(s.index * 2);
        const r = child.get(s.index * 2 + 1);
        if (!l || !r || !hashChildren(l, r).equals(s.hash)) problem(`stored hash ${level}/${s.index} does not match its children`);
      }
    }
  }
  for (let l = 0, top = await maxHashLevel(db); l <= top; l++) {
    if ((await countHashRowsFrom(db, l, Math.floor(size / 2 ** l))) > 0) problem(`hashes exist at level ${l} beyond the tree edge`);
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
