/**
 * access/policy: the Cedar policy engine that decides every staff action on grants, cases, the audit log,
 * the policy set and the staff directory. Pure and synchronous: storage of policy versions is policy-store.ts.
 * Exposes: compilePolicies, authorize, defaultPolicyText, policySchemaText, sha256Hex, STAFF_ROLES, ACCESS_ACTIONS,
 * ACTION_RESOURCE, GRANT_PURPOSES and the request types.
 * Never: allow on an evaluation error (Cedar skips a failing forbid; we deny instead); build a request that
 * the schema would not accept; put user content into a request (ids and counts only).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { DomainError } from '../errors.js';
import { PolicyErrorCode } from './policy-errors.js';

// Roles are identity's data; what each may do is decided here.
import { STAFF_ROLES, type StaffRole } from '../identity/staff.js';
export { STAFF_ROLES, type StaffRole };

export const GRANT_PURPOSES = ['case_review', 'child_safety_investigation', 'legal_production', 'appeal_review'] as const;
export type GrantPurpose = (typeof GRANT_PURPOSES)[number];

/** Each action and the resource type it applies to (mirrors the `appliesTo` clauses of the schema). */
export const ACTION_RESOURCE = {
  requestGrant: 'Grant',
  issueWithoutApproval: 'Grant',
  approveGrant: 'Grant',
  useGrant: 'Grant',
  revokeGrant: 'Grant',
  viewCase: 'Case',
  openCase: 'Case',
  viewAuditLog: 'AuditLog',
  changePolicy: 'PolicySet',
  viewPolicy: 'PolicySet',
  manageStaff: 'StaffDirectory',
  viewHashBanks: 'HashBanks',
  manageHashBanks: 'HashBanks',
} as const;
export type AccessAction = keyof typeof ACTION_RESOURCE;
export const ACCESS_ACTIONS = Object.keys(ACTION_RESOURCE) as AccessAction[];

export interface GrantResource {
  type: 'Grant';
  /** For requestGrant / issueWithoutApproval, the id the grant will have (or any placeholder). */
  grantId: string;
  /** staffId of the requester. */
  requestedBy: string;
  purpose: GrantPurpose;
  caseId: string | null;
  legalRequestId: string | null;
  scopeMessageCount: number;
  subjectIsMinor: boolean;
  /** The whole scope lies within what a user report consented to. */
  coveredByReport: boolean;
  /** staffIds that approved; approvalCount is derived from it (duplicates counted once). */
  approvals: string[];
  /** issueWithoutApproval was denied when the grant was requested. False (unknown) at request time. */
  needsApproval: boolean;
}
export interface CaseResource {
  type: 'Case';
  caseId: string;
  subjectIsMinor: boolean;
  reported: boolean;
}
export type ResourceInput =
  | GrantResource
  | CaseResource
  | { type: 'PolicySet' }
  | { type: 'AuditLog' }
  | { type: 'StaffDirectory' }
  | { type: 'HashBanks' };

export interface AccessPrincipal {
  staffId: string;
  roles: StaffRole[];
  active: boolean;
}

/**
 * Context keys the schema knows: `now` (unix seconds; defaults to the clock), `isActive` (useGrant: the grant
 * is issued, approved as needed, unexpired, unrevoked and the read is in scope; defaults to false) and
 * `isOwnGrant` (derived from the resource; a supplied value must agree). Any other key is an error (deny).
 */
export interface AccessRequest {
  principal: AccessPrincipal;
  action: AccessAction;
  resource: ResourceInput;
  context?: Record<string, boolean | number | string>;
}

export interface AccessDecision {
  allowed: boolean;
  /** Ids (@id) of the policies that determined the decision: permits when allowed, forbids when denied by one. */
  reasons: string[];
  /** Why the request could not be evaluated; non-empty implies allowed === false. */
  errors: string[];
}

/** A validated policy set, ready for `authorize`. Obtain only from `compilePolicies`. */
export interface CompiledPolicies {
  readonly text: string;
  /** Hex SHA-256 of the UTF-8 text: what the audit log records for a policy version. */
  readonly sha256: string;
  /** Policy ids in text order (from `@id("…")`, else Cedar's `policyN`). */
  readonly policyIds: readonly string[];
  readonly policies: Readonly<Record<string, string>>;
}

const NS = 'Custodian';
const SCHEMA_NAME = 'custodian-access';
/** Policy text is staff configuration; this bounds parse work for a pasted mistake. */
const MAX_POLICY_TEXT_CHARS = 256 * 1024;

const schemaText = readFileSync(new URL('./policies/schema.cedarschema', import.meta.url), 'utf8');
{
  const parsed = cedar.preparseSchema(SCHEMA_NAME, schemaText);
  if (parsed.type !== 'success') {
    throw new Error(`access policy schema does not parse: ${parsed.errors.map((e) => e.message).join('; ')}`);
  }
}

/** The text of the default policy set (stored as version 1 on a fresh install). */
export function defaultPolicyText(): string {
  return readFileSync(new URL('./policies/default.cedar', import.meta.url), 'utf8');
}

/** The Cedar schema every policy set is validated against. */
export function policySchemaText(): string {
  return schemaText;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Compiled sets by sha256: validation is deterministic, and loadCurrentPolicies runs on every request. */
const compiledCache = new Map<string, CompiledPolicies>();
const COMPILED_CACHE_MAX = 32;
/** Policy-set ids already preparsed into the wasm module's cache (per thread, as is the module). */
const preparsed = new Set<string>();

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split('\n').length;
  const col = offset - before.lastIndexOf('\n');
  return `${line}:${col}`;
}

function describe(err: cedar.DetailedError, text: string, base = 0): string {
  const where = err.sourceLocations?.[0];
  const at = where ? ` at ${lineCol(text, base + where.start)}` : '';
  const label = where?.label ? ` (${where.label})` : '';
  const help = err.help ? ` [${err.help}]` : '';
  return `${err.message}${at}${label}${help}`;
}

function invalid(message: string): DomainError {
  return new DomainError(PolicyErrorCode.invalidPolicy, message);
}

/**
 * Parses `text`, gives each policy its `@id` (Cedar's `policyN` when absent), validates the set in strict
 * mode against the schema and prepares it for evaluation. Throws DomainError `invalid_policy` with the
 * parser's or validator's message and line:column. Templates are refused: links would be state outside the text.
 */
export function compilePolicies(text: string): CompiledPolicies {
  if (typeof text !== 'string') throw invalid('policy text must be a string');
  if (text.length > MAX_POLICY_TEXT_CHARS) throw invalid(`policy text is over ${MAX_POLICY_TEXT_CHARS} characters`);
  const sha256 = sha256Hex(text);
  const cached = compiledCache.get(sha256);
  if (cached) return cached;

  const parts = cedar.policySetTextToParts(text);
  if (parts.type !== 'success') throw invalid(parts.errors.map((e) => describe(e, text)).join('; '));
  if (parts.policy_templates.length > 0) throw invalid('policy templates are not supported');
  if (parts.policies.length === 0) throw invalid('policy set has no policies');

  const policies: Record<string, string> = {};
  const offsets: Record<string, number> = {};
  let searchFrom = 0;
  parts.policies.forEach((policyText, i) => {
    const json = cedar.policyToJson(policyText);
    if (json.type !== 'success') throw invalid(json.errors.map((e) => describe(e, policyText)).join('; '));
    const id = json.json.annotations?.id ?? `policy${i}`;
    if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(id)) throw invalid(`policy id ${JSON.stringify(id.slice(0, 130))} must match [A-Za-z0-9_.:-]{1,128}`);
    if (Object.hasOwn(policies, id)) throw invalid(`duplicate policy id "${id}"`);
    policies[id] = policyText;
    // Parts are slices of the source, so validation offsets (relative to a part) map back to the text.
    const at = text.indexOf(policyText, searchFrom);
    offsets[id] = at >= 0 ? at : 0;
    if (at >= 0) searchFrom = at + policyText.length;
  });

  const checked = cedar.validate({
    schema: schemaText,
    policies: { staticPolicies: policies },
    validationSettings: { mode: 'strict' },
  });
  if (checked.type !== 'success') throw invalid(checked.errors.map((e) => describe(e, text)).join('; '));
  if (checked.validationErrors.length > 0) {
    throw invalid(
      checked.validationErrors
        .map((v) => `policy "${v.policyId}": ${describe(v.error, text, offsets[v.policyId] ?? 0)}`)
        .join('; '),
    );
  }

  const compiled: CompiledPolicies = Object.freeze({
    text,
    sha256,
    policyIds: Object.freeze(Object.keys(policies)),
    policies: Object.freeze(policies),
  });
  ensurePreparsed(compiled);
  if (compiledCache.size >= COMPILED_CACHE_MAX) compiledCache.delete(compiledCache.keys().next().value!);
  compiledCache.set(sha256, compiled);
  return compiled;
}

function psetId(compiled: CompiledPolicies): string {
  return `custodian-${compiled.sha256}`;
}

function ensurePreparsed(compiled: CompiledPolicies): void {
  const id = psetId(compiled);
  if (preparsed.has(id)) return;
  const answer = cedar.preparsePolicySet(id, { staticPolicies: { ...compiled.policies } });
  if (answer.type !== 'success') throw invalid(answer.errors.map((e) => e.message).join('; '));
  preparsed.add(id);
}

const uid = (type: string, id: string) => ({ type: `${NS}::${type}`, id });
const ref = (type: string, id: string) => ({ __entity: uid(type, id) });

function nonEmptyId(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new Error(`${what} must be a non-empty string`);
  return value;
}

function buildResource(req: AccessRequest): { uid: cedar.TypeAndId; entity: cedar.EntityJson | null; isOwnGrant: boolean } {
  const r = req.resource;
  const expected = ACTION_RESOURCE[req.action];
  if (expected === undefined) throw new Error(`unknown action ${JSON.stringify(String(req.action))}`);
  if (r?.type !== expected) throw new Error(`action ${req.action} applies to ${expected}, not ${String(r?.type)}`);
  switch (r.type) {
    case 'Grant': {
      if (!GRANT_PURPOSES.includes(r.purpose)) throw new Error(`unknown grant purpose ${JSON.stringify(String(r.purpose))}`);
      if (!Number.isSafeInteger(r.scopeMessageCount) || r.scopeMessageCount < 0) {
        throw new Error('scopeMessageCount must be a non-negative integer');
      }
      const approvals = [...new Set(r.approvals.map((a) => nonEmptyId(a, 'approval staffId')))];
      const id = uid('Grant', nonEmptyId(r.grantId, 'grantId'));
      const requestedBy = nonEmptyId(r.requestedBy, 'requestedBy');
      return {
        uid: id,
        isOwnGrant: requestedBy === req.principal.staffId,
        entity: {
          uid: id,
          attrs: {
            requestedBy: ref('Staff', requestedBy),
            purpose: r.purpose,
            caseId: r.caseId ?? '',
            legalRequestId: r.legalRequestId ?? '',
            scopeMessageCount: r.scopeMessageCount,
            subjectIsMinor: r.subjectIsMinor,
            coveredByReport: r.coveredByReport,
            approvals: approvals.map((a) => ref('Staff', a)),
            approvalCount: approvals.length,
            needsApproval: r.needsApproval,
          },
          parents: [],
        },
      };
    }
    case 'Case': {
      const id = uid('Case', nonEmptyId(r.caseId, 'caseId'));
      return {
        uid: id,
        isOwnGrant: false,
        entity: { uid: id, attrs: { subjectIsMinor: r.subjectIsMinor, reported: r.reported }, parents: [] },
      };
    }
    // Singletons of enumerated entity types: they exist by declaration and carry no attributes.
    case 'PolicySet':
      return { uid: uid('PolicySet', 'current'), entity: null, isOwnGrant: false };
    case 'AuditLog':
      return { uid: uid('AuditLog', 'main'), entity: null, isOwnGrant: false };
    case 'StaffDirectory':
      return { uid: uid('StaffDirectory', 'main'), entity: null, isOwnGrant: false };
    case 'HashBanks':
      return { uid: uid('HashBanks', 'main'), entity: null, isOwnGrant: false };
  }
}

function buildContext(given: AccessRequest['context'], isOwnGrant: boolean): cedar.Context {
  const ctx = { now: Math.floor(Date.now() / 1000), isOwnGrant, isActive: false };
  for (const [key, value] of Object.entries(given ?? {})) {
    if (key === 'now') {
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new Error('context.now must be integer unix seconds');
      ctx.now = value;
    } else if (key === 'isActive') {
      if (typeof value !== 'boolean') throw new Error('context.isActive must be a boolean');
      ctx.isActive = value;
    } else if (key === 'isOwnGrant') {
      // Derived from the resource so a caller cannot claim someone else's grant as its own.
      if (value !== isOwnGrant) throw new Error('context.isOwnGrant disagrees with the resource');
    } else {
      throw new Error(`unknown context key ${JSON.stringify(key.slice(0, 64))}`);
    }
  }
  return ctx;
}

/**
 * Decides one request. Deny on anything unexpected: a malformed request, a request the schema rejects, or
 * any policy that errors while evaluating (Cedar alone would skip an erroring forbid and might allow).
 */
export function authorize(policies: CompiledPolicies, req: AccessRequest): AccessDecision {
  try {
    const p = req.principal;
    const staffId = nonEmptyId(p?.staffId, 'principal.staffId');
    if (typeof p.active !== 'boolean') throw new Error('principal.active must be a boolean');
    for (const role of p.roles) {
      if (!STAFF_ROLES.includes(role)) throw new Error(`unknown staff role ${JSON.stringify(String(role))}`);
    }
    const resource = buildResource(req);
    const principal: cedar.EntityJson = {
      uid: uid('Staff', staffId),
      attrs: { active: p.active },
      parents: [...new Set(p.roles)].map((role) => uid('Role', role)),
    };
    const entities: cedar.EntityJson[] = [principal];
    if (resource.entity) entities.push(resource.entity);

    ensurePreparsed(policies);
    const answer = cedar.statefulIsAuthorized({
      principal: principal.uid,
      action: uid('Action', req.action),
      resource: resource.uid,
      context: buildContext(req.context, resource.isOwnGrant),
      // The schema types the entities (a wrong attribute type fails the call). Request validation against the
      // schema is off: it costs ~7 ms a call, and buildResource/buildContext already pin the action's resource
      // type and every context key and type.
      preparsedSchemaName: SCHEMA_NAME,
      validateRequest: false,
      preparsedPolicySetId: psetId(policies),
      entities,
    });
    if (answer.type !== 'success') {
      return { allowed: false, reasons: [], errors: answer.errors.map((e) => e.message) };
    }
    const { decision, diagnostics } = answer.response;
    if (diagnostics.errors.length > 0) {
      return {
        allowed: false,
        reasons: [],
        errors: diagnostics.errors.map((e) => `policy "${e.policyId}": ${e.error.message}`),
      };
    }
    return { allowed: decision === 'allow', reasons: [...diagnostics.reason], errors: [] };
  } catch (err) {
    return { allowed: false, reasons: [], errors: [err instanceof Error ? err.message : 'authorization failed'] };
  }
}
