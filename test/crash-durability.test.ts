// Crash durability, end to end. The server runs as a child process; 8 devices (4 users x 2 devices, in 2 direct
// conversations) send 2,000 messages over HTTP and WebSocket. After about 1,000 acknowledgements the server is
// frozen (SIGSTOP), SIGKILLed and restarted on the same data; every sender retries what it had sent without an
// acknowledgement (same clientMessageId) until all 2,000 are acknowledged. Then every device collects its inbox
// (WebSocket devices reconnect with their own last processed sequence; the others page GET /v1/sync) and we
// check that every acknowledged message reached every device exactly once and that history holds each message once.
// Runs on PGlite (a data directory) and PostgreSQL (a fresh database, dropped after).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, postgresUnavailableReason } from '../src/storage/testing.js';
import { DeviceLog, FrameError, freePort, http, ok, ServerChild, sleep, WsDevice } from './support/crash-harness.js';

const TOTAL = 2000;
const KILL_AFTER = 1000;
const SYNC_EARLY_AFTER = 400;
const WINDOW = 6; // sends in flight per device
const USERS = ['crash-u1', 'crash-u2', 'crash-u3', 'crash-u4'];
const PAIRS: [string, string][] = [['crash-u1', 'crash-u2'], ['crash-u3', 'crash-u4']];
const DEVICES = ['d1', 'd2'];
const DEADLINE_MS = 240_000;

interface Msg {
  userId: string;
  deviceId: string;
  conversationId: string;
  clientMessageId: string;
  text: string;
  attempts: number;
  inFlightAtKill: boolean;
  ack?: { id: string; seq: number; sentAt: string };
}

interface Device {
  userId: string;
  deviceId: string;
  token: string;
  conversationId: string;
  /** d1 devices hold a WebSocket through the crash; d2 devices sync over HTTP. */
  ws: WsDevice | null;
  log: DeviceLog;
  sendsOverWs: boolean;
}

async function runCrashScenario(t: TestContext, databaseUrl: string | null) {
  const started = Date.now();
  const dataDir = mkdtempSync(join(tmpdir(), 'custodian-crash-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const wsBase = `ws://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    CUSTODIAN_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    // 10,000,000 is the most loadConfig accepts.
    CUSTODIAN_RATE_LIMIT_PER_MINUTE: '10000000',
  };
  delete env.DATABASE_URL;
  if (databaseUrl) env.DATABASE_URL = databaseUrl;

  let server = await ServerChild.start(env);
  const stopAll = { stop: false };
  const devices: Device[] = [];
  t.after(async () => {
    stopAll.stop = true;
    for (const d of devices) d.ws?.close();
    await server.kill9();
  });

  // --- Setup: users, mutual pairs, device tokens, two active direct conversations.
  const platformKey = readFileSync(join(dataDir, 'platform-key.txt'), 'utf8').trim();
  for (const u of USERS) await ok(base, 'PUT', `/v1/platform/users/${u}`, platformKey, { displayName: u, birthYear: 1990 });
  for (const [a, b] of PAIRS) await ok(base, 'PUT', '/v1/platform/relationships', platformKey, { a, b, kind: 'mutual' });
  const tokens = new Map<string, string>();
  for (const u of USERS) {
    for (const d of DEVICES) tokens.set(`${u}/${d}`, (await ok(base, 'POST', `/v1/platform/users/${u}/tokens`, platformKey, { deviceId: d })).token);
  }
  const convOf = new Map<string, string>();
  for (const [a, b] of PAIRS) {
    const conv = await ok(base, 'POST', '/v1/conversations', tokens.get(`${a}/d1`)!, { members: [b] });
    assert.equal(conv.kind, 'direct');
    const seenByB = await ok(base, 'GET', `/v1/conversations/${conv.id}`, tokens.get(`${b}/d1`)!);
    assert.equal(seenByB.myState, 'active', 'a mutual pair starts an active conversation');
    convOf.set(a, conv.id);
    convOf.set(b, conv.id);
  }

  USERS.forEach((u, i) => {
    for (const d of DEVICES) {
      const token = tokens.get(`${u}/${d}`)!;
      // Half the WebSocket devices resume with a first auth frame, half with ?after= and the header.
      const ws = d === 'd1' ? new WsDevice(wsBase, token, i % 2 === 0 ? 'frame' : 'header', `${u}/${d}`) : null;
      devices.push({
        userId: u, deviceId: d, token, conversationId: convOf.get(u)!, ws,
        log: ws ? ws.log : new DeviceLog(`${u}/${d}`),
        // crash-u1/d1 and crash-u3/d1 send with WebSocket frames, everyone else over HTTP.
        sendsOverWs: d === 'd1' && i % 2 === 0,
      });
    }
  });
  for (const d of devices) if (d.ws) await d.ws.start();

  // --- The messages: 250 per device.
  const perDevice = TOTAL / devices.length;
  const msgs = new Map<Device, Msg[]>();
  for (const d of devices) {
    const list: Msg[] = [];
    for (let n = 0; n < perDevice; n++) {
      const cmid = `${d.userId}.${d.deviceId}.${n}`;
      list.push({ userId: d.userId, deviceId: d.deviceId, conversationId: d.conversationId, clientMessageId: cmid, text: `msg-${cmid}`, attempts: 0, inFlightAtKill: false });
    }
    msgs.set(d, list);
  }
  const all = [...msgs.values()].flat();

  let acked = 0;
  const milestones: { at: number; resolve: () => void }[] = [];
  const reached = (n: number) => new Promise<void>((resolve) => (acked >= n ? resolve() : milestones.push({ at: n, resolve })));
  const deadline = started + DEADLINE_MS;
  const transient: string[] = [];

  function recordAck(m: Msg, r: { id: string; seq: number; sentAt: string; conversationId: string }) {
    assert.equal(m.ack, undefined, `${m.clientMessageId} acknowledged twice`);
    assert.equal(r.conversationId, m.conversationId);
    m.ack = { id: r.id, seq: r.seq, sentAt: r.sentAt };
    acked++;
    for (const ms of milestones.filter((x) => acked >= x.at)) {
      milestones.splice(milestones.indexOf(ms), 1);
      ms.resolve();
    }
  }

  function checkRunning() {
    if (stopAll.stop) throw new Error('stopped');
    if (Date.now() > deadline) throw new Error(`deadline passed with ${acked} of ${TOTAL} acknowledged`);
  }

  async function sendOne(d: Device, m: Msg) {
    for (;;) {
      checkRunning();
      m.attempts++;
      if (d.sendsOverWs) {
        try {
          const r = await d.ws!.request({ type: 'send', conversationId: m.conversationId, clientMessageId: m.clientMessageId, text: m.text });
          assert.equal(r.clientMessageId, m.clientMessageId);
          recordAck(m, r);
          return;
        } catch (err) {
          if (err instanceof FrameError && err.code !== 'internal_error') throw new Error(`${m.clientMessageId}: ${err.message}`);
          if (err instanceof FrameError) transient.push(`ws ${err.code}`);
        }
      } else {
        try {
          const r = await http(base, 'POST', `/v1/conversations/${m.conversationId}/messages`, d.token, { clientMessageId: m.clientMessageId, text: m.text });
          if (r.status === 200) {
            recordAck(m, r.json);
            return;
          }
          if (r.status < 500 && r.status !== 429) throw new Error(`${m.clientMessageId}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
          transient.push(`http ${r.status} ${r.json?.error?.code}`);
        } catch (err) {
          if (err instanceof Error && err.message.startsWith(m.clientMessageId)) throw err;
          // A network failure: the server is down or went down with the request. Retry the same message.
        }
      }
      await sleep(100);
    }
  }

  async function sender(d: Device) {
    const list = msgs.get(d)!;
    let next = 0;
    const worker = async () => {
      while (next < list.length) await sendOne(d, list[next++]);
    };
    await Promise.all(Array.from({ length: WINDOW }, worker));
  }

  /** Pages GET /v1/sync from the device's own last processed sequence until hasMore is false. */
  async function syncHttp(d: Device): Promise<number> {
    for (;;) {
      checkRunning();
      let page;
      try {
        page = await http(base, 'GET', `/v1/sync?after=${d.log.last}&limit=1000`, d.token);
      } catch {
        await sleep(100);
        continue;
      }
      if (page.status !== 200) throw new Error(`sync ${d.log.name}: HTTP ${page.status} ${JSON.stringify(page.json)}`);
      for (const ev of page.json.events) d.log.process(ev);
      assert.equal(page.json.lastSeq, d.log.last, `${d.log.name}: lastSeq is the last event of the page`);
      await http(base, 'POST', '/v1/sync/ack', d.token, { seq: d.log.last }).catch(() => {});
      if (!page.json.hasMore) return d.log.last;
    }
  }

  // --- Send, sync some early, kill -9 after ~1,000 acks, restart, let the senders retry and finish.
  let killedAt = 0;
  let ackedAtKill = 0;
  let inFlightAtKill: Msg[] = [];
  let restartMs = 0;
  const phases: string[] = [`setup ${Date.now() - started}`];
  void reached(KILL_AFTER).then(() => phases.push(`kill ${Date.now() - started}`));
  const syncDevices = devices.filter((d) => !d.ws);
  const sending = Promise.all(devices.map((d) => sender(d)));
  const earlySync = reached(SYNC_EARLY_AFTER).then(() => Promise.all(syncDevices.map((d) => syncHttp(d))));
  const crash = reached(KILL_AFTER).then(async () => {
    // Freeze the server first, then wait until acknowledgements stop arriving: answers it had already written
    // drain, every sender's next request finds a server that answers nothing, and what is in flight now
    // cannot be answered before the kill. (Without the freeze, a batch committing at the instant of the kill
    // could answer every message the test counted as in flight, and nothing would need a retry.)
    server.pause();
    for (let quiet = 0; quiet < 3; ) {
      const before = acked;
      await sleep(100);
      await new Promise<void>((r) => setImmediate(r));
      quiet = acked === before ? quiet + 1 : 0;
    }
    inFlightAtKill = all.filter((m) => m.attempts > 0 && !m.ack);
    for (const m of inFlightAtKill) m.inFlightAtKill = true;
    killedAt = Date.now();
    ackedAtKill = acked;
    await server.kill9();
    await sleep(200);
    server = await ServerChild.start(env);
    restartMs = Date.now() - killedAt;
    phases.push(`restarted ${Date.now() - started}`);
  });
  try {
    await Promise.all([sending, earlySync, crash]);
  } catch (err) {
    stopAll.stop = true;
    throw err;
  }
  phases.push(`all acked ${Date.now() - started}`);
  assert.equal(acked, TOTAL);
  assert.ok(inFlightAtKill.length > 0, 'some messages were in flight when the server was killed');

  // --- Collect: HTTP devices page to the end; WebSocket devices must reach the same inbox sequence.
  const lastSeqOf = new Map<string, number>();
  for (const d of syncDevices) lastSeqOf.set(d.userId, await syncHttp(d));
  for (const d of devices.filter((x) => x.ws)) {
    const want = lastSeqOf.get(d.userId)!;
    while (d.log.last < want) {
      checkRunning();
      await sleep(50);
    }
    d.ws!.close();
  }

  // History, newest page first, paging back with `before`.
  const history = new Map<string, { id: string; seq: number; senderId: string; text?: string }[]>();
  for (const [a] of PAIRS) {
    const conv = convOf.get(a)!;
    const token = tokens.get(`${a}/d2`)!;
    const out: { id: string; seq: number; senderId: string; text?: string }[] = [];
    let before: string | null = null;
    for (;;) {
      const q: string = before ? `?limit=200&before=${before}` : '?limit=200';
      const page: any = await ok(base, 'GET', `/v1/conversations/${conv}/messages${q}`, token);
      out.unshift(...page.messages);
      if (!page.before || page.messages.length === 0) break;
      before = page.before;
    }
    history.set(conv, out);
  }
  await server.stop();
  phases.push(`collected ${Date.now() - started}`);

  // --- Assertions.
  const ackIds = new Map<string, Msg>();
  for (const m of all) {
    assert.ok(m.ack, `${m.clientMessageId} acknowledged`);
    assert.equal(ackIds.has(m.ack.id), false, `server id ${m.ack.id} acknowledged for two clientMessageIds`);
    ackIds.set(m.ack.id, m);
  }
  // What was in flight at the kill had no answer and could get none from the frozen server: it was retried with
  // the same id. (An answer still draining from a socket buffer after the quiet wait would count too.)
  assert.ok(inFlightAtKill.some((m) => m.attempts >= 2), 'messages in flight at the kill were retried');

  for (const d of devices) {
    const log = d.log;
    assert.deepEqual(log.gaps, [], `${log.name}: no inbox sequence skipped`);
    assert.equal(log.last, lastSeqOf.get(d.userId), `${log.name}: reached the user's last inbox sequence`);
    assert.equal(log.seqs.length, log.last, `${log.name}: processed every sequence 1..${log.last} once`);
    const expected = all.filter((m) => m.conversationId === d.conversationId);
    const twice = [...log.messageSeqs].filter(([, seqs]) => seqs.length > 1).map(([id, seqs]) => `${ackIds.get(id)?.clientMessageId ?? id}@${seqs.join(',')}`);
    assert.deepEqual(twice, [], `${log.name}: no message id under two inbox sequences`);
    const unknown = [...log.messageSeqs.keys()].filter((id) => !ackIds.has(id));
    assert.deepEqual(unknown, [], `${log.name}: no message that was never acknowledged`);
    const missing = expected.filter((m) => !log.messageSeqs.has(m.ack!.id)).map((m) => m.clientMessageId);
    assert.deepEqual(missing, [], `${log.name}: every acknowledged message delivered`);
    assert.equal(log.messageSeqs.size, expected.length, `${log.name}: ${expected.length} messages`);
    for (const m of expected) assert.equal(log.texts.get(m.ack!.id), m.text, `${log.name}: text of ${m.clientMessageId}`);
    if (d.ws) {
      assert.ok(d.ws.readies.length >= 2, `${log.name}: reconnected after the crash`);
      for (const r of d.ws.readies) assert.equal(r.answered, r.asked, `${log.name}: resumed after its own sequence`);
    }
  }

  for (const [conv, messages] of history) {
    const expected = all.filter((m) => m.conversationId === conv);
    assert.equal(messages.length, expected.length, `history of ${conv} holds ${expected.length} messages`);
    assert.deepEqual(messages.map((m) => m.seq), expected.map((_, i) => i + 1), `history of ${conv}: sequences 1..${expected.length}`);
    const byText = new Map<string, number>();
    for (const m of messages) byText.set(m.text ?? '', (byText.get(m.text ?? '') ?? 0) + 1);
    const dupes = [...byText].filter(([, n]) => n > 1).map(([text]) => text);
    assert.deepEqual(dupes, [], `history of ${conv}: no text twice`);
    for (const m of expected) {
      assert.equal(byText.get(m.text), 1, `history of ${conv}: ${m.clientMessageId} once`);
      const h = messages.find((x) => x.id === m.ack!.id);
      assert.ok(h && h.text === m.text && h.senderId === m.userId, `history of ${conv}: ${m.clientMessageId} under its acknowledged id`);
    }
  }
  const retried = all.filter((m) => m.attempts > 1);
  const committedBeforeKill = inFlightAtKill.filter((m) => Date.parse(m.ack!.sentAt) < killedAt);
  t.diagnostic(
    `${databaseUrl ? 'postgres' : 'pglite'}: ${ackedAtKill} acked before the kill, ${inFlightAtKill.length} in flight at the kill ` +
      `(${committedBeforeKill.length} of them had committed and were answered from dedupe), ${retried.length} retried; ` +
      `restart ${restartMs} ms; wire duplicates skipped ${devices.map((d) => d.log.skipped).join('/')}; ` +
      `transient ${transient.length}; ms: ${phases.join(', ')}, total ${Date.now() - started}`,
  );
}

const pgReason = await postgresUnavailableReason();
const requireServices = process.env.CUSTODIAN_REQUIRE_SERVICES === '1';

test('crash durability on pglite: SIGKILL mid-stream, retries deduped, every device gets every message once', { timeout: 300_000 }, async (t) => {
  await runCrashScenario(t, null);
});

test(
  'crash durability on postgres: SIGKILL mid-stream, retries deduped, every device gets every message once',
  { timeout: 300_000, skip: pgReason && !requireServices ? `skipped: ${pgReason}` : false },
  async (t) => {
    if (pgReason) throw new Error(`CUSTODIAN_REQUIRE_SERVICES=1 but ${pgReason}`);
    const { url, drop } = await createTestDatabase();
    t.after(drop);
    await runCrashScenario(t, url);
  },
);
