// The asynchronous safety stage: after a message is acknowledged, its text is scored (normalise, rules, model)
// and folded into the conversation's risk window; when a threshold is crossed, a detection with its signals (the
// explanation a moderator sees, never the text) is recorded for review to act on. It runs off the send path: a
// submit only queues, and work happens a few messages at a time between other events.
import { randomId } from '../crypto/index.js';
import type { Db } from '../storage/index.js';
import { Worker } from 'node:worker_threads';
import type { AgeBand, Relationship } from './risk/index.js';
import { handle, type WorkerRequest, type WorkerResult } from './async-worker.js';

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

const SLICE = 64;

/**
 * Scoring runs in a worker thread (another core) when `useWorker` is set, which the server does; tests and the
 * CLI may run it inline. Either way the send path only queues.
 */
export function createAsyncStage(deps: {
  db: Db;
  describeParticipants: (conversationId: string) => Promise<ParticipantFacts>;
  onError: (err: unknown) => void;
  useWorker?: boolean;
}) {
  const opened = new Set<string>();
  const known = new Set<string>();
  const queue: AsyncMessageEvent[] = [];
  let running: Promise<void> | null = null;
  let nextId = 1;
  const waiting = new Map<number, { resolve: (r: WorkerResult) => void; reject: (e: unknown) => void }>();
  let worker: Worker | null = null;

  function score(req: WorkerRequest): Promise<WorkerResult> {
    if (!deps.useWorker) return Promise.resolve(handle(req));
    if (!worker) {
      // The worker loads TypeScript through the same loader as the server; named by absolute URL so the
      // server's working directory does not matter.
      worker = new Worker(new URL('./async-worker-entry.mjs', import.meta.url));
      worker.unref();
      worker.on('message', (msg: { id: number; result?: WorkerResult; error?: string }) => {
        const w = waiting.get(msg.id);
        waiting.delete(msg.id);
        if (!w) return;
        if (msg.result) w.resolve(msg.result);
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
      worker!.postMessage({ id, req });
    });
  }

  async function process(ev: AsyncMessageEvent) {
    const event = { ...ev, sentAt: ev.sentAt.getTime() };
    let result = await score({ event, facts: known.has(ev.conversationId) ? undefined : await deps.describeParticipants(ev.conversationId) });
    if (result.needFacts) result = await score({ event, facts: await deps.describeParticipants(ev.conversationId) });
    known.add(ev.conversationId);
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

  async function drain() {
    while (queue.length > 0) {
      const slice = queue.splice(0, SLICE);
      // Events of one conversation stay in order (its risk window depends on order); slices run in sequence.
      for (const ev of slice) {
        try {
          await process(ev);
        } catch (err) {
          deps.onError(err);
        }
      }
      await new Promise((r) => setImmediate(r));
    }
  }

  return {
    submit(ev: AsyncMessageEvent) {
      queue.push(ev);
      running ??= drain().finally(() => {
        running = null;
      });
    },
    async idle() {
      while (running) await running;
    },
    async close() {
      await this.idle();
      await worker?.terminate();
      worker = null;
    },
  };
}

export type AsyncStage = ReturnType<typeof createAsyncStage>;
