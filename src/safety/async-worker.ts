// The async safety stage's worker thread: text analysis (normalise, rules, model) and conversation risk windows
// run here, on another core, so scoring never competes with sends on the server's event loop. Plaintext arrives
// by message passing and is dropped once scored; only scores and recommended actions go back, and only for
// events that have some (most messages score nothing worth recording).
import { writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createRiskState, scoreEvent, type RiskAction, type RiskState } from './risk/index.js';
import { analyzeText, createTextEngine, type TextEngine } from './text/index.js';
import type { AsyncMessageEvent, ParticipantFacts } from './async-stage.js';

export interface WorkerRequest {
  event: Omit<AsyncMessageEvent, 'sentAt'> & { sentAt: number };
  facts?: ParticipantFacts;
}

export interface WorkerResult {
  /** the event's position in the batch it came in */
  index: number;
  conversationId: string;
  messageId: string;
  senderId: string;
  actions: RiskAction[];
  scores: Record<string, number>;
  flagged: string[];
  signals: unknown[];
  needFacts?: boolean;
}

/** The scoring thread's name in /proc (see below). */
export const SCORING_THREAD_NAME = 'custodian-score';

const MAX_CONVERSATIONS = 20_000;
let engine: TextEngine | null = null;
const states = new Map<string, RiskState>();

function handle(req: WorkerRequest, index: number): WorkerResult {
  const ev = req.event;
  let state = states.get(ev.conversationId);
  if (!state) {
    if (!req.facts) return { index, conversationId: ev.conversationId, messageId: ev.messageId, senderId: ev.senderId, actions: [], scores: {}, flagged: [], signals: [], needFacts: true };
    state = createRiskState({ ageBands: req.facts.ageBands, relationship: req.facts.relationship });
  }
  states.delete(ev.conversationId);
  engine ??= createTextEngine();
  const analysis = ev.text ? analyzeText(engine, ev.text) : { hits: [], modelScores: {} };
  const result = scoreEvent(state, {
    from: ev.senderId,
    hits: analysis.hits.map((h) => ({ ruleId: h.ruleId, category: h.category, weight: h.weight, start: h.start, end: h.end })),
    modelScores: analysis.modelScores,
    at: ev.sentAt,
    hasMedia: ev.hasMedia,
  });
  states.set(ev.conversationId, result.state);
  if (states.size > MAX_CONVERSATIONS) states.delete(states.keys().next().value!);
  return {
    index, conversationId: ev.conversationId, messageId: ev.messageId, senderId: ev.senderId,
    actions: result.actions, scores: result.scores, flagged: result.flagged, signals: result.signals,
  };
}

/**
 * Scores a batch in order and returns the results worth sending back: events with actions, and needFacts for a
 * conversation whose window is missing here. Once a conversation needs facts, its later events in the batch need
 * them too (they must be scored after the first, in order).
 */
export function handleBatch(reqs: WorkerRequest[]): WorkerResult[] {
  const out: WorkerResult[] = [];
  const missing = new Set<string>();
  reqs.forEach((req, index) => {
    const conversationId = req.event.conversationId;
    if (missing.has(conversationId) && !req.facts) {
      out.push({ index, conversationId, messageId: req.event.messageId, senderId: req.event.senderId, actions: [], scores: {}, flagged: [], signals: [], needFacts: true });
      return;
    }
    missing.delete(conversationId);
    const r = handle(req, index);
    if (r.needFacts) missing.add(conversationId);
    if (r.needFacts || r.actions.length > 0) out.push(r);
  });
  return out;
}

if (parentPort) {
  const port = parentPort;
  try {
    // Named so that an operator's `top -H` or `ps -L` shows scoring's CPU apart from delivery's (Linux; the name is
    // at most 15 bytes). The messaging bench reads it to split the server's CPU by thread.
    writeFileSync('/proc/thread-self/comm', SCORING_THREAD_NAME);
  } catch {
    // Not Linux, or /proc not mounted: the thread keeps the process's name.
  }
  const nice = (workerData as { nice?: number } | null)?.nice;
  if (nice) {
    try {
      // On Linux this lowers this thread only: sends and deliveries on the main thread keep the CPU first.
      setPriority(nice);
    } catch {
      // Not permitted here (some containers): scoring still runs, at normal priority.
    }
  }
  port.on('message', (msg: { id: number; reqs: WorkerRequest[] }) => {
    try {
      port.postMessage({ id: msg.id, results: handleBatch(msg.reqs) });
    } catch {
      port.postMessage({ id: msg.id, error: 'scoring failed' });
    }
  });
}
