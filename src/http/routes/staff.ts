// Staff routes (/staff/v1): sign-in, cases, grants, content reads through grants, policies. Every decision is
// made by access (Cedar) and logged; these handlers only translate HTTP.
import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { DomainError } from '../../errors.js';
import { getUsers, loginStaff, logoutStaff } from '../../identity/index.js';
import { coveredByReport, getCase, openCase } from '../../review/index.js';
import { clearSessionCookie, requireStaff, sessionCookieOf, setSessionCookie, staffOf } from '../staff-auth.js';
import { ConversationId, errorResponses, UserId } from '../schemas.js';
import type { AppServices } from '../services.js';

const security = [{ staffSession: [] }];
const StaffView = Type.Object({ staffId: Type.String(), username: Type.String(), displayName: Type.String(), roles: Type.Array(Type.String()) });
const GrantView = Type.Object({
  grantId: Type.String(), staffId: Type.String(), purpose: Type.String(), caseId: Type.Union([Type.String(), Type.Null()]),
  legalRequestId: Type.Union([Type.String(), Type.Null()]), justification: Type.String(),
  scope: Type.Object({ conversationIds: Type.Array(Type.String()), fromSeq: Type.Union([Type.Integer(), Type.Null()]), toSeq: Type.Union([Type.Integer(), Type.Null()]), fromTime: Type.Union([Type.String(), Type.Null()]), toTime: Type.Union([Type.String(), Type.Null()]) }),
  messageCount: Type.Integer(), subjectIsMinor: Type.Boolean(), coveredByReport: Type.Boolean(), needsApproval: Type.Boolean(),
  approvals: Type.Array(Type.String()), status: Type.String(), expiresAt: Type.String(), createdAt: Type.String(), revokedAt: Type.Union([Type.String(), Type.Null()]),
});
const CaseView = Type.Object({
  caseId: Type.String(), subjectUserId: Type.String(), source: Type.String(), openedBy: Type.String(), status: Type.String(), createdAt: Type.String(),
  reported: Type.Union([Type.Null(), Type.Object({ conversationId: Type.String(), fromSeq: Type.Integer(), toSeq: Type.Integer(), reportedBy: Type.String() })]),
});
const StaffMessage = Type.Object({
  id: Type.String(), conversationId: Type.String(), seq: Type.Integer(), senderId: Type.String(), sentAt: Type.String(),
  text: Type.Optional(Type.String()), pointer: Type.Optional(Type.Object({ kind: Type.String(), id: Type.String() })), unsent: Type.Boolean(), contentUnavailable: Type.Optional(Type.Boolean()),
});
const Seq = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
const GrantId = Type.String({ pattern: '^gr_[0-9a-z]{26}$' });
const CaseId = Type.String({ pattern: '^cs_[0-9a-z]{26}$' });

function caseView(c: Awaited<ReturnType<typeof getCase>>) {
  return { ...c, createdAt: c.createdAt.toISOString() };
}

export async function staffRoutes(app: FastifyInstance, services: AppServices) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const access = services.access;

  r.post('/staff/v1/login', {
    schema: {
      tags: ['staff'], summary: 'Sign in with password and TOTP; sets an HttpOnly SameSite=Strict session cookie',
      body: Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 256 }), totp: Type.String({ maxLength: 10 }) }, { additionalProperties: false }),
      response: { 200: StaffView, ...errorResponses },
    },
  }, async (req, reply) => {
    const outcome = await loginStaff(services.db, services.keyring, req.body);
    await services.audit.append({
      type: 'staff.login', staffId: outcome.ok ? outcome.staff.staffId : outcome.staffId, outcome: outcome.ok ? 'ok' : outcome.code,
      lockedNow: outcome.ok ? false : outcome.lockedNow, at: new Date().toISOString(),
    });
    if (!outcome.ok) {
      throw new DomainError(outcome.code, outcome.code === 'account_locked' ? 'too many failed sign-ins; try again later' : 'username, password or code is wrong');
    }
    setSessionCookie(reply, outcome.sessionToken, outcome.expiresAt, Boolean(services.config.tls));
    return outcome.staff;
  });

  await r.register(async (s) => {
    const sr = s.withTypeProvider<TypeBoxTypeProvider>();
    sr.addHook('preValidation', requireStaff(services));

    sr.post('/staff/v1/logout', { schema: { tags: ['staff'], security, body: Type.Optional(Type.Object({}, { additionalProperties: false })), response: { 200: Type.Object({ ok: Type.Boolean() }), ...errorResponses } } }, async (req, reply) => {
      const token = sessionCookieOf(req);
      if (token) await logoutStaff(services.db, token);
      clearSessionCookie(reply);
      return { ok: true };
    });

    sr.get('/staff/v1/me', { schema: { tags: ['staff'], security, response: { 200: StaffView, ...errorResponses } } }, async (req) => staffOf(req));

    sr.post('/staff/v1/cases', {
      schema: {
        tags: ['staff'], security, summary: 'Open a case about a user (minimal until the review issue)',
        body: Type.Object({
          subjectUserId: UserId,
          reported: Type.Optional(Type.Object({ conversationId: ConversationId, fromSeq: Seq, toSeq: Seq, reportedBy: UserId }, { additionalProperties: false })),
        }, { additionalProperties: false }),
        response: { 201: CaseView, ...errorResponses },
      },
    }, async (req, reply) => {
      const staff = staffOf(req);
      const [subject] = await getUsers(services.db, [req.body.subjectUserId]);
      if (!subject) throw new DomainError('user_not_found', 'user not found');
      await access.require(staff, 'openCase', { type: 'Case', caseId: 'new', subjectIsMinor: subject.ageBand !== 'adult', reported: Boolean(req.body.reported) });
      const c = await openCase(services.db, { subjectUserId: subject.userId, source: req.body.reported ? 'report' : 'staff', openedBy: staff.staffId, reported: req.body.reported ?? null });
      return reply.status(201).send(caseView(c));
    });

    sr.get('/staff/v1/cases/:caseId', { schema: { tags: ['staff'], security, params: Type.Object({ caseId: CaseId }), response: { 200: CaseView, ...errorResponses } } }, async (req) => {
      const c = await getCase(services.db, req.params.caseId);
      const [subject] = await getUsers(services.db, [c.subjectUserId]);
      await access.require(staffOf(req), 'viewCase', { type: 'Case', caseId: c.caseId, subjectIsMinor: subject ? subject.ageBand !== 'adult' : true, reported: Boolean(c.reported) });
      return caseView(c);
    });

    sr.post('/staff/v1/grants', {
      schema: {
        tags: ['staff'], security, summary: 'Request a grant to read content for a case; policy may require a second approval',
        body: Type.Object({
          purpose: Type.Union([Type.Literal('case_review'), Type.Literal('child_safety_investigation'), Type.Literal('appeal_review'), Type.Literal('legal_production')]),
          caseId: Type.Optional(CaseId),
          legalRequestId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' })),
          justification: Type.String({ minLength: 10, maxLength: 2000 }),
          conversationIds: Type.Array(ConversationId, { minItems: 1, maxItems: 50 }),
          fromSeq: Type.Optional(Seq), toSeq: Type.Optional(Seq),
          fromTime: Type.Optional(Type.String({ format: 'date-time' })), toTime: Type.Optional(Type.String({ format: 'date-time' })),
          durationMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1440 })),
        }, { additionalProperties: false }),
        response: { 201: GrantView, ...errorResponses },
      },
    }, async (req, reply) => {
      const b = req.body;
      const scope = {
        conversationIds: b.conversationIds, fromSeq: b.fromSeq, toSeq: b.toSeq,
        fromTime: b.fromTime ? new Date(b.fromTime) : undefined, toTime: b.toTime ? new Date(b.toTime) : undefined,
      };
      let covered = false;
      if (b.caseId) {
        const c = await getCase(services.db, b.caseId);
        covered = scope.fromSeq !== undefined && scope.toSeq !== undefined && !scope.fromTime && !scope.toTime &&
          coveredByReport(c, { conversationIds: scope.conversationIds, fromSeq: scope.fromSeq, toSeq: scope.toSeq });
      }
      const grant = await access.requestGrant(staffOf(req), { purpose: b.purpose, caseId: b.caseId, legalRequestId: b.legalRequestId, justification: b.justification, scope, durationMinutes: b.durationMinutes, coveredByReport: covered });
      return reply.status(201).send(grant);
    });

    const grantParams = Type.Object({ grantId: GrantId });
    sr.get('/staff/v1/grants/:grantId', { schema: { tags: ['staff'], security, params: grantParams, response: { 200: GrantView, ...errorResponses } } }, async (req) => access.getGrant(staffOf(req), req.params.grantId));
    sr.post('/staff/v1/grants/:grantId/approve', { schema: { tags: ['staff'], security, params: grantParams, body: Type.Object({}, { additionalProperties: false }), response: { 200: GrantView, ...errorResponses } } }, async (req) => access.approveGrant(staffOf(req), req.params.grantId));
    sr.post('/staff/v1/grants/:grantId/revoke', {
      schema: { tags: ['staff'], security, params: grantParams, body: Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }), response: { 200: GrantView, ...errorResponses } },
    }, async (req) => access.revokeGrant(staffOf(req), req.params.grantId, req.body.reason));
    sr.post('/staff/v1/grants/:grantId/read', {
      schema: {
        tags: ['staff'], security, summary: 'Read content within a grant; the read is logged before plaintext is returned',
        params: grantParams,
        body: Type.Object({ conversationId: ConversationId, fromSeq: Type.Optional(Seq), toSeq: Type.Optional(Seq), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })) }, { additionalProperties: false }),
        response: { 200: Type.Object({ grantId: Type.String(), logIndex: Type.Integer(), messages: Type.Array(StaffMessage) }), ...errorResponses },
      },
    }, async (req) => access.readContent(staffOf(req), req.params.grantId, req.body));

    // Hash banks (known-content lists). Imports stream CSV or JSONL bodies; every change is logged.
    sr.addContentTypeParser(['text/csv', 'application/x-ndjson', 'application/jsonl'], { parseAs: 'buffer', bodyLimit: 256 * 1024 * 1024 }, (_req, body, done) => done(null, body));
    const BankView = Type.Object({ id: Type.String(), name: Type.String(), action: Type.String(), pdqThreshold: Type.Integer(), enabled: Type.Boolean(), entries: Type.Integer(), activeEntries: Type.Integer() });
    sr.get('/staff/v1/banks', { schema: { tags: ['staff'], security, response: { 200: Type.Object({ banks: Type.Array(BankView) }), ...errorResponses } } }, async (req) => {
      await access.require(staffOf(req), 'viewHashBanks', { type: 'HashBanks' });
      return { banks: services.safety.knownContent.banks() };
    });
    sr.post('/staff/v1/banks', {
      schema: {
        tags: ['staff'], security, summary: 'Create a hash bank',
        body: Type.Object({
          bankId: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }), name: Type.String({ minLength: 1, maxLength: 200 }),
          action: Type.Union([Type.Literal('quarantine_and_report'), Type.Literal('block'), Type.Literal('flag'), Type.Literal('allow')]),
          pdqThreshold: Type.Optional(Type.Integer({ minimum: 0, maximum: 63 })),
        }, { additionalProperties: false }),
        response: { 201: BankView, ...errorResponses },
      },
    }, async (req, reply) => {
      const staff = staffOf(req);
      await access.require(staff, 'manageHashBanks', { type: 'HashBanks' });
      return reply.status(201).send(await services.safety.knownContent.createBank(staff.staffId, req.body));
    });
    sr.post('/staff/v1/banks/:bankId/import', {
      schema: {
        tags: ['staff'], security, summary: 'Import hashes into a bank (body: text/csv or application/x-ndjson)',
        consumes: ['text/csv', 'application/x-ndjson'],
        params: Type.Object({ bankId: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' }) }),
        response: { 200: Type.Object({ importId: Type.String(), accepted: Type.Integer(), rejected: Type.Integer(), rejectedLines: Type.Array(Type.Object({ line: Type.Integer(), reason: Type.String() })) }), ...errorResponses },
      },
    }, async (req) => {
      const staff = staffOf(req);
      await access.require(staff, 'manageHashBanks', { type: 'HashBanks' });
      if (!Buffer.isBuffer(req.body)) throw new DomainError('unsupported_media_type', 'send text/csv or application/x-ndjson');
      const format = String(req.headers['content-type']).startsWith('text/csv') ? 'csv' : 'jsonl';
      return services.safety.knownContent.importEntries(staff.staffId, req.params.bankId, [req.body], format);
    });
    sr.post('/staff/v1/banks/entries/:entryId/disable', {
      schema: { tags: ['staff'], security, params: Type.Object({ entryId: Type.String({ pattern: '^he_[0-9a-z]{26}$' }) }), body: Type.Object({}, { additionalProperties: false }), response: { 200: Type.Object({ ok: Type.Boolean() }), ...errorResponses } },
    }, async (req) => {
      const staff = staffOf(req);
      await access.require(staff, 'manageHashBanks', { type: 'HashBanks' });
      await services.safety.knownContent.disableEntry(staff.staffId, req.params.entryId);
      return { ok: true };
    });

    sr.get('/staff/v1/policies', {
      schema: { tags: ['staff'], security, response: { 200: Type.Object({ version: Type.Integer(), sha256: Type.String(), text: Type.String() }), ...errorResponses } },
    }, async (req) => {
      await access.require(staffOf(req), 'viewPolicy', { type: 'PolicySet' });
      return access.currentPolicies();
    });
    sr.put('/staff/v1/policies', {
      schema: {
        tags: ['staff'], security, summary: 'Replace the policy set (admins); the change is logged before it takes effect',
        body: Type.Object({ text: Type.String({ minLength: 1, maxLength: 60000 }), reason: Type.String({ minLength: 3, maxLength: 500 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ version: Type.Integer(), sha256: Type.String(), text: Type.String() }), ...errorResponses },
      },
    }, async (req) => {
      await access.changePolicies(staffOf(req), req.body.text, req.body.reason);
      return access.currentPolicies();
    });
  });
}
