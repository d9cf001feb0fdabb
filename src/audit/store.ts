/**
 * audit/store: the audit_* tables and all SQL the log runs. Append-only by construction (rows are only ever
 * inserted) and by enforcement (triggers refuse UPDATE, DELETE and TRUNCATE), so a bug or a compromised
 * application account cannot quietly rewrite history; an attacker who disables the triggers is caught by
 * `verifyLog` and by every client holding an older checkpoint.
 */
import type { Migration, Queryable } from '../storage/index.js';
import { HASH_SIZE } from './hash.js';
import type { HashReader, NodeId, StoredNode } from './tree.js';

export const auditMigrations: Migration[] = [
  {
    id: '20261123-0150-audit-log',
    sql: `
      -- One row per log entry: canonical JSON bytes, never user ids (subjects are pseudonymised) or content.
      -- 65,535 bytes is the most a tlog-tiles entry bundle can frame.
      CREATE TABLE audit_entries (
        idx bigint PRIMARY KEY CHECK (idx >= 0),
        body bytea NOT NULL CHECK (octet_length(body) <= 65535)
      );
      -- Every complete-subtree hash (RFC 6962), packed 256 consecutive hashes of one tree level per row: row
      -- (level, idx) holds hashes idx·256 … of that level. Rows at levels 0, 8, 16… are exactly the public
      -- tlog-tiles tiles (8,192 bytes when full; a prefix of that while partial). The levels between make any
      -- proof one indexed lookup instead of re-hashing tiles. Packing keeps an append to ~1 row per entry.
      CREATE TABLE audit_hash_tiles (
        level smallint NOT NULL CHECK (level >= 0 AND level < 64),
        idx bigint NOT NULL CHECK (idx >= 0),
        hashes bytea NOT NULL CHECK (octet_length(hashes) BETWEEN 32 AND 8192 AND octet_length(hashes) % 32 = 0),
        PRIMARY KEY (level, idx)
      );
      -- Every signed checkpoint, committed with the entries it covers; partial tiles are served for each size.
      CREATE TABLE audit_checkpoints (
        size bigint PRIMARY KEY CHECK (size >= 0),
        root bytea NOT NULL CHECK (octet_length(root) = 32),
        note text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit tables are append-only (% on %)', TG_OP, TG_TABLE_NAME;
      END
      $$;
      CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
      CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
      -- A hash row may only grow: the new value must extend the old one, so a stored hash never changes.
      CREATE FUNCTION audit_hash_tiles_extend_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND NEW.level = OLD.level AND NEW.idx = OLD.idx
           AND octet_length(NEW.hashes) > octet_length(OLD.hashes)
           AND substring(NEW.hashes FROM 1 FOR octet_length(OLD.hashes)) = OLD.hashes THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit hash tiles only grow (% on %)', TG_OP, TG_TABLE_NAME;
      END
      $$;
      CREATE TRIGGER audit_hash_tiles_extend_only BEFORE UPDATE OR DELETE ON audit_hash_tiles
        FOR EACH ROW EXECUTE FUNCTION audit_hash_tiles_extend_only();
      CREATE TRIGGER audit_hash_tiles_no_truncate BEFORE TRUNCATE ON audit_hash_tiles
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
      CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
      CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
        FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
    `,
  },
];

/** Serialises sequencers across processes (a cluster has N nodes, one log): pg_advisory_xact_lock key. */
export const SEQUENCER_LOCK_ID = 0x61756469745f6c; // "audit_l"

const toBuffer = (v: unknown): Buffer => Buffer.from(v as Uint8Array);

export interface CheckpointRow {
  size: number;
  root: Buffer;
  note: string;
  createdAt: Date;
}

export async function latestCheckpointRow(q: Queryable): Promise<CheckpointRow | undefined> {
  const { rows } = await q.query<{ size: number | string; root: Uint8Array; note: string; created_at: Date }>(
    'SELECT size, root, note, created_at FROM audit_checkpoints ORDER BY size DESC LIMIT 1',
  );
  const r = rows[0];
  return r && { size: Number(r.size), root: toBuffer(r.root), note: r.note, createdAt: new Date(r.created_at) };
}

/** Checkpoints with size in [fromSize, …), ascending, at most `limit`. */
export async function checkpointRows(q: Queryable, fromSize: number, limit: number): Promise<CheckpointRow[]> {
  const { rows } = await q.query<{ size: number | string; root: Uint8Array; note: string; created_at: Date }>(
    'SELECT size, root, note, created_at FROM audit_checkpoints WHERE size >= $1 ORDER BY size LIMIT $2',
    [fromSize, limit],
  );
  return rows.map((r) => ({ size: Number(r.size), root: toBuffer(r.root), note: r.note, createdAt: new Date(r.created_at) }));
}

/** Entries [start, start+count) that exist, ascending, with their indexes. */
export async function readEntryRows(q: Queryable, start: number, count: number): Promise<{ index: number; body: Buffer }[]> {
  const { rows } = await q.query<{ idx: number | string; body: Uint8Array }>(
    'SELECT idx, body FROM audit_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx',
    [start, start + count],
  );
  return rows.map((r) => ({ index: Number(r.idx), body: toBuffer(r.body) }));
}

/** Hash rows of `level` with row index in [fromRow, fromRow+count), ascending (each up to 256 hashes). */
export async function readHashTileRows(q: Queryable, level: number, fromRow: number, count: number): Promise<{ index: number; hashes: Buffer }[]> {
  const { rows } = await q.query<{ idx: number | string; hashes: Uint8Array }>(
    'SELECT idx, hashes FROM audit_hash_tiles WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx',
    [level, fromRow, fromRow + count],
  );
  return rows.map((r) => ({ index: Number(r.idx), hashes: toBuffer(r.hashes) }));
}

/** Hash rows that reach beyond the edge of a tree of `size` leaves (there should be none). */
export async function countHashRowsBeyond(q: Queryable, size: number): Promise<number> {
  // At level l the tree has floor(size / 2^l) hashes; a row holding more, or starting past them, is foreign.
  const { rows } = await q.query<{ n: number | string }>(
    `SELECT count(*)::int AS n FROM audit_hash_tiles
     WHERE idx * ${TILE_ROW} + octet_length(hashes) / ${HASH_SIZE} > ($1::bigint >> level::int)`,
    [size],
  );
  return Number(rows[0].n);
}

export async function countEntryRowsFrom(q: Queryable, fromIndex: number): Promise<number> {
  const { rows } = await q.query<{ n: number | string }>('SELECT count(*)::int AS n FROM audit_entries WHERE idx >= $1', [fromIndex]);
  return Number(rows[0].n);
}

const TILE_ROW = 256;

/**
 * Groups new subtree hashes into runs within one hash row: per level, consecutive indexes, split where a new
 * 256-hash row begins. Each run is appended to its row (or starts it) in a single upsert.
 */
function hashRuns(nodes: readonly StoredNode[]): { level: number; row: number; hashes: Buffer[] }[] {
  const sorted = [...nodes].sort((a, b) => a.level - b.level || a.index - b.index);
  const runs: { level: number; row: number; hashes: Buffer[]; next: number }[] = [];
  for (const n of sorted) {
    const row = Math.floor(n.index / TILE_ROW);
    const last = runs[runs.length - 1];
    if (last && last.level === n.level && last.row === row && last.next === n.index) {
      last.hashes.push(n.hash);
      last.next += 1;
    } else {
      runs.push({ level: n.level, row, hashes: [n.hash], next: n.index + 1 });
    }
  }
  return runs;
}

/**
 * Writes one sequenced batch: entries, the subtree hashes they completed and the checkpoint that commits
 * them. Must run inside the caller's transaction so all three become visible together. Rows travel as one
 * concatenated bytea plus offsets, so a batch is three statements whatever its size.
 */
export async function insertBatch(
  tx: Queryable,
  batch: { startIndex: number; entries: readonly Buffer[]; nodes: readonly StoredNode[]; checkpoint: { size: number; root: Buffer; note: string } },
): Promise<void> {
  if (batch.entries.length > 0) {
    const offsets: number[] = [];
    const lengths: number[] = [];
    let off = 0;
    for (const e of batch.entries) {
      offsets.push(off);
      lengths.push(e.length);
      off += e.length;
    }
    await tx.query(
      `INSERT INTO audit_entries (idx, body)
       SELECT $1::bigint + t.ord - 1, substring($2::bytea FROM t.off + 1 FOR t.len)
       FROM unnest($3::int[], $4::int[]) WITH ORDINALITY AS t(off, len, ord)`,
      [batch.startIndex, Buffer.concat(batch.entries, off), offsets, lengths],
    );
  }
  const runs = hashRuns(batch.nodes);
  if (runs.length > 0) {
    const offsets: number[] = [];
    const lengths: number[] = [];
    let off = 0;
    for (const r of runs) {
      offsets.push(off);
      lengths.push(r.hashes.length * HASH_SIZE);
      off += r.hashes.length * HASH_SIZE;
    }
    const result = await tx.query(
      `INSERT INTO audit_hash_tiles (level, idx, hashes)
       SELECT t.level, t.idx, substring($3::bytea FROM t.off + 1 FOR t.len)
       FROM unnest($1::smallint[], $2::bigint[], $4::int[], $5::int[]) AS t(level, idx, off, len)
       ON CONFLICT (level, idx) DO UPDATE SET hashes = audit_hash_tiles.hashes || EXCLUDED.hashes`,
      [runs.map((r) => r.level), runs.map((r) => r.row), Buffer.concat(runs.flatMap((r) => r.hashes), off), offsets, lengths],
    );
    if (result.rowCount !== runs.length) throw new Error('audit hash rows were not all written');
  }
  await tx.query('INSERT INTO audit_checkpoints (size, root, note) VALUES ($1, $2, $3)', [
    batch.checkpoint.size,
    batch.checkpoint.root,
    batch.checkpoint.note,
  ]);
}

/** A HashReader over audit_hash_tiles; a proof is one round trip that returns only the hashes it needs. */
export function dbHashReader(q: Queryable): HashReader {
  return {
    async readHashes(nodes: readonly NodeId[]): Promise<Buffer[]> {
      if (nodes.length === 0) return [];
      const { rows } = await q.query<{ level: number; i: number | string; hash: Uint8Array }>(
        `SELECT want.level, want.i, substring(t.hashes FROM (want.i % ${TILE_ROW})::int * ${HASH_SIZE} + 1 FOR ${HASH_SIZE}) AS hash
         FROM unnest($1::smallint[], $2::bigint[]) AS want(level, i)
         JOIN audit_hash_tiles t ON t.level = want.level AND t.idx = want.i / ${TILE_ROW}`,
        [nodes.map((n) => n.level), nodes.map((n) => n.index)],
      );
      const byKey = new Map<string, Buffer>();
      for (const r of rows) if (r.hash.length === HASH_SIZE) byKey.set(`${r.level}/${Number(r.i)}`, toBuffer(r.hash));
      return nodes.map((n) => {
        const h = byKey.get(`${n.level}/${n.index}`);
        // A missing node inside a committed tree means the store is damaged, not that the caller erred.
        if (!h) throw new Error(`audit store is missing hash ${n.level}/${n.index}`);
        return h;
      });
    },
    async readHashRange(level: number, start: number, count: number): Promise<Buffer[]> {
      const out: Buffer[] = [];
      const firstRow = Math.floor(start / TILE_ROW);
      const lastRow = Math.floor((start + count - 1) / TILE_ROW);
      const rows = await readHashTileRows(q, level, firstRow, lastRow - firstRow + 1);
      for (const r of rows) {
        for (let k = 0; k < r.hashes.length / HASH_SIZE && out.length < count; k++) {
          const index = r.index * TILE_ROW + k;
          if (index < start + out.length) continue;
          if (index !== start + out.length) return out;
          out.push(r.hashes.subarray(k * HASH_SIZE, (k + 1) * HASH_SIZE));
        }
      }
      return out;
    },
  };
}
