/**
 * access: staff authorization (Cedar policies as versioned data), grants, and the one function that decrypts
 * content for staff (readContent).
 * Owns: access_* tables. Exposes: createAccess, accessMigrations, AccessErrors, policy types.
 * May import: audit (through the AuditAppender it is handed), identity, storage, crypto, config.
 * Never: return plaintext before the read's log entry is durable; let a grant be used outside its scope, after
 *   expiry or revocation, or by anyone but its holder; change policy without a log entry.
 */
import type { Staff } from '../identity/index.js';
import type { Db } from '../storage/index.js';
import { accessGrantMigrations } from './migrations.js';
import { authorize, type AccessAction, type CompiledPolicies, type ResourceInput } from './policy.js';
import { accessPolicyMigrations, changePolicies, listPolicyVersions, loadCurrentPolicies } from './policy-store.js';
import * as grants from './grants.js';
import { DomainError } from '../errors.js';
import { AccessErrors } from './errors.js';

export { AccessErrors } from './errors.js';
export { STAFF_ROLES, type StaffRole, type AccessAction, type CompiledPolicies, compilePolicies, defaultPolicyText } from './policy.js';
export type { Grant, GrantPurpose, ContentReader, AuditAppender, ContentSelector, GrantRequestInput } from './grants.js';
export { DEFAULT_GRANT_MINUTES, MAX_GRANT_MINUTES } from './grants.js';

export const accessMigrations = [...accessPolicyMigrations, ...accessGrantMigrations];

export async function createAccess(deps: { db: Db; audit: grants.AuditAppender; reader: grants.ContentReader; now?: () => Date }) {
  let current = await loadCurrentPolicies(deps.db);
  const g: grants.AccessDeps = { db: deps.db, audit: deps.audit, reader: deps.reader, policies: () => current.compiled, now: deps.now };
  const nowSeconds = () => Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);

  /** Authorizes a non-grant staff action; a denial is logged and becomes 403 action_denied. */
  async function require(staff: Staff, action: AccessAction, resource: ResourceInput) {
    const d = authorize(current.compiled, { principal: { staffId: staff.staffId, roles: staff.roles, active: staff.active }, action, resource, context: { now: nowSeconds() } });
    if (!d.allowed) {
      await deps.audit.append({ type: 'staff.action_denied', staffId: staff.staffId, roles: staff.roles, action, resource: resource.type, at: new Date(nowSeconds() * 1000).toISOString() });
      throw new DomainError(AccessErrors.actionDenied, 'policy does not allow this action');
    }
  }

  return {
    require,
    isAllowed(staff: Staff, action: AccessAction, resource: ResourceInput): boolean {
      return authorize(current.compiled, { principal: { staffId: staff.staffId, roles: staff.roles, active: staff.active }, action, resource, context: { now: nowSeconds() } }).allowed;
    },
    requestGrant: (staff: Staff, input: grants.GrantRequestInput) => grants.requestGrant(g, staff, input),
    approveGrant: (staff: Staff, grantId: string) => grants.approveGrant(g, staff, grantId),
    revokeGrant: (staff: Staff, grantId: string, reason: string) => grants.revokeGrant(g, staff, grantId, reason),
    getGrant: async (staff: Staff, grantId: string) => {
      const grant = await grants.getGrant(deps.db, grantId);
      // Holders see their grants; reviewers who could approve or revoke see them too.
      if (grant.staffId !== staff.staffId && !staff.roles.some((r) => r !== 'moderator')) {
        throw new DomainError(AccessErrors.grantNotFound, 'grant not found');
      }
      return grant;
    },
    readContent: (staff: Staff, grantId: string, selector: grants.ContentSelector) => grants.readContent(g, staff, grantId, selector),
    accessHistory: (userId: string) => grants.accessHistory(g, userId, deps.now?.() ?? new Date()),
    currentPolicies: () => ({ version: current.version, text: current.text, sha256: current.compiled.sha256 }),
    listPolicyVersions: () => listPolicyVersions(deps.db),
    async changePolicies(staff: Staff, text: string, reason: string) {
      await require(staff, 'changePolicy', { type: 'PolicySet' });
      const result = await changePolicies(deps.db, { text, changedBy: staff.staffId, reason }, async (change) => {
        await deps.audit.append({ type: 'policy.changed', ...change, at: new Date().toISOString() });
      });
      current = await loadCurrentPolicies(deps.db);
      return result;
    },
  };
}

export type Access = Awaited<ReturnType<typeof createAccess>>;
export type { CompiledPolicies as Policies };
