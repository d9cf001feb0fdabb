// The state messaging functions share: handles, the data-key cache, and read-through caches of conversation
// membership and blocks. The caches make the send path free of permission queries; every local change to
// membership or blocks updates them in the same step. (In a cluster, the same invalidations travel as events.)
import type { Config } from '../config/index.js';
import type { Keyring } from '../crypto/index.js';
import type { Bus, OutboxRelay } from '../events/index.js';
import type { Db, Queryable } from '../storage/index.js';
import type { KeyCache } from './keys.js';
import type { SingleFlight } from './single-flight.js';

export type MemberState = 'active' | 'pending' | 'declined' | 'left';

export interface MemberInfo {
  state: MemberState;
  joinedSeq: number;
  lastReadSeq: number;
}

export interface ConversationInfo {
  conversationId: string;
  kind: 'direct' | 'group';
  region: string;
  createdBy: string;
  createdAt: Date;
  members: Map<string, MemberInfo>;
  /** Messages each sender has sent while some member's request is pending (for the request allowance). */
  sentWhilePending: Map<string, number>;
}

export interface MessagingLogger {
  error(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface MessagingContext {
  db: Db;
  keyring: Keyring;
  config: Config;
  keys: KeyCache;
  bus: Bus;
  relay: OutboxRelay;
  log: MessagingLogger;
  conversations: Map<string, ConversationInfo>;
  blocks: Map<string, Set<string>>;
  /** Shared in-flight reads for the two caches above. */
  loadingConversation: SingleFlight<ConversationInfo | null>;
  loadingBlocks: SingleFlight<Set<string>>;
}

/** Cached conversation facts; concurrent misses for one id share a single database read. */
export async function loadConversation(ctx: MessagingContext, conversationId: string, db: Queryable = ctx.db): Promise<ConversationInfo | null> {
  const cached = ctx.conversations.get(conversationId);
  if (cached) return cached;
  return ctx.loadingConversation(conversationId, () => readConversation(ctx, conversationId, db));
}

async function readConversation(ctx: MessagingContext, conversationId: string, db: Queryable): Promise<ConversationInfo | null> {
  const c = await db.query<{ kind: 'direct' | 'group'; region: string; created_by: string; created_at: Date }>(
    'SELECT kind, region, created_by, created_at FROM msg_conversations WHERE conversation_id = $1',
    [conversationId],
  );
  if (c.rows.length === 0) return null;
  const m = await db.query<{ user_id: string; state: MemberState; joined_seq: number; last_read_seq: number }>(
    'SELECT user_id, state, joined_seq, last_read_seq FROM msg_members WHERE conversation_id = $1',
    [conversationId],
  );
  const members = new Map<string, MemberInfo>();
  for (const row of m.rows) members.set(row.user_id, { state: row.state, joinedSeq: row.joined_seq, lastReadSeq: row.last_read_seq });
  const sentWhilePending = new Map<string, number>();
  if ([...members.values()].some((x) => x.state === 'pending')) {
    const s = await db.query<{ sender_id: string; n: number }>(
      'SELECT sender_id, count(*)::int8 AS n FROM msg_messages WHERE conversation_id = $1 GROUP BY sender_id',
      [conversationId],
    );
    for (const row of s.rows) sentWhilePending.set(row.sender_id, row.n);
  }
  const info: ConversationInfo = {
    conversationId,
    kind: c.rows[0].kind,
    region: c.rows[0].region,
    createdBy: c.rows[0].created_by,
    createdAt: c.rows[0].created_at,
    members,
    sentWhilePending,
  };
  // Another request may have loaded it meanwhile; keep the first so all callers share one object.
  const again = ctx.conversations.get(conversationId);
  if (again) return again;
  ctx.conversations.set(conversationId, info);
  return info;
}

/** Users with a block between them and `userId`, in either direction (cached; concurrent misses share a read). */
export async function blockedEitherWay(ctx: MessagingContext, userId: string): Promise<Set<string>> {
  const cached = ctx.blocks.get(userId);
  if (cached) return cached;
  return ctx.loadingBlocks(userId, () => readBlocks(ctx, userId));
}

async function readBlocks(ctx: MessagingContext, userId: string): Promise<Set<string>> {
  const r = await ctx.db.query<{ blocker_id: string; blocked_id: string }>(
    'SELECT blocker_id, blocked_id FROM msg_blocks WHERE blocker_id = $1 OR blocked_id = $1',
    [userId],
  );
  const set = new Set<string>();
  for (const row of r.rows) set.add(row.blocker_id === userId ? row.blocked_id : row.blocker_id);
  ctx.blocks.set(userId, set);
  return set;
}

export function forgetConversation(ctx: MessagingContext, conversationId: string) {
  ctx.conversations.delete(conversationId);
}
