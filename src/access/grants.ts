// Grants: the only way staff reach message content. A grant names a staff member, a case or legal request, a
// purpose, a scope (conversations and a seq or time range) and an expiry; Cedar policy decides whether it may be
// issued, whether it needs a second person's approval, and whether each use is allowed. Every decision that
// matters to a user (issued, approved, denied, used, refused) is appended to the verifiable log, and a read's
// entry is durable BEFORE any plaintext is produced: if the log cannot record the read, the read fails.
import { randomId } from '../crypto/index.js';
import { DomainError } from '../errors.js';
import { getUsers, type Staff } from '../identity/index.js';
import type { ContentScope, ScopeDescription, StaffMessageView } from '../messaging/index.js';
import type { Queryable } from '../storage/index.js';
import { AccessErrors } from './errors.js';
import type { AccessRequest, CompiledPolicies } from './policy.js';
import { authorize } from './policy.js';

export const DEFAULT_GRANT_MINUTES = 60;
export const MAX_GRANT_MINUTES = 24 * 60;
export const MAX_READ_PAGE = 500;

export type GrantPurpose = 'case_review' | 'child_safety_investigation' | 'legal_production' | 'appeal_review';
export type GrantStatus = 'pending' | 'active' | 'revoked' | 'denied';

export interface ContentReader {
  describe(scope: ContentScope): Promise<ScopeDescription>;
  count(conversationId: string, fromSeq: number, toSeq: number, limit: number): Promise<number>;
  read(conversationId: string, fromSeq: number, toSeq: number, limit: number): Promise<StaffMessageView[]>;
}

/** What access needs from the audit log: append an event and get its index once durable. */
export interface AuditAppender {
  append(event: Record<string, unknown>): Promise<number>;
  pseudonym(id: string): string;
}

export interface AccessDeps {
  db: Queryable;
  audit: AuditAppender;
  policies: () => CompiledPolicies;
  reader: ContentReader;
  now?: () => Date;
}

export interface Grant {
  grantId: string;
  staffId: string;
  purpose: GrantPurpose;
  caseId: string | null;
  legalRequestId: string | null;
  justification: string;
  scope: { conversationIds: string[]; fromSeq: number | null; toSeq: number | null; fromTime: string | null; toTime: string | null };
  ranges: ScopeDescription['ranges'];
  messageCount: number;
  subjectIsMinor: boolean;
  coveredByReport: boolean;
  needsApproval: boolean;
  approvals: string[];
  status: GrantStatus;
  expiresAt: string;
  createdAt: string;
  revokedAt: string | null;
  /** A legal non-disclosure order can delay when users see reads under this grant. */
  visibleToUsersAfter: string | null;
}

interface GrantRow {
  grant_id: string; staff_id: string; purpose: GrantPurpose; case_id: string | null; legal_request_id: string | null; justification: string;
  scope: Grant['scope']; ranges: Grant['ranges']; message_count: number; subject_user_ids: string[]; subject_is_minor: boolean;
  covered_by_report: boolean; needs_approval: boolean; approvals: string[]; status: GrantStatus; expires_at: Date; created_at: Date;
  revoked_at: Date | null; visible_after: Date | null;
}

function toGrant(r: GrantRow): Grant {
  return {
    grantId: r.grant_id, staffId: r.staff_id, purpose: r.purpose, caseId: r.case_id, legalRequestId: r.legal_request_id,
    justification: r.justification, scope: r.scope, ranges: r.ranges, messageCount: r.message_count, subjectIsMinor: r.subject_is_minor,
    coveredByReport: r.covered_by_report, needsApproval: r.needs_approval, approvals: r.approvals, status: r.status,
    expiresAt: r.expires_at.toISOString(), createdAt: r.created_at.toISOString(), revokedAt: r.revoked_at?.toISOString() ?? null,
    visibleToUsersAfter: r.visible_after?.toISOString() ?? null,
  };
}

function principal(staff: Staff): AccessRequest['principal'] {
  return { staffId: staff.staffId, roles: staff.roles, active: staff.active };
}

function grantResource(g: Pick<Grant, 'grantId' | 'staffId' | 'purpose' | 'caseId' | 'legalRequestId' | 'messageCount' | 'subjectIsMinor' | 'coveredByReport' | 'approvals'> & { needsApproval?: boolean }): AccessRequest['resource'] {
  return {
    type: 'Grant',
    grantId: g.grantId,
    requestedBy: g.staffId,
    purpose: g.purpose,
    caseId: g.caseId,
    legalRequestId: g.legalRequestId,
    scopeMessageCount: g.messageCount,
    subjectIsMinor: g.subjectIsMinor,
    coveredByReport: g.coveredByReport,
    approvals: g.approvals,
    needsApproval: g.needsApproval ?? false,
  };
}

/** The grant and, kept out of its public view, the users whose messages it covers. */
async function loadGrant(db: Queryable, grantId: string): Promise<{ grant: Grant; subjectUserIds: string[] }> {
  const r = await db.query<GrantRow>('SELECT * FROM access_grants WHERE grant_id = $1', [grantId]);
  if (!r.rows[0]) throw new DomainError(AccessErrors.grantNotFound, 'grant not found');
  return { grant: toGrant(r.rows[0]), subjectUserIds: r.rows[0].subject_user_ids };
}

export async function getGrant(db: Queryable, grantId: string): Promise<Grant> {
  return (await loadGrant(db, grantId)).grant;
}

export interface GrantRequestInput {
  purpose: GrantPurpose;
  caseId?: string;
  legalRequestId?: string;
  justification: string;
  scope: ContentScope;
  durationMinutes?: number;
  /** Facts from the case (review) or legal request, supplied by the caller that looked them up. */
  coveredByReport: boolean;
  visibleToUsersAfter?: Date;
}

export async function requestGrant(deps: AccessDeps, staff: Staff, input: GrantRequestInput): Promise<Grant> {
  const now = deps.now?.() ?? new Date();
  const minutes = input.durationMinutes ?? DEFAULT_GRANT_MINUTES;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_GRANT_MINUTES) {
    throw new DomainError(AccessErrors.invalidGrant, `a grant lasts 1 to ${MAX_GRANT_MINUTES} minutes`);
  }
  if (input.scope.conversationIds.length === 0 || input.scope.conversationIds.length > 50) {
    throw new DomainError(AccessErrors.invalidGrant, 'a grant names 1 to 50 conversations');
  }
  const description = await deps.reader.describe(input.scope);
  const users = await getUsers(deps.db, description.memberUserIds);
  const subjectIsMinor = users.some((u) => u.ageBand !== 'adult');
  const grantId = randomId('gr');
  const draft = {
    grantId, staffId: staff.staffId, purpose: input.purpose, caseId: input.caseId ?? null, legalRequestId: input.legalRequestId ?? null,
    messageCount: description.messageCount, subjectIsMinor, coveredByReport: input.coveredByReport, approvals: [] as string[],
  };
  const subjects = description.memberUserIds.map((u) => deps.audit.pseudonym(u));
  const scopeForLog = {
    conversations: input.scope.conversationIds.map((c) => deps.audit.pseudonym(c)),
    fromSeq: input.scope.fromSeq ?? null, toSeq: input.scope.toSeq ?? null,
    fromTime: input.scope.fromTime?.toISOString() ?? null, toTime: input.scope.toTime?.toISOString() ?? null,
    messageCount: description.messageCount,
  };
  const base = { grantId, staffId: staff.staffId, roles: staff.roles, purpose: input.purpose, caseId: draft.caseId, legalRequestId: draft.legalRequestId, subjects, scope: scopeForLog, at: now.toISOString() };
  const decision = authorize(deps.policies(), { principal: principal(staff), action: 'requestGrant', resource: grantResource(draft), context: { now: Math.floor(now.getTime() / 1000) } });
  if (!decision.allowed) {
    await deps.audit.append({ type: 'grant.denied', ...base, policies: decision.reasons });
    throw new DomainError(AccessErrors.grantDenied, 'policy does not allow this grant');
  }
  const direct = authorize(deps.policies(), { principal: principal(staff), action: 'issueWithoutApproval', resource: grantResource(draft), context: { now: Math.floor(now.getTime() / 1000) } });
  const needsApproval = !direct.allowed;
  const expiresAt = new Date(now.getTime() + minutes * 60_000);
  await deps.audit.append({ type: 'grant.requested', ...base, needsApproval, expiresAt: expiresAt.toISOString(), justificationLength: input.justification.length });
  await deps.db.query(
    `INSERT INTO access_grants (grant_id, staff_id, purpose, case_id, legal_request_id, justification, scope, ranges, message_count,
       subject_user_ids, subject_is_minor, covered_by_report, needs_approval, approvals, status, expires_at, created_at, visible_after)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
    [
      grantId, staff.staffId, input.purpose, draft.caseId, draft.legalRequestId, input.justification,
      JSON.stringify({ conversationIds: input.scope.conversationIds, fromSeq: input.scope.fromSeq ?? null, toSeq: input.scope.toSeq ?? null, fromTime: input.scope.fromTime?.toISOString() ?? null, toTime: input.scope.toTime?.toISOString() ?? null }),
      JSON.stringify(description.ranges), description.messageCount, description.memberUserIds, subjectIsMinor, input.coveredByReport,
      needsApproval, [], needsApproval ? 'pending' : 'active', expiresAt, now, input.visibleToUsersAfter ?? null,
    ],
  );
  return getGrant(deps.db, grantId);
}

export async function approveGrant(deps: AccessDeps, staff: Staff, grantId: string): Promise<Grant> {
  const now = deps.now?.() ?? new Date();
  const g = await getGrant(deps.db, grantId);
  const base = { grantId, staffId: staff.staffId, roles: staff.roles, at: now.toISOString() };
  if (g.status === 'revoked') throw new DomainError(AccessErrors.grantRevoked, 'grant was revoked');
  if (new Date(g.expiresAt) <= now) throw new DomainError(AccessErrors.grantExpired, 'grant has expired');
  const decision = authorize(deps.policies(), { principal: principal(staff), action: 'approveGrant', resource: grantResource(g), context: { now: Math.floor(now.getTime() / 1000) } });
  if (!decision.allowed) {
    await deps.audit.append({ type: 'grant.approval_denied', ...base, policies: decision.reasons });
    throw new DomainError(AccessErrors.approvalDenied, 'policy does not allow you to approve this grant');
  }
  await deps.audit.append({ type: 'grant.approved', ...base });
  await deps.db.query(
    `UPDATE access_grants SET approvals = array_append(approvals, $2), status = CASE WHEN status = 'pending' THEN 'active' ELSE status END
     WHERE grant_id = $1 AND NOT ($2 = ANY(approvals))`,
    [grantId, staff.staffId],
  );
  return getGrant(deps.db, grantId);
}

export async function revokeGrant(deps: AccessDeps, staff: Staff, grantId: string, reason: string): Promise<Grant> {
  const now = deps.now?.() ?? new Date();
  const g = await getGrant(deps.db, grantId);
  const decision = authorize(deps.policies(), { principal: principal(staff), action: 'revokeGrant', resource: grantResource(g), context: { now: Math.floor(now.getTime() / 1000) } });
  if (!decision.allowed) {
    await deps.audit.append({ type: 'grant.revoke_denied', grantId, staffId: staff.staffId, at: now.toISOString() });
    throw new DomainError(AccessErrors.actionDenied, 'policy does not allow you to revoke this grant');
  }
  await deps.audit.append({ type: 'grant.revoked', grantId, staffId: staff.staffId, reasonLength: reason.length, at: now.toISOString() });
  await deps.db.query(`UPDATE access_grants SET status = 'revoked', revoked_at = $2 WHERE grant_id = $1 AND status <> 'revoked'`, [grantId, now]);
  return getGrant(deps.db, grantId);
}

export interface ContentSelector {
  conversationId: string;
  fromSeq?: number;
  toSeq?: number;
  limit?: number;
}

/**
 * The one function that turns ciphertext into plaintext for staff. Order matters: check the grant and policy,
 * log refusals, then append the read's entry and wait until it is durable, and only then decrypt.
 */
export async function readContent(deps: AccessDeps, staff: Staff, grantId: string, selector: ContentSelector) {
  const now = deps.now?.() ?? new Date();
  let g: Grant;
  let subjectIds: string[];
  try {
    ({ grant: g, subjectUserIds: subjectIds } = await loadGrant(deps.db, grantId));
  } catch (err) {
    await deps.audit.append({ type: 'grant.use_denied', grantId, staffId: staff.staffId, code: AccessErrors.grantNotFound, at: now.toISOString() });
    throw err;
  }
  const refuse = async (code: string, message: string): Promise<never> => {
    await deps.audit.append({ type: 'grant.use_denied', grantId, staffId: staff.staffId, caseId: g.caseId, code, at: now.toISOString() });
    throw new DomainError(code, message);
  };
  if (g.staffId !== staff.staffId) await refuse(AccessErrors.notGrantHolder, 'this grant was issued to someone else');
  if (g.status === 'revoked') await refuse(AccessErrors.grantRevoked, 'grant was revoked');
  if (g.status === 'pending') await refuse(AccessErrors.grantNotApproved, 'grant is waiting for a second approval');
  if (new Date(g.expiresAt) <= now) await refuse(AccessErrors.grantExpired, 'grant has expired');
  const range = g.ranges.find((r) => r.conversationId === selector.conversationId);
  const fromSeq = selector.fromSeq ?? range?.fromSeq ?? 1;
  const toSeq = selector.toSeq ?? range?.toSeq ?? 0;
  if (!range || fromSeq < range.fromSeq || toSeq > range.toSeq || fromSeq > toSeq) {
    await refuse(AccessErrors.grantOutOfScope, 'the selection is outside this grant');
  }
  const decision = authorize(deps.policies(), {
    principal: principal(staff), action: 'useGrant', resource: grantResource(g),
    context: { now: Math.floor(now.getTime() / 1000), isActive: true },
  });
  if (!decision.allowed) await refuse(AccessErrors.actionDenied, 'policy does not allow this read');

  const limit = Math.min(Math.max(selector.limit ?? 100, 1), MAX_READ_PAGE);
  const messageCount = await deps.reader.count(selector.conversationId, fromSeq, toSeq, limit);
  const index = await deps.audit.append({
    type: 'content.read', grantId, staffId: staff.staffId, roles: staff.roles, purpose: g.purpose, caseId: g.caseId, legalRequestId: g.legalRequestId,
    conversation: deps.audit.pseudonym(selector.conversationId), fromSeq, toSeq, messageCount,
    subjects: subjectIds.map((u) => deps.audit.pseudonym(u)), at: now.toISOString(),
  });
  // The entry is durable; record which users it concerns so each can find it in their access history.
  await deps.db.query(
    `INSERT INTO access_reads (log_index, subject_pseudonym, grant_id, staff_role, purpose, case_id, message_count, read_at, visible_after)
     SELECT $1, s, $2, $3, $4, $5, $6, $7, $8 FROM unnest($9::text[]) AS x(s) ON CONFLICT DO NOTHING`,
    [index, grantId, staff.roles.join(','), g.purpose, g.caseId ?? g.legalRequestId ?? '', messageCount, now, g.visibleToUsersAfter ? new Date(g.visibleToUsersAfter) : null, subjectIds.map((u) => deps.audit.pseudonym(u))],
  );
  const messages = await deps.reader.read(selector.conversationId, fromSeq, toSeq, limit);
  return { grantId, logIndex: index, messages };
}

export async function accessHistory(deps: Pick<AccessDeps, 'db' | 'audit'>, userId: string, now = new Date()) {
  const r = await deps.db.query<{ log_index: number; staff_role: string; purpose: string; case_id: string; message_count: number; read_at: Date }>(
    `SELECT log_index, staff_role, purpose, case_id, message_count, read_at FROM access_reads
     WHERE subject_pseudonym = $1 AND (visible_after IS NULL OR visible_after <= $2) ORDER BY log_index`,
    [deps.audit.pseudonym(userId), now],
  );
  return r.rows;
}
