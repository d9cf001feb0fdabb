// The async safety stage with scoring in its worker thread, as the server runs it (the API tests score inline):
// a grooming script from an adult to a minor records a detection, ordinary chat records none, and the thread
// carries the name an operator (and the messaging bench) tells it apart by.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { openDb } from '../storage/index.js';
import { runMigrations } from '../storage/migrations.js';
import { createAsyncStage, type ParticipantFacts } from './async-stage.js';
import { SCORING_THREAD_NAME } from './async-worker.js';
import { knownContentMigrations } from './known-content.js';

function threadNames(): string[] {
  return readdirSync('/proc/self/task').map((tid) => {
    try {
      return readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  });
}

test('the worker thread records detections without text, and is named', async (t) => {
  const db = await openDb({ driver: 'pglite' });
  t.after(() => db.close());
  await runMigrations(db, knownContentMigrations);
  const facts: Record<string, ParticipantFacts> = {
    c_risky: { ageBands: { grown: 'adult', kid: '13-15' }, relationship: 'mutual' },
    c_plain: { ageBands: { kid: '13-15', pal: '13-15' }, relationship: 'mutual' },
  };
  const errors: unknown[] = [];
  const stage = createAsyncStage({
    db,
    describeParticipants: async (id) => facts[id]!,
    onError: (err) => errors.push(err),
    useWorker: true,
  });
  t.after(() => stage.close());
  const script: [string, string, string][] = [
    ['c_risky', 'grown', 'hey you seem really mature for your age'],
    ['c_plain', 'kid', 'did u do the maths hw'],
    ['c_risky', 'kid', 'thanks lol'],
    ['c_risky', 'grown', 'how old r u exactly'],
    ['c_plain', 'pal', 'ya its so long'],
    ['c_risky', 'kid', '14'],
    ['c_risky', 'grown', 'dont tell ur parents we talk ok? its our secret'],
    ['c_risky', 'grown', 'add me on sn@p, easier there'],
    ['c_plain', 'kid', 'dont tell mr k i copied lol'],
    ['c_risky', 'grown', 'send me a pic of u before bed'],
  ];
  script.forEach(([conversationId, senderId, text], i) => {
    stage.submit({ conversationId, messageId: `m${i}`, senderId, text, hasMedia: false, sentAt: new Date(1_700_000_000_000 + i * 60_000) });
  });
  await stage.idle();
  assert.deepEqual(errors, []);
  assert.equal(stage.backlog(), 0);
  const rows = (await db.query<{ conversation_id: string; action: string; sender_id: string; matches: unknown }>(
    `SELECT conversation_id, action, sender_id, matches FROM safety_detections WHERE kind = 'conversation_risk'`,
  )).rows;
  assert.ok(rows.some((r) => r.conversation_id === 'c_risky' && r.action === 'open_case' && r.sender_id === 'grown'), 'a case about the adult');
  assert.ok(!rows.some((r) => r.conversation_id === 'c_plain'), 'ordinary chat records nothing');
  const explained = JSON.stringify(rows.map((r) => r.matches));
  assert.match(explained, /grooming/);
  assert.ok(!explained.includes('our secret') && !explained.includes('before bed'), 'signals, not text');
  if (process.platform === 'linux') assert.ok(threadNames().includes(SCORING_THREAD_NAME), 'the scoring thread is named');
});
