// Staff sign-in: argon2id + TOTP, one use per code, lockout after repeated failures whichever factor failed,
// sessions that end on logout, and nothing stored that would let a database reader sign in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryKeyring } from '../crypto/index.js';
import { runMigrations } from '../storage/index.js';
import { testDrivers } from '../storage/testing.js';
import { identityMigrations } from './migrations.js';
import { createStaff, loginStaff, logoutStaff, MAX_FAILED_LOGINS, staffForSession, totpCode } from './staff.js';

for (const driver of await testDrivers()) {
  test(`staff accounts on ${driver.name}`, { skip: driver.skip }, async (t) => {
    const { db, cleanup } = await driver.open();
    t.after(cleanup);
    await runMigrations(db, identityMigrations);
    const keyring = memoryKeyring();
    const made = await createStaff(db, keyring, { username: 'mod.one', roles: ['moderator'] });
    assert.match(made.totpUri, /^otpauth:\/\/totp\//);
    await assert.rejects(createStaff(db, keyring, { username: 'mod.one', roles: ['moderator'] }), { code: 'username_taken' });
    await assert.rejects(createStaff(db, keyring, { username: 'x.y', roles: ['overlord'] }), { code: 'invalid_role' });

    const row = (await db.query<Record<string, unknown>>('SELECT * FROM ident_staff')).rows[0];
    assert.ok(!JSON.stringify(row).includes(made.password), 'the password is not stored');
    assert.ok(!JSON.stringify(row).includes(made.totpSecret), 'the TOTP secret is not stored bare');
    assert.match(String(row.password_hash), /^\$argon2id\$/);

    const t0 = new Date('2026-11-23T10:00:00Z');
    const ok = await loginStaff(db, keyring, { username: 'mod.one', password: made.password, totp: totpCode(made.totpSecret, t0.getTime()) }, t0);
    assert.equal(ok.ok, true);
    if (!ok.ok) return;
    assert.equal((await staffForSession(db, ok.sessionToken, t0)).username, 'mod.one');
    const sessions = (await db.query<Record<string, unknown>>('SELECT * FROM ident_staff_sessions')).rows;
    assert.ok(!JSON.stringify(sessions).includes(ok.sessionToken), 'sessions are stored hashed');

    const replay = await loginStaff(db, keyring, { username: 'mod.one', password: made.password, totp: totpCode(made.totpSecret, t0.getTime()) }, t0);
    assert.equal(replay.ok, false, 'a TOTP code works once');

    await logoutStaff(db, ok.sessionToken);
    await assert.rejects(staffForSession(db, ok.sessionToken, t0), { code: 'invalid_session' });
    await assert.rejects(staffForSession(db, 'garbage', t0), { code: 'invalid_session' });

    const t1 = new Date(t0.getTime() + 120_000);
    const outcomes = [];
    for (let i = 0; i < MAX_FAILED_LOGINS; i++) {
      outcomes.push(await loginStaff(db, keyring, { username: 'mod.one', password: i % 2 ? 'wrong password!' : made.password, totp: '000000' }, t1));
    }
    // The replayed code above was the first failure, so the fifth failure is the fourth attempt here.
    assert.deepEqual(outcomes.map((o) => (o.ok ? 'ok' : o.code)), ['invalid_login', 'invalid_login', 'invalid_login', 'account_locked', 'account_locked']);
    const locked = await loginStaff(db, keyring, { username: 'mod.one', password: made.password, totp: totpCode(made.totpSecret, t1.getTime()) }, t1);
    assert.equal(locked.ok, false);
    assert.equal(!locked.ok && locked.code, 'account_locked', 'correct credentials are refused while locked');
    const t2 = new Date(t1.getTime() + 16 * 60_000);
    const after = await loginStaff(db, keyring, { username: 'mod.one', password: made.password, totp: totpCode(made.totpSecret, t2.getTime()) }, t2);
    assert.equal(after.ok, true, 'the lock expires');
    const unknown = await loginStaff(db, keyring, { username: 'nobody', password: 'x', totp: '123456' }, t2);
    assert.equal(!unknown.ok && unknown.code, 'invalid_login');
  });
}
