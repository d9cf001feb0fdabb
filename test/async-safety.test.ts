// The async safety stage through the API: a grooming pattern from an adult to a minor opens a conversation-risk
// detection with its signals (never the text); an ordinary conversation between teens opens none; and the
// sends are acknowledged before scoring happens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDb } from '../src/storage/index.js';
import { bornForAge, makeHarness } from './support/harness.js';

/** A harness on PGlite with an adult and a 14-year-old who are mutual, and the adult's grooming script sent to the
 * teen's conversation (every send acknowledged). */
async function groomingConversation(t: { after: (fn: () => Promise<void>) => void }) {
  const db = await openDb({ driver: 'pglite' });
  const h = await makeHarness(db);
  t.after(async () => {
    await h.close();
    await db.close();
  });
  await h.user('grown', bornForAge(34));
  await h.user('kid', bornForAge(14));
  await h.relate('grown', 'kid', 'mutual');
  const grown = h.as(await h.token('grown'));
  const kid = h.as(await h.token('kid'));
  const risky = (await grown('POST', '/v1/conversations', { members: ['kid'] })).body.id as string;
  const lines: [typeof grown, string][] = [
    [grown, 'hey you seem really mature for your age'],
    [kid, 'thanks lol'],
    [grown, 'how old r u exactly'],
    [kid, '14'],
    [grown, 'dont tell ur parents we talk ok? its our secret'],
    [grown, 'add me on sn@p, easier there'],
    [grown, 'send me a pic of u before bed'],
  ];
  let n = 0;
  for (const [who, text] of lines) assert.equal((await who('POST', `/v1/conversations/${risky}/messages`, { clientMessageId: `r${n++}`, text })).status, 200);
  return { db, h, kid, risky };
}

test('conversation risk is scored after the ack and explained without text', async (t) => {
  const { db, h, kid, risky } = await groomingConversation(t);
  await h.user('pal', bornForAge(14));
  await h.relate('kid', 'pal', 'mutual');
  const pal = h.as(await h.token('pal'));
  const friends = (await kid('POST', '/v1/conversations', { members: ['pal'] })).body.id;
  let n = 0;
  for (const [who, text] of [[kid, 'did u do the maths hw'], [pal, 'ya its so long'], [kid, 'dont tell mr k i copied lol'], [pal, 'haha ok']] as const) {
    assert.equal((await who('POST', `/v1/conversations/${friends}/messages`, { clientMessageId: `f${n++}`, text })).status, 200);
  }
  await h.services.messaging.idle();
  const rows = (await db.query<{ kind: string; action: string; conversation_id: string; sender_id: string; matches: unknown }>(`SELECT * FROM safety_detections WHERE kind = 'conversation_risk'`)).rows;
  assert.ok(rows.some((r) => r.conversation_id === risky && r.action === 'open_case' && r.sender_id === 'grown'), 'a case is recommended about the adult');
  assert.ok(!rows.some((r) => r.conversation_id === friends), 'ordinary teen chat opens nothing');
  const explained = JSON.stringify(rows.map((r) => r.matches));
  assert.match(explained, /grooming/);
  assert.ok(!explained.includes('our secret') && !explained.includes('before bed'), 'signals, not text');
});

test('a partial batch is scored on its own, without anyone waiting for the stage', async (t) => {
  // The stage lets a partial batch gather for a moment before scoring it; the timer, not idle(), must finish it.
  const { db, h, risky } = await groomingConversation(t);
  const deadline = Date.now() + 20_000;
  // Done when the detection is written and nothing waits to be scored (the sends may have been split across two
  // gather windows, so the first detection can come before the last message is scored).
  let found = 0;
  while ((found === 0 || h.services.safety.backlog() > 0) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25));
    found = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM safety_detections WHERE kind = 'conversation_risk' AND conversation_id = $1`, [risky])).rows[0]!.n;
  }
  assert.ok(found > 0, 'the detection is recorded without a call to idle()');
  assert.equal(h.services.safety.backlog(), 0, 'every message is scored without a call to idle()');
});
