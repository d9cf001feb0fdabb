// Platform routes: the operator's backend registers users, mints device tokens and shares its social graph.
import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { issueUserToken, setRelationship, upsertUser, type UserRow } from '../../identity/index.js';
import { requirePlatform } from '../auth.js';
import { errorResponses, RelationshipBody, RelationshipView, TokenBody, TokenResponse, UpsertUserBody, UserId, UserView } from '../schemas.js';
import type { AppServices } from '../services.js';

const security = [{ platformKey: [] }];

function userView(u: UserRow) {
  return { ...u, createdAt: u.createdAt.toISOString(), updatedAt: u.updatedAt.toISOString() };
}

export async function platformRoutes(app: FastifyInstance, services: AppServices) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.addHook('preValidation', requirePlatform(services));

  r.put('/v1/platform/users/:userId', {
    schema: {
      tags: ['platform'], security, summary: 'Create or update a user',
      params: Type.Object({ userId: UserId }),
      body: UpsertUserBody,
      response: { 200: UserView, ...errorResponses },
    },
  }, async (req) => userView(await upsertUser(services, { userId: req.params.userId, ...req.body })));

  r.post('/v1/platform/users/:userId/tokens', {
    schema: {
      tags: ['platform'], security, summary: 'Mint a device token for a user (EdDSA JWT, 1 h)',
      params: Type.Object({ userId: UserId }),
      body: TokenBody,
      response: { 200: TokenResponse, ...errorResponses },
    },
  }, async (req) => {
    const t = await issueUserToken(services, req.params.userId, req.body.deviceId);
    return { token: t.token, expiresAt: t.expiresAt.toISOString() };
  });

  r.put('/v1/platform/relationships', {
    schema: {
      tags: ['platform'], security, summary: 'Record the platform\'s relationship hint for a pair of users',
      body: RelationshipBody,
      response: { 200: RelationshipView, ...errorResponses },
    },
  }, async (req) => {
    const rel = await setRelationship(services.db, req.body.a, req.body.b, req.body.kind);
    return { a: rel.a, b: rel.b, kind: rel.kind };
  });
}
