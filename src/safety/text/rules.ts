/**
 * safety/text rules: keyword, phrase and regex rules as versioned data, compiled once, matched against
 * normalised text.
 *
 * Rule sets are plain JSON-able objects so that the lead can persist, version and edit them through an admin
 * API without a deploy. Three invariants hold for any rule set an administrator can write:
 *  - a rule cannot hang the server: regexes run on RE2 (linear time, no backreferences or lookaround), never
 *    on V8's backtracking engine, and keywords and phrases run on a token matcher with no regex at all; a
 *    literal prefilter (rules-prefilter.ts) skips the RE2 calls that cannot find a match (for rules whose
 *    required strings are absent, and after a rule's last match);
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
import { RegexPrefilter } from './rules-prefilter.js';

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
  allow: TokenPattern[];
}

interface RegexRules {
  /** in rule order, each with the view it reads */
  rules: (CompiledRule & { view: ViewName })[];
  /** which of `rules` could match a message (rules-prefilter.ts), by their index in `rules` */
  prefilter: RegexPrefilter;
}

export interface CompiledRuleSet {
  version: string;
  ruleCount: number;
  /** token rules by their first word (exact), plus those whose first word is a prefix or wildcard */
  byFirstWord: Map<string, CompiledRule[]>;
  /** firstWordKey() of every key of byFirstWord: most words are rejected without slicing them out */
  firstWordKeys: Uint8Array;
  scanAlways: CompiledRule[];
  regex: RegexRules;
}

const MAX_RULES = 10_000;
const MAX_PATTERN_LENGTH = 4_000;
/** matches taken from one rule in one message: a bound on work, not a limit anyone should reach */
const MAX_MATCHES_PER_RULE = 1_000;
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

/**
 * The words of a squeezed view: runs of letters, digits and the symbols that stay meaningful in rules, as
 * [start, end) ranges rather than strings and objects. The one definition of a word, for the patterns (wordsOf,
 * when a rule is compiled) and for messages (messageWords, on every evaluation, which is synchronous).
 */
class MessageWords {
  text = '';
  start = new Int32Array(64);
  end = new Int32Array(64);
  count = 0;

  read(text: string): this {
    if (this.start.length < (text.length >> 1) + 1) {
      this.start = new Int32Array(text.length + 2);
      this.end = new Int32Array(text.length + 2);
    }
    this.text = text;
    let count = 0;
    let start = -1;
    for (let i = 0; i <= text.length; i++) {
      const c = i < text.length ? text.charCodeAt(i) : 32;
      const isWordChar =
        (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x40 /* @ */ || c === 0x24 /* $ */ || c === 0x23; /* # */
      if (isWordChar) {
        if (start < 0) start = i;
      } else if (start >= 0) {
        this.start[count] = start;
        this.end[count++] = i;
        start = -1;
      }
    }
    this.count = count;
    return this;
  }

  /** Whether word i is pattern word `p` (null: any word). */
  matches(p: { text: string; prefix: boolean } | null, i: number): boolean {
    if (i >= this.count) return false;
    if (p === null) return true;
    const length = this.end[i]! - this.start[i]!;
    return (p.prefix ? length >= p.text.length : length === p.text.length) && this.text.startsWith(p.text, this.start[i]);
  }
}

/** Words of a view as strings, for compiling patterns (not on the message path). */
function wordsOf(view: TextView): Word[] {
  const w = new MessageWords().read(view.text);
  const out: Word[] = [];
  for (let i = 0; i < w.count; i++) out.push({ text: view.text.slice(w.start[i], w.end[i]), start: w.start[i]!, end: w.end[i]! });
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
  const regexRules: RegexRules['rules'] = [];
  rs.rules.forEach((raw, index) => {
    const rule = validateRule(raw, index, seen);
    const where = `rule ${index}`;
    const allow = (rule.allow ?? []).map((a) => compileTokens(a, `${where} allow`));
    if (rule.kind === 'regex') {
      regexRules.push({ rule, index, regex: compileRegex(rule.pattern, 'gu', where), allow, view: rule.view ?? 'folded' });
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
  // One Aho-Corasick pass per distinct view text finds the strings each rule's matches must contain; RE2
  // then runs only for rules whose requirement holds.
  const prefilter = new RegexPrefilter(
    regexRules.map((cr) => cr.rule.pattern),
    regexRules.map((cr) => VIEWS.indexOf(cr.view)),
  );
  const firstWordKeys = new Uint8Array(1 << 14);
  for (const w of byFirstWord.keys()) firstWordKeys[firstWordKey(w, 0, w.length)] = 1;
  return { version: rs.version, ruleCount: rs.rules.length, byFirstWord, firstWordKeys, scanAlways, regex: { rules: regexRules, prefilter } };
}

/** A word's first two characters (word characters are ASCII), for a first filter on token rules. */
function firstWordKey(text: string, start: number, end: number): number {
  return ((text.charCodeAt(start) & 127) << 7) | (end - start > 1 ? text.charCodeAt(start + 1) & 127 : 0);
}

const messageWords = new MessageWords();

/** Occurrences of a token pattern starting at word i; returns the end word index (exclusive) or -1. */
function matchAt(p: TokenPattern, words: MessageWords, i: number): number {
  for (let k = 0; k < p.words.length; k++) if (!words.matches(p.words[k]!, i + k)) return -1;
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

function allowed(cr: CompiledRule, n: NormalizedText, words: MessageWords, span: { start: number; end: number }): boolean {
  for (const a of cr.allow) {
    for (let i = 0; i < words.count; i++) {
      const e = matchAt(a, words, i);
      if (e < 0) continue;
      const s = originalSpan(n, n.squeezed, words.start[i]!, words.end[e - 1]!);
      if (s.start < span.end && span.start < s.end) return true;
    }
  }
  return false;
}

type PendingHit = RuleHit & { order: number };

function addHit(hits: PendingHit[], cr: CompiledRule, span: { start: number; end: number }, n: NormalizedText, words: MessageWords): void {
  if (cr.allow.length > 0 && allowed(cr, n, words, span)) return;
  const r = cr.rule;
  hits.push({ ruleId: r.id, pack: r.pack, category: r.category, weight: r.weight, start: span.start, end: span.end, order: cr.index });
}

/**
 * Every rule hit in one normalised message, ordered by start offset then rule order. Linear in the message
 * length for keyword and phrase rules (RE2 for regex rules).
 */
export function evaluateRules(compiled: CompiledRuleSet, n: NormalizedText): RuleHit[] {
  const hits: PendingHit[] = [];
  const words = messageWords.read(n.squeezed.text);
  const { byFirstWord, firstWordKeys, scanAlways } = compiled;
  for (let i = 0; i < words.count; i++) {
    const start = words.start[i]!;
    const end = words.end[i]!;
    const exact = firstWordKeys[firstWordKey(words.text, start, end)] === 1 ? byFirstWord.get(words.text.slice(start, end)) : undefined;
    if (exact) {
      for (const cr of exact) {
        const e = matchAt(cr.tokens!, words, i);
        if (e >= 0) addHit(hits, cr, originalSpan(n, n.squeezed, start, words.end[e - 1]!), n, words);
      }
    }
    for (const cr of scanAlways) {
      const e = matchAt(cr.tokens!, words, i);
      if (e >= 0) addHit(hits, cr, originalSpan(n, n.squeezed, start, words.end[e - 1]!), n, words);
    }
  }
  const { rules, prefilter } = compiled.regex;
  if (rules.length > 0) {
    const scan = prefilter.scan([n.literal.text, n.folded.text, n.squeezed.text]);
    // RE2 reports code point indices; views index UTF-16 code units (computed per view when first needed).
    const toUnits: ((((cp: number) => number) | null) | undefined)[] = [undefined, undefined, undefined];
    for (let k = 0; k < rules.length; k++) {
      if (!prefilter.mayMatch(k, scan, 0)) continue;
      const cr = rules[k]!;
      const view = n[cr.view];
      const text = view.text;
      if (text.length === 0) continue;
      const v = VIEWS.indexOf(cr.view);
      let toUnit = toUnits[v];
      if (toUnit === undefined) toUnit = toUnits[v] = codePointToUnit(text);
      const re = cr.regex!;
      re.lastIndex = 0;
      let m = re.exec(text);
      for (let count = 1; m !== null && count <= MAX_MATCHES_PER_RULE; count++) {
        const s = toUnit ? toUnit(m.index) : m.index;
        const matched = m[0]!;
        // Patterns often consume the space or punctuation around a word; the hit is the words themselves.
        let e = s + matched.length;
        while (e > s && text.charCodeAt(e - 1) === 32) e--;
        let b = s;
        while (b < e && text.charCodeAt(b) === 32) b++;
        if (e > b) addHit(hits, cr, originalSpan(n, view, b, e), n, words);
        if (matched.length === 0) re.lastIndex++; // an empty match must still advance
        if (count === MAX_MATCHES_PER_RULE) break;
        // RE2 resumes at lastIndex (code points); skip the call when no further match can start there.
        if (!prefilter.mayMatch(k, scan, toUnit ? toUnit(re.lastIndex) : re.lastIndex)) break;
        m = re.exec(text);
      }
    }
  }
  if (hits.length > 1) hits.sort((a, b) => a.start - b.start || a.order - b.order);
  return hits.map(({ order: _order, ...h }) => h);
}

/** Convenience: normalise and evaluate in one call. */
export function evaluateText(compiled: CompiledRuleSet, text: string): RuleHit[] {
  return evaluateRules(compiled, normalizeAll(text));
}
