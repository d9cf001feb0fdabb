// Known-content matching end to end, on every driver: upload limits and hostile images (4xx, nothing stored),
// EXIF/GPS stripped for recipients, downloads only for those who may see the message, and a bank match that
// quarantines: not delivered, evidence preserved, detection opened, sender told only message_not_delivered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import { testDrivers } from '../src/storage/testing.js';
import { makeHarness } from './support/harness.js';
import { pngHeaderOnly } from './support/png.js';

const fixtures = new URL('../../shared/fixtures/pdq/', import.meta.url);
const haveFixtures = existsSync(fixtures);

async function counts(h: Awaited<ReturnType<typeof makeHarness>>) {
  const r = await h.db.query<{ a: number; b: number; c: number }>(
    'SELECT (SELECT count(*) FROM msg_media)::int8 AS a, (SELECT count(*) FROM safety_media)::int8 AS b, (SELECT count(*) FROM msg_messages)::int8 AS c',
  );
  return r.rows[0];
}

for (const driver of await testDrivers()) {
  test(`media and known-content matching on ${driver.name}`, { skip: driver.skip ?? (haveFixtures ? undefined : 'skipped: PDQ fixtures not found') }, async (t) => {
    const { db, cleanup } = await driver.open();
    const h = await makeHarness(db, { mediaMaxBytes: 2 * 1024 * 1024 });
    t.after(async () => {
      await h.close();
      await cleanup();
    });
    for (const u of ['ua', 'ub', 'uc']) await h.user(u, 1990);
    await h.relate('ua', 'ub', 'mutual');
    const ta = await h.token('ua');
    const a = h.as(ta);
    const b = h.as(await h.token('ub'));
    const c = h.as(await h.token('uc'));
    const conv = (await a('POST', '/v1/conversations', { members: ['ub'] })).body.id;
    const upload = async (bytes: Buffer, type = 'image/jpeg', token = ta) => {
      const res = await h.app.inject({ method: 'POST', url: '/v1/media', headers: { authorization: `Bearer ${token}`, 'content-type': type }, payload: bytes });
      return { status: res.statusCode, body: JSON.parse(res.body) };
    };
    const bridge = readFileSync(new URL('bridge-mods/aaa-orig.jpg', fixtures));

    await t.test('hostile and broken uploads get 4xx codes and store nothing', async () => {
      const before = await counts(h);
      const cases: [string, Buffer, string, number, string][] = [
        ['empty', Buffer.alloc(0), 'image/png', 400, 'invalid_image'],
        ['not an image', Buffer.from('hello, this is text'), 'image/png', 400, 'invalid_image'],
        ['truncated JPEG', bridge.subarray(0, 3000), 'image/jpeg', 400, 'invalid_image'],
        ['zero-sized PNG', pngHeaderOnly(0, 0), 'image/png', 400, 'invalid_image'],
        ['decompression bomb header', pngHeaderOnly(100000, 100000), 'image/png', 413, 'image_too_large'],
        ['too small', await sharp({ create: { width: 2, height: 2, channels: 3, background: '#fff' } }).png().toBuffer(), 'image/png', 400, 'image_too_small'],
        ['over the byte limit', Buffer.concat([bridge, Buffer.alloc(2 * 1024 * 1024)]), 'image/jpeg', 413, 'body_too_large'],
        ['SVG is not accepted', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'), 'application/octet-stream', 400, 'invalid_image'],
      ];
      for (const [name, bytes, type, status, code] of cases) {
        const res = await upload(bytes, type);
        assert.equal(res.status, status, name);
        assert.equal(res.body.error.code, code, name);
      }
      const wrongType = await h.app.inject({ method: 'POST', url: '/v1/media', headers: { authorization: `Bearer ${ta}`, 'content-type': 'text/plain' }, payload: 'x' });
      assert.equal(JSON.parse(wrongType.body).error.code, 'unsupported_media_type');
      assert.deepEqual(await counts(h), before, 'nothing was stored');
    });

    await t.test('recipients get the image without EXIF or GPS; others get 404', async () => {
      const withGps = await sharp(bridge).withExif({ IFD0: { Copyright: 'secret-place' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '0/1 7/1 0/1' } }).jpeg().toBuffer();
      assert.ok((await sharp(withGps).metadata()).exif, 'the upload carries EXIF');
      const up = await upload(withGps);
      assert.equal(up.status, 201);
      assert.equal(up.body.mime, 'image/jpeg');
      const sent = await a('POST', `/v1/conversations/${conv}/messages`, { clientMessageId: 'img1', mediaId: up.body.mediaId, text: 'look' });
      assert.equal(sent.status, 200);
      const hist = await b('GET', `/v1/conversations/${conv}/messages`);
      assert.equal(hist.body.messages[0].media.id, up.body.mediaId);
      const dl = await h.app.inject({ method: 'GET', url: `/v1/media/${up.body.mediaId}`, headers: { authorization: `Bearer ${await h.token('ub')}` } });
      assert.equal(dl.statusCode, 200);
      const meta = await sharp(dl.rawPayload).metadata();
      assert.equal(meta.exif, undefined, 'no EXIF block reaches the recipient');
      assert.ok(!dl.rawPayload.includes(Buffer.from('secret-place')));
      assert.equal(meta.width, 1600);
      const other = await c('GET', `/v1/media/${up.body.mediaId}`);
      assert.equal(other.status, 404);
      assert.equal(other.body.error.code, 'media_not_found');
      const stolen = await c('POST', '/v1/conversations', { members: ['ua'] });
      const reuse = await c('POST', `/v1/conversations/${stolen.body.id}/messages`, { clientMessageId: 'x', mediaId: up.body.mediaId });
      assert.equal(reuse.body.error.code, 'media_not_found', 'only the uploader attaches an upload');
    });

    await t.test('a quarantine bank match: not delivered, evidence kept, detection opened, sender told nothing more', async () => {
      const cs = await h.staff('cs-bank', ['child_safety']);
      const mod = await h.staff('mod-bank', ['moderator']);
      assert.equal((await mod.call('POST', '/staff/v1/banks', { bankId: 'known-csam', name: 'x', action: 'quarantine_and_report' })).body.error.code, 'action_denied');
      const bank = await cs.call('POST', '/staff/v1/banks', { bankId: 'known-csam', name: 'Known list (test)', action: 'quarantine_and_report' });
      assert.equal(bank.status, 201);
      const expected = JSON.parse(readFileSync(new URL('expected.json', fixtures), 'utf8')) as { file: string; hash_hex: string }[];
      const target = expected.find((e) => e.file === 'reg-test-input/dih/bridge-1-original.jpg')!;
      const lines = [JSON.stringify({ pdq: target.hash_hex, label: 'test' }), '{"pdq":"nothex"}', 'not json'].join('\n');
      const noBody = await cs.call('POST', '/staff/v1/banks/known-csam/import', {});
      assert.equal(noBody.status, 415, 'an import needs a CSV or JSONL body');
      const imp = await h.app.inject({ method: 'POST', url: '/staff/v1/banks/known-csam/import', headers: { cookie: cs.cookie, 'content-type': 'application/x-ndjson' }, payload: lines });
      assert.equal(imp.statusCode, 200);
      const imported = JSON.parse(imp.body);
      assert.equal(imported.accepted, 1);
      assert.equal(imported.rejected, 2);
      assert.deepEqual(imported.rejectedLines.map((l: { line: number }) => l.line), [2, 3]);

      // The rotated copy matches the listed original through a dihedral variant.
      const rotated = readFileSync(new URL('reg-test-input/dih/bridge-2-rotate-90.jpg', fixtures));
      const up = await upload(rotated);
      assert.equal(up.status, 201, 'the upload itself does not reveal a match');
      const before = await counts(h);
      const bSyncBefore = (await b('GET', '/v1/sync?after=0&limit=1000')).body.lastSeq;
      const sent = await a('POST', `/v1/conversations/${conv}/messages`, { clientMessageId: 'bad1', mediaId: up.body.mediaId });
      assert.equal(sent.status, 403);
      assert.deepEqual(sent.body, { error: { code: 'message_not_delivered', message: 'message not delivered' } });
      const after = await counts(h);
      assert.equal(after.c, before.c, 'no message row');
      assert.equal((await b('GET', '/v1/sync?after=0&limit=1000')).body.lastSeq, bSyncBefore, 'nothing reached the recipient');
      const det = await db.query<{ action: string; conversation_id: string; sender_id: string; sender_ip: string | null; media_id: string }>('SELECT * FROM safety_detections');
      assert.equal(det.rows.length, 1);
      assert.equal(det.rows[0].action, 'quarantine_and_report');
      assert.equal(det.rows[0].conversation_id, conv);
      assert.equal(det.rows[0].sender_id, 'ua');
      assert.ok(det.rows[0].sender_ip, 'the sender address is kept as evidence');
      const ev = await db.query<{ blob_key: string }>('SELECT blob_key FROM safety_evidence WHERE media_id = $1', [up.body.mediaId]);
      assert.equal(ev.rows.length, 1, 'the original bytes are preserved (sealed)');
      const log = (await h.services.audit.log.size) > 0;
      assert.ok(log, 'bank creation and import were logged');

      // A flag bank lets the message through and opens a detection; an allow-list suppresses it.
      assert.equal((await cs.call('POST', '/staff/v1/banks', { bankId: 'flagged', name: 'flag list', action: 'flag' })).status, 201);
      const small = expected.find((e) => e.file === 'reg-test-input/labelme-subset/q0122.jpg')!;
      await h.app.inject({ method: 'POST', url: '/staff/v1/banks/flagged/import', headers: { cookie: cs.cookie, 'content-type': 'text/csv' }, payload: `hash_type,hash,label\npdq,${small.hash_hex},x\n` });
      const flaggedUp = await upload(readFileSync(new URL('reg-test-input/labelme-subset/q0122.jpg', fixtures)));
      const flaggedSend = await a('POST', `/v1/conversations/${conv}/messages`, { clientMessageId: 'flag1', mediaId: flaggedUp.body.mediaId });
      assert.equal(flaggedSend.status, 200);
      assert.equal((await db.query('SELECT 1 FROM safety_detections WHERE action = $1', ['flag'])).rows.length, 1);
      const unknown = await a('POST', `/v1/conversations/${conv}/messages`, { clientMessageId: 'u1', mediaId: 'md_00000000000000000000000000' });
      assert.equal(unknown.body.error.code, 'media_not_found');
    });
  });
}
