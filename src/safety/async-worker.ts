// The async safety stage's worker thread: text analysis (normalise, rules, model) and conversation risk windows
// run here, on another core, so scoring never competes with sends on the server's event loop. Plaintext arrives
// by message passing and is dropped once scored; only hits, scores and recommended actions go back.
import { parentPort } from 'node:worker_threads';
import { createRiskState, scoreEvent, type RiskAction, type RiskState } from './risk/index.js';
import { analyzeText, createTextEngine, type TextEngine } from './text/index.js';
import type { AsyncMessageEvent, ParticipantFacts } from './async-stage.js';

export interface WorkerRequest {
  event: Omit<AsyncMessageEvent, 'sentAt'> & { sentAt: number };
  facts?: ParticipantFacts;
}

export interface WorkerResult {
  conversationId: string;
  messageId: string;
  senderId: string;
  actions: RiskAction[];
  scores: Record<string, number>;
  flagged: string[];
  signals: unknown[];
  needFacts?: boolean;
}

const MAX_CONVERSATIONS = 20_000;
let engine: TextEngine | null = null;
const states = new Map<string, RiskState>();

export function handle(req: WorkerRequest): WorkerResult {
  const ev = req.event;
  let state = states.get(ev.conversationId);
  if (!state) {
    if (!req.facts) return { conversationId: ev.conversationId, messageId: ev.messageId, senderId: ev.senderId, actions: [], scores: {}, flagged: [], signals: [], needFacts: true };
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
    conversationId: ev.conversationId, messageId: ev.messageId, senderId: ev.senderId,
    actions: result.actions, scores: result.scores, flagged: result.flagged, signals: result.signals,
  };
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (msg: { id: number; req: WorkerRequest }) => {
    try {
      port.postMessage({ id: msg.id, result: handle(msg.req) });
    } catch {
      port.postMessage({ id: msg.id, error: 'scoring failed' });
    }
  });
}
