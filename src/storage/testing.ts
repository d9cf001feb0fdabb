/**
 * storage/testing: gives tests every driver to run on. PGlite always (in memory); PostgreSQL when reachable,
 * in a fresh database per call that is dropped afterwards. Without PostgreSQL the suite says it was skipped,
 * unless CUSTODIAN_REQUIRE_SERVICES=1 (set by .ci/run), where a missing service is a failure.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Db } from './db.js';
import { openDb } from './index.js';

export const adminPostgresUrl = process.env.CUSTODIAN_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const requireServices = process.env.CUSTODIAN_REQUIRE_SERVICES === '1';

let pgAvailable: Promise<string | null> | null = null;

/** Resolves to null when PostgreSQL answers, or to the reason it does not. */
export function postgresUnavailableReason(): Promise<string | null> {
  pgAvailable ??= (async () => {
    const client = new pg.Client({ connectionString: adminPostgresUrl, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('select 1');
      return null;
    } catch (err) {
      return `PostgreSQL not reachable at ${adminPostgresUrl} (${(err as Error).message})`;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return pgAvailable;
}

/** Creates a fresh database and returns its URL and a function that drops it. */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `custodian_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminPostgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminPostgresUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const a = new pg.Client({ connectionString: adminPostgresUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

export interface TestDriver {
  name: 'pglite' | 'postgres';
  /** Why this driver is skipped here, or undefined to run. */
  skip: string | undefined;
  open(): Promise<{ db: Db; cleanup: () => Promise<void> }>;
}

/** The drivers a storage-touching test must run on. */
export async function testDrivers(): Promise<TestDriver[]> {
  const reason = await postgresUnavailableReason();
  if (reason && requireServices) throw new Error(`CUSTODIAN_REQUIRE_SERVICES=1 but ${reason}`);
  return [
    {
      name: 'pglite',
      skip: undefined,
      async open() {
        const db = await openDb({ driver: 'pglite' });
        return { db, cleanup: () => db.close() };
      },
    },
    {
      name: 'postgres',
      skip: reason ? `skipped: ${reason}` : undefined,
      async open() {
        const { url, drop } = await createTestDatabase();
        const db = await openDb({ driver: 'postgres', url, poolSize: 5 });
        return {
          db,
          async cleanup() {
            await db.close();
            await drop();
          },
        };
      },
    },
  ];
}
