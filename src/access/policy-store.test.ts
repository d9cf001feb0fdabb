import assert from 'node:assert/strict';
import test from 'node:test';
import { isDomainError } from '../errors.js';
import { runMigrations } from '../storage/index.js';
import { testDrivers } from '../storage/testing.js';
import { authorize, defaultPolicyText, sha256Hex } from './policy.js';
import {
  accessPolicyMigrations,
  changePolicies,
  getPolicyVersion,
  listPolicyVersions,
  loadCurrentPolicies,
  type PolicyChange,
} from './policy-store.js';

/** The default set with the bulk threshold lowered, so the change is visible in decisions. */
const stricterText = defaultPolicyText().replace('resource.scopeMessageCount > 500 };', 'resource.scopeMessageCount > 100 };');

const issue200 = {
  principal: { staffId: 'alice', roles: ['moderator' as const], active: true },
  action: 'issueWithoutApproval' as const,
  resource: {
    type: 'Grant' as const,
    grantId: 'g',
    requestedBy: 'alice',
    purpose: 'case_review' as const,
    caseId: 'c',
    legalRequestId: null,
    scopeMessageCount: 200,
    subjectIsMinor: false,
    coveredByReport: true,
    approvals: [],
    needsApproval: false,
  },
};

const hasCode = (code: string) => (err: unknown) => isDomainError(err) && err.code === code;

for (const driver of await testDrivers()) {
  test(`policy store seeds, versions and logs changes (${driver.name})`, { skip: driver.skip }, async (t) => {
    const { db, cleanup } = await driver.open();
    t.after(cleanup);
    await runMigrations(db, accessPolicyMigrations);
    assert.notEqual(stricterText, defaultPolicyText());

    // Seeding: concurrent first loads store version 1 once.
    const [first, second] = await Promise.all([loadCurrentPolicies(db), loadCurrentPolicies(db)]);
    assert.equal(first.version, 1);
    assert.equal(second.version, 1);
    assert.equal(first.text, defaultPolicyText());
    assert.equal(first.compiled.sha256, sha256Hex(defaultPolicyText()));
    assert.equal(authorize(first.compiled, issue200).allowed, true);
    const seeded = await listPolicyVersions(db);
    assert.equal(seeded.length, 1);
    assert.equal(seeded[0].changedBy, 'system');
    assert.ok(seeded[0].createdAt instanceof Date && !Number.isNaN(seeded[0].createdAt.getTime()));

    // A change is reported before it is stored, with both hashes.
    const logged: PolicyChange[] = [];
    const changed = await changePolicies(db, { text: stricterText, changedBy: 'admin-1', reason: 'tighten bulk reads', baseVersion: 1 }, async (change) => {
      assert.equal((await loadCurrentPolicies(db)).version, 1, 'not yet visible when logged');
      logged.push(change);
    });
    assert.equal(changed.version, 2);
    assert.deepEqual(logged, [
      { version: 2, sha256: sha256Hex(stricterText), previousSha256: first.compiled.sha256, changedBy: 'admin-1', reason: 'tighten bulk reads' },
    ]);
    const now = await loadCurrentPolicies(db);
    assert.equal(now.version, 2);
    assert.equal(now.text, stricterText);
    assert.equal(authorize(now.compiled, issue200).allowed, false);

    // A throwing onChanged (audit append failed) leaves the version unchanged.
    await assert.rejects(
      changePolicies(db, { text: defaultPolicyText(), changedBy: 'admin-1', reason: 'revert' }, async () => {
        throw new Error('audit log unavailable');
      }),
      /audit log unavailable/,
    );
    assert.equal((await loadCurrentPolicies(db)).version, 2);

    // onChanged may use its own transaction on the same Db (the audit log does) without deadlocking.
    const v3 = await changePolicies(db, { text: defaultPolicyText(), changedBy: 'admin-2', reason: 'revert' }, async () => {
      await db.tx(async (tx) => {
        await tx.query('SELECT 1');
      });
    });
    assert.equal(v3.version, 3);

    // Invalid text, a lock-out, missing reason and a stale base version are refused before onChanged.
    let calls = 0;
    const count = async () => {
      calls += 1;
    };
    await assert.rejects(changePolicies(db, { text: 'permit (principal, action, resource', changedBy: 'a', reason: 'r' }, count), hasCode('invalid_policy'));
    await assert.rejects(
      changePolicies(db, { text: '@id("only") permit (principal, action == Custodian::Action::"viewPolicy", resource);', changedBy: 'a', reason: 'r' }, count),
      (err: unknown) => hasCode('invalid_policy')(err) && /admin/.test((err as Error).message),
    );
    await assert.rejects(changePolicies(db, { text: stricterText, changedBy: 'a', reason: ' ' }, count), hasCode('invalid_policy_change'));
    await assert.rejects(changePolicies(db, { text: stricterText, changedBy: '', reason: 'r' }, count), hasCode('invalid_policy_change'));
    await assert.rejects(changePolicies(db, { text: stricterText, changedBy: 'a', reason: 'r', baseVersion: 2 }, count), hasCode('policy_version_conflict'));
    assert.equal(calls, 0);

    const versions = await listPolicyVersions(db);
    assert.deepEqual(versions.map((v) => [v.version, v.changedBy, v.reason]), [
      [3, 'admin-2', 'revert'],
      [2, 'admin-1', 'tighten bulk reads'],
      [1, 'system', 'default policy set'],
    ]);
    assert.equal((await getPolicyVersion(db, 2))?.text, stricterText);
    assert.equal(await getPolicyVersion(db, 99), null);

    // History is append-only.
    await assert.rejects(db.query("UPDATE access_policy_versions SET reason = 'x' WHERE version = 1"), /append-only/);
    await assert.rejects(db.query('DELETE FROM access_policy_versions WHERE version = 2'), /append-only/);
  });

  test(`concurrent changes: one wins, the other gets policy_version_conflict (${driver.name})`, { skip: driver.skip }, async (t) => {
    const { db, cleanup } = await driver.open();
    t.after(cleanup);
    await runMigrations(db, accessPolicyMigrations);
    await loadCurrentPolicies(db);
    // Both read version 1 before either inserts: hold each onChanged until both have been called.
    let release!: () => void;
    const bothLogged = new Promise<void>((resolve) => (release = resolve));
    let logged = 0;
    const onChanged = async () => {
      logged += 1;
      if (logged === 2) release();
      await bothLogged;
    };
    const results = await Promise.allSettled([
      changePolicies(db, { text: stricterText, changedBy: 'a', reason: 'one' }, onChanged),
      changePolicies(db, { text: defaultPolicyText() + '\n', changedBy: 'b', reason: 'two' }, onChanged),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.ok(hasCode('policy_version_conflict')(rejected.reason));
    assert.equal((await loadCurrentPolicies(db)).version, 2);
  });
}
