// Sending with group commit. Each send is checked and sealed on its own, then joins a batch; a batch commits in
// one transaction (conversation sequences, message rows, every recipient's inbox rows, outbox events) and only
// then are its senders answered. An ack therefore always means committed, while the database sees one commit per
// batch instead of one per message.
import { randomId } from '../crypto/index.js';
import { DomainError } from '../errors.js';
import type { SyncVerdict } from '../safety/index.js';
import type { BusEvent, OutboxRow } from '../events/index.js';
import { intArrayLiteral, queryWithRetry, textArrayLiteral, type Queryable } from '../storage/index.js';
import { blockedEitherWay, loadConversation, type ConversationInfo, type MessagingContext } from './context.js';
import { LOCAL_CONTENT, sealMessage, type MessageContent, type Pointer } from './content.js';
import { MessagingErrors } from './errors.js';
import { inboxSeqCtes } from './inbox.js';
import { normalizeMessageText } from './text.js';
import { linkMedia, mediaForSend } from './media.js';

export interface SendInput {
  conversationId: string;
  senderId: string;
  deviceId: string;
  clientMessageId: string;
  text?: string;
  pointer?: Pointer;
  mediaId?: string;
  replyTo?: string;
  /** The sender's address, kept only as evidence when known illegal media is quarantined. */
  clientIp?: string;
}

export interface SendResult {
  id: string;
  conversationId: string;
  seq: number;
  sentAt: Date;
}

/** What the synchronous safety stage decided (DESIGN.md, "The path of a message", step 3). */
export type { SyncVerdict };

/** May answer synchronously: text-only messages have nothing to look up, and most messages are text only. */
export type CheckSync = (input: { conversationId: string; senderId: string; content: MessageContent; mediaId?: string; senderIp?: string }) => SyncVerdict | Promise<SyncVerdict>;

interface Pending {
  input: SendInput;
  /** Validated content, kept in memory until the async safety stage has it. */
  content: MessageContent;
  conv: ConversationInfo;
  messageId: string;
  epoch: number;
  /** The sealed body, base64: the form both the statement and the published event carry. */
  ct: string;
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
/** Batches up to this size run the send statement prepared, with one generic plan (see commitBatch). */
export const GENERIC_PLAN_MAX_BATCH = 128;

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
  if (content.text === undefined && content.pointer === undefined && input.mediaId === undefined) {
    throw new DomainError(MessagingErrors.emptyMessage, 'a message needs text, a pointer or media');
  }
  return content;
}

/**
 * The batch's outbox row, built in the statement because only the statement knows the sequence numbers. It holds
 * the same events the writer publishes from memory after commit (commitBatch); it is read only if the process dies
 * between commit and publish, and written only when the bus needs an outbox (events/).
 */
const OUTBOX_CTES = `,
         -- MATERIALIZED: computed once, not once per outer row if the planner were to inline it into a nested loop.
         deliveries AS MATERIALIZED (SELECT ord, json_agg(json_build_array(uid, useq) ORDER BY fo) AS d FROM fanseq GROUP BY ord),
         outbox AS (
           INSERT INTO events_outbox (topic, payloads)
           SELECT 'inbox', json_agg(json_build_object(
             'kind', 'message', 'conversationId', nb.conv, 'deliveries', dl.d,
             'message', json_build_object('id', nb.mid, 'seq', nb.seq, 'senderId', nb.snd, 'sentAt', nb.at, 'keyEpoch', nb.ep,
               'ct', nb.ct, 'replyTo', nb.rt)
           ) ORDER BY nb.ord)
           FROM numbered nb JOIN deliveries dl ON dl.ord = nb.ord
           HAVING count(*) > 0
           RETURNING id
         )`;

/**
 * The send batch's statement: dedupes, numbers and inserts a batch of messages and every recipient's inbox rows in
 * one autocommit statement (and the outbox row when the bus needs one). Parameters, all arrays in batch order:
 * $1 ord, $2 conversation, $3 message id, $4 sender, $5 device, $6 clientMessageId, $7 key epoch, $8 ciphertext
 * (base64), $9 replyTo, $10 state, $11 sentAt; then one row per delivery: $12 ord, $13 user. Exported for the
 * test that keeps its plan free of nested loops over CTE scans.
 */
export function sendBatchSql(withOutbox: boolean): string {
  return `WITH input AS MATERIALIZED (
           -- The dedupe check is one index probe per input row (LATERAL ... LIMIT 1): a join here lets the planner
           -- pick a hash join over a sequential scan of every message ever sent, which grows with the table. Its
           -- answer is a boolean column, not an anti-join: the planner estimates an anti-join against a unique index
           -- as "every row is a duplicate" (1 fresh row), which turned every join below into a nested loop and made
           -- a batch cost quadratic in its size. A boolean column of a CTE is estimated at half the rows.
           SELECT x.*, d.message_id AS dmid, d.conversation_id AS dconv, d.seq AS dseq, d.created_at AS dat,
             d.message_id IS NOT NULL AS dupe
           FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[],
             $9::text[], $10::text[], $11::text[]) AS x(ord, conv, mid, snd, dev, cmid, ep, ct, rt, st, at)
           LEFT JOIN LATERAL (
             SELECT message_id, conversation_id, seq, created_at FROM msg_messages
             WHERE sender_id = x.snd AND sender_device_id = x.dev AND client_message_id = x.cmid LIMIT 1
           ) d ON true
         ),
         dup AS (SELECT ord, dmid AS message_id, dconv AS conversation_id, dseq AS seq, dat AS created_at FROM input WHERE dupe),
         fresh AS (SELECT ord, conv, mid, snd, dev, cmid, ep, ct, rt, st, at FROM input WHERE NOT dupe),
         counts AS (SELECT conv, count(*)::int8 AS n FROM fresh GROUP BY conv),
         locked AS (
           SELECT c.conversation_id FROM msg_conversations c WHERE c.conversation_id IN (SELECT conv FROM counts)
           ORDER BY c.conversation_id FOR UPDATE
         ),
         bumped AS (
           UPDATE msg_conversations c SET last_seq = c.last_seq + counts.n FROM counts
           WHERE c.conversation_id = counts.conv AND c.conversation_id IN (SELECT conversation_id FROM locked)
           RETURNING c.conversation_id AS conv, c.last_seq - counts.n AS base
         ),
         numbered AS (
           SELECT f.*, b.base + row_number() OVER (PARTITION BY f.conv ORDER BY f.ord) AS seq FROM fresh f JOIN bumped b ON b.conv = f.conv
         ),
         ins AS (
           INSERT INTO msg_messages (conversation_id, seq, message_id, sender_id, sender_device_id, client_message_id,
             key_epoch, body_ct, reply_to, state, created_at)
           SELECT conv, seq, mid, snd, dev, cmid, ep, decode(ct, 'base64'), rt, st, at::timestamptz FROM numbered
           RETURNING 1
         ),
         fan AS (
           SELECT y.ord, y.uid, y.fo FROM unnest($12::int[], $13::text[]) WITH ORDINALITY AS y(ord, uid, fo)
           JOIN fresh f ON f.ord = y.ord
         ),
         ${inboxSeqCtes('fan')},
         inbox AS (
           INSERT INTO msg_inbox (user_id, seq, kind, conversation_id, ref_id, data)
           SELECT fs.uid, fs.useq, 'message', nb.conv, nb.mid, NULL FROM fanseq fs JOIN numbered nb ON nb.ord = fs.ord
           RETURNING 1
         )${withOutbox ? OUTBOX_CTES : ''}
         SELECT 'dup' AS k, ord::text AS a, message_id AS b, seq AS n, created_at AS at FROM dup
         UNION ALL SELECT 'conv', conv, NULL, base, NULL FROM bumped
         UNION ALL SELECT 'user', user_id, NULL, last_seq, NULL FROM useq
         ${withOutbox ? "UNION ALL SELECT 'outbox', NULL, NULL, id, NULL FROM outbox" : ''}
         UNION ALL SELECT 'rows', NULL, NULL, (SELECT count(*) FROM ins) + (SELECT count(*) FROM inbox), NULL`;
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

/** Placeholder answer of a Pending until it is queued (prepareAndQueue sets the real ones before queueing). */
function unanswered(): void {
  throw new Error('a send was answered before it was queued');
}

/** A send in a direct conversation whose other member has not accepted it yet: the request allowance applies. */
function sendsIntoPendingRequest(p: Pending): boolean {
  if (p.conv.kind !== 'direct') return false;
  for (const [userId, member] of p.conv.members) if (userId !== p.input.senderId && member.state === 'pending') return true;
  return false;
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
  hooks: {
    checkSync: CheckSync;
    acceptRequestByReply: (conversationId: string, userId: string) => Promise<void>;
    afterCommit: (p: { conversationId: string; messageId: string; senderId: string; content: MessageContent; sentAt: Date; held: boolean }) => void;
  },
): SendQueue {
  const inflight = new Map<string, Promise<SendResult>>();
  let queue: Pending[] = [];
  let timer: NodeJS.Timeout | null = null;

  /** Checks, validates and seals one send; the result joins a batch once its promise's callbacks are attached. */
  async function prepare(input: SendInput): Promise<Pending> {
    // Cached lookups are read without a promise: every send asks for its conversation and its sender's blocks.
    const conv = ctx.conversations.get(input.conversationId) ?? (await loadConversation(ctx, input.conversationId));
    const me = conv?.members.get(input.senderId);
    if (!conv || !me || me.state === 'declined' || me.state === 'left') {
      throw new DomainError(MessagingErrors.conversationNotFound, 'conversation not found');
    }
    const content = validateContent(ctx, input);
    if (conv.kind === 'direct') {
      let other: string | undefined;
      for (const u of conv.members.keys()) if (u !== input.senderId) other = u;
      const blocked = ctx.blocks.get(input.senderId) ?? (await blockedEitherWay(ctx, input.senderId));
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
    if (input.mediaId !== undefined) {
      const media = await mediaForSend(ctx, input.mediaId, input.senderId);
      content.media = { id: media.mediaId, mime: media.mime, width: media.width, height: media.height };
    }
    const checked = hooks.checkSync({ conversationId: input.conversationId, senderId: input.senderId, content, mediaId: input.mediaId, senderIp: input.clientIp });
    const verdict = checked instanceof Promise ? await checked : checked;
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
    if (input.mediaId !== undefined) await linkMedia(ctx, messageId, input.mediaId, input.conversationId);
    // The key is in memory for every conversation that has sent before: no promise on the common path.
    const key = ctx.keys.cachedKey(input.conversationId, epoch) ?? (await ctx.keys.writeKey(input.conversationId, conv.region, epoch));
    const ct = sealMessage(key, { conversationId: input.conversationId, messageId, senderId: input.senderId, content }).toString('base64');
    return {
      input,
      content,
      conv,
      messageId,
      epoch,
      ct,
      sentAt,
      state: verdict.action === 'hold' ? 'held' : 'visible',
      resolve: unanswered,
      reject: unanswered,
    };
  }

  // Group commit with up to two batches in flight (config): while one batch waits on the database, the next one is
  // already being written. Batches that touch the same conversation or user serialize on those rows' locks (taken in
  // sorted order, so they cannot deadlock), which keeps sequence numbers dense and in commit order.
  // A batch holds its slot only while its statement is at the database: when the answer comes back, the next batch
  // goes out first and only then is the committed one delivered. Delivering a batch (rendering and writing a frame
  // per recipient device) takes the event loop several milliseconds; done first, it left the database idle for that
  // long while sends piled up, so the next batch was bigger and its delivery longer still. On the 2-core bench host,
  // at a fixed 6,000 msg/s, median latency went from 16-38 ms to 8-9 ms with this order (two paired runs).
  let inflightBatches = 0;
  /** Batches taken from the queue and not yet answered: what idle() waits for. */
  let unsettledBatches = 0;
  // Built once: whether the bus needs an outbox is fixed for the relay's life.
  const batchSql = sendBatchSql(ctx.relay.persists);
  const batchStatementName = ctx.relay.persists ? 'send_batch_outbox' : 'send_batch';
  const secondBatchMin = Math.max(1, Math.floor(ctx.config.sendBatchMaxSize / 8));
  let idleWaiters: (() => void)[] = [];

  function schedule() {
    if (queue.length >= ctx.config.sendBatchMaxSize) {
      pump();
      return;
    }
    // Always give a batch the window to fill: many tiny transactions cost more than a few ms of waiting.
    if (!timer) {
      timer = setTimeout(() => {
        timer = null;
        pump();
      }, ctx.config.sendBatchMaxWaitMs);
    }
  }

  function pump() {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    while (queue.length > 0 && inflightBatches < ctx.config.sendConcurrency) {
      // Under light load one batch at a time: what arrives while it commits becomes the next batch, so a slow
      // trickle makes a few statements instead of many tiny ones (each costs PostgreSQL a parse, a plan and a
      // commit, and both sides CPU that latency pays for). A second batch goes out at once when there is enough
      // for one.
      if (inflightBatches > 0 && queue.length < secondBatchMin) break;
      const batch = queue.splice(0, ctx.config.sendBatchMaxSize);
      inflightBatches++;
      unsettledBatches++;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        inflightBatches--;
        if (queue.length > 0) pump();
      };
      void commitWithFallback(batch, release).finally(() => {
        release();
        unsettledBatches--;
        if (unsettledBatches === 0 && queue.length === 0) {
          const waiters = idleWaiters;
          idleWaiters = [];
          for (const w of waiters) w();
        }
      });
    }
  }

  async function commitWithFallback(batch: Pending[], release: () => void) {
    await commitBatch(batch, release).catch(async (err: unknown) => {
      // A unique violation means another writer committed one of these keys; retry one by one so each finds its
      // first result. Anything else fails the whole batch: nothing was committed, and senders retry. The retries
      // run in this batch's slot (release is called once they are done, by pump).
      if ((err as { code?: string }).code === '23505' && batch.length > 1) {
        for (const p of batch) await commitBatch([p], () => {}).catch((e: unknown) => p.reject(e));
      } else {
        for (const p of batch) p.reject(err);
      }
    });
  }

  /**
   * Commits a batch in one autocommit statement that dedupes, numbers and inserts the messages and every
   * recipient's inbox rows (and the outbox row, when the bus needs one). Sequence numbers come from the rows the
   * statement locks (msg_conversations.last_seq; msg_user_seq.last_seq through inboxSeqCtes, the same rule as
   * every other inbox write), so they are dense and never reused. `release` is called once the statement has
   * committed, before delivery (see pump).
   */
  async function commitBatch(batch: Pending[], release: () => void) {
    const answered: [Pending, SendResult | DomainError][] = [];
    const candidates: Pending[] = [];
    const allowanceUsed = new Map<ConversationInfo, Map<string, number>>();
    // The message-request allowance must not count a retry of a message that already committed, so sends into
    // a pending request look for their first result before the allowance is applied (rare: requests only).
    const gated = batch.filter(sendsIntoPendingRequest);
    const priorForGated = new Map<Pending, SendResult>();
    for (const p of gated) {
      const prior = await findExisting(ctx.db, p.input);
      if (prior) priorForGated.set(p, prior);
    }
    for (const p of batch) {
      const prior = priorForGated.get(p);
      if (prior) {
        answered.push([p, prior]);
        continue;
      }
      if (gated.includes(p)) {
        const used = allowanceUsed.get(p.conv) ?? new Map<string, number>();
        allowanceUsed.set(p.conv, used);
        const sent = (p.conv.sentWhilePending.get(p.input.senderId) ?? 0) + (used.get(p.input.senderId) ?? 0);
        if (sent >= ctx.config.dmRules.requestMessageAllowance) {
          answered.push([p, new DomainError(MessagingErrors.requestPending, 'wait until your message request is accepted')]);
          continue;
        }
        used.set(p.input.senderId, (used.get(p.input.senderId) ?? 0) + 1);
      }
      candidates.push(p);
    }

    const results = new Map<Pending, SendResult>();
    const dupAnswers: [Pending, SendResult][] = [];
    let outboxRows: OutboxRow[] = [];
    if (candidates.length > 0) {
      const blockedBySender = new Map<string, Set<string>>();
      for (const p of candidates) {
        if (p.conv.kind === 'group' && !blockedBySender.has(p.input.senderId)) {
          blockedBySender.set(p.input.senderId, await blockedEitherWay(ctx, p.input.senderId));
        }
      }
      const fanOrd: number[] = [];
      const fanUser: string[] = [];
      const recipients: string[][] = candidates.map((p, i) => {
        const list = recipientsOf(p.conv, p.input.senderId, blockedBySender.get(p.input.senderId) ?? new Set(), p.state);
        for (const u of list) {
          fanOrd.push(i);
          fanUser.push(u);
        }
        return list;
      });
      // One statement, so one round trip and no transaction held open across event-loop turns: the row locks
      // that order sequence numbers are held only while PostgreSQL runs it and commits.
      const r = await queryWithRetry<{ k: string; a: string | null; b: string | null; n: number; at: Date | null }>(
        ctx.db,
        batchSql,
        // Arrays, not one JSON document: PostgreSQL sizes an unnest of array parameters when it plans, while a
        // JSON record set is always guessed at 100 rows, which sends the statement's joins into nested loops.
        // Each array goes as its literal (storage/array-literal.ts): one string per column instead of one per element.
        [
          intArrayLiteral(candidates.map((_, i) => i)),
          textArrayLiteral(candidates.map((p) => p.input.conversationId)),
          textArrayLiteral(candidates.map((p) => p.messageId)),
          textArrayLiteral(candidates.map((p) => p.input.senderId)),
          textArrayLiteral(candidates.map((p) => p.input.deviceId)),
          textArrayLiteral(candidates.map((p) => p.input.clientMessageId)),
          intArrayLiteral(candidates.map((p) => p.epoch)),
          textArrayLiteral(candidates.map((p) => p.ct)),
          textArrayLiteral(candidates.map((p) => p.input.replyTo ?? null)),
          textArrayLiteral(candidates.map((p) => p.state)),
          textArrayLiteral(candidates.map((p) => p.sentAt.toISOString())),
          intArrayLiteral(fanOrd),
          textArrayLiteral(fanUser),
        ],
        // A small batch (most of them, below full load) reuses one prepared plan: planning this statement cost
        // PostgreSQL more than running it for a few messages (backend CPU per statement, 14 messages: 1.3 ms with
        // the prepared plan, 3.3 ms planned each time). That plan guesses 100 rows per array, and for batches of
        // several hundred a plan made for their real size is faster (500 messages: 26 against 35 ms).
        candidates.length <= GENERIC_PLAN_MAX_BATCH ? { prepared: batchStatementName } : undefined,
      );
      release();
      // The next batch's statement reaches the pool's connection in a nextTick (pg-pool hands out clients there);
      // let that run before this batch's delivery occupies the event loop.
      await new Promise<void>((resolve) => process.nextTick(resolve));
      // Re-derive, in the same order as the statement, the numbers it assigned.
      const dups = new Map<number, SendResult>();
      const convBase = new Map<string, number>();
      const userLast = new Map<string, number>();
      let outboxId: number | null = null;
      for (const row of r.rows) {
        if (row.k === 'dup') dups.set(Number(row.a), { id: row.b!, conversationId: candidates[Number(row.a)].input.conversationId, seq: Number(row.n), sentAt: row.at! });
        else if (row.k === 'conv') convBase.set(row.a!, Number(row.n));
        else if (row.k === 'user') userLast.set(row.a!, Number(row.n));
        else if (row.k === 'outbox') outboxId = Number(row.n);
      }
      const seqs: number[] = [];
      const nextConv = new Map<string, number>();
      const userCount = new Map<string, number>();
      candidates.forEach((p, i) => {
        if (dups.has(i)) return;
        const c = p.input.conversationId;
        const s = (nextConv.get(c) ?? convBase.get(c)!) + 1;
        nextConv.set(c, s);
        seqs[i] = s;
        for (const u of recipients[i]) userCount.set(u, (userCount.get(u) ?? 0) + 1);
      });
      const nextUser = new Map<string, number>();
      for (const [u, n] of userCount) nextUser.set(u, userLast.get(u)! - n);
      const events: BusEvent[] = [];
      candidates.forEach((p, i) => {
        const dup = dups.get(i);
        if (dup) {
          dupAnswers.push([p, dup]);
          return;
        }
        const deliveries: [string, number][] = recipients[i].map((u) => {
          const s = nextUser.get(u)! + 1;
          nextUser.set(u, s);
          return [u, s];
        });
        events.push({
          topic: 'inbox',
          payload: {
            [LOCAL_CONTENT]: p.content,
            kind: 'message',
            conversationId: p.input.conversationId,
            deliveries,
            message: {
              id: p.messageId, seq: seqs[i], senderId: p.input.senderId, sentAt: p.sentAt.toISOString(), keyEpoch: p.epoch,
              ct: p.ct, replyTo: p.input.replyTo ?? null,
            },
          },
        });
        results.set(p, { id: p.messageId, conversationId: p.input.conversationId, seq: seqs[i], sentAt: p.sentAt });
      });
      if (events.length > 0) outboxRows = [{ id: outboxId, events }];
      // Committed: the counters the allowance reads can move now.
      for (const [conv, used] of allowanceUsed) {
        for (const [u, n] of used) conv.sentWhilePending.set(u, (conv.sentWhilePending.get(u) ?? 0) + n);
      }
    }
    ctx.relay.publishCommitted(outboxRows);
    answered.push(...dupAnswers);
    for (const [p, r] of answered) (r instanceof DomainError ? p.reject(r) : p.resolve(r));
    for (const [p, r] of results) {
      p.resolve(r);
      hooks.afterCommit({ conversationId: p.input.conversationId, messageId: p.messageId, senderId: p.input.senderId, content: p.content, sentAt: p.sentAt, held: p.state === 'held' });
    }
  }

  async function prepareAndQueue(input: SendInput): Promise<SendResult> {
    let pending: Pending;
    try {
      pending = await prepare(input);
    } catch (err) {
      // A retry of a message that already committed returns it, even if sending is no longer allowed.
      if (err instanceof DomainError) {
        const prior = await findExisting(ctx.db, input);
        if (prior) return prior;
      }
      throw err;
    }
    return new Promise<SendResult>((resolve, reject) => {
      pending.resolve = resolve;
      pending.reject = reject;
      queue.push(pending);
      schedule();
    });
  }

  return {
    send(input) {
      const dedupeKey = `${input.senderId}\u0000${input.deviceId}\u0000${input.clientMessageId}`;
      const already = inflight.get(dedupeKey);
      if (already) return already;
      const promise = prepareAndQueue(input);
      inflight.set(dedupeKey, promise);
      const forget = () => inflight.delete(dedupeKey);
      promise.then(forget, forget);
      return promise;
    },
    async idle() {
      while (queue.length > 0 || unsettledBatches > 0 || timer) {
        if (unsettledBatches > 0) await new Promise<void>((r) => idleWaiters.push(r));
        else await new Promise((r) => setTimeout(r, ctx.config.sendBatchMaxWaitMs + 1));
      }
    },
  };
}
