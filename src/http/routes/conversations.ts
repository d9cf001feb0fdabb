// Device routes: conversations, messages, requests, blocks, settings and sync.
import { Type } from 'typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { getUser } from '../../identity/index.js';
import { DomainError } from '../../errors.js';
import { inclusionProof, latestCheckpoint, readEntry } from '../../audit/index.js';
import { deviceOf, requireDevice } from '../auth.js';
import {
  ConversationId, ConversationView, CreateConversationBody, Cursor, DmPolicyBody, DmSettings, errorResponses, HistoryResponse,
  LimitString, MessageId, SendBody, SendResponse, SeqString, SyncResponse, UserId,
} from '../schemas.js';
import type { AppServices } from '../services.js';

const security = [{ userToken: [] }];
const Ok = Type.Object({ ok: Type.Boolean() });

function limitOf(raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  return Math.min(Math.max(Number(raw), 1), max);
}

export async function deviceRoutes(app: FastifyInstance, services: AppServices) {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const m = services.messaging;
  r.addHook('preValidation', requireDevice(services));

  r.post('/v1/conversations', {
    schema: {
      tags: ['conversations'], security, summary: 'Start a direct conversation (same id for the same pair) or a group',
      body: CreateConversationBody,
      response: { 200: ConversationView, 201: ConversationView, ...errorResponses },
    },
  }, async (req, reply) => {
    const { conversation, created } = await m.createConversation(deviceOf(req).userId, req.body);
    return reply.status(created ? 201 : 200).send(conversation);
  });

  r.get('/v1/conversations', {
    schema: {
      tags: ['conversations'], security, summary: 'Your conversations (newest first); requests=true lists message requests',
      querystring: Type.Object({ requests: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])), limit: Type.Optional(LimitString), before: Type.Optional(ConversationId) }, { additionalProperties: false }),
      response: { 200: Type.Object({ conversations: Type.Array(ConversationView), nextBefore: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses },
    },
  }, async (req) => {
    const page = await m.listConversations(deviceOf(req).userId, { requests: req.query.requests === 'true', limit: limitOf(req.query.limit, 50, 200), beforeId: req.query.before });
    return { conversations: page.conversations, nextBefore: page.nextBeforeId };
  });

  r.get('/v1/requests', {
    schema: {
      tags: ['conversations'], security, summary: 'Pending message requests to you',
      querystring: Type.Object({ limit: Type.Optional(LimitString), before: Type.Optional(ConversationId) }, { additionalProperties: false }),
      response: { 200: Type.Object({ conversations: Type.Array(ConversationView), nextBefore: Type.Union([Type.String(), Type.Null()]) }), ...errorResponses },
    },
  }, async (req) => {
    const page = await m.listConversations(deviceOf(req).userId, { requests: true, limit: limitOf(req.query.limit, 50, 200), beforeId: req.query.before });
    return { conversations: page.conversations, nextBefore: page.nextBeforeId };
  });

  const idParams = Type.Object({ conversationId: ConversationId });

  r.get('/v1/conversations/:conversationId', {
    schema: { tags: ['conversations'], security, params: idParams, response: { 200: ConversationView, ...errorResponses } },
  }, async (req) => m.getConversation(req.params.conversationId, deviceOf(req).userId));

  r.post('/v1/conversations/:conversationId/accept', {
    schema: { tags: ['conversations'], security, summary: 'Accept a message request', params: idParams, response: { 200: ConversationView, ...errorResponses } },
  }, async (req) => m.acceptRequest(req.params.conversationId, deviceOf(req).userId));

  r.post('/v1/conversations/:conversationId/decline', {
    schema: { tags: ['conversations'], security, summary: 'Delete a message request; the sender can no longer write', params: idParams, response: { 200: Ok, ...errorResponses } },
  }, async (req) => {
    await m.declineRequest(req.params.conversationId, deviceOf(req).userId);
    return { ok: true };
  });

  r.post('/v1/conversations/:conversationId/leave', {
    schema: { tags: ['conversations'], security, params: idParams, response: { 200: Ok, ...errorResponses } },
  }, async (req) => {
    await m.leaveConversation(req.params.conversationId, deviceOf(req).userId);
    return { ok: true };
  });

  r.post('/v1/conversations/:conversationId/messages', {
    schema: {
      tags: ['messages'], security, summary: 'Send a message; the answer means it is committed',
      params: idParams, body: SendBody,
      response: { 200: SendResponse, ...errorResponses },
    },
  }, async (req) => {
    const d = deviceOf(req);
    const res = await m.sendMessage({ conversationId: req.params.conversationId, senderId: d.userId, deviceId: d.deviceId, clientIp: req.ip, ...req.body });
    return { id: res.id, conversationId: res.conversationId, seq: res.seq, sentAt: res.sentAt.toISOString() };
  });

  r.get('/v1/conversations/:conversationId/messages', {
    schema: {
      tags: ['messages'], security, summary: 'History by opaque cursor (oldest first within a page)',
      params: idParams,
      querystring: Type.Object({ before: Type.Optional(Cursor), after: Type.Optional(Cursor), around: Type.Optional(Cursor), limit: Type.Optional(LimitString) }, { additionalProperties: false }),
      response: { 200: HistoryResponse, ...errorResponses },
    },
  }, async (req) => m.listMessages(req.params.conversationId, deviceOf(req).userId, { ...req.query, limit: limitOf(req.query.limit, 50, 200) }));

  const msgParams = Type.Object({ conversationId: ConversationId, messageId: MessageId });

  r.delete('/v1/conversations/:conversationId/messages/:messageId', {
    schema: { tags: ['messages'], security, summary: 'Unsend your message (recipients see a tombstone)', params: msgParams, response: { 200: Ok, ...errorResponses } },
  }, async (req) => {
    await m.unsendMessage(req.params.conversationId, req.params.messageId, deviceOf(req).userId);
    return { ok: true };
  });

  r.put('/v1/conversations/:conversationId/messages/:messageId/reaction', {
    schema: {
      tags: ['messages'], security, summary: 'Set your reaction to a message (one per person)', params: msgParams,
      body: Type.Object({ emoji: Type.String({ minLength: 1, maxLength: 32 }) }, { additionalProperties: false }),
      response: { 200: Ok, ...errorResponses },
    },
  }, async (req) => {
    await m.setReaction(req.params.conversationId, req.params.messageId, deviceOf(req).userId, req.body.emoji);
    return { ok: true };
  });

  r.delete('/v1/conversations/:conversationId/messages/:messageId/reaction', {
    schema: { tags: ['messages'], security, params: msgParams, response: { 200: Ok, ...errorResponses } },
  }, async (req) => {
    await m.setReaction(req.params.conversationId, req.params.messageId, deviceOf(req).userId, null);
    return { ok: true };
  });

  r.post('/v1/conversations/:conversationId/read', {
    schema: {
      tags: ['messages'], security, summary: 'Read receipt up to a conversation sequence (moves forward only)', params: idParams,
      body: Type.Object({ seq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }) }, { additionalProperties: false }),
      response: { 200: Ok, ...errorResponses },
    },
  }, async (req) => {
    await m.markRead(req.params.conversationId, deviceOf(req).userId, req.body.seq);
    return { ok: true };
  });

  r.post('/v1/conversations/:conversationId/typing', {
    schema: { tags: ['messages'], security, summary: 'Typing indicator (not stored)', params: idParams, response: { 200: Ok, ...errorResponses } },
  }, async (req) => {
    await m.sendTyping(req.params.conversationId, deviceOf(req).userId);
    return { ok: true };
  });

  r.get('/v1/sync', {
    schema: {
      tags: ['sync'], security, summary: 'Your events after an inbox sequence, in order (messages, receipts, reactions, requests, membership)',
      querystring: Type.Object({ after: Type.Optional(SeqString), limit: Type.Optional(LimitString) }, { additionalProperties: false }),
      response: { 200: SyncResponse, ...errorResponses },
    },
  }, async (req) => {
    const d = deviceOf(req);
    const after = req.query.after !== undefined ? Number(req.query.after) : await m.deviceCursor(d.userId, d.deviceId);
    return m.syncInbox(d.userId, after, limitOf(req.query.limit, 200, 1000));
  });

  r.post('/v1/sync/ack', {
    schema: {
      tags: ['sync'], security, summary: 'Record that this device has processed events up to seq',
      body: Type.Object({ seq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }) }, { additionalProperties: false }),
      response: { 200: Ok, ...errorResponses },
    },
  }, async (req) => {
    const d = deviceOf(req);
    await m.ackDevice(d.userId, d.deviceId, req.body.seq);
    return { ok: true };
  });

  // Media arrives as the raw image body (Content-Type image/* or application/octet-stream), bounded separately from
  // the JSON body limit; everything is decoded and scanned before anything is stored.
  r.addContentTypeParser(['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/heic', 'image/heif', 'application/octet-stream'],
    { parseAs: 'buffer', bodyLimit: services.config.mediaMaxBytes },
    (_req, body, done) => done(null, body));

  const MediaInfo = Type.Object({ mediaId: Type.String(), mime: Type.String(), width: Type.Integer(), height: Type.Integer(), byteLength: Type.Integer() });
  r.post('/v1/media', {
    bodyLimit: services.config.mediaMaxBytes,
    schema: {
      tags: ['media'], security, summary: 'Upload an image (JPEG, PNG, WebP, GIF first frame, HEIC); returns a mediaId to send',
      consumes: ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/heic', 'application/octet-stream'],
      response: { 201: MediaInfo, ...errorResponses },
    },
  }, async (req, reply) => {
    if (!Buffer.isBuffer(req.body)) throw new DomainError('unsupported_media_type', 'send the image bytes as the body with an image Content-Type');
    const info = await m.uploadMedia(deviceOf(req).userId, req.body);
    return reply.status(201).send(info);
  });

  r.get('/v1/media/:mediaId', {
    schema: {
      tags: ['media'], security, summary: 'Download media from a message you can see (metadata stripped)',
      params: Type.Object({ mediaId: Type.String({ pattern: '^md_[0-9a-z]{26}$' }) }),
      response: { 200: Type.Any(), ...errorResponses },
    },
  }, async (req, reply) => {
    const media = await m.downloadMedia(req.params.mediaId, deviceOf(req).userId);
    return reply.header('content-type', media.mime).header('content-disposition', 'inline').send(media.bytes);
  });

  r.get('/v1/blocks', {
    schema: { tags: ['safety'], security, response: { 200: Type.Object({ blocks: Type.Array(Type.Object({ userId: Type.String(), blockedAt: Type.String() })) }), ...errorResponses } },
  }, async (req) => ({ blocks: await m.listBlocks(deviceOf(req).userId) }));

  r.post('/v1/blocks', {
    schema: { tags: ['safety'], security, summary: 'Block a user: neither of you can see or message the other', body: Type.Object({ userId: UserId }, { additionalProperties: false }), response: { 200: Ok, ...errorResponses } },
  }, async (req) => {
    await m.blockUser(deviceOf(req).userId, req.body.userId);
    return { ok: true };
  });

  r.delete('/v1/blocks/:userId', {
    schema: { tags: ['safety'], security, params: Type.Object({ userId: UserId }), response: { 200: Ok, ...errorResponses } },
  }, async (req) => {
    await m.unblockUser(deviceOf(req).userId, req.params.userId);
    return { ok: true };
  });

  r.get('/v1/me/access-log', {
    schema: {
      tags: ['me'], security,
      summary: 'Every staff read of your messages: when, the reader\'s role (not name), purpose, case, and the log entry with an inclusion proof',
      response: {
        200: Type.Object({
          checkpoint: Type.String({ description: 'the signed checkpoint the proofs are against' }),
          treeSize: Type.Integer(),
          verifierKey: Type.String(),
          reads: Type.Array(Type.Object({
            readAt: Type.String(), staffRole: Type.String(), purpose: Type.String(), caseReference: Type.String(), messageCount: Type.Integer(),
            logIndex: Type.Integer(), entry: Type.String({ description: 'the log entry (canonical JSON)' }), inclusionProof: Type.Array(Type.String()),
          })),
        }),
        ...errorResponses,
      },
    },
  }, async (req) => {
    const d = deviceOf(req);
    const rows = await services.access.accessHistory(d.userId);
    const checkpoint = await latestCheckpoint(services.db);
    const treeSize = Number(checkpoint.split('\n')[1]);
    const reads = [];
    for (const row of rows) {
      const proof = await inclusionProof(services.db, row.log_index, treeSize);
      const entry = await readEntry(services.db, row.log_index);
      reads.push({
        readAt: row.read_at.toISOString(), staffRole: row.staff_role, purpose: row.purpose, caseReference: row.case_id,
        messageCount: row.message_count, logIndex: row.log_index, entry: entry.toString('utf8'), inclusionProof: proof.map((h) => h.toString('base64')),
      });
    }
    return { checkpoint, treeSize, verifierKey: services.audit.verifierKey, reads };
  });

  r.get('/v1/me/settings', {
    schema: { tags: ['me'], security, response: { 200: DmSettings, ...errorResponses } },
  }, async (req) => m.getDmSettings(await getUser(services.db, deviceOf(req).userId)));

  r.put('/v1/me/settings', {
    schema: { tags: ['me'], security, summary: 'Who may DM you (within what your age group allows)', body: DmPolicyBody, response: { 200: DmSettings, ...errorResponses } },
  }, async (req) => m.setDmPolicy(await getUser(services.db, deviceOf(req).userId), req.body.dmPolicy));
}
