/**
 * identity: platform API keys, users (age band, region), the platform's follow graph, devices, user tokens.
 * Owns: ident_* tables. Exposes: ensureFirstPlatformKey, createPlatformKey, authenticatePlatform, upsertUser,
 *   getUsers, setRelationship, getRelationship, issueUserToken, authenticateUser, identityMigrations.
 * May import: storage, crypto, config, errors.
 * Never: store an API key in plaintext; accept an under-13 account; trust a token without checking alg/aud.
 */
import type { Config } from '../config/index.js';
import { hashSecret, randomId, randomToken, type Keyring } from '../crypto/index.js';
import { DomainError } from '../errors.js';
import type { Db, Queryable } from '../storage/index.js';
import { ageBandFor, type AgeBand } from './age.js';
import { IdentityErrors } from './errors.js';
import * as store from './store.js';
import { mintUserToken, verifyUserToken, type UserTokenClaims } from './tokens.js';

export { identityMigrations } from './migrations.js';
export { IdentityErrors } from './errors.js';
export { ageBandFor, isMinorBand, type AgeBand } from './age.js';
export type { UserRow } from './store.js';
export type { UserTokenClaims } from './tokens.js';

export interface IdentityDeps {
  db: Db;
  keyring: Keyring;
  config: Config;
}

export const USER_ID_PATTERN = '^[A-Za-z0-9_.:@-]{1,128}$';
const userIdRe = new RegExp(USER_ID_PATTERN);
const regionRe = /^[a-z][a-z0-9-]{0,31}$/;

export function assertUserId(userId: string) {
  if (!userIdRe.test(userId)) throw new DomainError(IdentityErrors.invalidUserId, 'user id must be 1-128 characters of A-Z a-z 0-9 _ . : @ -');
}

/** Creates a platform API key and returns the secret once; only its hash is stored. */
export async function createPlatformKey(db: Queryable, label: string): Promise<{ keyId: string; apiKey: string }> {
  const keyId = randomId('pk');
  const apiKey = `ck_${randomToken(32)}`;
  await store.insertPlatformKey(db, keyId, hashSecret(apiKey), label);
  return { keyId, apiKey };
}

/** On a fresh install, creates the first platform key; returns it, or null when keys already exist. */
export async function ensureFirstPlatformKey(db: Db) {
  if ((await store.countPlatformKeys(db)) > 0) return null;
  return createPlatformKey(db, 'first key (created at first start)');
}

export async function authenticatePlatform(db: Queryable, apiKey: string): Promise<{ keyId: string }> {
  if (!apiKey.startsWith('ck_') || apiKey.length > 200) throw new DomainError(IdentityErrors.invalidApiKey, 'API key is not valid');
  const found = await store.findPlatformKeyByHash(db, hashSecret(apiKey));
  if (!found) throw new DomainError(IdentityErrors.invalidApiKey, 'API key is not valid');
  return { keyId: found.keyId };
}

export interface UpsertUserInput {
  userId: string;
  displayName: string;
  birthYear?: number;
  ageBand?: Exclude<AgeBand, 'under13'>;
  region?: string;
}

export async function upsertUser(deps: IdentityDeps, input: UpsertUserInput, now = new Date()) {
  assertUserId(input.userId);
  let band: AgeBand;
  if (input.birthYear !== undefined) {
    const year = now.getUTCFullYear();
    if (!Number.isInteger(input.birthYear) || input.birthYear < year - 130 || input.birthYear > year) {
      throw new DomainError(IdentityErrors.invalidBirthYear, 'birthYear must be a plausible year');
    }
    band = ageBandFor(input.birthYear, now);
  } else if (input.ageBand !== undefined) {
    band = input.ageBand;
  } else {
    throw new DomainError(IdentityErrors.invalidBirthYear, 'birthYear or ageBand is required');
  }
  if (band === 'under13') throw new DomainError(IdentityErrors.ageNotAllowed, 'accounts under 13 cannot use messaging');
  const region = input.region ?? deps.config.defaultRegion;
  if (!regionRe.test(region)) throw new DomainError(IdentityErrors.invalidRegion, 'region must be a short lowercase id');
  return store.upsertUserRow(deps.db, {
    userId: input.userId,
    displayName: input.displayName,
    birthYear: input.birthYear ?? null,
    ageBand: band,
    region,
  });
}

export async function getUsers(db: Queryable, userIds: string[]) {
  return store.selectUsers(db, [...new Set(userIds)]);
}

export async function getUser(db: Queryable, userId: string) {
  const [user] = await store.selectUsers(db, [userId]);
  if (!user) throw new DomainError(IdentityErrors.userNotFound, 'user not found');
  return user;
}

export type RelationshipKind = 'mutual' | 'follows' | 'none';

/**
 * Records the platform's view of a pair: `mutual` (each follows the other), `follows` (a follows b, b does not
 * follow a) or `none`. The platform owns its graph; we keep only the hint DM rules need.
 */
export async function setRelationship(db: Db, a: string, b: string, kind: RelationshipKind) {
  assertUserId(a);
  assertUserId(b);
  if (a === b) throw new DomainError(IdentityErrors.invalidRelationship, 'a and b must differ');
  const users = await getUsers(db, [a, b]);
  if (users.length !== 2) throw new DomainError(IdentityErrors.userNotFound, 'both users must exist');
  await db.tx(async (tx) => {
    await store.setFollow(tx, a, b, kind !== 'none');
    await store.setFollow(tx, b, a, kind === 'mutual');
  });
  return getRelationship(db, a, b);
}

export async function getRelationship(db: Queryable, a: string, b: string) {
  const f = await store.selectFollows(db, a, b);
  const kind: RelationshipKind = f.aFollowsB && f.bFollowsA ? 'mutual' : f.aFollowsB || f.bFollowsA ? 'follows' : 'none';
  return { a, b, kind, aFollowsB: f.aFollowsB, bFollowsA: f.bFollowsA, isMutual: kind === 'mutual' };
}

export const DEVICE_ID_PATTERN = '^[A-Za-z0-9_.:-]{1,64}$';

export async function issueUserToken(deps: IdentityDeps, userId: string, deviceId: string) {
  await getUser(deps.db, userId);
  await store.touchDevice(deps.db, userId, deviceId);
  return mintUserToken(deps.keyring, { userId, deviceId }, deps.config.tokenTtlSeconds);
}

export async function authenticateUser(keyring: Keyring, token: string): Promise<UserTokenClaims> {
  return verifyUserToken(keyring, token);
}

export {
  STAFF_ROLES, StaffErrors, createStaff, loginStaff, staffForSession, logoutStaff, getStaff, listStaff, totpCode,
  MAX_FAILED_LOGINS, type Staff, type StaffRole, type LoginOutcome,
} from './staff.js';
