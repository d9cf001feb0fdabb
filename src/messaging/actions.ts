// Things members do to messages after sending: unsend, react, mark read, and the ephemeral typing signal.
import { DomainError } from '../errors.js';
import { blockedEitherWay, loadConversation, type ConversationInfo, type MessagingContext } from './context.js';
import { reactionAad, sealSmall } from './content.js';
import { emitInboxEvent } from './emit.js';
import { MessagingErrors } from './errors.js';
import { normalizeMessageText } from './text.js';

async function activeMember(ctx: MessagingContext, conversationId: string, userId: string, allowPending = false): Promise<ConversationInfo> {
  const conv = await loadConversation(ctx, conversationId);
  const me = conv?.members.get(userId);
  if (!conv || !me || !(me.state === 'active' || (allowPending && me.state === 'pending'))) {
    throw new DomainError(MessagingErrors.conversationNotFound, 'conversation not found');
  }
  return conv;
}

function audience(conv: ConversationInfo): string[] {
  return [...conv.members].filter(([, m]) => m.state === 'active' || m.state === 'pending').map(([u]) => u);
}

async function messageRow(ctx: MessagingContext, conversationId: string, messageId: string) {
  const r = await ctx.db.query<{ sender_id: string; seq: number; unsent_at: Date | null; state: string }>(
    'SELECT sender_id, seq, unsent_at, state FROM msg_messages WHERE conversation_id = $1 AND message_id = $2',
    [conversationId, messageId],
  );
  return r.rows[0] ?? null;
}

/**
 * Unsend: the recipient sees a tombstone and the ciphertext is destroyed. (A preservation hold, added by the
 * legal issue, will keep the sealed bytes out of reach of everyone but a grant.)
 */
export async function unsendMessage(ctx: MessagingContext, conversationId: string, messageId: string, userId: string) {
  const conv = await activeMember(ctx, conversationId, userId, true);
  const row = await messageRow(ctx, conversationId, messageId);
  if (!row || conv.members.get(userId)!.joinedSeq >= row.seq) throw new DomainError(MessagingErrors.messageNotFound, 'message not found');
  if (row.sender_id !== userId) throw new DomainError(MessagingErrors.notMessageSender, 'only the sender can unsend a message');
  if (row.unsent_at) return;
  const outbox = await ctx.db.tx(async (tx) => {
    const u = await tx.query(
      `UPDATE msg_messages SET unsent_at = now(), body_ct = NULL WHERE conversation_id = $1 AND message_id = $2 AND unsent_at IS NULL RETURNING 1`,
      [conversationId, messageId],
    );
    if (u.rows.length === 0) return [];
    await tx.query('DELETE FROM msg_reactions WHERE message_id = $1', [messageId]);
    return emitInboxEvent(ctx.relay, tx, { kind: 'message_unsent', conversationId, refId: messageId, data: { seq: row.seq }, recipients: audience(conv) });
  });
  ctx.relay.publishCommitted(outbox);
}

export async function setReaction(ctx: MessagingContext, conversationId: string, messageId: string, userId: string, emoji: string | null) {
  const conv = await activeMember(ctx, conversationId, userId);
  const row = await messageRow(ctx, conversationId, messageId);
  const blocked = await blockedEitherWay(ctx, userId);
  if (!row || conv.members.get(userId)!.joinedSeq >= row.seq || row.state !== 'visible' || blocked.has(row.sender_id)) {
    throw new DomainError(MessagingErrors.messageNotFound, 'message not found');
  }
  if (row.unsent_at) throw new DomainError(MessagingErrors.messageUnsent, 'this message was unsent');
  let sealed: Buffer | null = null;
  const epoch = ctx.keys.epochAt(new Date());
  if (emoji !== null) {
    const value = normalizeMessageText(emoji, 16, ctx.config.maxCombiningMarks);
    sealed = await sealSmall(ctx, conversationId, conv.region, epoch, value, reactionAad(conversationId, messageId, userId));
  }
  const outbox = await ctx.db.tx(async (tx) => {
    if (sealed) {
      await tx.query(
        `INSERT INTO msg_reactions (message_id, user_id, conversation_id, key_epoch, reaction_ct) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (message_id, user_id) DO UPDATE SET key_epoch = EXCLUDED.key_epoch, reaction_ct = EXCLUDED.reaction_ct, created_at = now()`,
        [messageId, userId, conversationId, epoch, sealed],
      );
    } else {
      const d = await tx.query('DELETE FROM msg_reactions WHERE message_id = $1 AND user_id = $2 RETURNING 1', [messageId, userId]);
      if (d.rows.length === 0) return [];
    }
    return emitInboxEvent(ctx.relay, tx, {
      kind: 'reaction',
      conversationId,
      refId: messageId,
      data: { userId },
      recipients: audience(conv),
      extra: sealed ? { reaction: { keyEpoch: epoch, ct: sealed.toString('base64') } } : { reaction: null },
    });
  });
  ctx.relay.publishCommitted(outbox);
}

/** Read receipts move forward only; a stale or repeated receipt changes nothing and emits nothing. */
export async function markRead(ctx: MessagingContext, conversationId: string, userId: string, seq: number) {
  const conv = await activeMember(ctx, conversationId, userId, true);
  const outbox = await ctx.db.tx(async (tx) => {
    const u = await tx.query<{ last_read_seq: number }>(
      `UPDATE msg_members m SET last_read_seq = LEAST($3::int8, c.last_seq), updated_at = now()
       FROM msg_conversations c
       WHERE m.conversation_id = $1 AND m.user_id = $2 AND c.conversation_id = m.conversation_id AND m.last_read_seq < LEAST($3::int8, c.last_seq)
       RETURNING m.last_read_seq`,
      [conversationId, userId, seq],
    );
    if (u.rows.length === 0) return [];
    const readSeq = u.rows[0].last_read_seq;
    const member = conv.members.get(userId);
    if (member) member.lastReadSeq = readSeq;
    // Pending (request) recipients do not tell the sender they read it: accepting is what reveals presence.
    const recipients = conv.members.get(userId)?.state === 'pending' ? [userId] : audience(conv);
    return emitInboxEvent(ctx.relay, tx, { kind: 'read', conversationId, refId: null, data: { userId, seq: readSeq }, recipients });
  });
  ctx.relay.publishCommitted(outbox);
}

/** Typing is ephemeral: it goes to connected devices through the bus and is never stored. */
export async function sendTyping(ctx: MessagingContext, conversationId: string, userId: string) {
  const conv = await activeMember(ctx, conversationId, userId);
  const blocked = await blockedEitherWay(ctx, userId);
  const recipients = [...conv.members]
    .filter(([u, m]) => u !== userId && m.state === 'active' && !blocked.has(u))
    .map(([u]) => u);
  if (recipients.length === 0) return;
  await ctx.bus.publish([{ topic: 'typing', payload: { conversationId, userId, recipients, at: new Date().toISOString() } }]);
}
