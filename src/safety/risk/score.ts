/**
 * safety/risk scoring: conversation-level risk of grooming, sextortion and harassment from a sliding window
 * of recent messages.
 *
 * Messages reach this module as rule hits and model scores, never as text: the state can be persisted and
 * shown to a moderator without holding anyone's words. Every score comes with the signals that produced it,
 * so a case explains itself. Pure: `scoreEvent` returns a new state and leaves the old one untouched; cost
 * is O(window) per event.
 */
import {
  BURST_MESSAGES,
  BURST_WINDOW_MS,
  CONTEXT,
  CREDIT_TO_OTHER,
  ESCALATION_BONUS,
  ESCALATION_STAGES,
  GROOMING_STAGES,
  HOSTILE_MESSAGE_MIN,
  HOSTILE_MESSAGE_SHARE,
  HOSTILE_MODEL_CATEGORIES,
  HOSTILE_RULE_CATEGORIES,
  CONTEXT_DISCOUNTS,
  FAMILY_ADDRESS_SCALE,
  SAME_STAGE_SHARE,
  SAME_STAGE_SHARE_BY_STAGE,
  SEXTORTION,
  SEXTORTION_UNGATED_CAP,
  SINGLE_CUE_CAP,
  STAGE_OF,
  STRONG_SINGLE_CUE,
  SUBSUMES,
  THRESHOLDS,
  WINDOW_MESSAGES,
} from './weights.js';

export type AgeBand = 'under13' | '13-15' | '16-17' | 'adult' | 'unknown';
export type Relationship = 'mutual' | 'follows' | 'none';
export type Harm = 'grooming' | 'sextortion' | 'harassment';
export const HARMS: readonly Harm[] = ['grooming', 'sextortion', 'harassment'];

export interface RiskContext {
  /** by participant id; absent or 'unknown' means nothing is inferred from age */
  ageBands?: Record<string, AgeBand>;
  /** relationship between the two participants of a 1:1 conversation */
  relationship?: Relationship;
}

/** One rule hit as risk needs it: no text. Offsets (optional) let overlapping hits count as one cue. */
export interface RiskHit {
  ruleId: string;
  category: string;
  weight: number;
  start?: number;
  end?: number;
}

/**
 * One phrase is one cue: "ur mature for 11" fires both `maturity` and `maturity_minor`, and counting both
 * would let a single remark look like two stages. A hit is dropped when it overlaps a hit of a category
 * that subsumes it (SUBSUMES); everything else counts, including a demand and a threat in "pay or i send".
 */
function oneCuePerPhrase(hits: readonly RiskHit[]): RiskHit[] {
  return hits.filter(
    (h) =>
      !hits.some(
        (k) =>
          k !== h &&
          (SUBSUMES[k.category]?.includes(h.category) ?? false) &&
          h.start !== undefined && h.end !== undefined && k.start !== undefined && k.end !== undefined &&
          k.start < h.end && h.start < k.end,
      ),
  );
}

export interface RiskEvent {
  from: string;
  hits: readonly RiskHit[];
  /** text-model probabilities for this message (e.g. hate, offensive) */
  modelScores?: Readonly<Record<string, number>>;
  /** sent-at, epoch milliseconds */
  at?: number;
  /** local hour (0-23) of the recipient when the message arrived */
  localHour?: number;
  /** the message carried an image, video or other media */
  hasMedia?: boolean;
}

interface Turn {
  from: string;
  hits: readonly RiskHit[];
  hostility: number;
  at?: number;
  localHour?: number;
  hasMedia: boolean;
  /** who a credited category counts against: the last other sender before this turn */
  previousOther?: string;
}

export interface RiskState {
  readonly context: RiskContext;
  readonly turns: readonly Turn[];
  /** participants in order of first message */
  readonly participants: readonly string[];
  readonly eventCount: number;
  /**
   * Turns in the window that carry anything a score is made of (a rule hit, or a model score at or above
   * HOSTILE_MESSAGE_MIN). Ordinary chat has none: then every score is 0 with no signals, and scoring skips the
   * O(window) pass per participant.
   */
  readonly evidenceTurns: number;
}

export interface RiskSignal {
  harm: Harm;
  /** the participant the signal is about */
  from: string;
  /** a category (e.g. secrecy_parents), a stage (stage:isolation) or a context fact (adult_to_minor) */
  name: string;
  weight: number;
  ruleIds?: string[];
}

export type RiskAction =
  | { type: 'safety_notice'; to: string; harm: Harm }
  | { type: 'hold_media'; from: string; harm: Harm }
  | { type: 'open_case'; priority: 'low' | 'medium' | 'high' | 'urgent'; harm: Harm; subject: string }
  | { type: 'restrict_sender'; userId: string; harm: Harm };

export interface RiskResult {
  scores: Record<Harm, number>;
  /** participant with the highest score per harm (absent when the score is 0) */
  subjects: Partial<Record<Harm, string>>;
  flagged: Harm[];
  signals: RiskSignal[];
  actions: RiskAction[];
}

export function createRiskState(context: RiskContext = {}): RiskState {
  return { context, turns: [], participants: [], eventCount: 0, evidenceTurns: 0 };
}

const carriesEvidence = (t: Turn) => t.hits.length > 0 || t.hostility >= HOSTILE_MESSAGE_MIN;

/** What scoreState returns for a window with no evidence, built fresh each time (callers own the result). */
function quietResult(): RiskResult {
  return { scores: { grooming: 0, sextortion: 0, harassment: 0 }, subjects: {}, flagged: [], signals: [], actions: [] };
}

const isMinor = (b: AgeBand | undefined) => b === 'under13' || b === '13-15' || b === '16-17';
const noisyOr = (ws: number[]) => 1 - ws.reduce((p, w) => p * (1 - w), 1);
const raise = (s: number, factor: number) => (s > 0 ? 1 - (1 - s) * factor : 0);
const clamp01 = (x: number) => Math.max(0, Math.min(1, x));

interface Evidence {
  weight: number;
  ruleIds: Set<string>;
}

/** Strongest weight per category for one participant over the window, including credited categories. */
function evidenceFor(turns: readonly Turn[], who: string): Map<string, Evidence> {
  const ev = new Map<string, Evidence>();
  const factors = new Map<string, number>();
  for (const [ctx, d] of Object.entries(CONTEXT_DISCOUNTS)) {
    if (!turns.some((t) => t.hits.some((h) => h.category === ctx))) continue;
    for (const c of d.categories) factors.set(c, Math.min(factors.get(c) ?? 1, d.factor));
  }
  const add = (category: string, rawWeight: number, ruleId: string) => {
    const weight = rawWeight * (factors.get(category) ?? 1);
    const e = ev.get(category);
    if (!e) ev.set(category, { weight, ruleIds: new Set([ruleId]) });
    else {
      e.weight = Math.max(e.weight, weight);
      e.ruleIds.add(ruleId);
    }
  };
  for (const t of turns) {
    for (const h of t.hits) {
      const credited = CREDIT_TO_OTHER[h.category];
      if (credited !== undefined) {
        if (t.previousOther === who) add(credited, h.weight, h.ruleId);
      } else if (t.from === who) add(h.category, h.weight, h.ruleId);
    }
  }
  return ev;
}

interface HarmScore {
  score: number;
  signals: RiskSignal[];
  /** a stage of sexualisation or a media demand: media from this sender should be held */
  mediaRisk: boolean;
}

function groomingScore(who: string, ev: Map<string, Evidence>, state: RiskState, others: string[]): HarmScore {
  const signals: RiskSignal[] = [];
  const stageScores: number[] = [];
  let cues = 0;
  let strongest = 0;
  let mediaRisk = false;
  for (const [stage, cats] of Object.entries(GROOMING_STAGES)) {
    const ws: number[] = [];
    for (const c of cats) {
      const e = ev.get(c);
      if (!e) continue;
      ws.push(e.weight);
      if (e.weight >= 0.2) cues++;
      strongest = Math.max(strongest, e.weight);
      signals.push({ harm: 'grooming', from: who, name: c, weight: e.weight, ruleIds: [...e.ruleIds] });
    }
    if (ws.length === 0) continue;
    ws.sort((a, b) => b - a);
    const share = SAME_STAGE_SHARE_BY_STAGE[stage] ?? SAME_STAGE_SHARE;
    const s = 1 - ws.reduce((p, w, k) => p * (1 - (k === 0 ? w : w * share)), 1);
    stageScores.push(s);
    if (stage === 'sexualisation' && s >= 0.3) mediaRisk = true;
    signals.push({ harm: 'grooming', from: who, name: `stage:${stage}`, weight: s });
  }
  let score = noisyOr(stageScores);
  if (state.turns.some((t) => t.hits.some((h) => h.category === 'family_address'))) {
    score *= FAMILY_ADDRESS_SCALE;
    signals.push({ harm: 'grooming', from: who, name: 'context:family_address', weight: FAMILY_ADDRESS_SCALE - 1 });
  }
  // A single cue is what hard negatives are made of ("dont tell ur mom lol", "how old r u?"): it alone
  // flags only when it is unambiguous.
  if (cues <= 1 && strongest < STRONG_SINGLE_CUE) score = Math.min(score, SINGLE_CUE_CAP);
  if (stageScores.filter((s) => s >= 0.2).length >= ESCALATION_STAGES) {
    score = Math.min(1, score + ESCALATION_BONUS);
    signals.push({ harm: 'grooming', from: who, name: 'escalation', weight: ESCALATION_BONUS });
  }
  score = applyContext(score, who, state, others, signals, 'grooming');
  return { score, signals, mediaRisk };
}

/** Known ages, relationship, initiation and hour. Never infers an age that was not given. */
function applyContext(score: number, who: string, state: RiskState, others: string[], signals: RiskSignal[], harm: Harm): number {
  if (score <= 0) return 0;
  const bands = state.context.ageBands ?? {};
  const mine = bands[who];
  const theirs = others.map((o) => bands[o]);
  const add = (name: string, weight: number) => signals.push({ harm, from: who, name, weight });
  if (harm === 'grooming') {
    if (mine === 'adult' && theirs.some(isMinor)) {
      score = raise(score, CONTEXT.raiseAdultToMinor);
      add('adult_to_minor', 1 - CONTEXT.raiseAdultToMinor);
    } else if (isMinor(mine) && theirs.length > 0 && theirs.every(isMinor)) {
      score *= CONTEXT.scalePeerMinors;
      add('peer_minors', CONTEXT.scalePeerMinors - 1);
    } else if (mine === 'adult' && theirs.length > 0 && theirs.every((b) => b === 'adult')) {
      score *= CONTEXT.scaleBothAdults;
      add('both_adults', CONTEXT.scaleBothAdults - 1);
    }
    const late = state.turns.some(
      (t) => t.from === who && t.localHour !== undefined && (t.localHour >= CONTEXT.lateNightFrom || t.localHour < CONTEXT.lateNightUntil),
    );
    if (late) {
      score = raise(score, CONTEXT.raiseLateNight);
      add('late_night', 1 - CONTEXT.raiseLateNight);
    }
  }
  if (harm !== 'harassment' && state.context.relationship === 'none') {
    score = raise(score, CONTEXT.raiseStranger);
    add('stranger', 1 - CONTEXT.raiseStranger);
  }
  if (state.participants[0] === who && others.length > 0) add('initiated', 0);
  return clamp01(score);
}

function sextortionScore(who: string, ev: Map<string, Evidence>, state: RiskState, others: string[]): HarmScore {
  const signals: RiskSignal[] = [];
  const top = (cats: readonly string[], factor = 1) => {
    let best = 0;
    for (const c of cats) {
      const e = ev.get(c);
      if (!e) continue;
      best = Math.max(best, e.weight * factor);
      signals.push({ harm: 'sextortion', from: who, name: c, weight: e.weight * factor, ruleIds: [...e.ruleIds] });
    }
    return best;
  };
  const claim = Math.max(top(SEXTORTION.claim), top(SEXTORTION.leverage, 0.8));
  const threat = top(SEXTORTION.threat);
  const demand = Math.max(top(SEXTORTION.demand), top(SEXTORTION.weakDemand, 0.5));
  const pressure = top(SEXTORTION.pressure);
  let score = noisyOr([claim, threat, demand, pressure]);
  // Sextortion is a threat over images plus a demand; without both halves it is an argument, a joke or a
  // payment between friends ("if u dont return my hoodie im telling everyone").
  const gated = (top(SEXTORTION.claim) > 0 && (threat > 0 || demand > 0)) || (threat > 0 && top(SEXTORTION.demand) > 0);
  if (!gated) score = Math.min(score, SEXTORTION_UNGATED_CAP);
  score = applyContext(score, who, state, others, signals, 'sextortion');
  return { score, signals, mediaRisk: gated };
}

function harassmentScore(who: string, ev: Map<string, Evidence>, state: RiskState, others: string[]): HarmScore {
  const signals: RiskSignal[] = [];
  const parts: number[] = [];
  let hostileTurns = 0;
  for (const t of state.turns) {
    if (t.from !== who || t.hostility < HOSTILE_MESSAGE_MIN) continue;
    hostileTurns++;
    parts.push(t.hostility * HOSTILE_MESSAGE_SHARE);
  }
  if (hostileTurns > 0) signals.push({ harm: 'harassment', from: who, name: 'hostile_messages', weight: hostileTurns });
  for (const c of HOSTILE_RULE_CATEGORIES) {
    const e = ev.get(c);
    if (!e) continue;
    parts.push(e.weight * 0.5);
    signals.push({ harm: 'harassment', from: who, name: c, weight: e.weight * 0.5, ruleIds: [...e.ruleIds] });
  }
  let score = noisyOr(parts);
  // Many messages in a short burst from one side, when already hostile, is pile-on pressure.
  const times = state.turns.filter((t) => t.from === who && t.at !== undefined).map((t) => t.at!);
  for (let i = BURST_MESSAGES - 1; i < times.length; i++) {
    if (times[i]! - times[i - BURST_MESSAGES + 1]! <= BURST_WINDOW_MS) {
      if (score > 0) {
        score = raise(score, 0.8);
        signals.push({ harm: 'harassment', from: who, name: 'message_burst', weight: 0.2 });
      }
      break;
    }
  }
  score = applyContext(score, who, state, others, signals, 'harassment');
  return { score, signals, mediaRisk: false };
}

function actionsFor(harm: Harm, score: number, who: string, others: string[], mediaRisk: boolean, context: RiskContext): RiskAction[] {
  const t = THRESHOLDS[harm];
  if (score < t.flag) return [];
  const bands = context.ageBands ?? {};
  const actions: RiskAction[] = [];
  for (const o of others) {
    // Grooming notices go to the young (or unknown-age) side; sextortion and harassment to anyone targeted.
    if (harm !== 'grooming' || bands[o] !== 'adult') actions.push({ type: 'safety_notice', to: o, harm });
  }
  if (harm !== 'harassment' && (mediaRisk || score >= t.high)) actions.push({ type: 'hold_media', from: who, harm });
  const priority = harm === 'sextortion' ? 'urgent' : score >= t.high ? (harm === 'grooming' ? 'high' : 'medium') : harm === 'grooming' ? 'medium' : 'low';
  actions.push({ type: 'open_case', priority, harm, subject: who });
  if (score >= t.restrict) actions.push({ type: 'restrict_sender', userId: who, harm });
  return actions;
}

/** Scores of the current window; does not change the state. */
export function scoreState(state: RiskState): RiskResult {
  if (state.evidenceTurns === 0) return quietResult();
  const scores: Record<Harm, number> = { grooming: 0, sextortion: 0, harassment: 0 };
  const subjects: Partial<Record<Harm, string>> = {};
  const signals: RiskSignal[] = [];
  const actions: RiskAction[] = [];
  const best: Partial<Record<Harm, HarmScore & { who: string }>> = {};
  for (const who of state.participants) {
    const others = state.participants.filter((p) => p !== who);
    const ev = evidenceFor(state.turns, who);
    const per: Record<Harm, HarmScore> = {
      grooming: groomingScore(who, ev, state, others),
      sextortion: sextortionScore(who, ev, state, others),
      harassment: harassmentScore(who, ev, state, others),
    };
    for (const h of HARMS) {
      const r = per[h];
      if (r.score > 0 && r.score > (best[h]?.score ?? 0)) best[h] = { ...r, who };
    }
  }
  for (const h of HARMS) {
    const b = best[h];
    if (!b) continue;
    scores[h] = Math.round(b.score * 1e4) / 1e4;
    subjects[h] = b.who;
    signals.push(...b.signals);
    const others = state.participants.filter((p) => p !== b.who);
    actions.push(...actionsFor(h, b.score, b.who, others, b.mediaRisk, state.context));
  }
  const flagged = HARMS.filter((h) => scores[h] >= THRESHOLDS[h].flag);
  return { scores, subjects, flagged, signals, actions };
}

function hostilityOf(model: Readonly<Record<string, number>> | undefined): number {
  if (!model) return 0;
  let h = 0;
  for (const c of HOSTILE_MODEL_CATEGORIES) h = Math.max(h, model[c] ?? 0);
  return h;
}

/** Adds one message to the window (keeping the last WINDOW_MESSAGES) and scores it. */
export function scoreEvent(state: RiskState, event: RiskEvent): RiskResult & { state: RiskState } {
  let previousOther: string | undefined;
  for (let i = state.turns.length - 1; i >= 0; i--) {
    if (state.turns[i]!.from !== event.from) {
      previousOther = state.turns[i]!.from;
      break;
    }
  }
  const participants = state.participants.includes(event.from) ? state.participants : [...state.participants, event.from];
  // In a two-person conversation the other person is known even before they speak.
  if (previousOther === undefined && participants.length === 2) previousOther = participants.find((p) => p !== event.from);
  const turn: Turn = {
    from: event.from,
    hits: oneCuePerPhrase(event.hits).map((h) => ({ ruleId: h.ruleId, category: h.category, weight: h.weight })),
    hostility: hostilityOf(event.modelScores),
    ...(event.at !== undefined ? { at: event.at } : {}),
    ...(event.localHour !== undefined ? { localHour: event.localHour } : {}),
    hasMedia: event.hasMedia === true,
    ...(previousOther !== undefined ? { previousOther } : {}),
  };
  const turns = [...state.turns, turn];
  let evidenceTurns = state.evidenceTurns + (carriesEvidence(turn) ? 1 : 0);
  if (turns.length > WINDOW_MESSAGES) {
    for (const gone of turns.splice(0, turns.length - WINDOW_MESSAGES)) if (carriesEvidence(gone)) evidenceTurns--;
  }
  const next: RiskState = { context: state.context, turns, participants, eventCount: state.eventCount + 1, evidenceTurns };
  return { ...scoreState(next), state: next };
}

export interface ConversationResult extends RiskResult {
  /** index of the first event at which each harm was flagged */
  firstFlaggedAt: Partial<Record<Harm, number>>;
}

/** Scores a whole conversation turn by turn, as the async stage would see it grow. */
export function scoreConversation(events: readonly RiskEvent[], context: RiskContext = {}): ConversationResult {
  let state = createRiskState(context);
  let last: RiskResult = scoreState(state);
  const peak: Record<Harm, number> = { grooming: 0, sextortion: 0, harassment: 0 };
  const firstFlaggedAt: Partial<Record<Harm, number>> = {};
  events.forEach((e, i) => {
    const r = scoreEvent(state, e);
    state = r.state;
    for (const h of HARMS) peak[h] = Math.max(peak[h], r.scores[h]);
    for (const h of r.flagged) if (firstFlaggedAt[h] === undefined) firstFlaggedAt[h] = i;
    last = r;
  });
  // Report the worst the conversation reached: a flag does not go away because later messages are calm
  // or because the window slid past the messages that raised it.
  const flagged = HARMS.filter((h) => firstFlaggedAt[h] !== undefined);
  return { scores: peak, subjects: last.subjects, flagged, signals: last.signals, actions: last.actions, firstFlaggedAt };
}
