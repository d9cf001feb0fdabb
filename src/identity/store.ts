// identity's SQL: platform keys, users, the follow graph and devices.
import type { Queryable } from '../storage/index.js';
import type { AgeBand } from './age.js';

export interface UserRow {
  userId: string;
  displayName: string;
  birthYear: number | null;
  ageBand: AgeBand;
  region: string;
  createdAt: Date;
  updatedAt: Date;
}

const userColumns = `user_id AS "userId", display_name AS "displayName", birth_year AS "birthYear",
  age_band AS "ageBand", region, created_at AS "createdAt", updated_at AS "updatedAt"`;

export async function insertPlatformKey(db: Queryable, keyId: string, keyHash: string, label: string) {
  await db.query('INSERT INTO ident_platform_keys (key_id, key_hash, label) VALUES ($1, $2, $3)', [keyId, keyHash, label]);
}

export async function findPlatformKeyByHash(db: Queryable, keyHash: string) {
  const r = await db.query<{ keyId: string; label: string }>(
    'SELECT key_id AS "keyId", label FROM ident_platform_keys WHERE key_hash = $1 AND revoked_at IS NULL',
    [keyHash],
  );
  return r.rows[0] ?? null;
}

export async function countPlatformKeys(db: Queryable): Promise<number> {
  const r = await db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM ident_platform_keys WHERE revoked_at IS NULL');
  return r.rows[0].n;
}

export async function upsertUserRow(
  db: Queryable,
  u: { userId: string; displayName: string; birthYear: number | null; ageBand: AgeBand; region: string },
): Promise<UserRow> {
  const r = await db.query<UserRow>(
    `INSERT INTO ident_users (user_id, display_name, birth_year, age_band, region)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (user_id) DO UPDATE SET display_name = EXCLUDED.display_name, birth_year = EXCLUDED.birth_year,
       age_band = EXCLUDED.age_band, region = EXCLUDED.region, updated_at = now()
     RETURNING ${userColumns}`,
    [u.userId, u.displayName, u.birthYear, u.ageBand, u.region],
  );
  return r.rows[0];
}

export async function selectUsers(db: Queryable, userIds: string[]): Promise<UserRow[]> {
  if (userIds.length === 0) return [];
  const r = await db.query<UserRow>(`SELECT ${userColumns} FROM ident_users WHERE user_id = ANY($1::text[])`, [userIds]);
  return r.rows;
}

export async function setFollow(db: Queryable, follower: string, followee: string, follows: boolean) {
  if (follows) {
    await db.query('INSERT INTO ident_follows (follower_id, followee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [follower, followee]);
  } else {
    await db.query('DELETE FROM ident_follows WHERE follower_id = $1 AND followee_id = $2', [follower, followee]);
  }
}

export async function selectFollows(db: Queryable, a: string, b: string) {
  const r = await db.query<{ follower: string; followee: string }>(
    `SELECT follower_id AS follower, followee_id AS followee FROM ident_follows
     WHERE (follower_id = $1 AND followee_id = $2) OR (follower_id = $2 AND followee_id = $1)`,
    [a, b],
  );
  return {
    aFollowsB: r.rows.some((x) => x.follower === a),
    bFollowsA: r.rows.some((x) => x.follower === b),
  };
}

export async function touchDevice(db: Queryable, userId: string, deviceId: string) {
  await db.query(
    `INSERT INTO ident_devices (user_id, device_id) VALUES ($1, $2)
     ON CONFLICT (user_id, device_id) DO UPDATE SET last_token_at = now()`,
    [userId, deviceId],
  );
}
