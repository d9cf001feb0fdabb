/**
 * storage: the `Db` interface, its two drivers (PGlite embedded, PostgreSQL) and forward-only migrations.
 * Owns: storage_migrations. Exposes: openDb, runMigrations, queryWithRetry, textArrayLiteral, intArrayLiteral, Db, Queryable, Migration.
 * May import: nothing above it.
 * Never: build SQL by string concatenation of values; hide a driver difference from callers silently.
 */
import { mkdirSync } from 'node:fs';
import type { Db } from './db.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';

export type { Db, Queryable, QueryOptions, QueryResult, SqlValue } from './db.js';
export { runMigrations, type Migration } from './migrations.js';
export { queryWithRetry } from './retry.js';
export { intArrayLiteral, textArrayLiteral } from './array-literal.js';

export type DbOptions =
  | { driver: 'pglite'; dataDir?: string | null }
  | { driver: 'postgres'; url: string; poolSize?: number };

export async function openDb(options: DbOptions): Promise<Db> {
  if (options.driver === 'postgres') return openPostgres(options.url, options.poolSize);
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  return openPglite(options.dataDir ?? null);
}
export { createFileBlobStore, createMemoryBlobStore, type BlobStore } from './blobs.js';
