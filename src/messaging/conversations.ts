// Conversations, membership, message requests, blocks and DM settings.
import type { DmPolicy } from '../config/index.js';
import { randomId } from '../crypto/index.js';
import { DomainError } from '../errors.js';
import { getRelationship, getUsers, IdentityErrors, type UserRow } from '../identity/index.js';
import type { Queryable } from '../storage/index.js';
import { aadOf } from '../crypto/index.js';
import { blockedEitherWay, forgetConversation, loadConversation, type ConversationInfo, type MemberState, type MessagingContext } from './context.js';
import { openSmall, sealSmall } from './content.js';
import { emitInboxEvent } from './emit.js';
import { MessagingErrors } from './errors.js';
import { decideDirectMessage, effectiveInboundPolicy, isAllowedChoice } from './permissions.js';
import { normalizeMessageText } from './text.js';

export interface ConversationView {
  id: string;
  kind: 'direct' | 'group';
  title: string | null;
  createdBy: string;
  createdAt: string;
  lastSeq: number;
  myState: MemberState;
  lastReadSeq: number;
  members: { userId: string; state: MemberState }[];
}

async function dmPolicyOf(ctx: MessagingContext, db: Queryable, user: UserRow): Promise<DmPolicy> {
  const r = await db.query<{ dm_policy: DmPolicy }>('SELECT dm_policy FROM msg_user_settings WHERE user_id = $1', [user.userId]);
  return effectiveInboundPolicy(user.ageBand, r.rows[0]?.dm_policy ?? null, ctx.config.dmRules);
}

/** Decides whether `sender` may bring `recipient` into a conversation, and whether it lands as a request. */
async function decide(ctx: MessagingContext, sender: UserRow, recipient: UserRow) {
  const rel = await getRelationship(ctx.db, sender.userId, recipient.userId);
  const blocked = await blockedEitherWay(ctx, sender.userId);
  return decideDirectMessage(
    {
      senderBand: sender.ageBand,
      recipientBand: recipient.ageBand,
      recipientPolicy: await dmPolicyOf(ctx, ctx.db, recipient),
      isMutual: rel.isMutual,
      recipientFollowsSender: rel.bFollowsA,
      isBlockedEitherWay: blocked.has(recipient.userId),
    },
    ctx.config.dmRules,
  );
}

const TITLE_EPOCH = 0;

async function view(ctx: MessagingContext, conversationId: string, viewerId: string, db: Queryable = ctx.db): Promise<ConversationView> {
  const r = await db.query<{ kind: 'direct' | 'group'; title_ct: Uint8Array | null; created_by: string; created_at: Date; last_seq: number }>(
    'SELECT kind, title_ct, created_by, created_at, last_seq FROM msg_conversations WHERE conversation_id = $1',
    [conversationId],
  );
  const m = await db.query<{ user_id: string; state: MemberState; last_read_seq: number }>(
    'SELECT user_id, state, last_read_seq FROM msg_members WHERE conversation_id = $1 ORDER BY user_id',
    [conversationId],
  );
  const row = r.rows[0];
  const me = m.rows.find((x) => x.user_id === viewerId);
  if (!row || !me) throw new DomainError(MessagingErrors.conversationNotFound, 'conversation not found');
  const title = row.title_ct
    ? await openSmall(ctx, conversationId, TITLE_EPOCH, row.title_ct, aadOf('title.v1', conversationId))
    : null;
  return {
    id: conversationId,
    kind: row.kind,
    title,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    lastSeq: row.last_seq,
    myState: me.state,
    lastReadSeq: me.last_read_seq,
    members: m.rows.filter((x) => x.state === 'active' || x.state === 'pending').map((x) => ({ userId: x.user_id, state: x.state })),
  };
}

export async function getConversation(ctx: MessagingContext, conversationId: string, viewerId: string) {
  const conv = await loadConversation(ctx, conversationId);
  const me = conv?.members.get(viewerId);
  if (!conv || !me || me.state === 'declined' || me.state === 'left') {
    throw new DomainError(MessagingErrors.conversationNotFound, 'conversation not found');
  }
  return view(ctx, conversationId, viewerId);
}

export async function createConversation(
  ctx: MessagingContext,
  creatorId: string,
  input: { members: string[]; title?: string },
): Promise<{ conversation: ConversationView; created: boolean }> {
  const others = [...new Set(input.members)].filter((u) => u !== creatorId);
  if (others.length === 0) throw new DomainError(MessagingErrors.invalidMembers, 'members must name at least one other user');
  if (others.length + 1 > ctx.config.maxGroupMembers) {
    throw new DomainError(MessagingErrors.groupTooLarge, `a conversation has at most ${ctx.config.maxGroupMembers} members`);
  }
  const title = input.title !== undefined ? normalizeMessageText(input.title, 100, ctx.config.maxCombiningMarks) : undefined;
  const users = await getUsers(ctx.db, [creatorId, ...others]);
  const byId = new Map(users.map((u) => [u.userId, u]));
  const creator = byId.get(creatorId);
  if (!creator) throw new DomainError(IdentityErrors.userNotFound, 'your account is not registered');
  for (const u of others) if (!byId.has(u)) throw new DomainError(IdentityErrors.userNotFound, 'a member does not exist');

  const isDirect = others.length === 1 && title === undefined;
  const pairKey = isDirect ? [creatorId, others[0]].sort().join('|') : null;
  if (pairKey) {
    const existing = await ctx.db.query<{ conversation_id: string }>('SELECT conversation_id FROM msg_conversations WHERE pair_key = $1', [pairKey]);
    if (existing.rows[0]) {
      const id = existing.rows[0].conversation_id;
      const conv = await loadConversation(ctx, id);
      const mine = conv?.members.get(creatorId);
      const blocked = await blockedEitherWay(ctx, creatorId);
      if (blocked.has(others[0])) throw new DomainError(MessagingErrors.recipientUnavailable, 'you cannot message this person');
      // Starting a conversation you had declined or left brings it back for you; the other side is unchanged.
      if (mine && (mine.state === 'declined' || mine.state === 'left' || mine.state === 'pending')) {
        const d = await decide(ctx, creator, byId.get(others[0])!);
        if (!d.allowed) throw new DomainError(d.code, 'you cannot message this person');
        await setMemberState(ctx, id, creatorId, 'active');
      }
      return { conversation: await view(ctx, id, creatorId), created: false };
    }
  }

  const states = new Map<string, MemberState>();
  for (const u of others) {
    const d = await decide(ctx, creator, byId.get(u)!);
    if (!d.allowed) throw new DomainError(d.code, isDirect ? 'you cannot message this person' : 'a member cannot be added by you');
    states.set(u, d.asRequest ? 'pending' : 'active');
  }
  const conversationId = randomId('cv');
  const titleCt = title !== undefined
    ? await sealSmall(ctx, conversationId, creator.region, TITLE_EPOCH, title, aadOf('title.v1', conversationId))
    : null;
  const members = [creatorId, ...others];
  const outbox = await ctx.db.tx(async (tx) => {
    const inserted = await tx.query(
      `INSERT INTO msg_conversations (conversation_id, kind, pair_key, title_ct, region, created_by)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (pair_key) DO NOTHING RETURNING conversation_id`,
      [conversationId, isDirect ? 'direct' : 'group', pairKey, titleCt, creator.region, creatorId],
    );
    if (inserted.rows.length === 0) return null; // a concurrent create of the same pair won
    await tx.query(
      `INSERT INTO msg_members (conversation_id, user_id, state, role)
       SELECT $1, u, s, r FROM unnest($2::text[], $3::text[], $4::text[]) AS x(u, s, r)`,
      [conversationId, members, members.map((u) => (u === creatorId ? 'active' : states.get(u)!)), members.map((u) => (u === creatorId ? 'owner' : 'member'))],
    );
    return emitInboxEvent(ctx.relay, tx, {
      kind: 'conversation',
      conversationId,
      refId: null,
      data: { change: 'created', by: creatorId, kind: isDirect ? 'direct' : 'group' },
      recipients: members,
    });
  });
  if (!outbox) return createConversation(ctx, creatorId, input);
  ctx.relay.publishCommitted(outbox);
  return { conversation: await view(ctx, conversationId, creatorId), created: true };
}

async function setMemberState(ctx: MessagingContext, conversationId: string, userId: string, state: MemberState) {
  const conv = await loadConversation(ctx, conversationId);
  if (!conv) throw new DomainError(MessagingErrors.conversationNotFound, 'conversation not found');
  const recipients = [...conv.members].filter(([, m]) => m.state === 'active' || m.state === 'pending').map(([u]) => u);
  const outbox = await ctx.db.tx(async (tx) => {
    // Someone (re)joining sees only what is sent from now on.
    await tx.query(
      `UPDATE msg_members m SET state = $3, updated_at = now(),
         joined_seq = CASE WHEN $3 = 'active' AND m.state IN ('declined', 'left') THEN c.last_seq ELSE m.joined_seq END
       FROM msg_conversations c WHERE m.conversation_id = $1 AND m.user_id = $2 AND c.conversation_id = m.conversation_id`,
      [conversationId, userId, state],
    );
    return emitInboxEvent(ctx.relay, tx, {
      kind: 'conversation',
      conversationId,
      refId: null,
      data: { change: state === 'active' ? 'accepted' : state, by: userId, kind: conv.kind },
      recipients: [...recipients, userId],
    });
  });
  forgetConversation(ctx, conversationId);
  ctx.relay.publishCommitted(outbox);
}

async function requireMember(ctx: MessagingContext, conversationId: string, userId: string): Promise<ConversationInfo> {
  const conv = await loadConversation(ctx, conversationId);
  const me = conv?.members.get(userId);
  if (!conv || !me || me.state === 'declined' || me.state === 'left') {
    throw new DomainError(MessagingErrors.conversationNotFound, 'conversation not found');
  }
  return conv;
}

export async function acceptRequest(ctx: MessagingContext, conversationId: string, userId: string) {
  const conv = await requireMember(ctx, conversationId, userId);
  if (conv.members.get(userId)!.state !== 'pending') throw new DomainError(MessagingErrors.notARequest, 'this conversation is not a pending request');
  await setMemberState(ctx, conversationId, userId, 'active');
  return view(ctx, conversationId, userId);
}

/** Deleting a request: the conversation disappears for the recipient and the sender can no longer write. */
export async function declineRequest(ctx: MessagingContext, conversationId: string, userId: string) {
  const conv = await requireMember(ctx, conversationId, userId);
  if (conv.members.get(userId)!.state !== 'pending') throw new DomainError(MessagingErrors.notARequest, 'this conversation is not a pending request');
  await setMemberState(ctx, conversationId, userId, 'declined');
}

export async function leaveConversation(ctx: MessagingContext, conversationId: string, userId: string) {
  await requireMember(ctx, conversationId, userId);
  await setMemberState(ctx, conversationId, userId, 'left');
}

export async function listConversations(
  ctx: MessagingContext,
  userId: string,
  opts: { requests: boolean; limit: number; beforeId?: string },
) {
  const blocked = await blockedEitherWay(ctx, userId);
  const r = await ctx.db.query<{ conversation_id: string; kind: string; other: string | null }>(
    `SELECT c.conversation_id, c.kind,
       (SELECT o.user_id FROM msg_members o WHERE o.conversation_id = c.conversation_id AND o.user_id <> $1 LIMIT 1) AS other
     FROM msg_members m JOIN msg_conversations c ON c.conversation_id = m.conversation_id
     WHERE m.user_id = $1 AND m.state = $2 AND ($3::text IS NULL OR c.conversation_id < $3)
     ORDER BY c.conversation_id DESC LIMIT $4`,
    [userId, opts.requests ? 'pending' : 'active', opts.beforeId ?? null, opts.limit + 1],
  );
  const rows = r.rows.slice(0, opts.limit);
  const out: ConversationView[] = [];
  for (const row of rows) {
    // Blocks hide each other: a direct conversation with someone blocked (either way) is not listed.
    if (row.kind === 'direct' && row.other && blocked.has(row.other)) continue;
    out.push(await view(ctx, row.conversation_id, userId));
  }
  return { conversations: out, nextBeforeId: r.rows.length > opts.limit ? rows[rows.length - 1].conversation_id : null };
}

export async function blockUser(ctx: MessagingContext, blockerId: string, blockedId: string) {
  if (blockerId === blockedId) throw new DomainError(MessagingErrors.cannotBlockSelf, 'you cannot block yourself');
  const [target] = await getUsers(ctx.db, [blockedId]);
  if (!target) throw new DomainError(IdentityErrors.userNotFound, 'user not found');
  await ctx.db.query('INSERT INTO msg_blocks (blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [blockerId, blockedId]);
  ctx.blocks.delete(blockerId);
  ctx.blocks.delete(blockedId);
  // Blocking from a request also deletes the request.
  const pair = [blockerId, blockedId].sort().join('|');
  const r = await ctx.db.query<{ conversation_id: string }>('SELECT conversation_id FROM msg_conversations WHERE pair_key = $1', [pair]);
  if (r.rows[0]) {
    const conv = await loadConversation(ctx, r.rows[0].conversation_id);
    if (conv?.members.get(blockerId)?.state === 'pending') await setMemberState(ctx, conv.conversationId, blockerId, 'declined');
  }
}

export async function unblockUser(ctx: MessagingContext, blockerId: string, blockedId: string) {
  const [target] = await getUsers(ctx.db, [blockedId]);
  if (!target) throw new DomainError(IdentityErrors.userNotFound, 'user not found');
  await ctx.db.query('DELETE FROM msg_blocks WHERE blocker_id = $1 AND blocked_id = $2', [blockerId, blockedId]);
  ctx.blocks.delete(blockerId);
  ctx.blocks.delete(blockedId);
}

export async function listBlocks(ctx: MessagingContext, blockerId: string) {
  const r = await ctx.db.query<{ blocked_id: string; created_at: Date }>(
    'SELECT blocked_id, created_at FROM msg_blocks WHERE blocker_id = $1 ORDER BY created_at',
    [blockerId],
  );
  return r.rows.map((x) => ({ userId: x.blocked_id, blockedAt: x.created_at.toISOString() }));
}

export async function getDmSettings(ctx: MessagingContext, user: UserRow) {
  const r = await ctx.db.query<{ dm_policy: DmPolicy }>('SELECT dm_policy FROM msg_user_settings WHERE user_id = $1', [user.userId]);
  const band = user.ageBand === 'under13' ? null : ctx.config.dmRules.bands[user.ageBand];
  return {
    dmPolicy: effectiveInboundPolicy(user.ageBand, r.rows[0]?.dm_policy ?? null, ctx.config.dmRules),
    maxDmPolicy: band?.maxInbound ?? ('none' as DmPolicy),
  };
}

export async function setDmPolicy(ctx: MessagingContext, user: UserRow, policy: DmPolicy) {
  if (!isAllowedChoice(user.ageBand, policy, ctx.config.dmRules)) {
    throw new DomainError(MessagingErrors.invalidDmPolicy, 'this setting is not available for your age group');
  }
  await ctx.db.query(
    `INSERT INTO msg_user_settings (user_id, dm_policy) VALUES ($1, $2)
     ON CONFLICT (user_id) DO UPDATE SET dm_policy = EXCLUDED.dm_policy, updated_at = now()`,
    [user.userId, policy],
  );
  return getDmSettings(ctx, user);
}
