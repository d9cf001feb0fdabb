// Staff accounts and sessions: argon2id passwords, RFC 6238 TOTP, lockout after repeated failures, sessions as
// opaque cookies stored hashed. Roles are data here; what a role may do is decided by access's Cedar policies.
import { hash as argonHash, verify as argonVerify, Algorithm } from '@node-rs/argon2';
import * as OTPAuth from 'otpauth';
import { aadOf, hashSecret, open, randomId, randomToken, seal, type Keyring } from '../crypto/index.js';
import { DomainError } from '../errors.js';
import type { Queryable } from '../storage/index.js';

export const STAFF_ROLES = ['moderator', 'senior_moderator', 'child_safety', 'legal', 'auditor', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export const StaffErrors = {
  invalidLogin: 'invalid_login',
  accountLocked: 'account_locked',
  invalidSession: 'invalid_session',
  invalidRole: 'invalid_role',
  usernameTaken: 'username_taken',
  weakPassword: 'weak_password',
  staffNotFound: 'staff_not_found',
} as const;

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * 60 * 1000;
export const SESSION_MS = 8 * 60 * 60 * 1000;

export interface Staff {
  staffId: string;
  username: string;
  displayName: string;
  roles: StaffRole[];
  active: boolean;
}

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,63}$/;

function totpFor(secretBase32: string, username: string) {
  return new OTPAuth.TOTP({ issuer: 'Custodian', label: username, secret: OTPAuth.Secret.fromBase32(secretBase32), algorithm: 'SHA1', digits: 6, period: 30 });
}

function sealTotp(keyring: Keyring, staffId: string, secretBase32: string) {
  return seal(keyring.secret('staff-totp'), Buffer.from(secretBase32, 'utf8'), aadOf('totp.v1', staffId));
}

function openTotp(keyring: Keyring, staffId: string, sealed: Uint8Array) {
  return open(keyring.secret('staff-totp'), sealed, aadOf('totp.v1', staffId)).toString('utf8');
}

export async function createStaff(
  db: Queryable,
  keyring: Keyring,
  input: { username: string; displayName?: string; roles: string[]; password?: string },
): Promise<{ staff: Staff; password: string; totpSecret: string; totpUri: string }> {
  if (!USERNAME.test(input.username)) throw new DomainError(StaffErrors.invalidLogin, 'username must be 2-64 characters of a-z 0-9 . _ -');
  if (input.roles.length === 0 || input.roles.some((r) => !(STAFF_ROLES as readonly string[]).includes(r))) {
    throw new DomainError(StaffErrors.invalidRole, `roles must be among ${STAFF_ROLES.join(', ')}`);
  }
  const password = input.password ?? randomToken(18);
  if (password.length < 12) throw new DomainError(StaffErrors.weakPassword, 'passwords have at least 12 characters');
  const staffId = randomId('st');
  const secret = new OTPAuth.Secret({ size: 20 }).base32;
  const passwordHash = await argonHash(password, { algorithm: Algorithm.Argon2id });
  try {
    await db.query(
      `INSERT INTO ident_staff (staff_id, username, display_name, roles, password_hash, totp_sealed) VALUES ($1, $2, $3, $4, $5, $6)`,
      [staffId, input.username, input.displayName ?? input.username, input.roles, passwordHash, sealTotp(keyring, staffId, secret)],
    );
  } catch (err) {
    if ((err as { code?: string }).code === '23505') throw new DomainError(StaffErrors.usernameTaken, 'that username is taken');
    throw err;
  }
  return {
    staff: { staffId, username: input.username, displayName: input.displayName ?? input.username, roles: input.roles as StaffRole[], active: true },
    password,
    totpSecret: secret,
    totpUri: totpFor(secret, input.username).toString(),
  };
}

/** The current TOTP code for a secret (the demo and tests log in with it). */
export function totpCode(secretBase32: string, at = Date.now()): string {
  return totpFor(secretBase32, 'x').generate({ timestamp: at });
}

interface StaffRow {
  staff_id: string;
  username: string;
  display_name: string;
  roles: StaffRole[];
  password_hash: string;
  totp_sealed: Uint8Array;
  totp_last_step: number;
  active: boolean;
  failed_attempts: number;
  locked_until: Date | null;
}

function toStaff(r: StaffRow): Staff {
  return { staffId: r.staff_id, username: r.username, displayName: r.display_name, roles: r.roles, active: r.active };
}

export type LoginOutcome =
  | { ok: true; staff: Staff; sessionToken: string; expiresAt: Date }
  | { ok: false; code: 'invalid_login' | 'account_locked'; staffId: string | null; lockedNow: boolean };

/**
 * Checks password and TOTP. Failures count towards a lockout whichever factor failed, and the answer does not say
 * which one was wrong. A locked account is refused even with correct credentials until the lock expires.
 */
export async function loginStaff(db: Queryable, keyring: Keyring, input: { username: string; password: string; totp: string }, now = new Date()): Promise<LoginOutcome> {
  const r = await db.query<StaffRow>('SELECT * FROM ident_staff WHERE username = $1', [input.username]);
  const row = r.rows[0];
  if (!row) {
    // Spend comparable time on unknown usernames so timing does not reveal which exist.
    await argonVerify('$argon2id$v=19$m=19456,t=2,p=1$DmfgC9+DfYq64O3qCBGgAQ$mYEem5nkK9pKKC9s933sCdSAU/B4mtmz1Ea1lpAOPUg', input.password).catch(() => false);
    return { ok: false, code: 'invalid_login', staffId: null, lockedNow: false };
  }
  if (row.locked_until && row.locked_until > now) return { ok: false, code: 'account_locked', staffId: row.staff_id, lockedNow: false };
  const passwordOk = await argonVerify(row.password_hash, input.password).catch(() => false);
  let step = -1;
  if (passwordOk && /^\d{6}$/.test(input.totp)) {
    const totp = totpFor(openTotp(keyring, row.staff_id, row.totp_sealed), row.username);
    const delta = totp.validate({ token: input.totp, timestamp: now.getTime(), window: 1 });
    if (delta !== null) step = Math.floor(now.getTime() / 30_000) + delta;
  }
  if (!passwordOk || step < 0 || step <= row.totp_last_step || !row.active) {
    const failures = row.failed_attempts + 1;
    const lock = failures >= MAX_FAILED_LOGINS;
    await db.query('UPDATE ident_staff SET failed_attempts = $2, locked_until = $3 WHERE staff_id = $1', [
      row.staff_id,
      lock ? 0 : failures,
      lock ? new Date(now.getTime() + LOCKOUT_MS) : row.locked_until,
    ]);
    return { ok: false, code: lock ? 'account_locked' : 'invalid_login', staffId: row.staff_id, lockedNow: lock };
  }
  await db.query('UPDATE ident_staff SET failed_attempts = 0, locked_until = NULL, totp_last_step = $2 WHERE staff_id = $1', [row.staff_id, step]);
  const sessionToken = randomToken(32);
  const expiresAt = new Date(now.getTime() + SESSION_MS);
  await db.query('INSERT INTO ident_staff_sessions (session_hash, staff_id, expires_at) VALUES ($1, $2, $3)', [hashSecret(sessionToken), row.staff_id, expiresAt]);
  return { ok: true, staff: toStaff(row), sessionToken, expiresAt };
}

export async function staffForSession(db: Queryable, sessionToken: string, now = new Date()): Promise<Staff> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(sessionToken)) throw new DomainError(StaffErrors.invalidSession, 'sign in again');
  const r = await db.query<StaffRow>(
    `SELECT s.* FROM ident_staff_sessions x JOIN ident_staff s ON s.staff_id = x.staff_id
     WHERE x.session_hash = $1 AND x.revoked_at IS NULL AND x.expires_at > $2 AND s.active`,
    [hashSecret(sessionToken), now],
  );
  if (!r.rows[0]) throw new DomainError(StaffErrors.invalidSession, 'sign in again');
  return toStaff(r.rows[0]);
}

export async function logoutStaff(db: Queryable, sessionToken: string) {
  await db.query('UPDATE ident_staff_sessions SET revoked_at = now() WHERE session_hash = $1', [hashSecret(sessionToken)]);
}

export async function getStaff(db: Queryable, staffId: string): Promise<Staff> {
  const r = await db.query<StaffRow>('SELECT * FROM ident_staff WHERE staff_id = $1', [staffId]);
  if (!r.rows[0]) throw new DomainError(StaffErrors.staffNotFound, 'staff member not found');
  return toStaff(r.rows[0]);
}

export async function listStaff(db: Queryable): Promise<Staff[]> {
  const r = await db.query<StaffRow>('SELECT * FROM ident_staff ORDER BY username');
  return r.rows.map(toStaff);
}
