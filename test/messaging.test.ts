// Messaging behaviour through the HTTP API, on every storage driver: DM rules by age band and relationship,
// message requests, blocks, dedupe, history paging, unsend, reactions, receipts, sync order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testDrivers } from '../src/storage/testing.js';
import { createInProcessBus } from '../src/events/index.js';
import { bornForAge, makeHarness, type Harness } from './support/harness.js';

for (const driver of await testDrivers()) {
  test(`messaging on ${driver.name}`, { skip: driver.skip }, async (t) => {
    const { db, cleanup } = await driver.open();
    const h: Harness = await makeHarness(db);
    t.after(async () => {
      await h.close();
      await cleanup();
    });

    await h.user('ada', bornForAge(30));
    await h.user('ben', bornForAge(31));
    await h.user('tia', bornForAge(14)); // 13-15
    await h.user('sam', bornForAge(16)); // 16-17
    await h.user('uma', bornForAge(15));
    const ada = h.as(await h.token('ada'));
    const ben = h.as(await h.token('ben'));
    const tia = h.as(await h.token('tia'));
    const sam = h.as(await h.token('sam'));

    await t.test('under-13 accounts are refused', async () => {
      const r = await h.as(h.apiKey)('PUT', '/v1/platform/users/little', { displayName: 'x', birthYear: bornForAge(11) });
      assert.equal(r.status, 403);
      assert.equal(r.body.error.code, 'age_not_allowed');
    });

    await t.test('an adult cannot start a DM with a non-mutual minor; mutual works', async () => {
      const r = await ada('POST', '/v1/conversations', { members: ['sam'] });
      assert.equal(r.status, 403);
      assert.equal(r.body.error.code, 'dm_not_allowed');
      await h.relate('ada', 'sam', 'mutual');
      const ok = await ada('POST', '/v1/conversations', { members: ['sam'] });
      assert.equal(ok.status, 201);
      assert.deepEqual(ok.body.members.map((m: { state: string }) => m.state), ['active', 'active']);
    });

    await t.test('13-15 receive DMs only from mutuals, even from other teens', async () => {
      const r = await h.as(await h.token('uma'))('POST', '/v1/conversations', { members: ['tia'] });
      assert.equal(r.body.error.code, 'dm_not_allowed');
      const setting = await tia('PUT', '/v1/me/settings', { dmPolicy: 'everyone' });
      assert.equal(setting.status, 400);
      assert.equal(setting.body.error.code, 'invalid_dm_policy');
    });

    let request = '';
    await t.test('a first DM from a non-mutual lands as a message request with a one-message allowance', async () => {
      const c = await ben('POST', '/v1/conversations', { members: ['ada'] });
      assert.equal(c.status, 201);
      request = c.body.id;
      const again = await ben('POST', '/v1/conversations', { members: ['ada'] });
      assert.equal(again.status, 200);
      assert.equal(again.body.id, request, 'same pair, same conversation');
      const first = await ben('POST', `/v1/conversations/${request}/messages`, { clientMessageId: 'r1', text: 'hi ada' });
      assert.equal(first.status, 200);
      const second = await ben('POST', `/v1/conversations/${request}/messages`, { clientMessageId: 'r2', text: 'hello??' });
      assert.equal(second.status, 409);
      assert.equal(second.body.error.code, 'request_pending');
      const retry = await ben('POST', `/v1/conversations/${request}/messages`, { clientMessageId: 'r1', text: 'hi ada' });
      assert.deepEqual(retry.body, first.body, 'a retry returns the first result');
      const reqs = await ada('GET', '/v1/requests');
      assert.deepEqual(reqs.body.conversations.map((c: { id: string }) => c.id), [request]);
      const inbox = await ada('GET', '/v1/conversations');
      assert.ok(!inbox.body.conversations.some((c: { id: string }) => c.id === request), 'requests stay out of the main inbox');
      const hist = await ada('GET', `/v1/conversations/${request}/messages`);
      assert.deepEqual(hist.body.messages.map((m: { text: string }) => m.text), ['hi ada']);
    });

    await t.test('accepting lets both write; replies work', async () => {
      const acc = await ada('POST', `/v1/conversations/${request}/accept`);
      assert.equal(acc.status, 200);
      assert.equal(acc.body.myState, 'active');
      const more = await ben('POST', `/v1/conversations/${request}/messages`, { clientMessageId: 'r2', text: 'thanks' });
      assert.equal(more.status, 200);
      assert.equal(more.body.seq, 2);
    });

    await t.test('declining a request stops the sender', async () => {
      await h.user('cat', bornForAge(40));
      const cat = h.as(await h.token('cat'));
      const c = await cat('POST', '/v1/conversations', { members: ['ben'] });
      await cat('POST', `/v1/conversations/${c.body.id}/messages`, { clientMessageId: 'x1', text: 'yo' });
      assert.equal((await ben('POST', `/v1/conversations/${c.body.id}/decline`)).status, 200);
      const after = await cat('POST', `/v1/conversations/${c.body.id}/messages`, { clientMessageId: 'x2', text: 'yo?' });
      assert.equal(after.body.error.code, 'recipient_unavailable');
      const gone = await ben('GET', `/v1/conversations/${c.body.id}/messages`);
      assert.equal(gone.body.error.code, 'conversation_not_found');
    });

    await t.test('blocks hide each other in both directions', async () => {
      assert.equal((await ada('POST', '/v1/blocks', { userId: 'ben' })).status, 200);
      const a = await ada('POST', `/v1/conversations/${request}/messages`, { clientMessageId: 'b1', text: 'x' });
      const b = await ben('POST', `/v1/conversations/${request}/messages`, { clientMessageId: 'b2', text: 'x' });
      assert.equal(a.body.error.code, 'recipient_unavailable');
      assert.equal(b.body.error.code, 'recipient_unavailable');
      const list = await ben('GET', '/v1/conversations');
      assert.ok(!list.body.conversations.some((c: { id: string }) => c.id === request));
      assert.equal((await ben('POST', '/v1/conversations', { members: ['ada'] })).body.error.code, 'recipient_unavailable');
      assert.equal((await ada('DELETE', '/v1/blocks/ben')).status, 200);
      const again = await ben('POST', `/v1/conversations/${request}/messages`, { clientMessageId: 'b3', text: 'back' });
      assert.equal(again.status, 200);
    });

    await t.test('history pages by opaque cursor in both directions', async () => {
      await h.relate('ada', 'ben', 'mutual');
      for (let i = 0; i < 9; i++) {
        const r = await ada('POST', `/v1/conversations/${request}/messages`, { clientMessageId: `p${i}`, text: `page ${i}` });
        assert.equal(r.status, 200);
      }
      const latest = await ben('GET', `/v1/conversations/${request}/messages?limit=4`);
      assert.deepEqual(latest.body.messages.map((m: { text: string }) => m.text), ['page 5', 'page 6', 'page 7', 'page 8']);
      const older = await ben('GET', `/v1/conversations/${request}/messages?limit=4&before=${latest.body.before}`);
      assert.deepEqual(older.body.messages.map((m: { text: string }) => m.text), ['page 1', 'page 2', 'page 3', 'page 4']);
      const newer = await ben('GET', `/v1/conversations/${request}/messages?limit=2&after=${older.body.after}`);
      assert.deepEqual(newer.body.messages.map((m: { text: string }) => m.text), ['page 5', 'page 6']);
      const around = await ben('GET', `/v1/conversations/${request}/messages?limit=3&around=${newer.body.after}`);
      assert.deepEqual(around.body.messages.map((m: { text: string }) => m.text), ['page 5', 'page 6', 'page 7']);
      const bad = await ben('GET', `/v1/conversations/${request}/messages?before=bm90LWEtY3Vyc29y`);
      assert.equal(bad.body.error.code, 'invalid_cursor');
      const both = await ben('GET', `/v1/conversations/${request}/messages?before=${latest.body.before}&after=${latest.body.before}`);
      assert.equal(both.body.error.code, 'conflicting_cursor');
    });

    await t.test('unsend leaves a tombstone; reactions and receipts reach the other side in sync order', async () => {
      const sent = await ada('POST', `/v1/conversations/${request}/messages`, { clientMessageId: 'u1', text: 'oops' });
      assert.equal((await ben('DELETE', `/v1/conversations/${request}/messages/${sent.body.id}`)).body.error.code, 'not_message_sender');
      assert.equal((await ada('DELETE', `/v1/conversations/${request}/messages/${sent.body.id}`)).status, 200);
      const hist = await ben('GET', `/v1/conversations/${request}/messages?limit=1`);
      assert.equal(hist.body.messages[0].unsent, true);
      assert.equal(hist.body.messages[0].text, undefined);
      const target = await ada('POST', `/v1/conversations/${request}/messages`, { clientMessageId: 'u2', text: 'react to me' });
      assert.equal((await ben('PUT', `/v1/conversations/${request}/messages/${target.body.id}/reaction`, { emoji: '🔥' })).status, 200);
      assert.equal((await ben('POST', `/v1/conversations/${request}/read`, { seq: target.body.seq })).status, 200);
      const sync = await ada('GET', '/v1/sync?after=0&limit=1000');
      const seqs = sync.body.events.map((e: { seq: number }) => e.seq);
      assert.deepEqual(seqs, [...seqs].sort((x: number, y: number) => x - y), 'events are in sequence order');
      assert.equal(new Set(seqs).size, seqs.length);
      const kinds = sync.body.events.map((e: { type: string }) => e.type);
      assert.ok(kinds.includes('message_unsent') && kinds.includes('reaction') && kinds.includes('read'));
      const reaction = sync.body.events.find((e: { type: string }) => e.type === 'reaction');
      assert.equal(reaction.reaction.emoji, '🔥');
      const unsentEvent = sync.body.events.find((e: { type: string; message?: { id: string } }) => e.type === 'message' && e.message?.id === sent.body.id);
      assert.equal(unsentEvent.message.text, undefined, 'sync never returns content of an unsent message');
    });

    await t.test('groups: members join without history and leavers stop receiving', async () => {
      await h.relate('ada', 'cat', 'mutual');
      const g = await ada('POST', '/v1/conversations', { members: ['ben', 'cat'], title: 'book club' });
      assert.equal(g.status, 201);
      assert.equal(g.body.kind, 'group');
      assert.equal(g.body.title, 'book club');
      await ada('POST', `/v1/conversations/${g.body.id}/messages`, { clientMessageId: 'g1', text: 'welcome' });
      const cat = h.as(await h.token('cat'));
      assert.equal((await cat('POST', `/v1/conversations/${g.body.id}/leave`)).status, 200);
      const gone = await cat('GET', `/v1/conversations/${g.body.id}/messages`);
      assert.equal(gone.body.error.code, 'conversation_not_found');
      const tooBig = await ada('POST', '/v1/conversations', { members: Array.from({ length: 256 }, (_, i) => `u${i}`) });
      assert.equal(tooBig.body.error.code, 'group_too_large');
    });

    await t.test('text rules: NFC, length, controls, combining marks', async () => {
      const send = (id: string, text: string) => ada('POST', `/v1/conversations/${request}/messages`, { clientMessageId: id, text });
      assert.equal((await send('t1', 'a'.repeat(4001))).body.error.code, 'invalid_text');
      assert.equal((await send('t2', 'a'.repeat(4000))).status, 200);
      assert.equal((await send('t3', 'bad\u0007bell')).body.error.code, 'invalid_text');
      assert.equal((await send('t4', 'z' + '\u0301'.repeat(20))).body.error.code, 'invalid_text');
      assert.equal((await send('t5', 'lone \uD800 surrogate')).body.error.code, 'invalid_text');
      assert.equal((await send('t6', 'spoof \u202Egnp.exe')).body.error.code, 'invalid_text');
      const nfc = await send('t7', 'cafe\u0301');
      const hist = await ada('GET', `/v1/conversations/${request}/messages?limit=1`);
      assert.equal(nfc.status, 200);
      assert.equal(hist.body.messages[0].text, 'caf\u00e9');
      assert.equal((await send('t8', '')).body.error.code, 'invalid_text');
      const pointer = await ada('POST', `/v1/conversations/${request}/messages`, { clientMessageId: 't9', pointer: { kind: 'video', id: 'v_123' } });
      assert.equal(pointer.status, 200);
    });

    await t.test('tokens: bad, foreign and missing credentials get their own codes', async () => {
      assert.equal((await h.as('nope')('GET', '/v1/sync')).body.error.code, 'invalid_token');
      const res = await h.app.inject({ method: 'GET', url: '/v1/sync' });
      assert.equal(JSON.parse(res.body).error.code, 'missing_credentials');
      assert.equal((await h.as('ck_wrong')('PUT', '/v1/platform/users/x', { displayName: 'x', birthYear: 1990 })).body.error.code, 'invalid_api_key');
      const userToken = await h.token('ada');
      assert.equal((await h.as(userToken)('PUT', '/v1/platform/users/x', { displayName: 'x', birthYear: 1990 })).body.error.code, 'invalid_api_key');
    });
  });
}

for (const driver of await testDrivers()) {
  test(`a send batch writes the events it publishes to the outbox, on ${driver.name}`, { skip: driver.skip }, async (t) => {
    const { db, cleanup } = await driver.open();
    // The bus a cluster uses needs the outbox; an in-process bus told so writes it the same way.
    const h: Harness = await makeHarness(db, {}, { bus: createInProcessBus({ needsOutbox: true }) });
    t.after(async () => {
      await h.close();
      await cleanup();
    });
    // A copy of every outbox row as written (the relay deletes rows once published): what a restart after a crash
    // between commit and publish would replay.
    await db.exec(`CREATE TABLE outbox_copy (id int8, topic text, payloads text);
      CREATE FUNCTION outbox_copy_fn() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO outbox_copy VALUES (NEW.id, NEW.topic, NEW.payloads::text); RETURN NEW; END $$;
      CREATE TRIGGER outbox_copy_tr AFTER INSERT ON events_outbox FOR EACH ROW EXECUTE FUNCTION outbox_copy_fn();`);
    for (const u of ['ada', 'ben', 'cy']) await h.user(u, bornForAge(30));
    const ada = h.as(await h.token('ada'));
    const adaPhone = h.as(await h.token('ada', 'phone2'));
    const ben = h.as(await h.token('ben'));
    const cy = h.as(await h.token('cy'));
    const ch = (await ada('POST', '/v1/conversations', { members: ['ben', 'cy'], title: 'batch' })).body.id;
    const live: unknown[] = [];
    h.services.bus.subscribe('inbox', (e) => {
      // What any serialization of the event carries (the sender's in-memory content attachment is not part of it).
      if (e.payload.kind === 'message') live.push(JSON.parse(JSON.stringify(e.payload)));
    });
    const first = await ada('POST', `/v1/conversations/${ch}/messages`, { clientMessageId: 'b0', text: 'zero' });
    // Sent together so they share a batch; one is a retry of another (same device, same clientMessageId).
    const sends = await Promise.all([
      ada('POST', `/v1/conversations/${ch}/messages`, { clientMessageId: 'b1', text: 'text one' }),
      ben('POST', `/v1/conversations/${ch}/messages`, { clientMessageId: 'b2', text: 'two', replyTo: first.body.id }),
      adaPhone('POST', `/v1/conversations/${ch}/messages`, { clientMessageId: 'b1', text: 'text three' }),
      cy('POST', `/v1/conversations/${ch}/messages`, { clientMessageId: 'b3', pointer: { kind: 'video', id: 'v_9' } }),
      ada('POST', `/v1/conversations/${ch}/messages`, { clientMessageId: 'b1', text: 'text one' }),
    ]);
    assert.ok(sends.every((r) => r.status === 200));
    assert.equal(sends[0].body.id, sends[4].body.id, 'the retry answers with the first result');
    await h.services.messaging.idle();
    const written = (await db.query<{ topic: string; payloads: string }>(`SELECT topic, payloads FROM outbox_copy ORDER BY id`)).rows
      .filter((r) => r.topic === 'inbox')
      .flatMap((r) => JSON.parse(r.payloads) as { kind: string }[])
      .filter((p) => p.kind === 'message');
    assert.equal(live.length, 5, 'five distinct messages, the retry adds none');
    assert.deepEqual(written, live);
    // A space never occurs in base64 or ids, so these can only be plaintext.
    assert.ok(!JSON.stringify(written).includes('text one') && !JSON.stringify(written).includes('text three'), 'ciphertext only');
    assert.equal((await db.query('SELECT 1 FROM events_outbox')).rows.length, 0, 'published rows are deleted');
  });
}
