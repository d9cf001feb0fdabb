// Both drivers speak the same dialect: the same statements give the same shapes (int8 as number, bytea as
// bytes, arrays, timestamps), transactions roll back on throw, and migrations run once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { intArrayLiteral, openDb, runMigrations, textArrayLiteral } from './index.js';
import { adminPostgresUrl, testDrivers } from './testing.js';

for (const driver of await testDrivers()) {
  test(`storage on ${driver.name}`, { skip: driver.skip }, async (t) => {
    const { db, cleanup } = await driver.open();
    t.after(cleanup);
    const migrations = [{ id: '0001-demo', sql: 'CREATE TABLE demo (id int8 PRIMARY KEY, body bytea, tags text[], at timestamptz)' }];
    assert.deepEqual(await runMigrations(db, migrations), ['0001-demo']);
    assert.deepEqual(await runMigrations(db, migrations), []);

    await db.query('INSERT INTO demo VALUES ($1, $2, $3, $4)', [1, new Uint8Array([0, 255, 7]), ['a', 'b'], new Date(0)]);
    const row = (await db.query<{ id: number; body: Uint8Array; tags: string[]; at: Date }>('SELECT * FROM demo')).rows[0];
    assert.equal(row.id, 1);
    assert.deepEqual([...row.body], [0, 255, 7]);
    assert.deepEqual(row.tags, ['a', 'b']);
    assert.equal(row.at.getTime(), 0);

    await assert.rejects(
      db.tx(async (tx) => {
        await tx.query('INSERT INTO demo (id) VALUES (2)');
        throw new Error('boom');
      }),
      /boom/,
    );
    const count = await db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM demo');
    assert.equal(count.rows[0].n, 1, 'the failed transaction left nothing');

    const value = await db.tx(async (tx) => {
      await tx.query('INSERT INTO demo (id) VALUES (3)');
      return (await tx.query<{ n: number }>('SELECT count(*)::int8 AS n FROM demo')).rows[0].n;
    });
    assert.equal(value, 2);

    // Array literals built by textArrayLiteral / intArrayLiteral read back as the arrays they were built from,
    // whatever the strings hold: quotes, backslashes, separators, braces, the word NULL, empty strings, non-ASCII.
    const hostile = ['plain', 'a"b', 'back\\slash\\', 'c,d', '{e}', 'NULL', 'null', '', ' spaced ', 'ünï\u{1F600}', '\\"', null];
    for (const values of [hostile, ['only', 'plain_ids', 'AAE='], [null], []]) {
      const r = await db.query<{ v: string | null; o: number }>(
        'SELECT v, o::int8 AS o FROM unnest($1::text[], $2::int[]) AS x(v, o) ORDER BY o',
        [textArrayLiteral(values), intArrayLiteral(values.map((_, i) => i - 1))],
      );
      assert.deepEqual(r.rows.map((x) => x.v), values);
      assert.deepEqual(r.rows.map((x) => x.o), values.map((_, i) => i - 1));
    }
    assert.throws(() => intArrayLiteral([1.5]), TypeError);

    // A prepared statement (QueryOptions.prepared) answers like any other, for every parameter set, in and out of
    // transactions; on PostgreSQL it runs one generic plan.
    const byTags = 'SELECT id FROM demo WHERE id = ANY($1::int8[]) ORDER BY id';
    for (const ids of [[1], [1, 3], [2, 4], []]) {
      const r = await db.query<{ id: number }>(byTags, [ids], { prepared: 'demo_by_ids' });
      assert.deepEqual(r.rows.map((x) => x.id), ids.filter((i) => i === 1 || i === 3));
    }
    const inTx = await db.tx((tx) => tx.query<{ id: number }>(byTags, [[3]], { prepared: 'demo_by_ids' }));
    assert.deepEqual(inTx.rows.map((x) => x.id), [3]);
    if (driver.name === 'postgres') {
      const mode = await db.query<{ plan_cache_mode: string }>('SHOW plan_cache_mode');
      assert.equal(mode.rows[0]!.plan_cache_mode, 'force_generic_plan');
      // Startup options in the URL are kept alongside the driver's own.
      const url = new URL(adminPostgresUrl);
      url.searchParams.set('options', '-c statement_timeout=4321');
      const other = await openDb({ driver: 'postgres', url: url.toString(), poolSize: 1 });
      try {
        const r = await other.query<{ t: string; m: string }>("SELECT current_setting('statement_timeout') AS t, current_setting('plan_cache_mode') AS m");
        assert.deepEqual(r.rows[0], { t: '4321ms', m: 'force_generic_plan' });
      } finally {
        await other.close();
      }
    }
  });
}
