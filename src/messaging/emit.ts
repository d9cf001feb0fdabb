// Writes one event into several users' inboxes and the outbox, inside the caller's transaction.
import type { OutboxRelay, OutboxRow } from '../events/index.js';
import type { Queryable } from '../storage/index.js';
import { appendInbox, type InboxKind } from './inbox.js';

export async function emitInboxEvent(
  relay: OutboxRelay,
  tx: Queryable,
  e: { kind: InboxKind; conversationId: string; refId: string | null; data: Record<string, unknown> | null; recipients: string[]; extra?: Record<string, unknown> },
): Promise<OutboxRow[]> {
  const recipients = [...new Set(e.recipients)];
  if (recipients.length === 0) return [];
  const seqs = await appendInbox(
    tx,
    recipients.map((userId) => ({ userId, kind: e.kind, conversationId: e.conversationId, refId: e.refId, data: e.data })),
  );
  return relay.write(tx, [
    {
      topic: 'inbox',
      payload: {
        kind: e.kind,
        conversationId: e.conversationId,
        refId: e.refId,
        data: e.data,
        deliveries: recipients.map((u, i) => [u, seqs[i]]),
        ...(e.extra ?? {}),
      },
    },
  ]);
}
