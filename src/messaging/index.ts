/**
 * messaging: conversations (direct and groups ≤ 256), membership, message requests, blocks, DM permissions,
 * messages, per-user inbox sequences, delivery cursors, receipts, reactions, typing.
 * Owns: msg_* tables. Exposes: createMessaging (the service a server holds), messagingMigrations, types.
 * May import: identity, safety (the synchronous verdict, injected as checkSync), storage, crypto, events, config.
 * Never: store or log plaintext content; deliver to a member who declined, left, joined later or blocked;
 *   ack a send before it is committed.
 */
import type { Config, DmPolicy } from '../config/index.js';
import type { Keyring } from '../crypto/index.js';
import type { Bus, OutboxRelay } from '../events/index.js';
import type { UserRow } from '../identity/index.js';
import type { BlobStore, Db } from '../storage/index.js';
import type { Safety } from '../safety/index.js';
import * as media from './media.js';
import * as actions from './actions.js';
import { loadConversation, type MessagingContext, type MessagingLogger } from './context.js';
import * as conversations from './conversations.js';
import { createKeyCache } from './keys.js';
import { createSingleFlight } from './single-flight.js';
import * as read from './read.js';
import * as staffRead from './staff-read.js';
import { createSendQueue, type CheckSync, type SendInput } from './send.js';

export { messagingMigrations } from './migrations.js';
export { MessagingErrors } from './errors.js';
export { normalizeMessageText } from './text.js';
export { decideDirectMessage, effectiveInboundPolicy } from './permissions.js';
export type { ConversationView } from './conversations.js';
export type { MessageView, InboxEventView } from './read.js';
export type { SendInput, SendResult, SyncVerdict, CheckSync } from './send.js';
export type { Pointer, MediaRef } from './content.js';
export type { MediaInfo } from './media.js';
export type { ContentScope, ScopeDescription, StaffMessageView } from './staff-read.js';

export interface MessagingDeps {
  db: Db;
  keyring: Keyring;
  config: Config;
  bus: Bus;
  relay: OutboxRelay;
  log: MessagingLogger;
  safety: Safety;
  blobs: BlobStore;
}

export function createMessaging(deps: MessagingDeps) {
  const ctx: MessagingContext = {
    db: deps.db,
    keyring: deps.keyring,
    config: deps.config,
    bus: deps.bus,
    relay: deps.relay,
    log: deps.log,
    keys: createKeyCache(deps.db, deps.keyring, deps.config.keyEpochMs),
    conversations: new Map(),
    blocks: new Map(),
    loadingConversation: createSingleFlight(),
    loadingBlocks: createSingleFlight(),
  };
  const checkSync: CheckSync = (input) => deps.safety.checkSync(input);
  const queue = createSendQueue(ctx, {
    checkSync,
    afterCommit: (m) => {
      deps.safety.afterCommit({ conversationId: m.conversationId, messageId: m.messageId, senderId: m.senderId, text: m.content.text, hasMedia: m.content.media !== undefined, sentAt: m.sentAt });
    },
    acceptRequestByReply: async (conversationId, userId) => {
      await conversations.acceptRequest(ctx, conversationId, userId);
    },
  });
  return {
    createConversation: (creatorId: string, input: { members: string[]; title?: string }) =>
      conversations.createConversation(ctx, creatorId, input),
    /** Everyone who is or was in the conversation (for the async safety stage's participant facts). */
    memberIds: async (conversationId: string) => [...((await loadConversation(ctx, conversationId))?.members.keys() ?? [])],
    getConversation: (conversationId: string, userId: string) => conversations.getConversation(ctx, conversationId, userId),
    listConversations: (userId: string, opts: { requests: boolean; limit: number; beforeId?: string }) =>
      conversations.listConversations(ctx, userId, opts),
    acceptRequest: (conversationId: string, userId: string) => conversations.acceptRequest(ctx, conversationId, userId),
    declineRequest: (conversationId: string, userId: string) => conversations.declineRequest(ctx, conversationId, userId),
    leaveConversation: (conversationId: string, userId: string) => conversations.leaveConversation(ctx, conversationId, userId),
    blockUser: (blockerId: string, blockedId: string) => conversations.blockUser(ctx, blockerId, blockedId),
    unblockUser: (blockerId: string, blockedId: string) => conversations.unblockUser(ctx, blockerId, blockedId),
    listBlocks: (userId: string) => conversations.listBlocks(ctx, userId),
    getDmSettings: (user: UserRow) => conversations.getDmSettings(ctx, user),
    setDmPolicy: (user: UserRow, policy: DmPolicy) => conversations.setDmPolicy(ctx, user, policy),
    sendMessage: (input: SendInput) => queue.send(input),
    uploadMedia: (userId: string, bytes: Buffer) => media.uploadMedia(ctx, deps.safety, deps.blobs, userId, bytes),
    downloadMedia: (mediaId: string, userId: string) => media.downloadMedia(ctx, deps.blobs, mediaId, userId),
    unsendMessage: (conversationId: string, messageId: string, userId: string) => actions.unsendMessage(ctx, conversationId, messageId, userId),
    setReaction: (conversationId: string, messageId: string, userId: string, emoji: string | null) =>
      actions.setReaction(ctx, conversationId, messageId, userId, emoji),
    markRead: (conversationId: string, userId: string, seq: number) => actions.markRead(ctx, conversationId, userId, seq),
    sendTyping: (conversationId: string, userId: string) => actions.sendTyping(ctx, conversationId, userId),
    listMessages: (conversationId: string, userId: string, q: { before?: string; after?: string; around?: string; limit: number }) =>
      read.listMessages(ctx, conversationId, userId, q),
    syncInbox: (userId: string, after: number, limit: number) => read.syncInbox(ctx, userId, after, limit),
    renderBusEvent: (payload: Record<string, unknown>) => read.renderBusEvent(ctx, payload),
    renderLocalBusEvent: read.renderLocalBusEvent,
    ackDevice: (userId: string, deviceId: string, seq: number) => read.ackDevice(ctx, userId, deviceId, seq),
    ackDevices: (acks: { userId: string; deviceId: string; seq: number }[]) => read.ackDevices(ctx, acks),
    deviceCursor: (userId: string, deviceId: string) => read.deviceCursor(ctx, userId, deviceId),
    /**
     * The content reader for access grants. Wired into access by the server; no route calls it directly, so the
     * only way to plaintext for staff is access.readContent (grant check and audit entry first).
     */
    contentReader: {
      describe: (scope: staffRead.ContentScope) => staffRead.describeScope(ctx, scope),
      count: (conversationId: string, fromSeq: number, toSeq: number, limit: number) => staffRead.countInRange(ctx, conversationId, fromSeq, toSeq, limit),
      read: (conversationId: string, fromSeq: number, toSeq: number, limit: number) => staffRead.readRange(ctx, conversationId, fromSeq, toSeq, limit),
    },
    /** Waits for queued sends and outbox publishing to finish (shutdown, tests). */
    async idle() {
      await queue.idle();
      await deps.safety.idle();
      await deps.relay.idle();
    },
  };
}

export type Messaging = ReturnType<typeof createMessaging>;
