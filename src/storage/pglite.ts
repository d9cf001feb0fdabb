/**
 * storage/pglite: the embedded driver. PGlite is PostgreSQL compiled to WebAssembly, persisted to a directory,
 * so a fresh clone runs with no external service. It has one connection; transactions are serialized.
 */
import { PGlite, types } from '@electric-sql/pglite';
import type { Db, Queryable, QueryResult, SqlValue } from './db.js';

const parsers = {
  // int8 as a JS number: sequences and sizes stay far below 2^53.
  [types.INT8]: (value: string) => Number(value),
};

function toParams(params: SqlValue[] | undefined): unknown[] | undefined {
  if (!params) return undefined;
  return params.map((p) => (typeof p === 'bigint' ? p.toString() : p));
}

function wrap(handle: Pick<PGlite, 'query' | 'exec'>): Queryable {
  return {
    async query<Row>(sql: string, params?: SqlValue[]): Promise<QueryResult<Row>> {
      const result = await handle.query<Row>(sql, toParams(params));
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    async exec(sql: string) {
      await handle.exec(sql);
    },
  };
}

export async function openPglite(dataDir: string | null): Promise<Db> {
  const pg = dataDir ? new PGlite(dataDir, { parsers }) : new PGlite({ parsers });
  await pg.waitReady;
  const base = wrap(pg);
  return {
    driver: 'pglite',
    query: base.query,
    exec: base.exec,
    async tx<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return pg.transaction(async (t) => fn(wrap(t)));
    },
    async close() {
      await pg.close();
    },
  };
}
