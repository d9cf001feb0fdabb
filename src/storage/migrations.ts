/**
 * storage/migrations: forward-only schema changes. Each capability exports its own list; ids sort globally
 * (a date prefix), and each id runs once, recorded in storage_migrations, inside one transaction with its SQL.
 */
import type { Db } from './db.js';

export interface Migration {
  id: string;
  sql: string;
}

export async function runMigrations(db: Db, migrations: Migration[]): Promise<string[]> {
  await db.query(`CREATE TABLE IF NOT EXISTS storage_migrations (
    id text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const done = new Set((await db.query<{ id: string }>('SELECT id FROM storage_migrations')).rows.map((r) => r.id));
  const ids = new Set<string>();
  for (const m of migrations) {
    if (ids.has(m.id)) throw new Error(`duplicate migration id ${m.id}`);
    ids.add(m.id);
  }
  const applied: string[] = [];
  for (const m of [...migrations].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (done.has(m.id)) continue;
    await db.tx(async (tx) => {
      await tx.exec(m.sql);
      await tx.query('INSERT INTO storage_migrations (id) VALUES ($1)', [m.id]);
    });
    applied.push(m.id);
  }
  return applied;
}
