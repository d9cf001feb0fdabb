/**
 * events: the event bus and the transactional outbox.
 * A change and its event commit together (the outbox row is written in the change's transaction); after commit
 * the writer hands the rows to the relay, which publishes them in commit order and then deletes them. Rows left by
 * a crash between commit and publish are published at the next start (`drain`), so no committed event is lost.
 * The outbox exists for subscribers in other processes (the NATS driver, cluster issue). With the in-process bus
 * a crash takes every subscriber down with the unpublished events, and reconnecting devices resume from their
 * inbox sequence in the database, so there the relay publishes from memory and writes no rows (`persists`).
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
  /** Whether events must be written to the outbox: true when subscribers may live in another process. */
  readonly needsOutbox: boolean;
  publish(events: BusEvent[]): Promise<void>;
  subscribe(topic: string, handler: BusHandler): () => void;
  close(): Promise<void>;
}

/** `needsOutbox` makes an in-process bus write the outbox as a cross-process one must (tests of that path). */
export function createInProcessBus(opts: { needsOutbox?: boolean } = {}): Bus {
  const handlers = new Map<string, Set<BusHandler>>();
  return {
    driver: 'in-process',
    needsOutbox: opts.needsOutbox ?? false,
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
  {
    // One row per commit and topic instead of one per event: a send batch writes one row for hundreds of
    // messages. json, not jsonb: the row is written once and read back only after a crash, so it is stored as
    // the text it is instead of being parsed into jsonb on every commit.
    id: '20261123-0200-events-outbox-batched',
    // STORAGE EXTERNAL: a batch row is large and short-lived; compressing it costs more than the bytes it saves.
    sql: `ALTER TABLE events_outbox ALTER COLUMN payload TYPE json USING json_build_array(payload);
      ALTER TABLE events_outbox RENAME COLUMN payload TO payloads;
      ALTER TABLE events_outbox ALTER COLUMN payloads SET STORAGE EXTERNAL`,
  },
];

/** One outbox row: events of one topic that committed together, in order. `id` is null when nothing was written. */
export interface OutboxRow {
  id: number | null;
  events: BusEvent[];
}

/**
 * Writes events inside the caller's transaction, one row per run of the same topic; returns the rows with their
 * outbox ids for `publishCommitted`.
 */
export async function writeOutbox(tx: Queryable, events: BusEvent[]): Promise<OutboxRow[]> {
  if (events.length === 0) return [];
  const runs: BusEvent[][] = [];
  for (const e of events) {
    const last = runs[runs.length - 1];
    if (last && last[0]!.topic === e.topic) last.push(e);
    else runs.push([e]);
  }
  const r = await tx.query<{ id: number }>(
    `INSERT INTO events_outbox (topic, payloads)
     SELECT t, p::json FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS x(t, p, o) ORDER BY o
     RETURNING id`,
    [runs.map((run) => run[0]!.topic), runs.map((run) => `[${run.map((e) => JSON.stringify(e.payload)).join(',')}]`)],
  );
  const ids = r.rows.map((row) => row.id).sort((a, b) => a - b);
  return runs.map((run, i) => ({ id: ids[i]!, events: run }));
}

export interface OutboxRelay {
  /** Whether `write` persists rows (the bus needs an outbox); writers that build their own outbox SQL ask this. */
  readonly persists: boolean;
  /** Writes events in the caller's transaction when the bus needs an outbox; either way returns what to publish. */
  write(tx: Queryable, events: BusEvent[]): Promise<OutboxRow[]>;
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
    persists: bus.needsOutbox,
    async write(tx, events) {
      if (bus.needsOutbox) return writeOutbox(tx, events);
      return events.length === 0 ? [] : [{ id: null, events }];
    },
    publishCommitted(rows) {
      if (rows.length === 0) return;
      chain = chain.then(async () => {
        try {
          await bus.publish(rows.length === 1 ? rows[0]!.events : rows.flatMap((r) => r.events));
          // Deletes are batched across commits: a row published twice after a crash is harmless, because
          // consumers are idempotent by sequence; a row never published would not be.
          for (const r of rows) if (r.id !== null) pendingDeletes.push(r.id);
          flushDeletes();
        } catch (err) {
          onError(err);
        }
      });
    },
    async drain() {
      let total = 0;
      for (;;) {
        const r = await db.query<{ id: number; topic: string; payloads: Record<string, unknown>[] | string }>(
          'SELECT id, topic, payloads FROM events_outbox ORDER BY id LIMIT 50',
        );
        if (r.rows.length === 0) return total;
        // Drivers may hand json back as text or parsed.
        const events = r.rows.flatMap((row) =>
          (typeof row.payloads === 'string' ? (JSON.parse(row.payloads) as Record<string, unknown>[]) : row.payloads).map((payload) => ({ topic: row.topic, payload })),
        );
        await bus.publish(events);
        await db.query('DELETE FROM events_outbox WHERE id = ANY($1::int8[])', [r.rows.map((x) => x.id)]);
        total += events.length;
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
