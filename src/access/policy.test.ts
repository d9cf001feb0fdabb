/**
 * The default staff-access policy set as a table: role × action × resource attributes × context → decision,
 * with the policy id that decided it. Each rule of policies/default.cedar has rows for both sides of its edge.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { isDomainError } from '../errors.js';
import {
  ACCESS_ACTIONS,
  ACTION_RESOURCE,
  STAFF_ROLES,
  authorize,
  compilePolicies,
  defaultPolicyText,
  type AccessAction,
  type AccessRequest,
  type CaseResource,
  type GrantResource,
  type ResourceInput,
  type StaffRole,
} from './policy.js';

const policies = compilePolicies(defaultPolicyText());

/** alice requests; bob and carol are other staff. */
function grant(over: Partial<GrantResource> = {}): GrantResource {
  return {
    type: 'Grant',
    grantId: 'grant-1',
    requestedBy: 'alice',
    purpose: 'case_review',
    caseId: 'case-1',
    legalRequestId: null,
    scopeMessageCount: 10,
    subjectIsMinor: false,
    coveredByReport: true,
    approvals: [],
    needsApproval: false,
    ...over,
  };
}

function kase(over: Partial<CaseResource> = {}): CaseResource {
  return { type: 'Case', caseId: 'case-1', subjectIsMinor: false, reported: true, ...over };
}

interface Row {
  name: string;
  as: StaffRole[];
  /** Defaults to alice (the requester of the default grant). */
  staffId?: string;
  active?: boolean;
  action: AccessAction;
  grant?: Partial<GrantResource>;
  kase?: Partial<CaseResource>;
  context?: Record<string, boolean | number | string>;
  allow: boolean;
  /** A policy id expected among the reasons. */
  reason?: string;
}

function resourceFor(row: Row): ResourceInput {
  switch (ACTION_RESOURCE[row.action]) {
    case 'Grant':
      return grant(row.grant);
    case 'Case':
      return kase(row.kase);
    default:
      return { type: ACTION_RESOURCE[row.action] } as ResourceInput;
  }
}

const useCtx = { isActive: true };

const rows: Row[] = [
  // requestGrant: who may ask, for which purpose, tied to what
  { name: 'moderator requests case review with a case', as: ['moderator'], action: 'requestGrant', allow: true, reason: 'permit-request-case-or-appeal-review' },
  { name: 'moderator requests appeal review', as: ['moderator'], action: 'requestGrant', grant: { purpose: 'appeal_review' }, allow: true },
  { name: 'moderator requests case review without a case', as: ['moderator'], action: 'requestGrant', grant: { caseId: null }, allow: false },
  { name: 'moderator requests case review with empty case id', as: ['moderator'], action: 'requestGrant', grant: { caseId: '' }, allow: false },
  { name: 'senior moderator requests case review', as: ['senior_moderator'], action: 'requestGrant', allow: true },
  { name: 'child safety requests case review', as: ['child_safety'], action: 'requestGrant', allow: true },
  { name: 'moderator requests child safety investigation', as: ['moderator'], action: 'requestGrant', grant: { purpose: 'child_safety_investigation' }, allow: false },
  { name: 'senior moderator requests child safety investigation', as: ['senior_moderator'], action: 'requestGrant', grant: { purpose: 'child_safety_investigation' }, allow: false },
  { name: 'child safety requests child safety investigation', as: ['child_safety'], action: 'requestGrant', grant: { purpose: 'child_safety_investigation' }, allow: true, reason: 'permit-request-child-safety-investigation' },
  { name: 'child safety investigation without a case', as: ['child_safety'], action: 'requestGrant', grant: { purpose: 'child_safety_investigation', caseId: null }, allow: false },
  { name: 'legal requests legal production with a legal request', as: ['legal'], action: 'requestGrant', grant: { purpose: 'legal_production', caseId: null, legalRequestId: 'lr-1' }, allow: true, reason: 'permit-request-legal-production' },
  { name: 'legal requests legal production without a legal request', as: ['legal'], action: 'requestGrant', grant: { purpose: 'legal_production', legalRequestId: null }, allow: false },
  { name: 'legal requests case review', as: ['legal'], action: 'requestGrant', allow: false },
  { name: 'moderator requests legal production', as: ['moderator'], action: 'requestGrant', grant: { purpose: 'legal_production', legalRequestId: 'lr-1' }, allow: false },
  { name: 'auditor requests a grant', as: ['auditor'], action: 'requestGrant', allow: false, reason: 'forbid-content-access-by-admin-or-auditor' },
  { name: 'admin requests a grant', as: ['admin'], action: 'requestGrant', allow: false, reason: 'forbid-content-access-by-admin-or-auditor' },
  { name: 'admin who is also a moderator requests a grant', as: ['admin', 'moderator'], action: 'requestGrant', allow: false, reason: 'forbid-content-access-by-admin-or-auditor' },
  { name: 'auditor who is also legal requests legal production', as: ['auditor', 'legal'], action: 'requestGrant', grant: { purpose: 'legal_production', legalRequestId: 'lr-1' }, allow: false, reason: 'forbid-content-access-by-admin-or-auditor' },
  { name: 'moderator requests a grant naming someone else', as: ['moderator'], action: 'requestGrant', grant: { requestedBy: 'bob' }, allow: false, reason: 'forbid-request-for-someone-else' },
  { name: 'inactive moderator requests', as: ['moderator'], active: false, action: 'requestGrant', allow: false, reason: 'forbid-inactive-staff' },
  { name: 'staff with no role requests', as: [], action: 'requestGrant', allow: false },

  // issueWithoutApproval: asked at request time; a deny means a second person must approve
  { name: 'routine case review issues at once', as: ['moderator'], action: 'issueWithoutApproval', allow: true, reason: 'permit-issue-without-approval' },
  { name: '500 messages issues at once', as: ['moderator'], action: 'issueWithoutApproval', grant: { scopeMessageCount: 500 }, allow: true },
  { name: '501 messages needs approval', as: ['moderator'], action: 'issueWithoutApproval', grant: { scopeMessageCount: 501 }, allow: false, reason: 'second-approval-bulk-scope' },
  { name: 'minor covered by a report issues at once', as: ['moderator'], action: 'issueWithoutApproval', grant: { subjectIsMinor: true, coveredByReport: true }, allow: true },
  { name: 'minor outside a report needs approval', as: ['moderator'], action: 'issueWithoutApproval', grant: { subjectIsMinor: true, coveredByReport: false }, allow: false, reason: 'second-approval-minor-outside-report' },
  { name: 'child safety reading a minor outside a report still needs approval', as: ['child_safety'], action: 'issueWithoutApproval', grant: { purpose: 'child_safety_investigation', subjectIsMinor: true, coveredByReport: false }, allow: false, reason: 'second-approval-minor-outside-report' },
  { name: 'adult outside a report issues at once', as: ['moderator'], action: 'issueWithoutApproval', grant: { subjectIsMinor: false, coveredByReport: false }, allow: true },
  { name: 'legal production always needs approval', as: ['legal'], action: 'issueWithoutApproval', grant: { purpose: 'legal_production', legalRequestId: 'lr-1', scopeMessageCount: 1 }, allow: false, reason: 'second-approval-legal-production' },
  { name: 'auditor cannot self-issue', as: ['auditor'], action: 'issueWithoutApproval', allow: false, reason: 'forbid-content-access-by-admin-or-auditor' },
  { name: 'admin cannot self-issue', as: ['admin'], action: 'issueWithoutApproval', allow: false, reason: 'forbid-content-access-by-admin-or-auditor' },
  { name: 'no self-issue for someone else', as: ['senior_moderator'], action: 'issueWithoutApproval', grant: { requestedBy: 'bob' }, allow: false, reason: 'forbid-request-for-someone-else' },
  { name: 'inactive staff cannot self-issue', as: ['moderator'], active: false, action: 'issueWithoutApproval', allow: false, reason: 'forbid-inactive-staff' },

  // approveGrant: a second, different, qualified person
  { name: 'senior moderator approves a case review', as: ['senior_moderator'], staffId: 'bob', action: 'approveGrant', allow: true, reason: 'permit-approve-non-legal-grant' },
  { name: 'child safety approves a case review', as: ['child_safety'], staffId: 'bob', action: 'approveGrant', allow: true },
  { name: 'child safety approves a child safety investigation', as: ['child_safety'], staffId: 'bob', action: 'approveGrant', grant: { purpose: 'child_safety_investigation' }, allow: true },
  { name: 'moderator cannot approve', as: ['moderator'], staffId: 'bob', action: 'approveGrant', allow: false },
  { name: 'requester cannot approve own grant', as: ['senior_moderator'], action: 'approveGrant', allow: false, reason: 'forbid-approve-own-grant' },
  { name: 'the same approver cannot approve twice', as: ['senior_moderator'], staffId: 'bob', action: 'approveGrant', grant: { approvals: ['bob'] }, allow: false, reason: 'forbid-approve-twice' },
  { name: 'a different approver adds a second approval', as: ['senior_moderator'], staffId: 'carol', action: 'approveGrant', grant: { approvals: ['bob'] }, allow: true },
  { name: 'legal approves legal production', as: ['legal'], staffId: 'bob', action: 'approveGrant', grant: { purpose: 'legal_production', legalRequestId: 'lr-1' }, allow: true, reason: 'permit-approve-legal-grant' },
  { name: 'senior moderator cannot approve legal production', as: ['senior_moderator'], staffId: 'bob', action: 'approveGrant', grant: { purpose: 'legal_production', legalRequestId: 'lr-1' }, allow: false },
  { name: 'child safety cannot approve legal production', as: ['child_safety'], staffId: 'bob', action: 'approveGrant', grant: { purpose: 'legal_production', legalRequestId: 'lr-1' }, allow: false },
  { name: 'legal cannot approve a case review', as: ['legal'], staffId: 'bob', action: 'approveGrant', allow: false },
  { name: 'legal requester cannot approve own legal production', as: ['legal'], action: 'approveGrant', grant: { purpose: 'legal_production', legalRequestId: 'lr-1' }, allow: false, reason: 'forbid-approve-own-grant' },
  { name: 'admin cannot approve', as: ['admin'], staffId: 'bob', action: 'approveGrant', allow: false, reason: 'forbid-content-access-by-admin-or-auditor' },
  { name: 'auditor cannot approve', as: ['auditor'], staffId: 'bob', action: 'approveGrant', allow: false, reason: 'forbid-content-access-by-admin-or-auditor' },
  { name: 'senior moderator who is also admin cannot approve', as: ['senior_moderator', 'admin'], staffId: 'bob', action: 'approveGrant', allow: false, reason: 'forbid-content-access-by-admin-or-auditor' },
  { name: 'inactive senior moderator cannot approve', as: ['senior_moderator'], staffId: 'bob', active: false, action: 'approveGrant', allow: false, reason: 'forbid-inactive-staff' },

  // useGrant: only the requester, only while active, only once approved when approval was needed
  { name: 'requester uses own active grant', as: ['moderator'], action: 'useGrant', context: useCtx, allow: true, reason: 'permit-use-own-grant' },
  { name: 'requester uses own inactive grant', as: ['moderator'], action: 'useGrant', context: { isActive: false }, allow: false, reason: 'forbid-use-of-inactive-grant' },
  { name: 'isActive defaults to false', as: ['moderator'], action: 'useGrant', allow: false, reason: 'forbid-use-of-inactive-grant' },
  { name: 'another moderator uses the grant', as: ['moderator'], staffId: 'bob', action: 'useGrant', context: useCtx, allow: false, reason: 'forbid-use-of-someone-elses-grant' },
  { name: 'a senior moderator uses someone else\'s grant', as: ['senior_moderator'], staffId: 'bob', action: 'useGrant', context: useCtx, allow: false, reason: 'forbid-use-of-someone-elses-grant' },
  { name: 'the approver uses the grant', as: ['senior_moderator'], staffId: 'bob', action: 'useGrant', grant: { approvals: ['bob'] }, context: useCtx, allow: false, reason: 'forbid-use-of-someone-elses-grant' },
  { name: 'grant that needed approval, none yet', as: ['moderator'], action: 'useGrant', grant: { needsApproval: true }, context: useCtx, allow: false, reason: 'forbid-use-without-required-approval' },
  { name: 'grant that needed approval, approved', as: ['moderator'], action: 'useGrant', grant: { needsApproval: true, approvals: ['bob'] }, context: useCtx, allow: true },
  { name: '501 messages recorded as not needing approval, none', as: ['moderator'], action: 'useGrant', grant: { scopeMessageCount: 501 }, context: useCtx, allow: false, reason: 'forbid-use-without-required-approval' },
  { name: '501 messages approved', as: ['moderator'], action: 'useGrant', grant: { scopeMessageCount: 501, needsApproval: true, approvals: ['bob'] }, context: useCtx, allow: true },
  { name: '500 messages without approval', as: ['moderator'], action: 'useGrant', grant: { scopeMessageCount: 500 }, context: useCtx, allow: true },
  { name: 'minor outside report without approval', as: ['moderator'], action: 'useGrant', grant: { subjectIsMinor: true, coveredByReport: false }, context: useCtx, allow: false, reason: 'forbid-use-without-required-approval' },
  { name: 'minor outside report approved', as: ['moderator'], action: 'useGrant', grant: { subjectIsMinor: true, coveredByReport: false, needsApproval: true, approvals: ['bob'] }, context: useCtx, allow: true },
  { name: 'minor covered by report without approval', as: ['moderator'], action: 'useGrant', grant: { subjectIsMinor: true, coveredByReport: true }, context: useCtx, allow: true },
  { name: 'legal production approved by another legal officer', as: ['legal'], action: 'useGrant', grant: { purpose: 'legal_production', legalRequestId: 'lr-1', needsApproval: true, approvals: ['bob'] }, context: useCtx, allow: true },
  { name: 'legal production not yet approved', as: ['legal'], action: 'useGrant', grant: { purpose: 'legal_production', legalRequestId: 'lr-1', needsApproval: true }, context: useCtx, allow: false, reason: 'forbid-use-without-required-approval' },
  { name: 'legal production recorded wrongly as not needing approval', as: ['legal'], action: 'useGrant', grant: { purpose: 'legal_production', legalRequestId: 'lr-1' }, context: useCtx, allow: false, reason: 'forbid-use-without-required-approval' },
  { name: 'auditor trying to use a grant in their name', as: ['auditor'], action: 'useGrant', context: useCtx, allow: false, reason: 'forbid-content-access-by-admin-or-auditor' },
  { name: 'admin trying to use a grant in their name', as: ['admin'], action: 'useGrant', context: useCtx, allow: false, reason: 'forbid-content-access-by-admin-or-auditor' },
  { name: 'moderator promoted to admin can no longer read', as: ['moderator', 'admin'], action: 'useGrant', context: useCtx, allow: false, reason: 'forbid-content-access-by-admin-or-auditor' },
  { name: 'requester who lost the role for the purpose', as: ['legal'], action: 'useGrant', context: useCtx, allow: false },
  { name: 'moderator with a child safety investigation grant', as: ['moderator'], action: 'useGrant', grant: { purpose: 'child_safety_investigation' }, context: useCtx, allow: false },
  { name: 'child safety uses own investigation grant', as: ['child_safety'], action: 'useGrant', grant: { purpose: 'child_safety_investigation' }, context: useCtx, allow: true },
  { name: 'inactive requester', as: ['moderator'], active: false, action: 'useGrant', context: useCtx, allow: false, reason: 'forbid-inactive-staff' },

  // revokeGrant
  { name: 'requester revokes own grant', as: ['moderator'], action: 'revokeGrant', allow: true, reason: 'permit-revoke-own-grant' },
  { name: 'another moderator cannot revoke', as: ['moderator'], staffId: 'bob', action: 'revokeGrant', allow: false },
  { name: 'senior moderator revokes', as: ['senior_moderator'], staffId: 'bob', action: 'revokeGrant', allow: true, reason: 'permit-revoke-as-supervisor' },
  { name: 'child safety revokes', as: ['child_safety'], staffId: 'bob', action: 'revokeGrant', allow: true },
  { name: 'admin revokes', as: ['admin'], staffId: 'bob', action: 'revokeGrant', allow: true },
  { name: 'auditor cannot revoke', as: ['auditor'], staffId: 'bob', action: 'revokeGrant', allow: false },
  { name: 'legal cannot revoke someone else\'s', as: ['legal'], staffId: 'bob', action: 'revokeGrant', allow: false },
  { name: 'inactive admin cannot revoke', as: ['admin'], staffId: 'bob', active: false, action: 'revokeGrant', allow: false, reason: 'forbid-inactive-staff' },

  // viewCase / openCase
  { name: 'moderator views an adult case', as: ['moderator'], action: 'viewCase', allow: true, reason: 'permit-view-case' },
  { name: 'moderator cannot view a minor\'s case', as: ['moderator'], action: 'viewCase', kase: { subjectIsMinor: true }, allow: false },
  { name: 'senior moderator views a minor\'s case', as: ['senior_moderator'], action: 'viewCase', kase: { subjectIsMinor: true }, allow: true },
  { name: 'child safety views a minor\'s case', as: ['child_safety'], action: 'viewCase', kase: { subjectIsMinor: true }, allow: true },
  { name: 'legal views a case', as: ['legal'], action: 'viewCase', allow: true },
  { name: 'auditor views a case', as: ['auditor'], action: 'viewCase', allow: true },
  { name: 'admin cannot view a case', as: ['admin'], action: 'viewCase', allow: false },
  { name: 'moderator opens a reported case', as: ['moderator'], action: 'openCase', allow: true, reason: 'permit-open-case' },
  { name: 'moderator cannot open an unreported case', as: ['moderator'], action: 'openCase', kase: { reported: false }, allow: false },
  { name: 'senior moderator opens an unreported case', as: ['senior_moderator'], action: 'openCase', kase: { reported: false }, allow: true },
  { name: 'child safety opens an unreported case', as: ['child_safety'], action: 'openCase', kase: { reported: false, subjectIsMinor: true }, allow: true },
  { name: 'auditor cannot open a case', as: ['auditor'], action: 'openCase', allow: false },
  { name: 'admin cannot open a case', as: ['admin'], action: 'openCase', allow: false },
  { name: 'inactive moderator cannot view a case', as: ['moderator'], active: false, action: 'viewCase', allow: false, reason: 'forbid-inactive-staff' },

  // oversight and administration
  { name: 'auditor views the audit log', as: ['auditor'], action: 'viewAuditLog', allow: true, reason: 'permit-view-audit-log' },
  { name: 'admin views the audit log', as: ['admin'], action: 'viewAuditLog', allow: true },
  { name: 'legal views the audit log', as: ['legal'], action: 'viewAuditLog', allow: true },
  { name: 'moderator cannot view the audit log', as: ['moderator'], action: 'viewAuditLog', allow: false },
  { name: 'senior moderator cannot view the audit log', as: ['senior_moderator'], action: 'viewAuditLog', allow: false },
  { name: 'child safety cannot view the audit log', as: ['child_safety'], action: 'viewAuditLog', allow: false },
  { name: 'inactive auditor cannot view the audit log', as: ['auditor'], active: false, action: 'viewAuditLog', allow: false, reason: 'forbid-inactive-staff' },
  { name: 'admin changes policy', as: ['admin'], action: 'changePolicy', allow: true, reason: 'permit-admin-change-policy-and-manage-staff' },
  { name: 'auditor cannot change policy', as: ['auditor'], action: 'changePolicy', allow: false },
  { name: 'senior moderator cannot change policy', as: ['senior_moderator'], action: 'changePolicy', allow: false },
  { name: 'legal cannot change policy', as: ['legal'], action: 'changePolicy', allow: false },
  { name: 'inactive admin cannot change policy', as: ['admin'], active: false, action: 'changePolicy', allow: false, reason: 'forbid-inactive-staff' },
  { name: 'admin views policy', as: ['admin'], action: 'viewPolicy', allow: true, reason: 'permit-view-policy' },
  { name: 'auditor views policy', as: ['auditor'], action: 'viewPolicy', allow: true },
  { name: 'legal cannot view policy', as: ['legal'], action: 'viewPolicy', allow: false },
  { name: 'moderator cannot view policy', as: ['moderator'], action: 'viewPolicy', allow: false },
  { name: 'admin manages staff', as: ['admin'], action: 'manageStaff', allow: true, reason: 'permit-admin-change-policy-and-manage-staff' },
  { name: 'auditor cannot manage staff', as: ['auditor'], action: 'manageStaff', allow: false },
  { name: 'senior moderator cannot manage staff', as: ['senior_moderator'], action: 'manageStaff', allow: false },
  { name: 'inactive admin cannot manage staff', as: ['admin'], active: false, action: 'manageStaff', allow: false, reason: 'forbid-inactive-staff' },
  { name: 'child safety manages hash banks', as: ['child_safety'], action: 'manageHashBanks', allow: true, reason: 'permit-manage-hash-banks' },
  { name: 'admin manages hash banks', as: ['admin'], action: 'manageHashBanks', allow: true, reason: 'permit-manage-hash-banks' },
  { name: 'moderator cannot manage hash banks', as: ['moderator'], action: 'manageHashBanks', allow: false },
  { name: 'senior moderator cannot manage hash banks', as: ['senior_moderator'], action: 'manageHashBanks', allow: false },
  { name: 'auditor views hash banks', as: ['auditor'], action: 'viewHashBanks', allow: true, reason: 'permit-view-hash-banks' },
  { name: 'moderator cannot view hash banks', as: ['moderator'], action: 'viewHashBanks', allow: false },
];

test('default policy table', async (t) => {
  for (const row of rows) {
    await t.test(row.name, () => {
      const req: AccessRequest = {
        principal: { staffId: row.staffId ?? 'alice', roles: row.as, active: row.active ?? true },
        action: row.action,
        resource: resourceFor(row),
        context: row.context,
      };
      const decision = authorize(policies, req);
      assert.deepEqual(decision.errors, []);
      assert.equal(decision.allowed, row.allow, `reasons: ${decision.reasons.join(', ')}`);
      if (row.reason) assert.ok(decision.reasons.includes(row.reason), `reasons: ${decision.reasons.join(', ')}`);
    });
  }
});

test('every action has a row that allows it and one that denies it', () => {
  for (const action of ACCESS_ACTIONS) {
    assert.ok(rows.some((r) => r.action === action && r.allow), `${action} never allowed`);
    assert.ok(rows.some((r) => r.action === action && !r.allow), `${action} never denied`);
  }
});

test('inactive staff are denied every action, whatever their roles', () => {
  for (const action of ACCESS_ACTIONS) {
    const row: Row = { name: action, as: [...STAFF_ROLES], action, context: useCtx, allow: false };
    const d = authorize(policies, {
      principal: { staffId: 'alice', roles: [...STAFF_ROLES], active: false },
      action,
      resource: resourceFor(row),
      context: row.context,
    });
    assert.equal(d.allowed, false, action);
    assert.ok(d.reasons.includes('forbid-inactive-staff'), action);
  }
});

test('two bulk-scope and minor reasons are both reported', () => {
  const d = authorize(policies, {
    principal: { staffId: 'alice', roles: ['child_safety'], active: true },
    action: 'issueWithoutApproval',
    resource: grant({ purpose: 'child_safety_investigation', subjectIsMinor: true, coveredByReport: false, scopeMessageCount: 501 }),
  });
  assert.equal(d.allowed, false);
  assert.deepEqual([...d.reasons].sort(), ['second-approval-bulk-scope', 'second-approval-minor-outside-report']);
});

test('malformed requests are denied with an error, never allowed', () => {
  const admin = { staffId: 'alice', roles: ['admin'] as StaffRole[], active: true };
  const mod = { staffId: 'alice', roles: ['moderator'] as StaffRole[], active: true };
  const cases: [string, AccessRequest][] = [
    ['resource type does not fit action', { principal: admin, action: 'changePolicy', resource: { type: 'AuditLog' } }],
    ['unknown action', { principal: admin, action: 'readEverything' as AccessAction, resource: { type: 'PolicySet' } }],
    ['unknown role', { principal: { ...admin, roles: ['root' as StaffRole] }, action: 'changePolicy', resource: { type: 'PolicySet' } }],
    ['empty staff id', { principal: { ...admin, staffId: '' }, action: 'changePolicy', resource: { type: 'PolicySet' } }],
    ['unknown context key', { principal: admin, action: 'changePolicy', resource: { type: 'PolicySet' }, context: { sudo: true } }],
    ['isOwnGrant claimed falsely', { principal: { ...mod, staffId: 'bob' }, action: 'revokeGrant', resource: grant(), context: { isOwnGrant: true } }],
    ['now not an integer', { principal: mod, action: 'useGrant', resource: grant(), context: { isActive: true, now: 1.5 } }],
    ['isActive not a boolean', { principal: mod, action: 'useGrant', resource: grant(), context: { isActive: 'yes' } }],
    ['unknown purpose', { principal: mod, action: 'useGrant', resource: grant({ purpose: 'curiosity' as GrantResource['purpose'] }), context: useCtx }],
    ['negative scope', { principal: mod, action: 'useGrant', resource: grant({ scopeMessageCount: -1 }), context: useCtx }],
    ['attribute of the wrong type', { principal: mod, action: 'useGrant', resource: grant({ coveredByReport: 'yes' as unknown as boolean }), context: useCtx }],
    ['missing attribute', { principal: mod, action: 'useGrant', resource: grant({ subjectIsMinor: undefined }), context: useCtx }],
  ];
  for (const [name, req] of cases) {
    const d = authorize(policies, req);
    assert.equal(d.allowed, false, name);
    assert.ok(d.errors.length > 0, name);
  }
  // A correct isOwnGrant is accepted.
  assert.equal(authorize(policies, { principal: mod, action: 'useGrant', resource: grant(), context: { isActive: true, isOwnGrant: true } }).allowed, true);
});

test('a forbid that fails to evaluate denies (Cedar alone would skip it and allow)', () => {
  const set = compilePolicies(`
    @id("allow-view-policy") permit (principal, action == Custodian::Action::"viewPolicy", resource);
    @id("overflowing-forbid") forbid (principal, action == Custodian::Action::"viewPolicy", resource)
      when { context.now * 9223372036854775807 > 0 };
  `);
  const d = authorize(set, {
    principal: { staffId: 'alice', roles: ['auditor'], active: true },
    action: 'viewPolicy',
    resource: { type: 'PolicySet' },
    context: { now: 1_800_000_000 },
  });
  assert.equal(d.allowed, false);
  assert.match(d.errors.join(' '), /overflowing-forbid/);
});

test('invalid policy text is rejected with invalid_policy and a position', () => {
  const bad: [string, string, RegExp][] = [
    ['syntax error', 'permit (principal, action, resource) when { 1 + };', /at 1:\d+/],
    ['misspelt role', 'permit (principal in Custodian::Role::"moderater", action, resource);', /moderater/],
    ['unknown action', 'permit (principal, action == Custodian::Action::"readEverything", resource);', /readEverything/],
    ['unknown attribute', '@id("x")\npermit (principal, action == Custodian::Action::"useGrant", resource)\n  when { resource.isVip };', /isVip.*at 3:/],
    ['type error', 'permit (principal, action == Custodian::Action::"useGrant", resource) when { resource.scopeMessageCount == "many" };', /policy/],
    ['unknown entity type', 'permit (principal is Custodian::Robot, action, resource);', /Robot/],
    ['duplicate id', '@id("a") permit (principal, action, resource);\n@id("a") forbid (principal, action, resource);', /duplicate policy id "a"/],
    ['template', 'permit (principal == ?principal, action, resource);', /template/],
    ['empty', '// nothing here\n', /no policies/],
  ];
  for (const [name, text, message] of bad) {
    assert.throws(
      () => compilePolicies(text),
      (err: unknown) => isDomainError(err) && err.code === 'invalid_policy' && message.test(err.message),
      name,
    );
  }
});

test('compiled policies carry ids, sha256 and text', () => {
  assert.equal(policies.text, defaultPolicyText());
  assert.match(policies.sha256, /^[0-9a-f]{64}$/);
  assert.ok(policies.policyIds.includes('forbid-inactive-staff'));
  assert.equal(compilePolicies(defaultPolicyText()), policies, 'same text, same compiled object');
});

test('every default policy has an @id and a comment saying why', () => {
  const text = defaultPolicyText();
  const ids = [...text.matchAll(/^@id\("([^"]+)"\)/gm)].map((m) => m[1]);
  assert.deepEqual([...ids].sort(), [...policies.policyIds].sort());
  for (const id of ids) {
    const before = text.slice(0, text.indexOf(`@id("${id}")`)).trimEnd().split('\n').at(-1) ?? '';
    assert.match(before, /^\/\/ \S/, `${id} has no comment`);
  }
});
