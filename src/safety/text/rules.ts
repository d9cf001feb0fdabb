/**
 * safety/text rules: keyword, phrase and regex rules as versioned data, compiled once, matched against
 * normalised text.
 *
 * Rule sets are plain JSON-able objects so that the lead can persist, version and edit them through an admin
 * API without a deploy. Three invariants hold for any rule set an administrator can write:
 *  - a rule cannot hang the server: regexes run on RE2 (linear time, no backreferences or lookaround), never
 *    on V8's backtracking engine, and keywords and phrases run on a token matcher with no regex at all; a
 *    literal prefilter (rules-prefilter.ts) skips the RE2 call for rules that cannot match;
 *  - a rule sees the same text every other detector sees (normalize.ts), and keyword and phrase patterns are
 *    normalised the same way, so "snapchat" in a rule also matches "ѕn@pсhаt" in a message;
 *  - hits carry offsets in the original message, so a moderator is shown exactly what fired.
 *
 * Pattern syntax. keyword: one word; a trailing `*` matches any word with that prefix ("pic*").
 * phrase: words in order, each optionally with a trailing `*`; `?` alone stands for any one word
 * ("send ? pic*"). regex: RE2 syntax, matched on the folded view unless `view` says otherwise ('literal'
 * keeps digits and symbols: phone numbers, "$100", "@handle"; 'squeezed' has repeats cut to one).
 * allow: phrases (same syntax as `phrase`); a hit is dropped when it overlaps an occurrence of one of them
 * in the same message ("oh snap", "snap peas").
 */
import { RE2 } from 're2-wasm';
import { DomainError } from '../../errors.js';
import { normalizeAll, originalSpan, type NormalizedText, type TextView, type ViewName } from './normalize.js';
import { compileRequirement, LiteralSet, literalsOf, requiredLiterals, satisfied, type CompiledRequirement } from './rules-prefilter.js';

export type RuleKind = 'keyword' | 'phrase' | 'regex';

export interface Rule {
  id: string;
  pack: string;
  kind: RuleKind;
  pattern: string;
  category: string;
  /** 0..1: how strongly one hit indicates the category */
  weight: number;
  allow?: string[];
  /** regex rules only; default 'folded' */
  view?: ViewName;
}

export interface RuleSet {
  version: string;
  rules: Rule[];
}

export interface RuleHit {
  ruleId: string;
  pack: string;
  category: string;
  weight: number;
  /** UTF-16 offsets into the original message, end exclusive */
  start: number;
  end: number;
}

interface TokenPattern {
  /** each word: exact text, or prefix when `prefix` is set; null stands for any word */
  words: ({ text: string; prefix: boolean } | null)[];
}

interface CompiledRule {
  rule: Rule;
  index: number;
  tokens?: TokenPattern;
  regex?: RE2;
  /** literals that must occur for the regex to match (rules-prefilter.ts); null: always run */
  requirement?: CompiledRequirement | null;
  allow: TokenPattern[];
}

interface RegexView {
  rules: CompiledRule[];
  literals: LiteralSet;
  literalIds: Map<string, number>;
}

export interface CompiledRuleSet {
  version: string;
  ruleCount: number;
  /** token rules by their first word (exact), plus those whose first word is a prefix or wildcard */
  byFirstWord: Map<string, CompiledRule[]>;
  scanAlways: CompiledRule[];
  regexByView: Map<ViewName, RegexView>;
}

const MAX_RULES = 10_000;
const MAX_PATTERN_LENGTH = 4_000;
const ID_FORMAT = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const VIEWS: ViewName[] = ['literal', 'folded', 'squeezed'];

function invalid(message: string, details?: Record<string, string | number>): never {
  throw new DomainError('invalid_rule', message, details);
}

interface Word {
  text: string;
  start: number;
  end: number;
}

/** Words of a view: runs of letters, digits and the symbols that stay meaningful in rules. */
function wordsOf(view: TextView): Word[] {
  const out: Word[] = [];
  const t = view.text;
  let start = -1;
  for (let i = 0; i <= t.length; i++) {
    const c = i < t.length ? t.charCodeAt(i) : 32;
    const isWordChar =
      (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x40 /* @ */ || c === 0x24 /* $ */ || c === 0x23; /* # */
    if (isWordChar) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      out.push({ text: t.slice(start, i), start, end: i });
      start = -1;
    }
  }
  return out;
}

/** Parses a keyword or phrase into squeezed words, so it matches what messages normalise to. */
function compileTokens(pattern: string, where: string): TokenPattern {
  const raw = pattern.trim().split(/\s+/).filter((w) => w.length > 0);
  if (raw.length === 0) invalid(`${where}: empty pattern`);
  if (raw.length > 12) invalid(`${where}: phrase longer than 12 words`);
  const words: TokenPattern['words'] = [];
  for (const w of raw) {
    if (w === '?') {
      words.push(null);
      continue;
    }
    const prefix = w.endsWith('*');
    const body = prefix ? w.slice(0, -1) : w;
    const norm = wordsOf(normalizeAll(body).squeezed);
    if (norm.length === 0) invalid(`${where}: pattern word has no letters or digits`);
    norm.forEach((n, k) => words.push({ text: n.text, prefix: prefix && k === norm.length - 1 }));
  }
  if (words[0] === null || words[words.length - 1] === null) invalid(`${where}: a phrase cannot start or end with ?`);
  return { words };
}

function compileRegex(pattern: string, flags: string, where: string): RE2 {
  try {
    return new RE2(pattern, flags);
  } catch {
    // RE2's message echoes the pattern; the pattern is admin data, but keep messages uniform and short.
    invalid(`${where}: not a valid RE2 pattern (no backreferences or lookaround)`);
  }
}

function validateRule(r: unknown, k: number, seen: Set<string>): Rule {
  const where = `rule ${k}`;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) invalid(`${where}: not an object`);
  const o = r as Record<string, unknown>;
  if (typeof o.id !== 'string' || !ID_FORMAT.test(o.id)) invalid(`${where}: id must match ${ID_FORMAT.source}`);
  if (seen.has(o.id)) invalid(`${where}: duplicate id`, { ruleId: o.id });
  seen.add(o.id);
  if (typeof o.pack !== 'string' || !ID_FORMAT.test(o.pack)) invalid(`${where}: pack must be a short identifier`);
  if (o.kind !== 'keyword' && o.kind !== 'phrase' && o.kind !== 'regex') invalid(`${where}: kind must be keyword, phrase or regex`);
  if (typeof o.pattern !== 'string' || o.pattern.trim().length === 0) invalid(`${where}: pattern must be a non-empty string`);
  if (o.pattern.length > MAX_PATTERN_LENGTH) invalid(`${where}: pattern longer than ${MAX_PATTERN_LENGTH}`);
  if (o.kind === 'keyword' && /\s/.test(o.pattern.trim())) invalid(`${where}: a keyword is one word; use a phrase`);
  if (typeof o.category !== 'string' || !ID_FORMAT.test(o.category)) invalid(`${where}: category must be a short identifier`);
  if (typeof o.weight !== 'number' || !Number.isFinite(o.weight) || o.weight < 0 || o.weight > 1) {
    invalid(`${where}: weight must be a number in [0, 1]`);
  }
  if (o.allow !== undefined) {
    if (!Array.isArray(o.allow) || o.allow.length > 100 || o.allow.some((a) => typeof a !== 'string' || a.length > MAX_PATTERN_LENGTH)) {
      invalid(`${where}: allow must be a list of at most 100 strings`);
    }
  }
  if (o.view !== undefined && (o.kind !== 'regex' || !VIEWS.includes(o.view as ViewName))) {
    invalid(`${where}: view is for regex rules and must be literal, folded or squeezed`);
  }
  return {
    id: o.id,
    pack: o.pack,
    kind: o.kind,
    pattern: o.pattern,
    category: o.category,
    weight: o.weight,
    ...(o.allow !== undefined ? { allow: o.allow as string[] } : {}),
    ...(o.view !== undefined ? { view: o.view as ViewName } : {}),
  };
}

/**
 * Validates and compiles a rule set. Throws DomainError('invalid_rule') naming the first bad rule by index
 * (never echoing its pattern). Compile once and reuse: compiling builds RE2 programs.
 */
export function compileRuleSet(ruleSet: unknown): CompiledRuleSet {
  if (typeof ruleSet !== 'object' || ruleSet === null) invalid('rule set must be an object');
  const rs = ruleSet as Record<string, unknown>;
  if (typeof rs.version !== 'string' || rs.version.length === 0 || rs.version.length > 64) invalid('version must be a short string');
  if (!Array.isArray(rs.rules)) invalid('rules must be a list');
  if (rs.rules.length > MAX_RULES) invalid(`at most ${MAX_RULES} rules`);
  const seen = new Set<string>();
  const byFirstWord = new Map<string, CompiledRule[]>();
  const scanAlways: CompiledRule[] = [];
  const regexRules = new Map<ViewName, CompiledRule[]>();
  rs.rules.forEach((raw, index) => {
    const rule = validateRule(raw, index, seen);
    const where = `rule ${index}`;
    const allow = (rule.allow ?? []).map((a) => compileTokens(a, `${where} allow`));
    if (rule.kind === 'regex') {
      const regex = compileRegex(rule.pattern, 'gu', where);
      const view = rule.view ?? 'folded';
      const list = regexRules.get(view) ?? [];
      list.push({ rule, index, regex, allow });
      regexRules.set(view, list);
      return;
    }
    const tokens = compileTokens(rule.pattern, where);
    const compiled: CompiledRule = { rule, index, tokens, allow };
    const first = tokens.words[0]!;
    if (first.prefix) scanAlways.push(compiled);
    else {
      const list = byFirstWord.get(first.text) ?? [];
      list.push(compiled);
      byFirstWord.set(first.text, list);
    }
  });
  const regexByView = new Map<ViewName, RegexView>();
  for (const [view, rules] of regexRules) {
    // One Aho-Corasick pass per view finds which rules' required literals occur (rules-prefilter.ts);
    // RE2 then runs only for those rules.
    const ids = new Map<string, number>();
    for (const cr of rules) {
      const req = requiredLiterals(cr.rule.pattern);
      if (req) for (const lit of literalsOf(req)) if (!ids.has(lit)) ids.set(lit, ids.size);
      cr.requirement = req ? compileRequirement(req, ids) : null;
    }
    regexByView.set(view, { rules, literals: new LiteralSet([...ids.keys()]), literalIds: ids });
  }
  return { version: rs.version, ruleCount: rs.rules.length, byFirstWord, scanAlways, regexByView };
}

function wordMatches(p: { text: string; prefix: boolean } | null, w: Word | undefined): boolean {
  if (w === undefined) return false;
  if (p === null) return true;
  return p.prefix ? w.text.startsWith(p.text) : w.text === p.text;
}

/** Occurrences of a token pattern starting at word i; returns the end word index (exclusive) or -1. */
function matchAt(p: TokenPattern, words: Word[], i: number): number {
  for (let k = 0; k < p.words.length; k++) if (!wordMatches(p.words[k]!, words[i + k])) return -1;
  return i + p.words.length;
}

/** RE2 reports code point indices; views index UTF-16 code units. */
function codePointToUnit(text: string): ((cp: number) => number) | null {
  if (!/[\ud800-\udfff]/.test(text)) return null;
  const map: number[] = [];
  for (let i = 0; i < text.length; i++) {
    map.push(i);
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) i++;
  }
  map.push(text.length);
  return (cp) => map[cp] ?? text.length;
}

function allowed(cr: CompiledRule, n: NormalizedText, words: Word[], span: { start: number; end: number }): boolean {
  for (const a of cr.allow) {
    for (let i = 0; i < words.length; i++) {
      const e = matchAt(a, words, i);
      if (e < 0) continue;
      const s = originalSpan(n, n.squeezed, words[i]!.start, words[e - 1]!.end);
      if (s.start < span.end && span.start < s.end) return true;
    }
  }
  return false;
}

/**
 * Every rule hit in one normalised message, ordered by start offset then rule order. Linear in the message
 * length for keyword and phrase rules (RE2 for regex rules).
 */
export function evaluateRules(compiled: CompiledRuleSet, n: NormalizedText): RuleHit[] {
  const hits: (RuleHit & { order: number })[] = [];
  const words = wordsOf(n.squeezed);
  const push = (cr: CompiledRule, span: { start: number; end: number }) => {
    if (cr.allow.length > 0 && allowed(cr, n, words, span)) return;
    const r = cr.rule;
    hits.push({ ruleId: r.id, pack: r.pack, category: r.category, weight: r.weight, start: span.start, end: span.end, order: cr.index });
  };
  for (let i = 0; i < words.length; i++) {
    const exact = compiled.byFirstWord.get(words[i]!.text);
    const candidates = exact ? (compiled.scanAlways.length > 0 ? [...exact, ...compiled.scanAlways] : exact) : compiled.scanAlways;
    for (const cr of candidates) {
      const e = matchAt(cr.tokens!, words, i);
      if (e >= 0) push(cr, originalSpan(n, n.squeezed, words[i]!.start, words[e - 1]!.end));
    }
  }
  for (const [viewName, { rules, literals, literalIds }] of compiled.regexByView) {
    const view = n[viewName];
    if (view.text.length === 0) continue;
    const found = new Uint8Array(literalIds.size);
    literals.scan(view.text, found);
    let toUnit: ((cp: number) => number) | null | undefined;
    for (const cr of rules) {
      if (cr.requirement && !satisfied(cr.requirement, found)) continue;
      if (toUnit === undefined) toUnit = codePointToUnit(view.text);
      const re = cr.regex!;
      re.lastIndex = 0;
      let guard = 0;
      for (let m = re.exec(view.text); m !== null && guard < 1_000; m = re.exec(view.text), guard++) {
        const s = toUnit ? toUnit(m.index) : m.index;
        const matched = m[0]!;
        // Patterns often consume the space or punctuation around a word; the hit is the words themselves.
        let e = s + matched.length;
        while (e > s && view.text.charCodeAt(e - 1) === 32) e--;
        let b = s;
        while (b < e && view.text.charCodeAt(b) === 32) b++;
        if (e > b) push(cr, originalSpan(n, view, b, e));
        if (matched.length === 0) re.lastIndex++; // an empty match must still advance
      }
    }
  }
  hits.sort((a, b) => a.start - b.start || a.order - b.order);
  return hits.map(({ order: _order, ...h }) => h);
}

/** Convenience: normalise and evaluate in one call. */
export function evaluateText(compiled: CompiledRuleSet, text: string): RuleHit[] {
  return evaluateRules(compiled, normalizeAll(text));
}
