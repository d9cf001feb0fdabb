// Accountable access through the HTTP API, on every driver: the authorization table (roles × grant states →
// status), no content without a valid grant, every denial logged, second approval, user access history with
// inclusion proofs, and "no log entry, no read".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readEntry, verifyInclusion } from '../src/audit/index.js';
import { testDrivers } from '../src/storage/testing.js';
import { bornForAge, makeHarness } from './support/harness.js';

type Caller = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) => Promise<{ status: number; body: any }>;

async function logEntries(h: Awaited<ReturnType<typeof makeHarness>>): Promise<{ type: string; code?: string }[]> {
  await new Promise((r) => setTimeout(r, 5));
  const out = [];
  for (let i = 0; i < h.services.audit.log.size; i++) out.push(JSON.parse((await readEntry(h.db, i)).toString('utf8')));
  return out;
}

for (const driver of await testDrivers()) {
  test(`accountable access on ${driver.name}`, { skip: driver.skip }, async (t) => {
    const { db, cleanup } = await driver.open();
    const h = await makeHarness(db);
    t.after(async () => {
      await h.close();
      await cleanup();
    });

    await h.user('ax', bornForAge(30));
    await h.user('ay', bornForAge(33));
    await h.user('mz', bornForAge(16));
    await h.relate('ax', 'ay', 'mutual');
    await h.relate('ax', 'mz', 'mutual');
    const ax = h.as(await h.token('ax'));
    const adults = (await ax('POST', '/v1/conversations', { members: ['ay'] })).body.id;
    const withMinor = (await ax('POST', '/v1/conversations', { members: ['mz'] })).body.id;
    for (let i = 1; i <= 10; i++) assert.equal((await ax('POST', `/v1/conversations/${adults}/messages`, { clientMessageId: `a${i}`, text: `adult msg ${i}` })).status, 200);
    for (let i = 1; i <= 5; i++) assert.equal((await ax('POST', `/v1/conversations/${withMinor}/messages`, { clientMessageId: `m${i}`, text: `minor msg ${i}` })).status, 200);

    const roles = ['moderator', 'senior_moderator', 'child_safety', 'legal', 'auditor', 'admin'] as const;
    const staff: Record<string, { staffId: string; call: Caller }> = {};
    for (const r of roles) staff[r] = await h.staff(r.replace('_', '-'), [r]);

    const kase = await staff.senior_moderator.call('POST', '/staff/v1/cases', { subjectUserId: 'ax', reported: { conversationId: adults, fromSeq: 3, toSeq: 5, reportedBy: 'ay' } });
    assert.equal(kase.status, 201);
    const caseId = kase.body.caseId as string;

    await t.test('staff routes need a session', async () => {
      for (const [m, url] of [['GET', '/staff/v1/me'], ['POST', '/staff/v1/grants'], ['GET', `/staff/v1/cases/${caseId}`], ['GET', '/staff/v1/policies']] as const) {
        const res = await h.app.inject({ method: m, url, payload: m === 'POST' ? {} : undefined });
        assert.equal(res.statusCode, 401, url);
        assert.equal(JSON.parse(res.body).error.code, 'invalid_session');
      }
    });

    const grants: Record<string, string> = {};
    await t.test('who may request a case-review grant covered by the report', async () => {
      const expected: Record<string, [number, string | null]> = {
        moderator: [201, 'active'], senior_moderator: [201, 'active'], child_safety: [201, 'active'],
        legal: [403, null], auditor: [403, null], admin: [403, null],
      };
      for (const r of roles) {
        const before = (await logEntries(h)).length;
        const res = await staff[r].call('POST', '/staff/v1/grants', { purpose: 'case_review', caseId, justification: 'reviewing the report', conversationIds: [adults], fromSeq: 1, toSeq: 10 });
        assert.equal(res.status, expected[r][0], r);
        if (res.status === 201) {
          assert.equal(res.body.status, expected[r][1], r);
          assert.equal(res.body.coveredByReport, true);
          grants[r] = res.body.grantId;
        } else {
          assert.equal(res.body.error.code, 'grant_denied');
        }
        const after = await logEntries(h);
        assert.ok(after.length > before, `${r}: the request or its denial is logged`);
        assert.equal(after[after.length - 1].type, res.status === 201 ? 'grant.requested' : 'grant.denied');
      }
    });

    await t.test('grant states × use: only the holder, in scope, active, unexpired, unrevoked reads', async () => {
      const g = grants.moderator;
      const read = (who: string, body: unknown, grantId = g) => staff[who].call('POST', `/staff/v1/grants/${grantId}/read`, body);
      const ok = await read('moderator', { conversationId: adults, fromSeq: 2, toSeq: 4 });
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body.messages.map((m: { text: string }) => m.text), ['adult msg 2', 'adult msg 3', 'adult msg 4']);
      const cases: [string, string, unknown, string, number, string][] = [
        ['no grant', 'moderator', { conversationId: adults }, 'gr_00000000000000000000000000', 404, 'grant_not_found'],
        ['wrong conversation', 'moderator', { conversationId: withMinor }, g, 403, 'grant_out_of_scope'],
        ['range beyond scope', 'moderator', { conversationId: adults, fromSeq: 5, toSeq: 11 }, g, 403, 'grant_out_of_scope'],
        ['someone else\'s grant', 'senior_moderator', { conversationId: adults }, g, 403, 'not_grant_holder'],
        ['auditor with a grant id', 'auditor', { conversationId: adults }, g, 403, 'not_grant_holder'],
        ['admin with a grant id', 'admin', { conversationId: adults }, g, 403, 'not_grant_holder'],
      ];
      for (const [name, who, body, grantId, status, code] of cases) {
        const before = (await logEntries(h)).length;
        const res = await read(who, body, grantId);
        assert.equal(res.status, status, name);
        assert.equal(res.body.error.code, code, name);
        assert.equal(res.body.messages, undefined, `${name}: no content`);
        const after = await logEntries(h);
        assert.equal(after.length, before + 1, `${name}: the refusal is logged`);
        assert.equal(after[after.length - 1].type, 'grant.use_denied');
        assert.equal(after[after.length - 1].code, code);
      }
      // Expired: move the expiry into the past.
      await db.query(`UPDATE access_grants SET expires_at = now() - interval '1 minute' WHERE grant_id = $1`, [grants.child_safety]);
      const expired = await read('child_safety', { conversationId: adults }, grants.child_safety);
      assert.equal(expired.status, 403);
      assert.equal(expired.body.error.code, 'grant_expired');
      // Revoked.
      assert.equal((await staff.senior_moderator.call('POST', `/staff/v1/grants/${grants.senior_moderator}/revoke`, { reason: 'no longer needed' })).status, 200);
      const revoked = await read('senior_moderator', { conversationId: adults }, grants.senior_moderator);
      assert.equal(revoked.status, 403);
      assert.equal(revoked.body.error.code, 'grant_revoked');
    });

    await t.test('a minor\'s conversation outside a report needs a second approval, never one\'s own', async () => {
      const req = await staff.child_safety.call('POST', '/staff/v1/grants', { purpose: 'child_safety_investigation', caseId, justification: 'pattern check with the minor', conversationIds: [withMinor] });
      assert.equal(req.status, 201);
      assert.equal(req.body.status, 'pending');
      assert.equal(req.body.needsApproval, true);
      const id = req.body.grantId;
      const unapproved = await staff.child_safety.call('POST', `/staff/v1/grants/${id}/read`, { conversationId: withMinor });
      assert.equal(unapproved.status, 403);
      assert.equal(unapproved.body.error.code, 'grant_not_approved');
      for (const who of ['child_safety', 'moderator', 'auditor', 'admin', 'legal']) {
        const res = await staff[who].call('POST', `/staff/v1/grants/${id}/approve`, {});
        assert.equal(res.status, 403, who);
        assert.equal(res.body.error.code, 'approval_denied', who);
      }
      const approved = await staff.senior_moderator.call('POST', `/staff/v1/grants/${id}/approve`, {});
      assert.equal(approved.status, 200);
      assert.equal(approved.body.status, 'active');
      const read = await staff.child_safety.call('POST', `/staff/v1/grants/${id}/read`, { conversationId: withMinor });
      assert.equal(read.status, 200);
      assert.equal(read.body.messages.length, 5);
      const types = (await logEntries(h)).map((e) => e.type);
      assert.ok(types.includes('grant.approved') && types.includes('grant.approval_denied'));
    });

    await t.test('scopes over 500 messages need approval', async () => {
      for (let i = 11; i <= 505; i++) await ax('POST', `/v1/conversations/${adults}/messages`, { clientMessageId: `b${i}`, text: `bulk ${i}` });
      const big = await staff.moderator.call('POST', '/staff/v1/grants', { purpose: 'case_review', caseId, justification: 'the whole conversation', conversationIds: [adults] });
      assert.equal(big.status, 201);
      assert.equal(big.body.messageCount, 505);
      assert.equal(big.body.status, 'pending');
    });

    await t.test('every non-grant staff route × every role → status, and every refusal logged', async () => {
      const minorCase = await staff.child_safety.call('POST', '/staff/v1/cases', { subjectUserId: 'mz' });
      assert.equal(minorCase.status, 201);
      const R = roles;
      const allow = (...who: string[]) => Object.fromEntries(R.map((r) => [r, who.includes(r)])) as Record<string, boolean>;
      const table: { name: string; method: 'GET' | 'POST'; url: string; body?: unknown; okStatus: number; allowed: Record<string, boolean> }[] = [
        { name: 'view adult case', method: 'GET', url: `/staff/v1/cases/${caseId}`, okStatus: 200, allowed: allow('moderator', 'senior_moderator', 'child_safety', 'legal', 'auditor') },
        { name: 'view minor case', method: 'GET', url: `/staff/v1/cases/${minorCase.body.caseId}`, okStatus: 200, allowed: allow('senior_moderator', 'child_safety', 'legal', 'auditor') },
        { name: 'open proactive case', method: 'POST', url: '/staff/v1/cases', body: { subjectUserId: 'ay' }, okStatus: 201, allowed: allow('senior_moderator', 'child_safety', 'legal') },
        { name: 'open reported case', method: 'POST', url: '/staff/v1/cases', body: { subjectUserId: 'ay', reported: { conversationId: adults, fromSeq: 1, toSeq: 2, reportedBy: 'ax' } }, okStatus: 201, allowed: allow('moderator', 'senior_moderator', 'child_safety', 'legal') },
        { name: 'view policies', method: 'GET', url: '/staff/v1/policies', okStatus: 200, allowed: allow('auditor', 'admin') },
        { name: 'view hash banks', method: 'GET', url: '/staff/v1/banks', okStatus: 200, allowed: allow('senior_moderator', 'child_safety', 'auditor', 'admin') },
        { name: 'who am I', method: 'GET', url: '/staff/v1/me', okStatus: 200, allowed: allow(...R) },
      ];
      for (const row of table) {
        for (const r of R) {
          const before = (await logEntries(h)).length;
          const res = await staff[r].call(row.method, row.url, row.body);
          if (row.allowed[r]) {
            assert.equal(res.status, row.okStatus, `${row.name} as ${r}`);
          } else {
            assert.equal(res.status, 403, `${row.name} as ${r}`);
            assert.equal(res.body.error.code, 'action_denied');
            const after = await logEntries(h);
            assert.equal(after.length, before + 1, `${row.name} as ${r}: the refusal is logged`);
            assert.equal(after[after.length - 1].type, 'staff.action_denied');
          }
        }
      }
    });

    await t.test('policies: admins change them (logged), others cannot', async () => {
      const view = await staff.auditor.call('GET', '/staff/v1/policies');
      assert.equal(view.status, 200);
      assert.equal((await staff.moderator.call('GET', '/staff/v1/policies')).body.error.code, 'action_denied');
      const denied = await staff.moderator.call('PUT', '/staff/v1/policies', { text: view.body.text, reason: 'try' });
      assert.equal(denied.body.error.code, 'action_denied');
      const bad = await staff.admin.call('PUT', '/staff/v1/policies', { text: 'permit(principal, action, resource) oops', reason: 'broken' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'invalid_policy');
      const ok = await staff.admin.call('PUT', '/staff/v1/policies', { text: `${view.body.text}\n`, reason: 'whitespace change for the test' });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.version, view.body.version + 1);
      const last = (await logEntries(h)).filter((e) => e.type === 'policy.changed');
      assert.equal(last.length, 1);
    });

    await t.test('users see reads of their messages with proofs that verify', async () => {
      const res = await ax('GET', '/v1/me/access-log');
      assert.equal(res.status, 200);
      assert.ok(res.body.reads.length >= 2);
      const rootLine = res.body.checkpoint.split('\n')[2];
      const root = Buffer.from(rootLine, 'base64');
      for (const read of res.body.reads) {
        assert.ok(['moderator', 'child_safety'].includes(read.staffRole));
        const entry = JSON.parse(read.entry);
        assert.equal(entry.type, 'content.read');
        // As a whole token: random ids and pseudonyms may contain the letters "ax" inside a longer run.
        assert.ok(!/(^|[^A-Za-z0-9])ax([^A-Za-z0-9]|$)/.test(read.entry), 'the entry names no user id');
        const leaf = createHash('sha256').update(Buffer.concat([Buffer.from([0]), Buffer.from(read.entry, 'utf8')])).digest();
        assert.doesNotThrow(() => verifyInclusion(read.logIndex, res.body.treeSize, leaf, read.inclusionProof.map((p: string) => Buffer.from(p, 'base64')), root));
        assert.throws(() => verifyInclusion(read.logIndex, res.body.treeSize, createHash('sha256').update('forged').digest(), read.inclusionProof.map((p: string) => Buffer.from(p, 'base64')), root));
      }
      const ay = await h.as(await h.token('ay'))('GET', '/v1/me/access-log');
      assert.equal(ay.body.reads.length, 1, 'ay is in the adult conversation only');
    });

    await t.test('no log entry, no read: when the log refuses appends, reads fail without content', async () => {
      const fresh = await staff.moderator.call('POST', '/staff/v1/grants', { purpose: 'case_review', caseId, justification: 'last check', conversationIds: [adults], fromSeq: 1, toSeq: 3 });
      assert.equal(fresh.status, 201);
      await h.services.audit.log.close();
      const res = await staff.moderator.call('POST', `/staff/v1/grants/${fresh.body.grantId}/read`, { conversationId: adults });
      assert.ok(res.status >= 500, `status ${res.status}`);
      assert.equal(res.body.messages, undefined);
      assert.ok(!JSON.stringify(res.body).includes('adult msg'));
    });
  });
}
