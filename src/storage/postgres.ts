/**
 * storage/postgres: the production driver over `pg`. Transactions take a pooled client; a serialization or
 * deadlock failure is retried, which is why `tx` callbacks must keep non-database effects until after commit.
 */
import pg from 'pg';
import type { Db, Queryable, QueryOptions, QueryResult, SqlValue } from './db.js';
import { isRetryable, MAX_ATTEMPTS } from './retry.js';

// int8 as a JS number (sequences and sizes stay below 2^53); the default would be a string.
pg.types.setTypeParser(20, (value: string) => Number(value));


function toParams(params: SqlValue[] | undefined): unknown[] | undefined {
  if (!params) return undefined;
  return params.map((p) => {
    if (p instanceof Uint8Array && !Buffer.isBuffer(p)) return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    if (typeof p === 'bigint') return p.toString();
    return p;
  });
}

function wrap(handle: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<Row>(sql: string, params?: SqlValue[], options?: QueryOptions): Promise<QueryResult<Row>> {
      const result = options?.prepared
        ? await handle.query({ name: options.prepared, text: sql, values: toParams(params) })
        : await handle.query(sql, toParams(params));
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
    },
    async exec(sql: string) {
      await handle.query(sql);
    },
  };
}

/** Adds a server startup option to a connection URL's own (`?options=`), which pg would otherwise let win. */
function withStartupOption(url: string, option: string): { connectionString: string; options: string } {
  try {
    const parsed = new URL(url);
    const given = parsed.searchParams.get('options');
    parsed.searchParams.delete('options');
    return { connectionString: parsed.toString(), options: given ? `${given} ${option}` : option };
  } catch {
    return { connectionString: url, options: option };
  }
}

export async function openPostgres(url: string, poolSize = 10): Promise<Db> {
  // Named statements (QueryOptions.prepared) run one generic plan. Without this PostgreSQL compares the generic
  // plan's cost with each custom plan's and keeps planning every call of a small batch, which is most of what
  // such a statement costs it. Unnamed statements are planned per call either way. Set as a startup option, so it
  // holds from a connection's first query; options already in the URL are kept (pg would let them replace ours).
  const pool = new pg.Pool({ ...withStartupOption(url, '-c plan_cache_mode=force_generic_plan'), max: poolSize });
  // A dropped backend (failover, admin kill) must not crash the process; the pool replaces the client.
  pool.on('error', () => {});
  await pool.query('select 1');
  const base = wrap(pool);
  return {
    driver: 'postgres',
    query: base.query,
    exec: base.exec,
    async tx<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const value = await fn(wrap(client));
          await client.query('COMMIT');
          return value;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => {});
          if (isRetryable(err) && attempt < MAX_ATTEMPTS) continue;
          throw err;
        } finally {
          client.release();
        }
      }
    },
    async close() {
      await pool.end();
    },
  };
}
