// identity's tables (ident_*). One entry per forward-only change.
import type { Migration } from '../storage/index.js';

export const identityMigrations: Migration[] = [
  {
    id: '20261123-0100-identity',
    sql: `
      -- Platform API keys are stored only as SHA-256 of the secret; the plaintext is shown once at creation.
      CREATE TABLE ident_platform_keys (
        key_id text PRIMARY KEY,
        key_hash text NOT NULL UNIQUE,
        label text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      );
      CREATE TABLE ident_users (
        user_id text PRIMARY KEY,
        display_name text NOT NULL,
        birth_year int,
        age_band text NOT NULL,
        region text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      -- Directed "follows" edges from the platform's social graph; mutual = both directions present.
      CREATE TABLE ident_follows (
        follower_id text NOT NULL,
        followee_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (follower_id, followee_id)
      );
      CREATE TABLE ident_devices (
        user_id text NOT NULL,
        device_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_token_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, device_id)
      );
    `,
  },
];

identityMigrations.push({
  id: '20261123-0110-identity-staff',
  sql: `
    -- Staff accounts: argon2id password hashes; the TOTP secret is sealed with a keyring secret, never stored bare.
    CREATE TABLE ident_staff (
      staff_id text PRIMARY KEY,
      username text NOT NULL UNIQUE,
      display_name text NOT NULL,
      roles text[] NOT NULL,
      password_hash text NOT NULL,
      totp_sealed bytea NOT NULL,
      -- The last accepted TOTP time step: a code is good once (no replay within its window).
      totp_last_step int8 NOT NULL DEFAULT 0,
      active boolean NOT NULL DEFAULT true,
      failed_attempts int NOT NULL DEFAULT 0,
      locked_until timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    -- Sessions are stored as SHA-256 of the cookie value, so a database read does not yield a usable session.
    CREATE TABLE ident_staff_sessions (
      session_hash text PRIMARY KEY,
      staff_id text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz
    );
    CREATE INDEX ident_staff_sessions_by_staff ON ident_staff_sessions (staff_id);
  `,
});
