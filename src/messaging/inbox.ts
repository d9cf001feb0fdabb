// Per-user inbox sequences. Every event a user's devices must see gets the next number in that user's sequence,
// in the same transaction as the change it describes. Devices sync "after N"; gaps cannot occur because numbers
// are allocated under the row lock of msg_user_seq and committed with the rows that use them.
import type { Queryable } from '../storage/index.js';

export type InboxKind = 'message' | 'message_unsent' | 'reaction' | 'read' | 'conversation';

export interface InboxEntry {
  userId: string;
  kind: InboxKind;
  conversationId: string;
  refId: string | null;
  data: Record<string, unknown> | null;
}

export interface Delivery {
  userId: string;
  seq: number;
}

/**
 * Allocates sequence numbers for all entries (users sorted, so concurrent writers lock rows in one order and
 * cannot deadlock) and inserts the inbox rows. Returns each entry's sequence, in input order.
 */
export async function appendInbox(tx: Queryable, entries: InboxEntry[]): Promise<number[]> {
  if (entries.length === 0) return [];
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e.userId, (counts.get(e.userId) ?? 0) + 1);
  const users = [...counts.keys()].sort();
  const r = await tx.query<{ user_id: string; last_seq: number }>(
    `INSERT INTO msg_user_seq (user_id, last_seq)
     SELECT u, n FROM unnest($1::text[], $2::int8[]) AS x(u, n) ORDER BY u
     ON CONFLICT (user_id) DO UPDATE SET last_seq = msg_user_seq.last_seq + EXCLUDED.last_seq
     RETURNING user_id, last_seq`,
    [users, users.map((u) => counts.get(u)!)],
  );
  const next = new Map<string, number>();
  for (const row of r.rows) next.set(row.user_id, row.last_seq - counts.get(row.user_id)! + 1);
  const seqs = entries.map((e) => {
    const s = next.get(e.userId)!;
    next.set(e.userId, s + 1);
    return s;
  });
  await tx.query(
    `INSERT INTO msg_inbox (user_id, seq, kind, conversation_id, ref_id, data)
     SELECT * FROM unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[], $6::jsonb[])`,
    [
      entries.map((e) => e.userId),
      seqs,
      entries.map((e) => e.kind),
      entries.map((e) => e.conversationId),
      entries.map((e) => e.refId) as string[],
      entries.map((e) => (e.data ? JSON.stringify(e.data) : null)) as string[],
    ],
  );
  return seqs;
}
