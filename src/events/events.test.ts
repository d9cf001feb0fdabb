// The transactional outbox on both drivers: events written in a transaction are published after commit in order
// and deleted; a rolled-back transaction publishes nothing; rows left by a crash (committed, never published) are
// published by the next start's drain, including rows in the per-event format of the first migration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runMigrations } from '../storage/index.js';
import { testDrivers } from '../storage/testing.js';
import { createInProcessBus, createOutboxRelay, eventsMigrations, writeOutbox, type BusEvent } from './index.js';

const ev = (topic: string, n: number): BusEvent => ({ topic, payload: { n, text: 'ids only', nested: { list: [n, n + 1] } } });

for (const driver of await testDrivers()) {
  test(`outbox on ${driver.name}`, { skip: driver.skip }, async (t) => {
    const { db, cleanup } = await driver.open();
    t.after(cleanup);
    // Rows written under the first migration's format (one event per row) before the batched format existed.
    await runMigrations(db, eventsMigrations.slice(0, 1));
    await db.query(`INSERT INTO events_outbox (topic, payload) VALUES ('inbox', '{"n": -2}'), ('typing', '{"n": -1}')`);
    await runMigrations(db, eventsMigrations);

    const bus = createInProcessBus();
    const seen: [string, number][] = [];
    bus.subscribe('inbox', (e) => seen.push(['inbox', e.payload.n as number]));
    bus.subscribe('typing', (e) => seen.push(['typing', e.payload.n as number]));
    const relay = createOutboxRelay(db, bus, (err) => assert.fail(String(err)));

    // A crash between commit and publish: committed rows that nobody published.
    await db.tx((tx) => writeOutbox(tx, [ev('inbox', 1), ev('inbox', 2), ev('typing', 3), ev('inbox', 4)]));
    assert.equal(await relay.drain(), 6);
    assert.deepEqual(seen, [['inbox', -2], ['typing', -1], ['inbox', 1], ['inbox', 2], ['typing', 3], ['inbox', 4]]);
    assert.equal((await db.query('SELECT 1 FROM events_outbox')).rows.length, 0);
    seen.length = 0;

    // Runs of one topic share a row; every event is published after commit, in order, then its row is deleted.
    const rows = await db.tx((tx) => writeOutbox(tx, [ev('inbox', 5), ev('inbox', 6), ev('typing', 7)]));
    assert.equal(rows.length, 2);
    assert.deepEqual(rows.map((r) => r.events.length), [2, 1]);
    assert.deepEqual(seen, [], 'nothing is published before the writer hands the rows over');
    relay.publishCommitted(rows);
    await relay.idle();
    assert.deepEqual(seen, [['inbox', 5], ['inbox', 6], ['typing', 7]]);
    assert.deepEqual(seen.length, 3);
    assert.equal((await db.query('SELECT 1 FROM events_outbox')).rows.length, 0);

    // A rolled-back transaction leaves no row behind.
    await assert.rejects(
      db.tx(async (tx) => {
        await writeOutbox(tx, [ev('inbox', 8)]);
        throw new Error('abort');
      }),
    );
    assert.equal(await relay.drain(), 0);
    assert.deepEqual(await writeOutbox(db, []), []);

    // The relay writes rows only when its bus needs them (subscribers in other processes).
    assert.equal(relay.persists, false);
    const unwritten = await db.tx((tx) => relay.write(tx, [ev('inbox', 9)]));
    assert.deepEqual(unwritten, [{ id: null, events: [ev('inbox', 9)] }]);
    assert.equal((await db.query('SELECT 1 FROM events_outbox')).rows.length, 0);
    relay.publishCommitted(unwritten);
    await relay.idle();
    assert.deepEqual(seen.at(-1), ['inbox', 9]);
    const durable = createOutboxRelay(db, createInProcessBus({ needsOutbox: true }), (err) => assert.fail(String(err)));
    assert.equal(durable.persists, true);
    const written = await db.tx((tx) => durable.write(tx, [ev('inbox', 10)]));
    assert.equal(typeof written[0]!.id, 'number');
    assert.equal((await db.query('SELECT 1 FROM events_outbox')).rows.length, 1);
    durable.publishCommitted(written);
    await durable.idle();
    assert.equal((await db.query('SELECT 1 FROM events_outbox')).rows.length, 0);
  });
}
