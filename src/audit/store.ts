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
      -- Every complete-subtree hash (RFC 6962), packed 32 consecutive hashes of one tree level per row: row
      -- (level, idx) holds hashes idx·32 … idx·32+31 of that level. A public tile at tile level L is 8 rows of
      -- tree level 8·L; the levels between make any proof one indexed lookup instead of re-hashing tiles.
      -- Packing keeps an append near one row per entry; 1 KiB rows stay inline (below the TOAST threshold), so
      -- the partial row a batch extends is cheap to rewrite and to slice.
      CREATE TABLE audit_hash_tiles (
        level smallint NOT NULL CHECK (level >= 0 AND level < 64),
        idx bigint NOT NULL CHECK (idx >= 0),
        hashes bytea NOT NULL CHECK (octet_length(hashes) BETWEEN 32 AND 1024 AND octet_length(hashes) % 32 = 0),
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

/** Hashes per audit_hash_tiles row. */
export const HASH_ROW = 32;

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

/** Hash rows of `level` with row index in [fromRow, fromRow+count), ascending (each up to HASH_ROW hashes). */
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
     WHERE idx * ${HASH_ROW} + octet_length(hashes) / ${HASH_SIZE} > ($1::bigint >> level::int)`,
    [size],
  );
  return Number(rows[0].n);
}

export async function countEntryRowsFrom(q: Queryable, fromIndex: number): Promise<number> {
  const { rows } = await q.query<{ n: number | string }>('SELECT count(*)::int AS n FROM audit_entries WHERE idx >= $1', [fromIndex]);
  return Number(rows[0].n);
}


/**
 * Groups new subtree hashes into runs within one hash row: per level, consecutive indexes, split where a new
 * row begins. Each run is appended to its row (or starts it) in a single upsert.
 */
function hashRuns(nodes: readonly StoredNode[]): { level: number; row: number; hashes: Buffer[] }[] {
  const sorted = [...nodes].sort((a, b) => a.level - b.level || a.index - b.index);
  const runs: { level: number; row: number; hashes: Buffer[]; next: number }[] = [];
  for (const n of sorted) {
    const row = Math.floor(n.index / HASH_ROW);
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

/** Whether the database stores text as UTF-8, so entries can travel as text (cheapest to insert). */
export async function isUtf8Database(q: Queryable): Promise<boolean> {
  const { rows } = await q.query<{ server_encoding: string }>('SHOW server_encoding');
  return rows[0]?.server_encoding === 'UTF8';
}

/**
 * Writes one sequenced batch: entries, the subtree hashes they completed and the checkpoint that commits
 * them. Must run inside the caller's transaction so all three become visible together. Whatever the batch
 * size this is three statements: rows travel as arrays and are unnested server-side. Entries travel as text
 * when the database is UTF-8 and every entry is exactly the UTF-8 of its text (canonical JSON always is);
 * otherwise as hex. Both are several times cheaper on PGlite than slicing one large bytea per row.
 */
export async function insertBatch(
  tx: Queryable,
  batch: { startIndex: number; entries: readonly Buffer[]; nodes: readonly StoredNode[]; checkpoint: { size: number; root: Buffer; note: string } },
  opts: { utf8Text?: boolean } = {},
): Promise<void> {
  if (batch.entries.length > 0) {
    const texts = opts.utf8Text ? batch.entries.map((e) => e.toString('utf8')) : undefined;
    const exact = texts !== undefined && texts.every((t, i) => !t.includes('\u0000') && Buffer.from(t, 'utf8').equals(batch.entries[i]));
    await tx.query(
      `INSERT INTO audit_entries (idx, body)
       SELECT $1::bigint + t.ord - 1, ${exact ? "convert_to(t.s, 'UTF8')" : "decode(t.s, 'hex')"}
       FROM unnest($2::text[]) WITH ORDINALITY AS t(s, ord)`,
      [batch.startIndex, exact ? texts : batch.entries.map((e) => e.toString('hex'))],
    );
  }
  const runs = hashRuns(batch.nodes);
  if (runs.length > 0) {
    const result = await tx.query(
      `INSERT INTO audit_hash_tiles (level, idx, hashes)
       SELECT t.level, t.idx, decode(t.h, 'hex')
       FROM unnest($1::smallint[], $2::bigint[], $3::text[]) AS t(level, idx, h)
       ON CONFLICT (level, idx) DO UPDATE SET hashes = audit_hash_tiles.hashes || EXCLUDED.hashes`,
      [runs.map((r) => r.level), runs.map((r) => r.row), runs.map((r) => Buffer.concat(r.hashes).toString('hex'))],
    );
    if (result.rowCount !== runs.length) throw new Error('audit hash rows were not all written');
  }
  await tx.query('INSERT INTO audit_checkpoints (size, root, note) VALUES ($1, $2, $3)', [
    batch.checkpoint.size,
    batch.checkpoint.root,
    batch.checkpoint.note,
  ]);
}

/** A subtree hash the store does not hold: the tree asked about is larger than the log (or the store is damaged). */
export class MissingHashError extends Error {
  constructor(readonly level: number, readonly index: number) {
    super(`audit store is missing hash ${level}/${index}`);
    this.name = 'MissingHashError';
  }
}

/** A HashReader over audit_hash_tiles; a proof is one round trip that returns only the hashes it needs. */
export function dbHashReader(q: Queryable): HashReader {
  return {
    async readHashes(nodes: readonly NodeId[]): Promise<Buffer[]> {
      if (nodes.length === 0) return [];
      const { rows } = await q.query<{ level: number; i: number | string; hash: Uint8Array }>(
        `SELECT want.level, want.i, substring(t.hashes FROM (want.i % ${HASH_ROW})::int * ${HASH_SIZE} + 1 FOR ${HASH_SIZE}) AS hash
         FROM unnest($1::smallint[], $2::bigint[]) AS want(level, i)
         JOIN audit_hash_tiles t ON t.level = want.level AND t.idx = want.i / ${HASH_ROW}`,
        [nodes.map((n) => n.level), nodes.map((n) => n.index)],
      );
      const byKey = new Map<string, Buffer>();
      for (const r of rows) if (r.hash.length === HASH_SIZE) byKey.set(`${r.level}/${Number(r.i)}`, toBuffer(r.hash));
      return nodes.map((n) => {
        const h = byKey.get(`${n.level}/${n.index}`);
        if (!h) throw new MissingHashError(n.level, n.index);
        return h;
      });
    },
    async readHashRange(level: number, start: number, count: number): Promise<Buffer[]> {
      const out: Buffer[] = [];
      const firstRow = Math.floor(start / HASH_ROW);
      const lastRow = Math.floor((start + count - 1) / HASH_ROW);
      const rows = await readHashTileRows(q, level, firstRow, lastRow - firstRow + 1);
      for (const r of rows) {
        for (let k = 0; k < r.hashes.length / HASH_SIZE && out.length < count; k++) {
          const index = r.index * HASH_ROW + k;
          if (index < start + out.length) continue;
          if (index !== start + out.length) return out;
          out.push(r.hashes.subarray(k * HASH_SIZE, (k + 1) * HASH_SIZE));
        }
      }
      return out;
    },
  };
}
