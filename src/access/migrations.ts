// access's tables (access_*): grants and the private index from users (by pseudonym) to log entries of reads.
import type { Migration } from '../storage/index.js';

export const accessGrantMigrations: Migration[] = [
  {
    id: '20261123-0410-access-grants',
    sql: `
      CREATE TABLE access_grants (
        grant_id text PRIMARY KEY,
        staff_id text NOT NULL,
        purpose text NOT NULL,
        case_id text,
        legal_request_id text,
        justification text NOT NULL,
        scope jsonb NOT NULL,
        ranges jsonb NOT NULL,
        message_count int8 NOT NULL,
        subject_user_ids text[] NOT NULL,
        subject_is_minor boolean NOT NULL,
        covered_by_report boolean NOT NULL,
        needs_approval boolean NOT NULL,
        approvals text[] NOT NULL,
        status text NOT NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL,
        revoked_at timestamptz,
        visible_after timestamptz
      );
      CREATE INDEX access_grants_by_staff ON access_grants (staff_id, created_at);
      -- One row per (log entry, subject): lets a user list reads of their data without scanning the public log.
      CREATE TABLE access_reads (
        log_index int8 NOT NULL,
        subject_pseudonym text NOT NULL,
        grant_id text NOT NULL,
        staff_role text NOT NULL,
        purpose text NOT NULL,
        case_id text NOT NULL,
        message_count int8 NOT NULL,
        read_at timestamptz NOT NULL,
        visible_after timestamptz,
        PRIMARY KEY (log_index, subject_pseudonym)
      );
      CREATE INDEX access_reads_by_subject ON access_reads (subject_pseudonym, log_index);
    `,
  },
];
