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
 * The one rule for allocating inbox sequence numbers, as SQL common table expressions over a relation `fan` with
 * columns `ord` (the order entries take within a user) and `uid`: each user's msg_user_seq row is bumped by that
 * user's entry count (users in sorted order, so concurrent writers lock rows in one order and cannot deadlock),
 * and `fanseq` is `fan` with each row's sequence number `useq`. appendInbox and the send batch's statement both
 * build on it, so there is a single mechanism however an inbox row is written.
 */
export function inboxSeqCtes(fan: string): string {
  return `ucounts AS (SELECT uid, count(*)::int8 AS n FROM ${fan} GROUP BY uid),
         useq AS (
           INSERT INTO msg_user_seq (user_id, last_seq) SELECT uid, n FROM ucounts ORDER BY uid
           ON CONFLICT (user_id) DO UPDATE SET last_seq = msg_user_seq.last_seq + EXCLUDED.last_seq
           RETURNING user_id, last_seq
         ),
         fanseq AS (
           SELECT f.*, u.last_seq - uc.n + row_number() OVER (PARTITION BY f.uid ORDER BY f.ord) AS useq
           FROM ${fan} f JOIN useq u ON u.user_id = f.uid JOIN ucounts uc ON uc.uid = f.uid
         )`;
}

/**
 * Allocates sequence numbers for all entries and inserts the inbox rows, in one statement (inboxSeqCtes; the
 * insert runs to completion although the result reads only the numbers). Returns each entry's sequence, in
 * input order.
 */
export async function appendInbox(tx: Queryable, entries: InboxEntry[]): Promise<number[]> {
  if (entries.length === 0) return [];
  const r = await tx.query<{ ord: number; useq: number }>(
    `WITH fan AS (
       SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
         AS x(ord, uid, kind, conv, ref, data)
     ),
     ${inboxSeqCtes('fan')},
     inbox AS (
       INSERT INTO msg_inbox (user_id, seq, kind, conversation_id, ref_id, data)
       SELECT uid, useq, kind, conv, ref, data FROM fanseq
       RETURNING 1
     )
     SELECT ord, useq FROM fanseq`,
    [
      entries.map((_, i) => i),
      entries.map((e) => e.userId),
      entries.map((e) => e.kind),
      entries.map((e) => e.conversationId),
      entries.map((e) => e.refId) as string[],
      entries.map((e) => (e.data ? JSON.stringify(e.data) : null)) as string[],
    ],
  );
  const seqs: number[] = new Array(entries.length);
  for (const row of r.rows) seqs[Number(row.ord)] = Number(row.useq);
  return seqs;
}
