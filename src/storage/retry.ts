/**
 * storage/retry: which failures a transaction may simply run again, and how often. Shared by Db.tx (postgres.ts)
 * and by writers that commit in one autocommit statement (queryWithRetry).
 */
import type { Db, QueryOptions, QueryResult, SqlValue } from './db.js';

/** serialization_failure and deadlock_detected: nothing was committed, and running again may succeed. */
export const RETRYABLE_CODES: ReadonlySet<string> = new Set(['40001', '40P01']);
export const MAX_ATTEMPTS = 5;

export function isRetryable(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code !== undefined && RETRYABLE_CODES.has(code);
}

/** A single statement is its own transaction; like Db.tx, it is run again on a serialization failure or deadlock. */
export async function queryWithRetry<Row>(db: Db, sql: string, params: SqlValue[], options?: QueryOptions): Promise<QueryResult<Row>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.query<Row>(sql, params, options);
    } catch (err) {
      if (attempt < MAX_ATTEMPTS && isRetryable(err)) continue;
      throw err;
    }
  }
}
