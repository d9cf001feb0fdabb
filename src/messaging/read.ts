// Reading: conversation history by opaque cursor, the per-user sync stream, and rendering bus events for push.
// Every path decrypts only for a user who may see the message (membership, join point, blocks, hold state).
import { DomainError } from '../errors.js';
import { blockedEitherWay, loadConversation, type MessagingContext } from './context.js';
import { LOCAL_CONTENT, openMessage, openSmall, reactionAad, type MediaRef, type MessageContent, type Pointer } from './content.js';
import { MessagingErrors } from './errors.js';
import type { InboxKind } from './inbox.js';

export interface MessageView {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  sentAt: string;
  text?: string;
  pointer?: Pointer;
  media?: MediaRef;
  replyTo?: string;
  unsent: boolean;
  held?: boolean;
  /** True when the content can no longer be decrypted here (key destroyed, or another region's key). */
  contentUnavailable?: boolean;
}

export interface InboxEventView {
  seq: number;
  type: InboxKind;
  conversationId: string;
  message?: MessageView;
  messageId?: string;
  reaction?: { messageId: string; userId: string; emoji: string | null };
  read?: { userId: string; seq: number };
  conversation?: { change: string; by: string; kind: string };
}

function withContent(view: MessageView, content: MessageContent | null): MessageView {
  if (view.unsent) return view;
  if (!content) return { ...view, contentUnavailable: true };
  if (content.text !== undefined) view.text = content.text;
  if (content.pointer !== undefined) view.pointer = content.pointer;
  if (content.media !== undefined) view.media = content.media;
  return view;
}

export function encodeCursor(seq: number): string {
  return Buffer.from(`s:${seq}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const raw = /^[A-Za-z0-9_-]{1,40}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const m = /^s:(\d{1,15})$/.exec(raw);
  if (!m) throw new DomainError(MessagingErrors.invalidCursor, 'cursor is not valid');
  return Number(m[1]);
}

interface MessageRow {
  conversation_id: string;
  seq: number;
  message_id: string;
  sender_id: string;
  key_epoch: number;
  body_ct: Uint8Array | null;
  reply_to: string | null;
  state: string;
  created_at: Date;
  unsent_at: Date | null;
}

async function toView(ctx: MessagingContext, r: MessageRow): Promise<MessageView> {
  const base: MessageView = {
    id: r.message_id,
    conversationId: r.conversation_id,
    seq: r.seq,
    senderId: r.sender_id,
    sentAt: r.created_at.toISOString(),
    unsent: r.unsent_at !== null,
  };
  if (r.reply_to) base.replyTo = r.reply_to;
  if (r.state === 'held') base.held = true;
  if (r.unsent_at || !r.body_ct) return base;
  const content = await openMessage(ctx, {
    conversationId: r.conversation_id,
    messageId: r.message_id,
    senderId: r.sender_id,
    epoch: r.key_epoch,
    bodyCt: r.body_ct,
  });
  return withContent(base, content);
}

export async function listMessages(
  ctx: MessagingContext,
  conversationId: string,
  userId: string,
  q: { before?: string; after?: string; around?: string; limit: number },
) {
  const conv = await loadConversation(ctx, conversationId);
  const me = conv?.members.get(userId);
  if (!conv || !me || me.state === 'declined' || me.state === 'left') {
    throw new DomainError(MessagingErrors.conversationNotFound, 'conversation not found');
  }
  const given = [q.before, q.after, q.around].filter((x) => x !== undefined);
  if (given.length > 1) throw new DomainError(MessagingErrors.conflictingCursor, 'use only one of before, after and around');
  const blocked = conv.kind === 'group' ? [...(await blockedEitherWay(ctx, userId))] : [];
  const visible = `conversation_id = $1 AND seq > $2 AND (state = 'visible' OR sender_id = $3) AND NOT (sender_id = ANY($4::text[]))`;
  const cols = 'conversation_id, seq, message_id, sender_id, key_epoch, body_ct, reply_to, state, created_at, unsent_at';
  const base = [conversationId, me.joinedSeq, userId, blocked] as const;
  let rows: MessageRow[];
  const limit = q.limit;
  if (q.after !== undefined) {
    const s = decodeCursor(q.after);
    rows = (await ctx.db.query<MessageRow>(`SELECT ${cols} FROM msg_messages WHERE ${visible} AND seq > $5 ORDER BY seq ASC LIMIT $6`, [...base, s, limit])).rows;
  } else if (q.around !== undefined) {
    const s = decodeCursor(q.around);
    const half = Math.max(1, Math.floor(limit / 2));
    const older = (await ctx.db.query<MessageRow>(`SELECT ${cols} FROM msg_messages WHERE ${visible} AND seq < $5 ORDER BY seq DESC LIMIT $6`, [...base, s, half])).rows.reverse();
    const newer = (await ctx.db.query<MessageRow>(`SELECT ${cols} FROM msg_messages WHERE ${visible} AND seq >= $5 ORDER BY seq ASC LIMIT $6`, [...base, s, limit - older.length])).rows;
    rows = [...older, ...newer];
  } else {
    const s = q.before !== undefined ? decodeCursor(q.before) : Number.MAX_SAFE_INTEGER;
    rows = (await ctx.db.query<MessageRow>(`SELECT ${cols} FROM msg_messages WHERE ${visible} AND seq < $5 ORDER BY seq DESC LIMIT $6`, [...base, s, limit])).rows.reverse();
  }
  const messages: MessageView[] = [];
  for (const r of rows) messages.push(await toView(ctx, r));
  const first = rows[0]?.seq;
  const last = rows[rows.length - 1]?.seq;
  return {
    messages,
    before: first !== undefined && first > me.joinedSeq + 1 ? encodeCursor(first) : null,
    after: last !== undefined ? encodeCursor(last) : null,
  };
}

interface InboxRow extends Partial<MessageRow> {
  seq: number;
  kind: InboxKind;
  inbox_conversation_id: string;
  ref_id: string | null;
  data: Record<string, unknown> | null;
  r_epoch: number | null;
  r_ct: Uint8Array | null;
  m_seq: number | null;
}

/** The user's events after `after`, in order. Devices resume from their last acked sequence. */
export async function syncInbox(ctx: MessagingContext, userId: string, after: number, limit: number) {
  const r = await ctx.db.query<InboxRow>(
    `SELECT i.seq, i.kind, i.conversation_id AS inbox_conversation_id, i.ref_id, i.data,
       m.conversation_id, m.seq AS m_seq, m.message_id, m.sender_id, m.key_epoch, m.body_ct, m.reply_to, m.state, m.created_at, m.unsent_at,
       rx.key_epoch AS r_epoch, rx.reaction_ct AS r_ct
     FROM msg_inbox i
     LEFT JOIN msg_messages m ON i.kind = 'message' AND m.message_id = i.ref_id
     LEFT JOIN msg_reactions rx ON i.kind = 'reaction' AND rx.message_id = i.ref_id AND rx.user_id = i.data->>'userId'
     WHERE i.user_id = $1 AND i.seq > $2 ORDER BY i.seq ASC LIMIT $3`,
    [userId, after, limit + 1],
  );
  const rows = r.rows.slice(0, limit);
  const events: InboxEventView[] = [];
  for (const row of rows) {
    const ev: InboxEventView = { seq: row.seq, type: row.kind, conversationId: row.inbox_conversation_id };
    if (row.kind === 'message' && row.message_id) {
      ev.message = await toView(ctx, { ...(row as MessageRow), seq: row.m_seq! });
    } else if (row.kind === 'message_unsent') {
      ev.messageId = row.ref_id!;
    } else if (row.kind === 'reaction') {
      const reactor = String(row.data?.userId ?? '');
      const emoji = row.r_ct ? await openSmall(ctx, row.inbox_conversation_id, row.r_epoch!, row.r_ct, reactionAad(row.inbox_conversation_id, row.ref_id!, reactor)) : null;
      ev.reaction = { messageId: row.ref_id!, userId: reactor, emoji };
    } else if (row.kind === 'read') {
      ev.read = { userId: String(row.data?.userId), seq: Number(row.data?.seq) };
    } else if (row.kind === 'conversation') {
      ev.conversation = { change: String(row.data?.change), by: String(row.data?.by), kind: String(row.data?.kind) };
    }
    events.push(ev);
  }
  return { events, hasMore: r.rows.length > limit, lastSeq: rows.length > 0 ? rows[rows.length - 1].seq : after };
}

/**
 * The view of a bus event when it can be made without opening anything: a message this process sent (its content
 * rides along under LOCAL_CONTENT), or an event that carries no sealed content. Null when renderBusEvent must
 * decrypt. The gateway tries this first: most events it pushes are messages its own process just committed.
 */
export function renderLocalBusEvent(p: Record<string, unknown>): Omit<InboxEventView, 'seq'> | null {
  const kind = p.kind as InboxKind;
  if (kind === 'reaction') return null;
  if (kind !== 'message') return renderBusEventSync(p, kind);
  const local = (p as { [LOCAL_CONTENT]?: MessageContent })[LOCAL_CONTENT];
  if (!local) return null;
  const conversationId = String(p.conversationId);
  return { type: kind, conversationId, message: withContent(busMessageView(p, conversationId), local) };
}

interface BusMessage {
  id: string;
  seq: number;
  senderId: string;
  sentAt: string;
  keyEpoch: number;
  ct: string;
  replyTo: string | null;
}

/** A message event's view without its content (which comes from LOCAL_CONTENT or from opening `ct`). */
function busMessageView(p: Record<string, unknown>, conversationId: string): MessageView {
  const m = p.message as BusMessage;
  const view: MessageView = { id: m.id, conversationId, seq: m.seq, senderId: m.senderId, sentAt: m.sentAt, unsent: false };
  if (m.replyTo) view.replyTo = m.replyTo;
  return view;
}

function renderBusEventSync(p: Record<string, unknown>, kind: InboxKind): Omit<InboxEventView, 'seq'> {
  const conversationId = String(p.conversationId);
  const ev: Omit<InboxEventView, 'seq'> = { type: kind, conversationId };
  const data = (p.data ?? null) as Record<string, unknown> | null;
  if (kind === 'message_unsent') {
    ev.messageId = String(p.refId);
  } else if (kind === 'read') {
    ev.read = { userId: String(data?.userId), seq: Number(data?.seq) };
  } else if (kind === 'conversation') {
    ev.conversation = { change: String(data?.change), by: String(data?.by), kind: String(data?.kind) };
  }
  return ev;
}

/** Renders a bus event once (decrypting once), to be sent to each recipient with their own sequence. */
export async function renderBusEvent(ctx: MessagingContext, p: Record<string, unknown>): Promise<Omit<InboxEventView, 'seq'>> {
  const local = renderLocalBusEvent(p);
  if (local) return local;
  const kind = p.kind as InboxKind;
  const conversationId = String(p.conversationId);
  const ev: Omit<InboxEventView, 'seq'> = { type: kind, conversationId };
  const data = (p.data ?? null) as Record<string, unknown> | null;
  if (kind === 'message') {
    const m = p.message as BusMessage;
    const view = busMessageView(p, conversationId);
    const content = await openMessage(ctx, { conversationId, messageId: m.id, senderId: m.senderId, epoch: m.keyEpoch, bodyCt: Buffer.from(m.ct, 'base64') });
    ev.message = withContent(view, content);
  } else {
    // A reaction: the only other kind that carries sealed content (renderLocalBusEvent answered the rest).
    const rx = p.reaction as { keyEpoch: number; ct: string } | null;
    const reactor = String(data?.userId);
    const emoji = rx ? await openSmall(ctx, conversationId, rx.keyEpoch, Buffer.from(rx.ct, 'base64'), reactionAad(conversationId, String(p.refId), reactor)) : null;
    ev.reaction = { messageId: String(p.refId), userId: reactor, emoji };
  }
  return ev;
}

export async function ackDevice(ctx: MessagingContext, userId: string, deviceId: string, seq: number) {
  await ctx.db.query(
    `INSERT INTO msg_device_cursors (user_id, device_id, acked_seq) VALUES ($1, $2, $3)
     ON CONFLICT (user_id, device_id) DO UPDATE SET acked_seq = GREATEST(msg_device_cursors.acked_seq, EXCLUDED.acked_seq), updated_at = now()`,
    [userId, deviceId, seq],
  );
}

/** Many devices' acks in one statement (the gateway coalesces acks across connections). */
export async function ackDevices(ctx: MessagingContext, acks: { userId: string; deviceId: string; seq: number }[]) {
  if (acks.length === 0) return;
  const sorted = [...acks].sort((a, b) => (a.userId + a.deviceId < b.userId + b.deviceId ? -1 : 1));
  await ctx.db.query(
    `INSERT INTO msg_device_cursors (user_id, device_id, acked_seq)
     SELECT u, d, s FROM unnest($1::text[], $2::text[], $3::int8[]) AS x(u, d, s)
     ON CONFLICT (user_id, device_id) DO UPDATE SET acked_seq = GREATEST(msg_device_cursors.acked_seq, EXCLUDED.acked_seq), updated_at = now()`,
    [sorted.map((a) => a.userId), sorted.map((a) => a.deviceId), sorted.map((a) => a.seq)],
  );
}

export async function deviceCursor(ctx: MessagingContext, userId: string, deviceId: string): Promise<number> {
  const r = await ctx.db.query<{ acked_seq: number }>('SELECT acked_seq FROM msg_device_cursors WHERE user_id = $1 AND device_id = $2', [userId, deviceId]);
  return r.rows[0]?.acked_seq ?? 0;
}
