/**
 * access/policy-store: the staff-access policy set as versioned data. Every version is kept (append-only,
 * enforced by a trigger); a change is validated, then reported through `onChanged` (the caller appends it to
 * the audit log), and only then stored. So no policy can take effect without a log entry.
 * Owns: access_policy_versions.
 * Exposes: accessPolicyMigrations, loadCurrentPolicies, changePolicies, listPolicyVersions, getPolicyVersion.
 */
import { DomainError } from '../errors.js';
import type { Migration, Queryable } from '../storage/index.js';
import { authorize, compilePolicies, defaultPolicyText, type CompiledPolicies } from './policy.js';
import { PolicyErrorCode } from './policy-errors.js';

export const accessPolicyMigrations: Migration[] = [
  {
    id: '20261123-0400-access-policies',
    sql: `
      CREATE TABLE access_policy_versions (
        version integer PRIMARY KEY CHECK (version >= 1),
        text text NOT NULL,
        sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        changed_by text NOT NULL CHECK (changed_by <> ''),
        reason text NOT NULL CHECK (reason <> ''),
        created_at timestamptz NOT NULL DEFAULT now()
      );
      -- History is evidence: which rules allowed a logged read must stay answerable, so versions are never
      -- rewritten or removed.
      CREATE FUNCTION access_policy_versions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'access_policy_versions is append-only';
      END;
      $$;
      CREATE TRIGGER access_policy_versions_append_only
        BEFORE UPDATE OR DELETE ON access_policy_versions
        FOR EACH ROW EXECUTE FUNCTION access_policy_versions_append_only();
    `,
  },
];

/** Who installed version 1 on a fresh database. */
export const SEED_CHANGED_BY = 'system';
export const SEED_REASON = 'default policy set';

export interface PolicyVersion {
  version: number;
  sha256: string;
  changedBy: string;
  reason: string;
  createdAt: Date;
}

export interface CurrentPolicies {
  version: number;
  text: string;
  compiled: CompiledPolicies;
}

export interface PolicyChange {
  /** The version the change will get. */
  version: number;
  sha256: string;
  previousSha256: string;
  changedBy: string;
  reason: string;
}

export interface PolicyChangeInput {
  text: string;
  /** staffId of the admin making the change. */
  changedBy: string;
  reason: string;
  /** The version the admin edited; when given and no longer current, the change is refused. */
  baseVersion?: number;
}

interface VersionRow {
  version: number;
  text: string;
  sha256: string;
  changed_by: string;
  reason: string;
  created_at: Date | string;
}

function toVersion(row: VersionRow): PolicyVersion {
  return {
    version: Number(row.version),
    sha256: row.sha256,
    changedBy: row.changed_by,
    reason: row.reason,
    createdAt: new Date(row.created_at),
  };
}

async function latest(db: Queryable): Promise<VersionRow | undefined> {
  const { rows } = await db.query<VersionRow>(
    'SELECT version, text, sha256, changed_by, reason, created_at FROM access_policy_versions ORDER BY version DESC LIMIT 1',
  );
  return rows[0];
}

/**
 * The policy set in force. On an empty table, stores the default text as version 1 first (concurrent first
 * calls insert it once). Throws `invalid_policy` if the stored text no longer validates against the schema
 * shipped with this code: the server must not run on rules it cannot check.
 */
export async function loadCurrentPolicies(db: Queryable): Promise<CurrentPolicies> {
  let row = await latest(db);
  if (!row) {
    const text = defaultPolicyText();
    const compiled = compilePolicies(text);
    await db.query(
      `INSERT INTO access_policy_versions (version, text, sha256, changed_by, reason)
       SELECT 1, $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM access_policy_versions)
       ON CONFLICT (version) DO NOTHING`,
      [text, compiled.sha256, SEED_CHANGED_BY, SEED_REASON],
    );
    row = await latest(db);
    if (!row) throw new Error('access_policy_versions is empty after seeding');
  }
  const compiled = compilePolicies(row.text);
  if (compiled.sha256 !== row.sha256) throw new Error(`access policy version ${row.version} does not match its sha256`);
  return { version: Number(row.version), text: row.text, compiled };
}

/**
 * Stores `text` as the next version. Order: validate (`invalid_policy`, also when the new set would deny an
 * active admin `changePolicy`, which no one could then undo), check `baseVersion`, call `onChanged`, insert.
 * If `onChanged` rejects, nothing is stored. It runs while no transaction is held, so it may write through
 * its own transaction (the audit log does; PGlite has one connection and would deadlock otherwise). If
 * another change took the version number meanwhile, throws `policy_version_conflict`; the log then holds an
 * entry for a change that did not land (over-recorded, never under-recorded).
 */
export async function changePolicies(
  db: Queryable,
  input: PolicyChangeInput,
  onChanged: (change: PolicyChange) => Promise<void>,
): Promise<CurrentPolicies> {
  if (typeof input.changedBy !== 'string' || input.changedBy.trim() === '') {
    throw new DomainError(PolicyErrorCode.invalidPolicyChange, 'a policy change needs changedBy');
  }
  if (typeof input.reason !== 'string' || input.reason.trim() === '') {
    throw new DomainError(PolicyErrorCode.invalidPolicyChange, 'a policy change needs a reason');
  }
  const compiled = compilePolicies(input.text);
  const lockout = authorize(compiled, {
    principal: { staffId: 'policy-change-check', roles: ['admin'], active: true },
    action: 'changePolicy',
    resource: { type: 'PolicySet' },
  });
  if (!lockout.allowed) {
    throw new DomainError(
      PolicyErrorCode.invalidPolicy,
      'the new policy set would not let an active admin change policy again',
    );
  }

  const current = await loadCurrentPolicies(db);
  if (input.baseVersion !== undefined && input.baseVersion !== current.version) {
    throw new DomainError(
      PolicyErrorCode.policyVersionConflict,
      `policy version ${input.baseVersion} is not current (current is ${current.version})`,
      { currentVersion: current.version },
    );
  }
  const change: PolicyChange = {
    version: current.version + 1,
    sha256: compiled.sha256,
    previousSha256: current.compiled.sha256,
    changedBy: input.changedBy,
    reason: input.reason,
  };

  await onChanged(change);

  const inserted = await db.query<{ version: number }>(
    `INSERT INTO access_policy_versions (version, text, sha256, changed_by, reason)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (version) DO NOTHING RETURNING version`,
    [change.version, compiled.text, compiled.sha256, change.changedBy, change.reason],
  );
  if (inserted.rows.length === 0) {
    throw new DomainError(
      PolicyErrorCode.policyVersionConflict,
      `policy version ${change.version} was taken by a concurrent change`,
      { currentVersion: change.version },
    );
  }
  return { version: change.version, text: compiled.text, compiled };
}

/** All versions, newest first, without their text. */
export async function listPolicyVersions(db: Queryable): Promise<PolicyVersion[]> {
  const { rows } = await db.query<VersionRow>(
    'SELECT version, sha256, changed_by, reason, created_at FROM access_policy_versions ORDER BY version DESC',
  );
  return rows.map(toVersion);
}

/** One version with its text, or null. */
export async function getPolicyVersion(db: Queryable, version: number): Promise<(PolicyVersion & { text: string }) | null> {
  if (!Number.isSafeInteger(version) || version < 1) return null;
  const { rows } = await db.query<VersionRow>(
    'SELECT version, text, sha256, changed_by, reason, created_at FROM access_policy_versions WHERE version = $1',
    [version],
  );
  return rows[0] ? { ...toVersion(rows[0]), text: rows[0].text } : null;
}
