// The asynchronous safety stage: after a message is acknowledged, its text is scored (normalise, rules, model)
// and folded into the conversation's risk window; when a threshold is crossed, a detection with its signals (the
// explanation a moderator sees, never the text) is recorded for review to act on. It runs off the send path: a
// submit only queues, and work happens a few messages at a time between other events.
import { randomId } from '../crypto/index.js';
import type { Db } from '../storage/index.js';
import { createRiskState, scoreEvent, type AgeBand, type Relationship, type RiskState } from './risk/index.js';
import { analyzeText, createTextEngine, type TextEngine } from './text/index.js';

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

const MAX_CONVERSATIONS = 20_000;
const SLICE = 20;

export function createAsyncStage(deps: {
  db: Db;
  describeParticipants: (conversationId: string) => Promise<ParticipantFacts>;
  onError: (err: unknown) => void;
}) {
  let engine: TextEngine | null = null;
  const states = new Map<string, RiskState>();
  const opened = new Set<string>();
  const queue: AsyncMessageEvent[] = [];
  let running: Promise<void> | null = null;

  async function stateFor(conversationId: string): Promise<RiskState> {
    const s = states.get(conversationId);
    if (s) {
      // Map order doubles as recency for the bound below.
      states.delete(conversationId);
      states.set(conversationId, s);
      return s;
    }
    const facts = await deps.describeParticipants(conversationId);
    const fresh = createRiskState({ ageBands: facts.ageBands, relationship: facts.relationship });
    states.set(conversationId, fresh);
    if (states.size > MAX_CONVERSATIONS) states.delete(states.keys().next().value!);
    return fresh;
  }

  async function process(ev: AsyncMessageEvent) {
    engine ??= createTextEngine();
    const analysis = ev.text ? analyzeText(engine, ev.text) : { hits: [], modelScores: {} };
    const state = await stateFor(ev.conversationId);
    const result = scoreEvent(state, {
      from: ev.senderId,
      hits: analysis.hits.map((h) => ({ ruleId: h.ruleId, category: h.category, weight: h.weight, start: h.start, end: h.end })),
      modelScores: analysis.modelScores,
      at: ev.sentAt.getTime(),
      hasMedia: ev.hasMedia,
    });
    states.set(ev.conversationId, result.state);
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
      for (const ev of queue.splice(0, SLICE)) {
        try {
          await process(ev);
        } catch (err) {
          deps.onError(err);
        }
      }
      // Yield so sends and pushes are never starved by scoring.
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
  };
}

export type AsyncStage = ReturnType<typeof createAsyncStage>;
