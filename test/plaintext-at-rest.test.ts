// Non-negotiable 1: no message text or media is stored in plaintext. A distinctive canary goes through every
// content path (text, reply, reaction, group title, pointer id, an unsent message, a rejected message), then the
// PGlite data directory (tables and WAL), a pg_dump of the PostgreSQL database, PostgreSQL's WAL where readable,
// and the captured server log are scanned for it: zero hits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../src/storage/index.js';
import { createTestDatabase, testDrivers } from '../src/storage/testing.js';
import { makeHarness } from './support/harness.js';

const CANARY = `canary${Math.random().toString(36).slice(2, 10)}zebra`;

function countInTree(dir: string, needle: Buffer): { hits: string[]; files: number } {
  const hits: string[] = [];
  let files = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        files++;
        if (readFileSync(p).includes(needle)) hits.push(p);
      }
    }
  };
  walk(dir);
  return { hits, files };
}

async function exercise(h: Awaited<ReturnType<typeof makeHarness>>) {
  await h.user('pa', 1980);
  await h.user('pb', 1981);
  await h.user('pc', 1982);
  await h.relate('pa', 'pb', 'mutual');
  await h.relate('pa', 'pc', 'mutual');
  const a = h.as(await h.token('pa'));
  const b = h.as(await h.token('pb'));
  const dm = await a('POST', '/v1/conversations', { members: ['pb'] });
  const m1 = await a('POST', `/v1/conversations/${dm.body.id}/messages`, { clientMessageId: 'c1', text: `hello ${CANARY} there` });
  assert.equal(m1.status, 200);
  const m2 = await b('POST', `/v1/conversations/${dm.body.id}/messages`, { clientMessageId: 'c2', text: `re: ${CANARY}`, replyTo: m1.body.id });
  assert.equal(m2.status, 200);
  assert.equal((await b('PUT', `/v1/conversations/${dm.body.id}/messages/${m1.body.id}/reaction`, { emoji: CANARY.slice(0, 12) })).status, 200);
  const m3 = await a('POST', `/v1/conversations/${dm.body.id}/messages`, { clientMessageId: 'c3', pointer: { kind: 'video', id: CANARY } });
  assert.equal(m3.status, 200);
  const m4 = await a('POST', `/v1/conversations/${dm.body.id}/messages`, { clientMessageId: 'c4', text: `unsend ${CANARY}` });
  assert.equal((await a('DELETE', `/v1/conversations/${dm.body.id}/messages/${m4.body.id}`)).status, 200);
  const rejected = await a('POST', `/v1/conversations/${dm.body.id}/messages`, { clientMessageId: 'c5', text: `${CANARY}\u0007` });
  assert.equal(rejected.body.error.code, 'invalid_text');
  const g = await a('POST', '/v1/conversations', { members: ['pb', 'pc'], title: `title ${CANARY}` });
  assert.equal(g.status, 201);
  assert.equal((await a('POST', `/v1/conversations/${g.body.id}/messages`, { clientMessageId: 'g1', text: `group ${CANARY}` })).status, 200);
  // The content is there for those who may read it: the scan below proves it is sealed at rest, not missing.
  const hist = await b('GET', `/v1/conversations/${dm.body.id}/messages`);
  assert.ok(hist.body.messages.some((m: { text?: string }) => m.text?.includes(CANARY)));
  const sync = await b('GET', '/v1/sync?after=0');
  assert.ok(sync.body.events.some((e: { message?: { pointer?: { id: string } } }) => e.message?.pointer?.id === CANARY));
}

test('PGlite data directory and server log hold no plaintext', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'custodian-plain-'));
  try {
    const db = await openDb({ driver: 'pglite', dataDir: join(dir, 'pglite') });
    const h = await makeHarness(db);
    await exercise(h);
    await h.close();
    await db.close();
    const { hits, files } = countInTree(dir, Buffer.from(CANARY.slice(0, 12), 'utf8'));
    assert.ok(files > 10, 'the data directory was written');
    assert.deepEqual(hits, [], 'no file in the PGlite data directory contains the canary');
    assert.ok(h.logs.length > 5, 'the server logged');
    assert.equal(h.logs.filter((l) => l.includes(CANARY.slice(0, 12))).length, 0, 'no log line contains the canary');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const pgDriver = (await testDrivers()).find((d) => d.name === 'postgres')!;
test('PostgreSQL dump, WAL and server log hold no plaintext', { skip: pgDriver.skip }, async () => {
  const { url, drop } = await createTestDatabase();
  try {
    const db = await openDb({ driver: 'postgres', url, poolSize: 3 });
    const walDir = (await db.query<{ d: string }>('SELECT current_setting(\'data_directory\') AS d')).rows[0].d;
    const h = await makeHarness(db);
    await exercise(h);
    await h.close();
    await db.query('CHECKPOINT').catch(() => {});
    await db.close();
    const dump = execFileSync('pg_dump', ['--no-owner', url], { maxBuffer: 256 * 1024 * 1024 });
    assert.ok(dump.includes(Buffer.from('msg_messages')), 'the dump has the message table');
    assert.equal(dump.includes(Buffer.from(CANARY.slice(0, 12))), false, 'pg_dump output contains no canary');
    assert.equal(h.logs.filter((l) => l.includes(CANARY.slice(0, 12))).length, 0, 'no log line contains the canary');
    let walReadable = false;
    try {
      readdirSync(join(walDir, 'pg_wal'));
      walReadable = true;
    } catch {
      // Not readable as this user (a laptop): the dump and the log are still checked.
    }
    if (walReadable) {
      const { hits } = countInTree(join(walDir, 'pg_wal'), Buffer.from(CANARY.slice(0, 12), 'utf8'));
      assert.deepEqual(hits, [], 'no WAL segment contains the canary');
    }
  } finally {
    await drop();
  }
});
