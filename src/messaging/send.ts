// Sending with group commit. Each send is checked and sealed on its own, then joins a batch; a batch commits in
// one transaction (conversation sequences, message rows, every recipient's inbox rows, outbox events) and only
// then are its senders answered. An ack therefore always means committed, while the database sees one commit per
// batch instead of one per message.
import { randomId } from '../crypto/index.js';
import { DomainError } from '../errors.js';
import { writeOutbox, type BusEvent } from '../events/index.js';
import type { Queryable } from '../storage/index.js';
import { blockedEitherWay, loadConversation, type ConversationInfo, type MessagingContext } from './context.js';
import { sealMessage, type MessageContent, type Pointer } from './content.js';
import { MessagingErrors } from './errors.js';
import { appendInbox, type InboxEntry } from './inbox.js';
import { normalizeMessageText } from './text.js';

export interface SendInput {
  conversationId: string;
  senderId: string;
  deviceId: string;
  clientMessageId: string;
  text?: string;
  pointer?: Pointer;
  replyTo?: string;
}

export interface SendResult {
  id: string;
  conversationId: string;
  seq: number;
  sentAt: Date;
}

/** What the synchronous safety stage decided (DESIGN.md, "The path of a message", step 3). */
export type SyncVerdict =
  | { action: 'allow' }
  | { action: 'allow_flag'; reasons: string[] }
  | { action: 'hold'; reasons: string[] }
  | { action: 'block'; code: string; reasons: string[] }
  | { action: 'quarantine'; reasons: string[] };

export type CheckSync = (input: { conversationId: string; senderId: string; content: MessageContent }) => Promise<SyncVerdict>;

interface Pending {
  input: SendInput;
  dedupeKey: string;
  conv: ConversationInfo;
  messageId: string;
  epoch: number;
  bodyCt: Buffer;
  sentAt: Date;
  state: 'visible' | 'held';
  resolve: (r: SendResult) => void;
  reject: (err: unknown) => void;
}

export interface SendQueue {
  send(input: SendInput): Promise<SendResult>;
  /** Resolves when everything queued so far has been committed or failed. */
  idle(): Promise<void>;
}

const POINTER_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

function validateContent(ctx: MessagingContext, input: SendInput): MessageContent {
  const content: MessageContent = {};
  if (input.text !== undefined) {
    content.text = normalizeMessageText(input.text, ctx.config.maxTextChars, ctx.config.maxCombiningMarks);
  }
  if (input.pointer !== undefined) {
    if (input.pointer.kind !== 'video' || !POINTER_ID.test(input.pointer.id)) {
      throw new DomainError(MessagingErrors.invalidPointer, 'pointer must be {kind: "video", id} with a short id');
    }
    content.pointer = { kind: 'video', id: input.pointer.id };
  }
  if (content.text === undefined && content.pointer === undefined) {
    throw new DomainError(MessagingErrors.emptyMessage, 'a message needs text or a pointer');
  }
  return content;
}

async function findExisting(db: Queryable, input: SendInput): Promise<SendResult | null> {
  const r = await db.query<{ message_id: string; conversation_id: string; seq: number; created_at: Date }>(
    `SELECT message_id, conversation_id, seq, created_at FROM msg_messages
     WHERE sender_id = $1 AND sender_device_id = $2 AND client_message_id = $3`,
    [input.senderId, input.deviceId, input.clientMessageId],
  );
  const row = r.rows[0];
  return row ? { id: row.message_id, conversationId: row.conversation_id, seq: row.seq, sentAt: row.created_at } : null;
}

/** Who gets this message in their inbox: members who may see it (active or with a pending request), never a
 * declined or departed member, never someone with a block against the sender; the sender too (other devices). */
function recipientsOf(conv: ConversationInfo, senderId: string, blocked: Set<string>, state: Pending['state']): string[] {
  if (state === 'held') return [senderId];
  const out: string[] = [];
  for (const [userId, m] of conv.members) {
    if (userId === senderId) continue;
    if (m.state !== 'active' && m.state !== 'pending') continue;
    if (blocked.has(userId)) continue;
    out.push(userId);
  }
  out.push(senderId);
  return out;
}

export function createSendQueue(
  ctx: MessagingContext,
  hooks: { checkSync: CheckSync; acceptRequestByReply: (conversationId: string, userId: string) => Promise<void> },
): SendQueue {
  const inflight = new Map<string, Promise<SendResult>>();
  let queue: Pending[] = [];
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  async function prepare(input: SendInput): Promise<Omit<Pending, 'resolve' | 'reject'> | SendResult> {
    const conv = await loadConversation(ctx, input.conversationId);
    const me = conv?.members.get(input.senderId);
    if (!conv || !me || me.state === 'declined' || me.state === 'left') {
      throw new DomainError(MessagingErrors.conversationNotFound, 'conversation not found');
    }
    const content = validateContent(ctx, input);
    if (conv.kind === 'direct') {
      const other = [...conv.members.keys()].find((u) => u !== input.senderId);
      const blocked = await blockedEitherWay(ctx, input.senderId);
      const otherState = other ? conv.members.get(other)!.state : 'left';
      if (!other || blocked.has(other) || otherState === 'declined' || otherState === 'left') {
        throw new DomainError(MessagingErrors.recipientUnavailable, 'this person is not available to message');
      }
    }
    if (input.replyTo !== undefined) {
      const r = await ctx.db.query('SELECT 1 FROM msg_messages WHERE conversation_id = $1 AND message_id = $2', [
        input.conversationId,
        input.replyTo,
      ]);
      if (r.rows.length === 0) throw new DomainError(MessagingErrors.messageNotFound, 'replyTo names no message in this conversation');
    }
    const verdict = await hooks.checkSync({ conversationId: input.conversationId, senderId: input.senderId, content });
    if (verdict.action === 'block') throw new DomainError(verdict.code, 'this message cannot be sent');
    if (verdict.action === 'quarantine') {
      // The sender is told only that it was not delivered (DESIGN.md); evidence handling is safety's job.
      throw new DomainError(MessagingErrors.messageNotDelivered, 'message not delivered');
    }
    // Replying to a message request accepts it, as people expect from every DM app.
    if (me.state === 'pending') await hooks.acceptRequestByReply(input.conversationId, input.senderId);
    const sentAt = new Date();
    const epoch = ctx.keys.epochAt(sentAt);
    const messageId = randomId('m');
    const bodyCt = await sealMessage(ctx, {
      conversationId: input.conversationId,
      region: conv.region,
      messageId,
      senderId: input.senderId,
      epoch,
      content,
    });
    return {
      input,
      dedupeKey: '',
      conv,
      messageId,
      epoch,
      bodyCt,
      sentAt,
      state: verdict.action === 'hold' ? 'held' : 'visible',
    };
  }

  function schedule() {
    if (running) return;
    if (queue.length >= ctx.config.sendBatchMaxSize) {
      if (timer) clearTimeout(timer);
      timer = null;
      running = drain();
      return;
    }
    if (!timer) {
      timer = setTimeout(() => {
        timer = null;
        if (!running) running = drain();
      }, ctx.config.sendBatchMaxWaitMs);
    }
  }

  async function drain() {
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, ctx.config.sendBatchMaxSize);
        queue = queue.slice(batch.length);
        await commitBatch(batch).catch(async (err: unknown) => {
          // A unique violation means another writer committed one of these keys; retry one by one so each
          // finds its first result. Anything else fails the whole batch: nothing was committed, senders retry.
          if ((err as { code?: string }).code === '23505' && batch.length > 1) {
            for (const p of batch) await commitBatch([p]).catch((e: unknown) => p.reject(e));
          } else {
            for (const p of batch) p.reject(err);
          }
        });
      }
    } finally {
      running = null;
      if (queue.length > 0) schedule();
    }
  }

  async function commitBatch(batch: Pending[]) {
    // 1. Retries of messages that already committed (e.g. before a crash) get their first result.
    const existing = await ctx.db.query<{ sender_id: string; sender_device_id: string; client_message_id: string; message_id: string; conversation_id: string; seq: number; created_at: Date }>(
      `SELECT m.sender_id, m.sender_device_id, m.client_message_id, m.message_id, m.conversation_id, m.seq, m.created_at
       FROM msg_messages m JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(s, d, c)
         ON m.sender_id = k.s AND m.sender_device_id = k.d AND m.client_message_id = k.c`,
      [batch.map((p) => p.input.senderId), batch.map((p) => p.input.deviceId), batch.map((p) => p.input.clientMessageId)],
    );
    const found = new Map<string, SendResult>();
    for (const r of existing.rows) {
      found.set(`${r.sender_id}\u0000${r.sender_device_id}\u0000${r.client_message_id}`, {
        id: r.message_id,
        conversationId: r.conversation_id,
        seq: r.seq,
        sentAt: r.created_at,
      });
    }
    const answered: [Pending, SendResult | DomainError][] = [];
    const fresh: Pending[] = [];
    const allowanceUsed = new Map<ConversationInfo, Map<string, number>>();
    for (const p of batch) {
      const prior = found.get(p.dedupeKey);
      if (prior) {
        answered.push([p, prior]);
        continue;
      }
      // 2. The message-request allowance: while the other side of a direct conversation has not accepted, the
      // sender may send only a bounded number of messages.
      const conv = p.conv;
      if (conv.kind === 'direct') {
        const otherPending = [...conv.members].some(([u, m]) => u !== p.input.senderId && m.state === 'pending');
        if (otherPending) {
          const used = allowanceUsed.get(conv) ?? new Map<string, number>();
          allowanceUsed.set(conv, used);
          const sent = (conv.sentWhilePending.get(p.input.senderId) ?? 0) + (used.get(p.input.senderId) ?? 0);
          if (sent >= ctx.config.dmRules.requestMessageAllowance) {
            answered.push([p, new DomainError(MessagingErrors.requestPending, 'wait until your message request is accepted')]);
            continue;
          }
          used.set(p.input.senderId, (used.get(p.input.senderId) ?? 0) + 1);
        }
      }
      fresh.push(p);
    }

    let outboxRows: Awaited<ReturnType<typeof writeOutbox>> = [];
    const results = new Map<Pending, SendResult>();
    if (fresh.length > 0) {
      const blockedBySender = new Map<string, Set<string>>();
      for (const p of fresh) {
        if (p.conv.kind === 'group' && !blockedBySender.has(p.input.senderId)) {
          blockedBySender.set(p.input.senderId, await blockedEitherWay(ctx, p.input.senderId));
        }
      }
      outboxRows = await ctx.db.tx(async (tx) => {
        // 3. Conversation sequence numbers for the batch, one statement for all conversations.
        const perConv = new Map<string, number>();
        for (const p of fresh) perConv.set(p.input.conversationId, (perConv.get(p.input.conversationId) ?? 0) + 1);
        const ids = [...perConv.keys()].sort();
        const seqRows = await tx.query<{ conversation_id: string; last_seq: number }>(
          `UPDATE msg_conversations c SET last_seq = c.last_seq + x.n
           FROM unnest($1::text[], $2::int8[]) AS x(id, n) WHERE c.conversation_id = x.id
           RETURNING c.conversation_id, c.last_seq`,
          [ids, ids.map((id) => perConv.get(id)!)],
        );
        const nextSeq = new Map<string, number>();
        for (const r of seqRows.rows) nextSeq.set(r.conversation_id, r.last_seq - perConv.get(r.conversation_id)! + 1);
        const seqs = fresh.map((p) => {
          const s = nextSeq.get(p.input.conversationId)!;
          nextSeq.set(p.input.conversationId, s + 1);
          return s;
        });
        await tx.query(
          `INSERT INTO msg_messages (conversation_id, seq, message_id, sender_id, sender_device_id, client_message_id,
             key_epoch, body_ct, reply_to, state, created_at)
           SELECT c, s, id, snd, dev, cmid, ep, decode(ct, 'hex'), rt, st, at
           FROM unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[],
             $8::text[], $9::text[], $10::text[], $11::timestamptz[]) AS x(c, s, id, snd, dev, cmid, ep, ct, rt, st, at)`,
          [
            fresh.map((p) => p.input.conversationId),
            seqs,
            fresh.map((p) => p.messageId),
            fresh.map((p) => p.input.senderId),
            fresh.map((p) => p.input.deviceId),
            fresh.map((p) => p.input.clientMessageId),
            fresh.map((p) => p.epoch),
            fresh.map((p) => p.bodyCt.toString('hex')),
            fresh.map((p) => p.input.replyTo ?? null) as string[],
            fresh.map((p) => p.state),
            fresh.map((p) => p.sentAt.toISOString()),
          ],
        );
        // 4. Fan-out: one inbox row per recipient per message.
        const entries: InboxEntry[] = [];
        const owners: number[] = [];
        fresh.forEach((p, i) => {
          const blocked = blockedBySender.get(p.input.senderId) ?? new Set<string>();
          for (const userId of recipientsOf(p.conv, p.input.senderId, blocked, p.state)) {
            entries.push({ userId, kind: 'message', conversationId: p.input.conversationId, refId: p.messageId, data: null });
            owners.push(i);
          }
        });
        const inboxSeqs = await appendInbox(tx, entries);
        const deliveries: [string, number][][] = fresh.map(() => []);
        entries.forEach((e, j) => deliveries[owners[j]].push([e.userId, inboxSeqs[j]]));
        const events: BusEvent[] = fresh.map((p, i) => ({
          topic: 'inbox',
          payload: {
            kind: 'message',
            conversationId: p.input.conversationId,
            deliveries: deliveries[i],
            message: {
              id: p.messageId,
              seq: seqs[i],
              senderId: p.input.senderId,
              sentAt: p.sentAt.toISOString(),
              keyEpoch: p.epoch,
              ct: p.bodyCt.toString('base64'),
              replyTo: p.input.replyTo ?? null,
            },
          },
        }));
        const rows = await writeOutbox(tx, events);
        fresh.forEach((p, i) => results.set(p, { id: p.messageId, conversationId: p.input.conversationId, seq: seqs[i], sentAt: p.sentAt }));
        return rows;
      });
      // Committed: the counters the allowance reads can move now.
      for (const [conv, used] of allowanceUsed) {
        for (const [u, n] of used) conv.sentWhilePending.set(u, (conv.sentWhilePending.get(u) ?? 0) + n);
      }
    }
    ctx.relay.publishCommitted(outboxRows);
    for (const [p, r] of answered) (r instanceof DomainError ? p.reject(r) : p.resolve(r));
    for (const [p, r] of results) p.resolve(r);
  }

  return {
    send(input) {
      const dedupeKey = `${input.senderId}\u0000${input.deviceId}\u0000${input.clientMessageId}`;
      const already = inflight.get(dedupeKey);
      if (already) return already;
      const promise = (async () => {
        let prepared: Omit<Pending, 'resolve' | 'reject'> | SendResult;
        try {
          prepared = await prepare(input);
        } catch (err) {
          // A retry of a message that already committed returns it, even if sending is no longer allowed.
          if (err instanceof DomainError) {
            const prior = await findExisting(ctx.db, input);
            if (prior) return prior;
          }
          throw err;
        }
        if (!('input' in prepared)) return prepared;
        const ready = prepared;
        return new Promise<SendResult>((resolve, reject) => {
          queue.push({ ...ready, dedupeKey, resolve, reject });
          schedule();
        });
      })();
      inflight.set(dedupeKey, promise);
      promise.then(
        () => inflight.delete(dedupeKey),
        () => inflight.delete(dedupeKey),
      );
      return promise;
    },
    async idle() {
      while (queue.length > 0 || running || timer) {
        if (running) await running;
        else await new Promise((r) => setTimeout(r, ctx.config.sendBatchMaxWaitMs + 1));
      }
    },
  };
}
