/**
 * safety/text: message text analysis: normalisation, rule packs and the text model.
 * Owns: the normaliser (normalize.ts), the rule engine and rule-set format (rules.ts, with its RE2 literal
 *   prefilter rules-prefilter.ts), the built-in packs
 *   (packs/), and the text engine that combines rules with the model (model/ is owned beside it).
 * Exposes: normalizeText, normalizeAll, compileRuleSet, evaluateRules, evaluateText, builtinRuleSet,
 *   createTextEngine, analyzeText, scoreText, TEXT_RULE_THRESHOLD, and their types.
 * May import: errors, re2-wasm, unicode-confusables, safety/text/model.
 * Never: run an administrator's regex on the backtracking engine; log or return message text (hits are
 *   offsets into the caller's own string).
 */
import { loadTextModel } from './model/index.js';
import { normalizeAll, type NormalizedText } from './normalize.js';
import { builtinPacks, builtinRuleSet } from './packs/index.js';
import { compileRuleSet, evaluateRules, type CompiledRuleSet, type RuleHit, type RuleSet } from './rules.js';

export { normalizeAll, normalizeText, originalSpan, type NormalizedText, type TextView, type ViewName } from './normalize.js';
export { compileRuleSet, evaluateRules, evaluateText, type CompiledRuleSet, type Rule, type RuleHit, type RuleKind, type RuleSet } from './rules.js';
export { BUILTIN_VERSION, builtinPacks, builtinRuleSet } from './packs/index.js';

/** What the engine needs from a text model (the shape of model/'s TextModel). */
export interface TextScorer {
  version: string;
  categories: string[];
  score(text: string): Record<string, number>;
  /** The same scores from text already normalised by normalizeText (saves normalising twice). */
  scoreNormalized?(normalized: string): Record<string, number>;
  thresholds: Record<string, number>;
}

export interface TextEngine {
  rules: CompiledRuleSet;
  /** null when no model is loaded: rule-only scoring, model scores read as 0 */
  model: TextScorer | null;
}

/**
 * Builds the engine once at start-up. With no model given it tries the shipped model and falls back to
 * rules only (the model file is produced by `npm run train`; a missing file must not stop the server).
 */
export function createTextEngine(opts: { ruleSet?: RuleSet; model?: TextScorer | null } = {}): TextEngine {
  let model: TextScorer | null;
  if (opts.model !== undefined) model = opts.model;
  else {
    try {
      model = loadTextModel();
    } catch {
      model = null;
    }
  }
  return { rules: compileRuleSet(opts.ruleSet ?? builtinRuleSet()), model };
}

export interface TextAnalysis {
  normalized: NormalizedText;
  hits: RuleHit[];
  modelScores: Record<string, number>;
}

export function analyzeText(engine: TextEngine, text: string): TextAnalysis {
  const normalized = normalizeAll(text);
  const hits = evaluateRules(engine.rules, normalized);
  // The model's features are built from normalizeText's output, which is the folded view computed above.
  const modelScores = engine.model ? (engine.model.scoreNormalized ? engine.model.scoreNormalized(normalized.folded.text) : engine.model.score(text)) : {};
  return { normalized, hits, modelScores };
}

/** Rule-derived categories flag at this score (one strong rule, or two moderate ones in the category). */
export const TEXT_RULE_THRESHOLD = 0.5;

// Message-level categories built from rule categories. A pack name also scores as its own category, so a
// moderator sees "secrecy: 0.6" beside the model's "offensive: 0.1".
const RULE_CATEGORY_GROUPS: Record<string, readonly string[]> = {
  sexual: ['sexual_request', 'body_comment', 'intimate_setting', 'photo_self', 'wearing'],
  threat: ['share_threat', 'coercion'],
};

export interface TextScoreResult {
  scores: Record<string, number>;
  flagged: string[];
  hits: RuleHit[];
}

/**
 * Message-level scores: model categories (hate, offensive, ...; harassment reads the model's offensive
 * class), rule groups (sexual, threat) and one score per rule pack. Flags use the model's shipped
 * thresholds and TEXT_RULE_THRESHOLD for rule scores.
 */
export function scoreText(engine: TextEngine, text: string): TextScoreResult {
  const { hits, modelScores } = analyzeText(engine, text);
  const scores: Record<string, number> = {};
  const flagged: string[] = [];
  const th = engine.model?.thresholds ?? {};
  const modelCategories = engine.model?.categories ?? ['hate', 'offensive'];
  // Davidson's three-way decision is the model's cascade (predictLabel): hate if hate >= its threshold,
  // else offensive if offensive >= its threshold, so a text flagged hate is not also flagged offensive.
  // (The model's scores already carry its offensive-evidence guard.)
  const davidsonHate = th.hate !== undefined && (modelScores.hate ?? 0) >= th.hate;
  for (const c of modelCategories) {
    if (c === 'neither') continue;
    scores[c] = modelScores[c] ?? 0;
    if (c === 'offensive' && davidsonHate) continue;
    if (th[c] !== undefined && scores[c]! >= th[c]!) flagged.push(c);
  }
  scores.harassment = Math.max(modelScores.harassment ?? 0, modelScores.offensive ?? 0);
  const harassmentThreshold = th.harassment ?? th.offensive;
  if (harassmentThreshold !== undefined && scores.harassment >= harassmentThreshold) flagged.push('harassment');
  scores.hate = Math.max(scores.hate ?? 0, modelScores.identity_hate ?? 0);
  if (!flagged.includes('hate') && th.identity_hate !== undefined && (modelScores.identity_hate ?? 0) >= th.identity_hate) flagged.push('hate');

  const catMax = new Map<string, number>();
  for (const h of hits) catMax.set(h.category, Math.max(catMax.get(h.category) ?? 0, h.weight));
  const combine = (cats: Iterable<string>) => 1 - [...cats].reduce((p, c) => p * (1 - (catMax.get(c) ?? 0)), 1);
  const ruleScores: Record<string, number> = {};
  for (const [group, cats] of Object.entries(RULE_CATEGORY_GROUPS)) ruleScores[group] = combine(cats);
  const packCategories = new Map<string, Set<string>>(Object.keys(builtinPacks).map((p) => [p, new Set<string>()]));
  for (const h of hits) {
    const set = packCategories.get(h.pack) ?? new Set<string>();
    set.add(h.category);
    packCategories.set(h.pack, set);
  }
  // The context pack explains cues away (a birthday, homework); it is not a harm to score or flag.
  packCategories.delete('context');
  for (const [pack, cats] of packCategories) ruleScores[pack] = combine(cats);
  for (const [k, v] of Object.entries(ruleScores)) {
    const s = Math.round(v * 1e4) / 1e4;
    scores[k] = Math.max(scores[k] ?? 0, s);
    if (s >= TEXT_RULE_THRESHOLD && !flagged.includes(k)) flagged.push(k);
  }
  return { scores, flagged, hits };
}
