// The content reader that access uses to serve a grant. Nothing else may call it: http routes reach content
// only through access.readContent, which checks the grant and writes the audit entry before calling `read`.
import type { MessagingContext } from './context.js';
import { openMessage } from './content.js';
import type { MessageView } from './read.js';

export interface ContentScope {
  conversationIds: string[];
  fromSeq?: number;
  toSeq?: number;
  fromTime?: Date;
  toTime?: Date;
}

export interface ScopeDescription {
  /** Per conversation, the seq range the scope resolves to (time windows become seq ranges). */
  ranges: { conversationId: string; fromSeq: number; toSeq: number; messageCount: number }[];
  messageCount: number;
  memberUserIds: string[];
}

/** What staff see through a grant: the member view without reply and hold markers. */
export type StaffMessageView = Omit<MessageView, 'replyTo' | 'held' | 'media'>;

export async function describeScope(ctx: MessagingContext, scope: ContentScope): Promise<ScopeDescription> {
  const ranges: ScopeDescription['ranges'] = [];
  const members = new Set<string>();
  for (const conversationId of scope.conversationIds) {
    const r = await ctx.db.query<{ lo: number | null; hi: number | null; n: number }>(
      `SELECT min(seq) AS lo, max(seq) AS hi, count(*)::int8 AS n FROM msg_messages
       WHERE conversation_id = $1 AND seq >= $2 AND seq <= $3
         AND ($4::timestamptz IS NULL OR created_at >= $4) AND ($5::timestamptz IS NULL OR created_at <= $5)`,
      [conversationId, scope.fromSeq ?? 1, scope.toSeq ?? Number.MAX_SAFE_INTEGER, scope.fromTime ?? null, scope.toTime ?? null],
    );
    const row = r.rows[0];
    ranges.push({
      conversationId,
      fromSeq: scope.fromSeq ?? row.lo ?? 1,
      toSeq: scope.toSeq ?? row.hi ?? 0,
      messageCount: row.n,
    });
    const m = await ctx.db.query<{ user_id: string }>('SELECT user_id FROM msg_members WHERE conversation_id = $1', [conversationId]);
    for (const x of m.rows) members.add(x.user_id);
  }
  return { ranges, messageCount: ranges.reduce((a, r) => a + r.messageCount, 0), memberUserIds: [...members].sort() };
}

export async function countInRange(ctx: MessagingContext, conversationId: string, fromSeq: number, toSeq: number, limit: number) {
  const r = await ctx.db.query<{ n: number }>(
    'SELECT count(*)::int8 AS n FROM (SELECT 1 FROM msg_messages WHERE conversation_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq LIMIT $4) x',
    [conversationId, fromSeq, toSeq, limit],
  );
  return r.rows[0].n;
}

export async function readRange(ctx: MessagingContext, conversationId: string, fromSeq: number, toSeq: number, limit: number): Promise<StaffMessageView[]> {
  const r = await ctx.db.query<{ seq: number; message_id: string; sender_id: string; key_epoch: number; body_ct: Uint8Array | null; created_at: Date; unsent_at: Date | null }>(
    `SELECT seq, message_id, sender_id, key_epoch, body_ct, created_at, unsent_at FROM msg_messages
     WHERE conversation_id = $1 AND seq >= $2 AND seq <= $3 ORDER BY seq LIMIT $4`,
    [conversationId, fromSeq, toSeq, limit],
  );
  const out: StaffMessageView[] = [];
  for (const row of r.rows) {
    const view: StaffMessageView = { id: row.message_id, conversationId, seq: row.seq, senderId: row.sender_id, sentAt: row.created_at.toISOString(), unsent: row.unsent_at !== null };
    if (row.body_ct) {
      const content = await openMessage(ctx, { conversationId, messageId: row.message_id, senderId: row.sender_id, epoch: row.key_epoch, bodyCt: row.body_ct });
      if (!content) view.contentUnavailable = true;
      else {
        if (content.text !== undefined) view.text = content.text;
        if (content.pointer !== undefined) view.pointer = content.pointer;
      }
    }
    out.push(view);
  }
  return out;
}
