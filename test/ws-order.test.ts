// The gateway's ordering promise under a bus that does not publish in sequence order. Two send batches in flight
// commit in lock order, but their answers can come back the other way round, so a device's events can reach the
// gateway a few sequence numbers apart. The gateway must still push every event once and in order; it should do
// so from memory when the missing events arrive shortly (reading each such gap back from the database cost a query
// and a decryption per message), and from the database when they never do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { testDrivers } from '../src/storage/testing.js';
import { createInProcessBus, type Bus, type BusEvent } from '../src/events/index.js';
import { createGateway } from '../src/http/ws.js';
import { makeHarness } from './support/harness.js';

/** An in-process bus that can hold publishes back, to be released later in any order (or never). */
function holdingBus() {
  const inner = createInProcessBus();
  let held: BusEvent[][] | null = null;
  const bus: Bus = {
    driver: inner.driver,
    needsOutbox: inner.needsOutbox,
    async publish(events) {
      if (held) held.push(events);
      else await inner.publish(events);
    },
    subscribe: (topic, handler) => inner.subscribe(topic, handler),
    close: () => inner.close(),
  };
  return {
    bus,
    hold() {
      held = [];
    },
    /** Stops holding and hands back what was held, for the test to publish (or drop) as it likes. */
    take(): BusEvent[][] {
      const out = held ?? [];
      held = null;
      return out;
    },
    publish: (events: BusEvent[]) => inner.publish(events),
  };
}

interface EventFrame {
  type: 'event';
  seq: number;
  event: { type: string; message?: { text?: string } };
}

for (const driver of await testDrivers()) {
  test(`the gateway pushes events that arrive out of order once each and in sequence, on ${driver.name}`, { skip: driver.skip }, async (t) => {
    const { db, cleanup } = await driver.open();
    const holding = holdingBus();
    const h = await makeHarness(db, {}, { bus: holding.bus });
    // Two seconds, not the default 100 ms: the first part must finish its out-of-order publishes inside the wait and
    // the second must look before the wait ends, which a loaded CI machine may not do within 100 ms.
    const gateway = createGateway(h.services, { reorderWaitMs: 2_000 });
    h.app.server.on('upgrade', (req, socket, head) => gateway.handleUpgrade(req, socket, head));
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (h.app.server.address() as { port: number }).port;
    const sockets: WebSocket[] = [];
    t.after(async () => {
      for (const s of sockets) s.close();
      await gateway.close();
      await h.close();
      await cleanup();
    });

    await h.user('ora');
    await h.user('pim');
    await h.relate('ora', 'pim', 'mutual');
    const ora = h.as(await h.token('ora'));
    const conv = await ora('POST', '/v1/conversations', { members: ['pim'] });
    assert.ok(conv.status === 200 || conv.status === 201, String(conv.status));
    const conversationId = conv.body.id as string;

    // Catch-up reads are counted where the gateway makes them.
    let reads = 0;
    const messaging = h.services.messaging as { syncInbox: (...a: never[]) => Promise<unknown> };
    const syncInbox = messaging.syncInbox;
    messaging.syncInbox = (...a) => {
      reads++;
      return syncInbox(...a);
    };

    const frames: EventFrame[] = [];
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/ws`, { headers: { authorization: `Bearer ${await h.token('pim')}` } });
    sockets.push(ws);
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as { type: string };
      if (f.type === 'ready') ready();
      if (f.type === 'event') frames.push(f as EventFrame);
    });
    await isReady;
    const waitFor = async (what: string, ok: () => boolean) => {
      for (let i = 0; i < 1_000 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(ok(), what);
    };
    // The conversation's own event first: the baseline sequence.
    await waitFor('the conversation event arrives', () => frames.length >= 1);
    const base = frames.at(-1)!.seq;
    const readsBefore = reads;

    const send = async (text: string) => {
      const r = await ora('POST', `/v1/conversations/${conversationId}/messages`, { clientMessageId: text, text });
      assert.equal(r.status, 200);
    };
    const messageFrames = () => frames.filter((f) => f.seq > base);

    // Three sends, three commits; their events reach the bus last first.
    holding.hold();
    for (const text of ['one', 'two', 'three']) await send(text);
    const batches = holding.take();
    assert.equal(batches.length, 3, 'one publish per commit');
    for (const events of batches.reverse()) await holding.publish(events);
    await waitFor('all three are pushed', () => messageFrames().length >= 3);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(messageFrames().map((f) => f.seq), [base + 1, base + 2, base + 3], 'in sequence, once each');
    assert.deepEqual(messageFrames().map((f) => f.event.message?.text), ['one', 'two', 'three']);
    assert.equal(reads, readsBefore, 'reordered from memory: no catch-up read');

    // A gap the bus never fills: the event ahead of it waits, then the gap is read from the database.
    holding.hold();
    for (const text of ['four', 'five']) await send(text);
    const [lost, arrived] = holding.take();
    assert.ok(lost && arrived);
    await holding.publish(arrived);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(messageFrames().length, 3, 'nothing is pushed past a gap');
    await waitFor('the gap is filled from the database', () => messageFrames().length >= 5);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(messageFrames().map((f) => f.seq), [1, 2, 3, 4, 5].map((i) => base + i), 'in sequence, once each');
    assert.deepEqual(messageFrames().map((f) => f.event.message?.text), ['one', 'two', 'three', 'four', 'five']);
    assert.equal(reads, readsBefore + 1, 'one catch-up read for the gap');
  });
}
