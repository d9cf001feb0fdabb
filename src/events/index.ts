/**
 * events: the event bus and the transactional outbox.
 * A change and its event commit together (the outbox row is written in the change's transaction); after commit
 * the writer hands the rows to the relay, which publishes them in commit order and then deletes them. Rows left by
 * a crash between commit and publish are published at the next start (`drain`), so no committed event is lost.
 * Owns: events_outbox. Exposes: createInProcessBus, Bus, writeOutbox, createOutboxRelay, eventsMigrations.
 * May import: storage.
 * Never: carry plaintext content in an event (ciphertext and ids only).
 */
import type { Db, Migration, Queryable } from '../storage/index.js';

export interface BusEvent {
  topic: string;
  payload: Record<string, unknown>;
}

export type BusHandler = (event: BusEvent) => void;

/**
 * The bus contract both drivers keep: publish is fire-and-forget after commit (the outbox is the durability),
 * handlers see events of one topic in publish order. The NATS JetStream driver (cluster issue) implements the same.
 */
export interface Bus {
  readonly driver: 'in-process' | 'nats';
  publish(events: BusEvent[]): Promise<void>;
  subscribe(topic: string, handler: BusHandler): () => void;
  close(): Promise<void>;
}

export function createInProcessBus(): Bus {
  const handlers = new Map<string, Set<BusHandler>>();
  return {
    driver: 'in-process',
    async publish(events) {
      for (const event of events) {
        const set = handlers.get(event.topic);
        if (!set) continue;
        for (const h of set) {
          try {
            h(event);
          } catch {
            // A failing subscriber must not stop delivery to the others; each subscriber logs its own faults.
          }
        }
      }
    },
    subscribe(topic, handler) {
      let set = handlers.get(topic);
      if (!set) handlers.set(topic, (set = new Set()));
      set.add(handler);
      return () => set!.delete(handler);
    },
    async close() {
      handlers.clear();
    },
  };
}

export const eventsMigrations: Migration[] = [
  {
    id: '20261123-0050-events-outbox',
    sql: `CREATE TABLE events_outbox (
      id bigserial PRIMARY KEY,
      topic text NOT NULL,
      payload jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
  },
];

export interface OutboxRow extends BusEvent {
  id: number;
}

/** Writes events inside the caller's transaction; returns them with their outbox ids for `publishCommitted`. */
export async function writeOutbox(tx: Queryable, events: BusEvent[]): Promise<OutboxRow[]> {
  if (events.length === 0) return [];
  const r = await tx.query<{ id: number }>(
    `INSERT INTO events_outbox (topic, payload)
     SELECT t, p::jsonb FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS x(t, p, o) ORDER BY o
     RETURNING id`,
    [events.map((e) => e.topic), events.map((e) => JSON.stringify(e.payload))],
  );
  const ids = r.rows.map((row) => row.id).sort((a, b) => a - b);
  return events.map((e, i) => ({ ...e, id: ids[i] }));
}

export interface OutboxRelay {
  /** Publishes rows that were just committed, in order, then deletes them. Call in commit order. */
  publishCommitted(rows: OutboxRow[]): void;
  /** Publishes and deletes whatever earlier runs left behind (crash between commit and publish). */
  drain(): Promise<number>;
  /** Waits until every handed-over row is published and deleted. */
  idle(): Promise<void>;
}

export function createOutboxRelay(db: Db, bus: Bus, onError: (err: unknown) => void): OutboxRelay {
  let chain: Promise<void> = Promise.resolve();
  let pendingDeletes: number[] = [];
  let deleting: Promise<void> | null = null;

  const flushDeletes = () => {
    if (deleting || pendingDeletes.length === 0) return;
    const ids = pendingDeletes;
    pendingDeletes = [];
    deleting = db
      .query('DELETE FROM events_outbox WHERE id = ANY($1::int8[])', [ids])
      .then(() => undefined, onError)
      .finally(() => {
        deleting = null;
        flushDeletes();
      });
  };

  return {
    publishCommitted(rows) {
      if (rows.length === 0) return;
      chain = chain.then(async () => {
        try {
          await bus.publish(rows);
          // Deletes are batched across commits: a row published twice after a crash is harmless, because
          // consumers are idempotent by sequence; a row never published would not be.
          for (const r of rows) pendingDeletes.push(r.id);
          flushDeletes();
        } catch (err) {
          onError(err);
        }
      });
    },
    async drain() {
      let total = 0;
      for (;;) {
        const r = await db.query<{ id: number; topic: string; payload: Record<string, unknown> }>(
          'SELECT id, topic, payload FROM events_outbox ORDER BY id LIMIT 500',
        );
        if (r.rows.length === 0) return total;
        await bus.publish(r.rows);
        await db.query('DELETE FROM events_outbox WHERE id = ANY($1::int8[])', [r.rows.map((x) => x.id)]);
        total += r.rows.length;
      }
    },
    async idle() {
      await chain;
      while (deleting || pendingDeletes.length > 0) {
        flushDeletes();
        await deleting;
      }
    },
  };
}
