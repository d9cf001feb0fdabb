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
      -- Every complete-subtree hash (RFC 6962), level 0 = leaf hashes. Tiles are slices of levels 0, 8, 16…;
      -- the levels between make any proof a handful of primary-key lookups instead of re-hashing tiles.
      CREATE TABLE audit_hashes (
        level smallint NOT NULL CHECK (level >= 0 AND level < 64),
        idx bigint NOT NULL CHECK (idx >= 0),
        hash bytea NOT NULL CHECK (octet_length(hash) = 32),
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
      CREATE TRIGGER audit_hashes_append_only BEFORE UPDATE OR DELETE ON audit_hashes
        FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
      CREATE TRIGGER audit_hashes_no_truncate BEFORE TRUNCATE ON audit_hashes
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

/** Stored hashes at `level` with index in [start, start+count), ascending, with their indexes. */
export async function readHashRows(q: Queryable, level: number, start: number, count: number): Promise<{ index: number; hash: Buffer }[]> {
  const { rows } = await q.query<{ idx: number | string; hash: Uint8Array }>(
    'SELECT idx, hash FROM audit_hashes WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx',
    [level, start, start + count],
  );
  return rows.map((r) => ({ index: Number(r.idx), hash: toBuffer(r.hash) }));
}

/** Hash rows at `level` at or beyond `fromIndex` (rows that should not exist past the tree's edge). */
export async function countHashRowsFrom(q: Queryable, level: number, fromIndex: number): Promise<number> {
  const { rows } = await q.query<{ n: number | string }>('SELECT count(*)::int AS n FROM audit_hashes WHERE level = $1 AND idx >= $2', [
    level,
    fromIndex,
  ]);
  return Number(rows[0].n);
}

export async function countEntryRowsFrom(q: Queryable, fromIndex: number): Promise<number> {
  const { rows } = await q.query<{ n: number | string }>('SELECT count(*)::int AS n FROM audit_entries WHERE idx >= $1', [fromIndex]);
  return Number(rows[0].n);
}

export async function maxHashLevel(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ m: number | null }>('SELECT max(level)::int AS m FROM audit_hashes');
  return rows[0].m ?? -1;
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
  if (batch.nodes.length > 0) {
    await tx.query(
      `INSERT INTO audit_hashes (level, idx, hash)
       SELECT t.level, t.idx, substring($3::bytea FROM ((t.ord - 1) * ${HASH_SIZE} + 1)::int FOR ${HASH_SIZE})
       FROM unnest($1::smallint[], $2::bigint[]) WITH ORDINALITY AS t(level, idx, ord)`,
      [batch.nodes.map((n) => n.level), batch.nodes.map((n) => n.index), Buffer.concat(batch.nodes.map((n) => n.hash))],
    );
  }
  await tx.query('INSERT INTO audit_checkpoints (size, root, note) VALUES ($1, $2, $3)', [
    batch.checkpoint.size,
    batch.checkpoint.root,
    batch.checkpoint.note,
  ]);
}

/** A HashReader over audit_hashes; every proof is one round trip. */
export function dbHashReader(q: Queryable): HashReader {
  return {
    async readHashes(nodes: readonly NodeId[]): Promise<Buffer[]> {
      if (nodes.length === 0) return [];
      const { rows } = await q.query<{ level: number; idx: number | string; hash: Uint8Array }>(
        `SELECT h.level, h.idx, h.hash FROM audit_hashes h
         JOIN unnest($1::smallint[], $2::bigint[]) AS want(level, idx) ON h.level = want.level AND h.idx = want.idx`,
        [nodes.map((n) => n.level), nodes.map((n) => n.index)],
      );
      const byKey = new Map(rows.map((r) => [`${r.level}/${Number(r.idx)}`, toBuffer(r.hash)]));
      return nodes.map((n) => {
        const h = byKey.get(`${n.level}/${n.index}`);
        // A missing node inside a committed tree means the store is damaged, not that the caller erred.
        if (!h) throw new Error(`audit store is missing hash ${n.level}/${n.index}`);
        return h;
      });
    },
    async readHashRange(level: number, start: number, count: number): Promise<Buffer[]> {
      const rows = await readHashRows(q, level, start, count);
      const out: Buffer[] = [];
      for (const r of rows) {
        if (r.index !== start + out.length) break;
        out.push(r.hash);
      }
      return out;
    },
  };
}
