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
