// Non-negotiable 4: hostile input at every route (from the OpenAPI document, so a new route is fuzzed without
// editing this file) gets a 4xx with a stable code, never a 5xx, and changes nothing in the database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { errorStatus } from '../src/http/errors.js';
import type { Queryable } from '../src/storage/index.js';
import { testDrivers } from '../src/storage/testing.js';
import { makeHarness } from './support/harness.js';

async function fingerprint(db: Queryable): Promise<string> {
  const tables = await db.query<{ t: string }>(
    `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const parts: string[] = [];
  for (const { t } of tables.rows) {
    const r = await db.query<{ h: string | null; n: number }>(`SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) AS h, count(*)::int8 AS n FROM ${t} x`);
    parts.push(`${t}:${r.rows[0].n}:${r.rows[0].h}`);
  }
  return parts.join('\n');
}

const hostileStrings = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.constantFrom(
    '\uD800', 'a\uDFFFb', '\u202Eexe.txt', 'z' + '\u0301'.repeat(50), '\u0000', '\u0007bell', '𝕳𝖊𝖑𝖑𝖔', '\uFEFF', '\uFFFF',
    '../../etc/passwd', "' OR 1=1 --", '%00', '__proto__', 'constructor', 'x'.repeat(5000), '{"a":', '[]', 'null', '1e309', '-0',
  ),
);

const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  fc.anything({ withNullPrototype: false, withBigInt: false, withDate: false, withMap: false, withSet: false, withTypedArray: false, withSparseArray: false }),
  fc.dictionary(fc.constantFrom('text', 'clientMessageId', 'members', 'displayName', 'birthYear', 'deviceId', 'a', 'b', 'kind', 'seq', 'emoji', 'dmPolicy', 'userId', 'pointer', 'replyTo', 'title', '__proto__', 'constructor'), fc.oneof(hostileStrings, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(hostileStrings, { maxLength: 3 }), fc.object({ maxDepth: 1 }))),
);

interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  platform: boolean;
}

for (const driver of await testDrivers()) {
  test(`every route refuses hostile input on ${driver.name}`, { skip: driver.skip }, async (t) => {
    const { db, cleanup } = await driver.open();
    const h = await makeHarness(db, { rateLimitPerMinute: 10_000_000 });
    t.after(async () => {
      await h.close();
      await cleanup();
    });
    await h.user('fa', 1990);
    await h.user('fb', 1991);
    await h.relate('fa', 'fb', 'mutual');
    const token = await h.token('fa');
    const fa = h.as(token);
    const conv = await fa('POST', '/v1/conversations', { members: ['fb'] });
    const msg = await fa('POST', `/v1/conversations/${conv.body.id}/messages`, { clientMessageId: 'seed', text: 'seed' });
    await h.services.messaging.idle();

    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const routes: RouteSpec[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        const m = method.toUpperCase() as RouteSpec['method'];
        if (m === 'GET' && !path.includes('{')) continue; // reads without input are covered by the param fuzz below
        routes.push({ method: m, path, platform: path.startsWith('/v1/platform') });
      }
    }
    assert.ok(routes.length >= 15, `found ${routes.length} routes to fuzz`);

    // Path parameters: either hostile strings or well-formed ids that name nothing.
    const paramValue = fc.oneof(
      hostileStrings.map((s) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('').slice(0, 600)),
      fc.constantFrom('cv_00000000000000000000000000', 'm_00000000000000000000000000', 'nobody-here'),
    );
    const fillPath = (path: string, values: string[]) => {
      let i = 0;
      return path.replace(/\{[^}]+\}/g, () => values[i++ % values.length] || 'x');
    };

    const before = await fingerprint(db);
    const failures: string[] = [];
    const check = async (route: RouteSpec, url: string, payload: string | undefined, contentType: string, auth: string) => {
      const res = await h.app.inject({
        method: route.method,
        url,
        headers: { authorization: `Bearer ${auth}`, ...(payload !== undefined ? { 'content-type': contentType } : {}) },
        ...(payload !== undefined ? { payload } : {}),
      });
      const body = res.body ? (JSON.parse(res.body) as { error?: { code?: string } }) : {};
      if (res.statusCode < 400 || res.statusCode >= 500 || typeof body.error?.code !== 'string' || !(body.error.code in errorStatus)) {
        failures.push(`${route.method} ${url.slice(0, 80)} -> ${res.statusCode} ${res.body.slice(0, 120)}`);
      }
    };

    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.array(paramValue, { minLength: 1, maxLength: 3 }),
        fc.oneof(
          hostileJson.map((v) => ({ payload: JSON.stringify(v) ?? 'null', type: 'application/json' })),
          hostileStrings.map((s) => ({ payload: s, type: 'application/json' })),
          hostileStrings.map((s) => ({ payload: s, type: 'text/plain' })),
          fc.constant({ payload: `{"text":"${'a'.repeat(70 * 1024)}"}`, type: 'application/json' }),
        ),
        fc.constantFrom('good', 'bad'),
        async (route, params, body, authKind) => {
          const auth = authKind === 'bad' ? 'garbage' : route.platform ? h.apiKey : token;
          const payload = route.method === 'GET' || route.method === 'DELETE' ? undefined : body.payload;
          await check(route, fillPath(route.path, params), payload, body.type, auth);
        },
      ),
      { numRuns: 400, seed: 20261123 },
    );

    // Well-formed paths that exist, with bodies of the wrong shape or hostile text: validation or domain codes.
    const real = [conv.body.id, msg.body.id];
    const send = routes.find((r) => r.method === 'POST' && r.path === '/v1/conversations/{conversationId}/messages')!;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          hostileJson,
          fc.record({ clientMessageId: fc.constantFrom('fz1', 'fz2'), text: fc.constantFrom('\uD800x', 'a'.repeat(4001), 'b\u0000', 'c' + '\u0300'.repeat(9), '\u2066x', '   ') }),
          fc.record({ clientMessageId: fc.constant('fz3'), text: fc.integer() }),
          fc.record({ clientMessageId: fc.constant('fz4'), pointer: fc.record({ kind: fc.constantFrom('video', 'image'), id: hostileStrings }) }),
        ),
        async (value) => {
          const payload = JSON.stringify(value);
          // A generated body can be valid by chance (e.g. a plausible pointer id): skip those, they would change state.
          const v = value as { pointer?: { kind?: string; id?: string } };
          if (v && typeof v === 'object' && v.pointer?.kind === 'video' && /^[A-Za-z0-9_.:-]{1,128}$/.test(String(v.pointer.id))) return;
          await check(send, fillPath(send.path, real), payload ?? 'null', 'application/json', token);
        },
      ),
      { numRuns: 300, seed: 7 },
    );
    await h.services.messaging.idle();
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} requests were not refused with a 4xx code`);
    assert.equal(await fingerprint(db), before, 'the database is unchanged');
  });
}
