/**
 * safety score CLI: `custodian score text` and `custodian score conversation` for offline evaluation.
 * Reads JSONL on stdin and writes one JSON line per input line, so an operator can measure the shipped
 * rules, model and thresholds on their own labelled data without running a server.
 *
 *   score text:          in  {id, text}
 *                        out {id, scores: {hate, harassment, sexual, threat, <pack>...}, flagged: [category...]}
 *   score conversation:  in  {id, turns: [{from, text, media?}], ages?: {<from>: AgeBand}, relationship?}
 *                        out {id, scores: {grooming, sextortion, harassment}, flagged: [...], signals: [...],
 *                             firstFlaggedAt: {harm: turnIndex}}
 *
 * This is a tool the user pipes their own data through, so echoing ids is fine; it still never echoes text.
 * A bad line produces {id?, error: code} and scoring continues; the exit code is 1 if any line failed.
 */
import { createInterface } from 'node:readline';
import { createRiskState, scoreEvent, HARMS, type AgeBand, type Harm, type Relationship, type RiskContext, type RiskState } from './risk/index.js';
import { analyzeText, createTextEngine, scoreText, type TextEngine } from './text/index.js';

const USAGE = 'usage: custodian score text|conversation  (JSONL on stdin, JSONL on stdout)';
const AGE_BANDS: readonly string[] = ['under13', '13-15', '16-17', 'adult', 'unknown'];
const RELATIONSHIPS: readonly string[] = ['mutual', 'follows', 'none'];
const MAX_TURNS = 10_000;

type Line = Record<string, unknown>;

function idOf(o: Line): string | number | undefined {
  return typeof o.id === 'string' || typeof o.id === 'number' ? o.id : undefined;
}

function scoreTextLine(engine: TextEngine, o: Line): Line {
  if (typeof o.text !== 'string') return { id: idOf(o), error: 'invalid_text' };
  const r = scoreText(engine, o.text);
  return { id: idOf(o), scores: r.scores, flagged: r.flagged };
}

/** Scores one conversation through the same per-event path the async stage uses. */
export function scoreConversationTurns(
  engine: TextEngine,
  turns: readonly { from: string; text: string; media?: boolean }[],
  context: RiskContext = {},
): { scores: Record<Harm, number>; flagged: Harm[]; signals: string[]; firstFlaggedAt: Partial<Record<Harm, number>> } {
  let state: RiskState = createRiskState(context);
  const peak: Record<Harm, number> = { grooming: 0, sextortion: 0, harassment: 0 };
  const firstFlaggedAt: Partial<Record<Harm, number>> = {};
  let signals: string[] = [];
  turns.forEach((t, i) => {
    const a = analyzeText(engine, t.text);
    // Attachments are written as placeholders in evaluation data ("[image]"); treat them as media.
    const hasMedia = t.media === true || /^\s*\[(?:image|photo|video|screenshot)\]/i.test(t.text);
    const r = scoreEvent(state, { from: t.from, hits: a.hits, modelScores: a.modelScores, hasMedia });
    state = r.state;
    for (const h of HARMS) peak[h] = Math.max(peak[h], r.scores[h]);
    for (const h of r.flagged) if (firstFlaggedAt[h] === undefined) firstFlaggedAt[h] = i;
    signals = r.signals.filter((s) => s.weight > 0 && !s.name.startsWith('stage:')).map((s) => `${s.harm}:${s.from}:${s.name}`);
  });
  const flagged = HARMS.filter((h) => firstFlaggedAt[h] !== undefined);
  return { scores: peak, flagged, signals: [...new Set(signals)], firstFlaggedAt };
}

function scoreConversationLine(engine: TextEngine, o: Line): Line {
  const id = idOf(o);
  if (!Array.isArray(o.turns) || o.turns.length > MAX_TURNS) return { id, error: 'invalid_turns' };
  const turns: { from: string; text: string; media?: boolean }[] = [];
  for (const t of o.turns as unknown[]) {
    const tt = t as Line;
    if (typeof tt !== 'object' || tt === null || typeof tt.from !== 'string' || typeof tt.text !== 'string') return { id, error: 'invalid_turns' };
    turns.push({ from: tt.from, text: tt.text, ...(tt.media === true ? { media: true } : {}) });
  }
  const context: RiskContext = {};
  if (o.ages !== undefined && o.ages !== null) {
    if (typeof o.ages !== 'object') return { id, error: 'invalid_ages' };
    const ages: Record<string, AgeBand> = {};
    for (const [who, band] of Object.entries(o.ages as Line)) {
      if (typeof band !== 'string' || !AGE_BANDS.includes(band)) return { id, error: 'invalid_ages' };
      ages[who] = band as AgeBand;
    }
    context.ageBands = ages;
  }
  if (o.relationship !== undefined) {
    if (typeof o.relationship !== 'string' || !RELATIONSHIPS.includes(o.relationship)) return { id, error: 'invalid_relationship' };
    context.relationship = o.relationship as Relationship;
  }
  const r = scoreConversationTurns(engine, turns, context);
  return { id, scores: r.scores, flagged: r.flagged, signals: r.signals, firstFlaggedAt: r.firstFlaggedAt };
}

/**
 * `custodian score <text|conversation>`: returns the process exit code (0 ok, 1 some lines failed,
 * 2 usage). `engine` is injectable for tests; by default the built-in rules and the shipped model.
 */
export async function runScoreCommand(
  args: string[],
  input: NodeJS.ReadableStream,
  write: (line: string) => void,
  engine?: TextEngine,
): Promise<number> {
  const mode = args[0];
  if (mode !== 'text' && mode !== 'conversation') {
    write(JSON.stringify({ error: 'usage', message: USAGE }));
    return 2;
  }
  const e = engine ?? createTextEngine();
  let failed = false;
  const rl = createInterface({ input, crlfDelay: Infinity });
  for await (const raw of rl) {
    const line = raw.trim();
    if (line.length === 0) continue;
    let o: Line;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      o = parsed as Line;
    } catch {
      failed = true;
      write(JSON.stringify({ error: 'invalid_json' }));
      continue;
    }
    const out = mode === 'text' ? scoreTextLine(e, o) : scoreConversationLine(e, o);
    if ('error' in out) failed = true;
    write(JSON.stringify(out));
  }
  return failed ? 1 : 0;
}
