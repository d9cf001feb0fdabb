// The asynchronous safety stage: after a message is acknowledged, its text is scored (normalise, rules, model)
// and folded into the conversation's risk window; when a threshold is crossed, a detection with its signals (the
// explanation a moderator sees, never the text) is recorded for review to act on. It runs off the send path: a
// submit only queues. The server scores in a worker thread at a lower CPU priority than delivery, so a burst of
// sends is delivered first and scored as soon as the CPU has room; the backlog is bounded (see maxBacklog).
import { randomId } from '../crypto/index.js';
import type { Db } from '../storage/index.js';
import { Worker } from 'node:worker_threads';
import type { AgeBand, Relationship } from './risk/index.js';
import { handleBatch, type WorkerRequest, type WorkerResult } from './async-worker.js';

export interface AsyncMessageEvent {
  conversationId: string;
  messageId: string;
  senderId: string;
  /** Plaintext, held in memory only for the moment it is scored. */
  text?: string;
  hasMedia: boolean;
  sentAt: Date;
}

export interface ParticipantFacts {
  ageBands: Record<string, AgeBand>;
  relationship?: Relationship;
}

/** Events sent to the worker per round trip: one message each way per batch instead of per event. */
const BATCH = 256;
/**
 * How long a partial batch waits for more events before it is scored. Scoring is not on anyone's critical path
 * (the message is already delivered), so a short wait costs nothing, while scoring a trickle as it comes costs a
 * round trip to the worker, two thread wake-ups and cold caches for every few events: under moderate load that
 * overhead was a large part of the stage's CPU, taken from the delivery it runs beside (on the 2-core bench host at a
 * fixed 3,000 msg/s the server process fell from 88 % to 73 % of a core with this window, mean of six paired runs).
 * A full batch goes at once; idle() does not wait for the window.
 */
const GATHER_MS = 50;
/**
 * Events waiting to be scored, at most. Each holds a message's text in memory, so the queue cannot grow without
 * bound under an overload that outlasts a burst; past it, events are counted and logged as skipped (an operator
 * sees the gap) rather than exhausting memory.
 */
const DEFAULT_MAX_BACKLOG = 200_000;
/** The worker thread's nice value: delivery (nice 0) always runs first when both want the CPU. */
const DEFAULT_WORKER_NICE = 10;

/**
 * Scoring runs in a worker thread (another core) when `useWorker` is set, which the server does; tests and the
 * CLI may run it inline. Either way the send path only queues.
 */
export function createAsyncStage(deps: {
  db: Db;
  describeParticipants: (conversationId: string) => Promise<ParticipantFacts>;
  onError: (err: unknown) => void;
  onSkipped?: (count: number) => void;
  useWorker?: boolean;
  maxBacklog?: number;
  workerNice?: number;
}) {
  const maxBacklog = deps.maxBacklog ?? DEFAULT_MAX_BACKLOG;
  const opened = new Set<string>();
  const known = new Set<string>();
  let queue: AsyncMessageEvent[] = [];
  let skipped = 0;
  let running: Promise<void> | null = null;
  /** A partial batch is waiting out GATHER_MS (see submit); `release` starts its drain now. */
  let gathering: { release: () => void } | null = null;
  /** Callers waiting in idle(): while there are any, partial batches go without waiting. */
  let flushing = 0;
  let nextId = 1;
  const waiting = new Map<number, { resolve: (r: WorkerResult[]) => void; reject: (e: unknown) => void }>();
  let worker: Worker | null = null;

  function score(reqs: WorkerRequest[]): Promise<WorkerResult[]> {
    if (!deps.useWorker) return Promise.resolve(handleBatch(reqs));
    if (!worker) {
      // The worker loads TypeScript through the same loader as the server; named by absolute URL so the
      // server's working directory does not matter.
      worker = new Worker(new URL('./async-worker-entry.mjs', import.meta.url), { workerData: { nice: deps.workerNice ?? DEFAULT_WORKER_NICE } });
      worker.unref();
      worker.on('message', (msg: { id: number; results?: WorkerResult[]; error?: string }) => {
        const w = waiting.get(msg.id);
        waiting.delete(msg.id);
        if (!w) return;
        if (msg.results) w.resolve(msg.results);
        else w.reject(new Error(msg.error ?? 'scoring failed'));
      });
      worker.on('error', (err) => {
        for (const w of waiting.values()) w.reject(err);
        waiting.clear();
        worker = null;
        known.clear();
      });
    }
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker!.postMessage({ id, reqs });
    });
  }

  const toRequest = (ev: AsyncMessageEvent, facts?: ParticipantFacts): WorkerRequest => ({ event: { ...ev, sentAt: ev.sentAt.getTime() }, facts });

  async function factsFor(conversationIds: Iterable<string>) {
    const facts = new Map<string, ParticipantFacts>();
    for (const id of conversationIds) if (!facts.has(id)) facts.set(id, await deps.describeParticipants(id));
    return facts;
  }

  async function record(ev: AsyncMessageEvent, result: WorkerResult) {
    for (const action of result.actions) {
      // One open detection per conversation, harm and action kind: a conversation that keeps scoring high
      // escalates the existing case (review's job), it does not flood the queue.
      const key = `${ev.conversationId}:${action.harm}:${action.type}`;
      if (opened.has(key)) continue;
      opened.add(key);
      await deps.db.query(
        `INSERT INTO safety_detections (detection_id, kind, action, conversation_id, sender_id, matches)
         VALUES ($1, 'conversation_risk', $2, $3, $4, $5)`,
        [
          randomId('dt'),
          action.type,
          ev.conversationId,
          'subject' in action ? action.subject : 'userId' in action ? action.userId : 'from' in action ? action.from : ev.senderId,
          JSON.stringify({ action, scores: result.scores, flagged: result.flagged, signals: result.signals, messageId: ev.messageId }),
        ],
      );
    }
  }

  /**
   * Scores one batch in order. Facts go with a conversation's first event here; if the worker has forgotten a
   * conversation this side thought it knew (its window was evicted, or the worker restarted), it answers
   * needFacts for that conversation's events from there on, and they are scored again, still in order, with facts.
   */
  async function processBatch(batch: AsyncMessageEvent[]) {
    const facts = await factsFor(batch.filter((ev) => !known.has(ev.conversationId)).map((ev) => ev.conversationId));
    const sentFacts = new Set<string>();
    const reqs = batch.map((ev) => {
      const f = sentFacts.has(ev.conversationId) ? undefined : facts.get(ev.conversationId);
      if (f) sentFacts.add(ev.conversationId);
      return toRequest(ev, f);
    });
    let results = await score(reqs);
    for (const id of facts.keys()) known.add(id);
    const again = results.filter((r) => r.needFacts).map((r) => batch[r.index]!);
    if (again.length > 0) {
      const refreshed = await factsFor(again.map((ev) => ev.conversationId));
      const resent = new Set<string>();
      const retry = await score(
        again.map((ev) => {
          const first = !resent.has(ev.conversationId);
          resent.add(ev.conversationId);
          return toRequest(ev, first ? refreshed.get(ev.conversationId) : undefined);
        }),
      );
      results = results.filter((r) => !r.needFacts).concat(retry.map((r) => ({ ...r, index: batch.indexOf(again[r.index]!) })));
    }
    for (const r of results) if (r.actions.length > 0) await record(batch[r.index]!, r);
  }

  /** Waits GATHER_MS, or less if release() is called (a full batch, or idle()). */
  function gather(): Promise<void> {
    if (flushing > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        gathering = null;
        resolve();
      };
      const timer = setTimeout(release, GATHER_MS);
      gathering = { release };
    });
  }

  async function drain() {
    while (queue.length > 0) {
      if (queue.length < BATCH) await gather();
      const batch = queue.splice(0, BATCH);
      try {
        await processBatch(batch);
      } catch (err) {
        deps.onError(err);
      }
      if (skipped > 0) {
        deps.onSkipped?.(skipped);
        skipped = 0;
      }
      await new Promise((r) => setImmediate(r));
    }
  }

  return {
    submit(ev: AsyncMessageEvent) {
      if (queue.length >= maxBacklog) {
        skipped++;
        return;
      }
      queue.push(ev);
      running ??= drain().finally(() => {
        running = null;
      });
      if (gathering && queue.length >= BATCH) gathering.release();
    },
    /** Events waiting to be scored. */
    backlog: () => queue.length,
    async idle() {
      flushing++;
      try {
        while (running) {
          gathering?.release();
          await running;
        }
      } finally {
        flushing--;
      }
    },
    async close() {
      await this.idle();
      await worker?.terminate();
      worker = null;
      queue = [];
    },
  };
}

export type AsyncStage = ReturnType<typeof createAsyncStage>;
