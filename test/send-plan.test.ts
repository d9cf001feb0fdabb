// The send batch's statement must keep a plan whose cost grows linearly with the batch: hash joins between its
// common table expressions, and nested loops only for the per-row dedupe probe into an index. A planner that
// misjudges a CTE's size (it once read the dedupe anti-join as "one fresh row") nests loops over CTE scans and
// makes a batch quadratic: 22 ms of a 34 ms statement for 184 messages. Checked on a table with statistics, where
// that misjudgement happened, on both drivers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDrivers } from '../src/storage/testing.js';
import { GENERIC_PLAN_MAX_BATCH, sendBatchSql } from '../src/messaging/send.js';
import { makeHarness } from './support/harness.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'CTE Name'?: string;
  Plans?: PlanNode[];
}

function* nodes(n: PlanNode): Generator<PlanNode> {
  yield n;
  for (const c of n.Plans ?? []) yield* nodes(c);
}

/** Nested loops whose inner side rescans a CTE: what makes the statement quadratic. */
function loopsOverCteScans(root: PlanNode): string[] {
  const found: string[] = [];
  for (const n of nodes(root)) {
    if (n['Node Type'] !== 'Nested Loop' || !n.Plans?.[1]) continue;
    for (const inner of nodes(n.Plans[1])) {
      if (inner['Node Type'] === 'CTE Scan') found.push(`nested loop rescans CTE ${inner['CTE Name']}`);
    }
  }
  return found;
}

for (const driver of await testDrivers()) {
  test(`the send batch plan has no nested loop over a CTE scan, on ${driver.name}`, { skip: driver.skip }, async (t) => {
    const { db, cleanup } = await driver.open();
    const h = await makeHarness(db);
    t.after(async () => {
      await h.close();
      await cleanup();
    });
    // Fifty conversations between a hundred users, and enough sent messages for the planner to have statistics.
    await db.exec(`
      INSERT INTO msg_conversations (conversation_id, kind, region, created_by)
        SELECT 'cv' || g, 'direct', 'eu', 'u' || (2 * g) FROM generate_series(0, 49) g;
      INSERT INTO msg_messages (conversation_id, seq, message_id, sender_id, sender_device_id, client_message_id, key_epoch, body_ct)
        SELECT 'cv' || (g % 50), g / 50 + 1, 'm' || g, 'u' || (g % 100), 'phone', 'c' || g, 1, '\\x00'::bytea
        FROM generate_series(0, 19999) g;
      UPDATE msg_conversations SET last_seq = 400;
      ANALYZE msg_conversations; ANALYZE msg_messages; ANALYZE msg_user_seq; ANALYZE msg_inbox;`);
    for (const size of [300, 20]) {
      const ord = Array.from({ length: size }, (_, i) => i);
      const params = [
        ord,
        ord.map((i) => `cv${i % 50}`),
        ord.map((i) => `new${size}_${i}`),
        ord.map((i) => `u${i % 100}`),
        ord.map(() => 'phone'),
        ord.map((i) => `fresh${size}_${i}`),
        ord.map(() => 1),
        ord.map(() => 'AA=='),
        ord.map(() => null) as unknown as string[],
        ord.map(() => 'visible'),
        ord.map(() => new Date(0).toISOString()),
        [...ord, ...ord],
        [...ord.map((i) => `u${i % 100}`), ...ord.map((i) => `u${(i + 1) % 100}`)],
      ];
      for (const withOutbox of [false, true]) {
        const r = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sendBatchSql(withOutbox)}`, params);
        const raw = r.rows[0]!['QUERY PLAN'];
        const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
        const all = [...nodes(plan[0]!.Plan)];
        assert.ok(all.some((n) => n['Node Type'] === 'Hash Join'), 'the CTEs are joined by hashing');
        assert.ok(
          all.some((n) => n['Node Type'] === 'Index Scan' && n['Relation Name'] === 'msg_messages'),
          'the dedupe check probes the index',
        );
        assert.deepEqual(loopsOverCteScans(plan[0]!.Plan), [], `batch of ${size}${withOutbox ? ' with outbox' : ''}`);
      }
    }

    // Small batches run the statement prepared, with the generic plan the PostgreSQL driver asks for: one plan for
    // every size, made without the arrays' lengths. It must not nest loops over CTE scans either, up to the largest
    // batch that uses it.
    for (const withOutbox of [false, true]) {
      await db.tx(async (tx) => {
        await tx.exec('SET LOCAL plan_cache_mode = force_generic_plan');
        await tx.exec(`PREPARE send_plan_check AS ${sendBatchSql(withOutbox)}`);
        for (const size of [GENERIC_PLAN_MAX_BATCH, 3]) {
          const ord = Array.from({ length: size }, (_, i) => i);
          const arr = (xs: unknown[]) => `ARRAY[${xs.map((x) => (x === null ? 'NULL' : typeof x === 'number' ? String(x) : `'${String(x)}'`)).join(',')}]`;
          const args = [
            `${arr(ord)}::int[]`,
            `${arr(ord.map((i) => `cv${i % 50}`))}::text[]`,
            `${arr(ord.map((i) => `gen${size}_${i}`))}::text[]`,
            `${arr(ord.map((i) => `u${i % 100}`))}::text[]`,
            `${arr(ord.map(() => 'phone'))}::text[]`,
            `${arr(ord.map((i) => `gfresh${size}_${i}`))}::text[]`,
            `${arr(ord.map(() => 1))}::int[]`,
            `${arr(ord.map(() => 'AA=='))}::text[]`,
            `${arr(ord.map(() => null))}::text[]`,
            `${arr(ord.map(() => 'visible'))}::text[]`,
            `${arr(ord.map(() => new Date(0).toISOString()))}::text[]`,
            `${arr([...ord, ...ord])}::int[]`,
            `${arr([...ord.map((i) => `u${i % 100}`), ...ord.map((i) => `u${(i + 1) % 100}`)])}::text[]`,
          ];
          const r = await tx.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) EXECUTE send_plan_check(${args.join(', ')})`);
          const raw = r.rows[0]!['QUERY PLAN'];
          const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
          assert.deepEqual(loopsOverCteScans(plan[0]!.Plan), [], `prepared, batch of ${size}${withOutbox ? ' with outbox' : ''}`);
          assert.ok([...nodes(plan[0]!.Plan)].some((n) => n['Node Type'] === 'Index Scan' && n['Relation Name'] === 'msg_messages'));
        }
        await tx.exec('DEALLOCATE send_plan_check');
      });
    }
  });
}
