/**
 * Hashed text features (scheme 2): word n-grams, character n-grams, and word-class features from a small
 * lexicon (lexicon.ts) with negation and quotation scope.
 *
 * Two bucket spaces. The word space (2^bits buckets) holds:
 * - word:    token unigrams. Carry most of the meaning.
 * - bigram:  consecutive token pairs, with start and end markers ("not hate", "hate women").
 * - neg:     the unigram again, in its own namespace, for tokens inside a negation scope: after a negation
 *            cue (not, dont, never, no, ...) up to negMax tokens, ended early by clause punctuation or a
 *            contrast word (but, though), and not opened at all when a cancelling word follows the cue
 *            ("nothing but", "not only", "isnt it clear"). "I dont hate X" gets `neg:hate`.
 * - lex:     one feature per lexicon-class token (identity term, slur, negative emotion, dehumanising noun,
 *            violence, positive word, profanity, counter-speech and reporting vocabulary), keyed by class
 *            and by whether it is negated and whether it is inside double quotes; the same key conjoined
 *            with "an identity term is present", with "the text addresses you", and with the message
 *            context (identity / you / reporting speech); and message flags (an identity term is present
 *            and nothing negative is said about anything, or only negated negatives, or only positives;
 *            negatives with reporting speech; negatives with no group named; quotation; ...).
 * - abs:     bigrams (weight abs) and trigrams (absTri) over the token stream with lexicon words replaced
 *            by their class symbol (identity phrases such as "black people" become one IDENT symbol), so
 *            "I adore Muslims" and "I love women" share `i POS IDENT`; only n-grams that contain a symbol.
 * The char space (2^charBits buckets) holds:
 * - char:    character n-grams (charMin..charMax) of each token padded as `<token>`; survive misspellings,
 *            inflections and leftover leetspeak.
 *
 * Tokens: runs of letters, marks, digits and '*', or one emoji. A token outside the lexicon that is two
 * lexicon words run together ("fuckall", "ihate", "manybitches") is split in two (splitPoint); a single
 * letter left over from spaced-out writing is joined to its neighbour when together they make a lexicon
 * word ("scu m").
 *
 * Hashing: each token is hashed with FNV-1a over its UTF-16LE bytes (hash.ts; the same hash looks up the
 * lexicon). A feature key combines token hashes, class codes and a per-family namespace through
 * `fmix32` (MurmurHash3's 32-bit finaliser); the bucket is the key's low bits. Character n-grams use
 * FNV-1a over UTF-16 code units (one multiply per unit), finalised the same way.
 *
 * Values are the family weights; the buffer also records the sums of squared values per space so that a
 * head can scale them to unit L2 norm over the spaces it uses (the Davidson head: both; the identity head:
 * the word space only). Duplicates are not merged (the dot product sums them). Extraction does not
 * allocate per message: scratch arrays are module-level and reused (safe because it is synchronous),
 * and non-ASCII characters are classified once per code point and cached.
 */

import { FNV_OFFSET_BASIS, FNV_PRIME, fnvString } from './hash.js';
import { Lex, lexInfo, LEX_CANCEL, LEX_CLASS_MASK } from './lexicon.js';

export interface FeatureConfig {
  /** Feature scheme; 2 is this file. */
  scheme: 2;
  /** log2 of the number of word-space buckets. */
  bits: number;
  /** log2 of the number of char-space buckets (used only when weights.char > 0). */
  charBits: number;
  charMin: number;
  charMax: number;
  /** Tokens covered by a negation cue. */
  negMax: number;
  /** Family weights; 0 disables a family. */
  weights: { word: number; bigram: number; neg: number; lex: number; abs: number; absTri: number; char: number };
}

/**
 * One message's features. idx holds buckets: word space [0, 2^bits) first (the first nWord entries),
 * then char space, offset by 2^bits. val holds unscaled family weights.
 */
export class FeatureBuffer {
  idx: Int32Array;
  val: Float64Array;
  n = 0;
  nWord = 0;
  sumSqWord = 0;
  sumSqChar = 0;
  constructor(capacity = 1024) {
    this.idx = new Int32Array(capacity);
    this.val = new Float64Array(capacity);
  }
  /** Makes room for `extra` more features. */
  reserve(extra: number): void {
    const need = this.n + extra;
    if (need <= this.idx.length) return;
    let cap = this.idx.length * 2;
    while (cap < need) cap *= 2;
    const idx = new Int32Array(cap);
    idx.set(this.idx.subarray(0, this.n));
    const val = new Float64Array(cap);
    val.set(this.val.subarray(0, this.n));
    this.idx = idx;
    this.val = val;
  }
  /** Scale for a head that reads both spaces: 1 / L2 norm of all values (0 for an empty message). */
  scaleAll(): number {
    const s = this.sumSqWord + this.sumSqChar;
    return s > 0 ? 1 / Math.sqrt(s) : 0;
  }
  /** Scale for a head that reads the word space only. */
  scaleWord(): number {
    return this.sumSqWord > 0 ? 1 / Math.sqrt(this.sumSqWord) : 0;
  }
}

/** MurmurHash3 fmix32: a bijective 32-bit mixer. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const ns = (name: string) => fnvString(FNV_OFFSET_BASIS, `${name}\u0001`);
// Namespaces keep families apart: the word "ab" and the lexicon code 7 land in different buckets.
const NS_WORD = ns('w');
const NS_BIGRAM = ns('b');
const NS_CHAR = ns('c');
const NS_NEG = ns('n');
const NS_LEX = ns('l');
const NS_LEX_IDENT = ns('li');
const NS_LEX_YOU = ns('ly');
const NS_LEX_CTX = ns('lc');
const NS_FLAG = ns('f');
const NS_ABS2 = ns('a2');
const NS_ABS3 = ns('a3');
const START = fnvString(FNV_OFFSET_BASIS, '\u0002');
const END = fnvString(FNV_OFFSET_BASIS, '\u0003');
/** Symbol ids for the abs family: class codes spread over 32 bits, distinct from token hashes. */
const SYM_BASE = fnvString(FNV_OFFSET_BASIS, '\u0004sym');
const BOUNDARY_START = 0x3c; // '<'
const BOUNDARY_END = 0x3e; // '>'
const QUOTE = 0x22; // '"'

/** Token flags. */
const F_NEGATED = 1;
const F_QUOTED = 2;
const F_EMOJI = 4;
const F_ABSORBED = 8; // person noun folded into the identity phrase before it
const F_JOINED = 16; // two source tokens joined across one space

// Class ids as local constants: the hot loops below compare against them per token.
const C_NONE: number = Lex.None;
const C_IDENT: number = Lex.Ident;
const C_IDENTADJ: number = Lex.IdentAdj;
const C_PERSON: number = Lex.Person;
const C_NEG: number = Lex.Neg;
const C_BREAK: number = Lex.Break;
const C_YOU: number = Lex.You;
const C_POS: number = Lex.Pos;
const C_META: number = Lex.Meta;
const C_COUNTER: number = Lex.Counter;

const classSet = (cs: Lex[]) => {
  const a = new Uint8Array(32);
  for (const c of cs) a[c] = 1;
  return a;
};
const CONTENT = [Lex.Ident, Lex.Slur, Lex.SlurLgbt, Lex.SlurAble, Lex.RSlur, Lex.GSlur, Lex.NegEmo, Lex.Derog, Lex.Dehum, Lex.Viol, Lex.Pos, Lex.Prof];
/** Classes that become symbols in the lex and abs families. */
const SYMBOLIC = classSet([...CONTENT, Lex.Counter, Lex.Meta]);
/** Classes that are symbols in the abs family only (function words with a role). */
const ABS_ONLY = classSet([Lex.Neg, Lex.You, Lex.Self]);
/** Classes that say something bad about their target. */
const NEGATIVE = classSet([Lex.Slur, Lex.SlurLgbt, Lex.SlurAble, Lex.GSlur, Lex.NegEmo, Lex.Derog, Lex.Dehum, Lex.Viol, Lex.Prof]);
/** Classes that carry content for splitting run-together words, and classes that may accompany them. */
const SPLIT_CONTENT = classSet(CONTENT);
const SPLIT_FUNC = classSet([Lex.Func, Lex.Self, Lex.You, Lex.Neg, Lex.Person, Lex.IdentAdj]);
const SPLIT_MIN = 5;
const SPLIT_MAX = 20;

/** Tokens: runs of letters, marks, digits and '*' (kept for masked words like "f*ck"), or one emoji. */
const TOKEN_RE = /[\p{L}\p{M}\p{N}*]+|\p{Extended_Pictographic}/gu;

/** The tokens as strings, by the regular expression that defines them (reference for tests). */
export function tokenize(prepared: string): string[] {
  return prepared.match(TOKEN_RE) ?? [];
}

/** The tokens as the extractor's scanner finds them, before splitting and joining (for tests). */
export function scanTokens(prepared: string): string[] {
  const n = findTokens(prepared);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(prepared.slice(rStart[i], rEnd[i]));
  return out;
}

// ASCII character classes: 1 token character, 2 clause break, 3 quote.
const ASCII = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) ASCII[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) ASCII[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) ASCII[c] = 1;
ASCII[0x2a] = 1; // '*'
for (const ch of '.,!?;:()[]\n') ASCII[ch.charCodeAt(0)] = 2;
ASCII[QUOTE] = 3;

// Scratch, grown on demand: raw tokens from findTokens, then final tokens after splitting.
let rawCap = 0;
let rStart = new Int32Array(0);
let rEnd = new Int32Array(0);
let rFlags = new Uint8Array(0);
let rGap = new Uint8Array(0);
let cap = 0;
let tStart = new Int32Array(0);
let tEnd = new Int32Array(0);
let tHash = new Int32Array(0);
let tClass = new Uint8Array(0);
let tFlags = new Uint8Array(0);
/** Gap flags before each token: bit 1 clause break, bit 2 odd number of quotes. */
let tGap = new Uint8Array(0);
/** Lexicon flags of each token (LEX_CANCEL). */
let tInfo = new Uint8Array(0);
/** Number of final tokens of the text analysed last (by extractFeatures or describeTokens). */
let lastNt = 0;
const prefixHash = new Int32Array(SPLIT_MAX);
let units = new Uint16Array(256);

function ensureRaw(n: number): void {
  if (n <= rawCap) return;
  rawCap = Math.max(n, rawCap * 2, 64);
  const grow = <T extends Int32Array | Uint8Array>(a: T, make: (k: number) => T): T => {
    const b = make(rawCap);
    b.set(a);
    return b;
  };
  rStart = grow(rStart, (k) => new Int32Array(k));
  rEnd = grow(rEnd, (k) => new Int32Array(k));
  rFlags = grow(rFlags, (k) => new Uint8Array(k));
  rGap = grow(rGap, (k) => new Uint8Array(k));
}

function ensureTokens(n: number): void {
  if (n <= cap) return;
  cap = Math.max(n, cap * 2, 64);
  tStart = new Int32Array(cap);
  tEnd = new Int32Array(cap);
  tHash = new Int32Array(cap);
  tClass = new Uint8Array(cap);
  tFlags = new Uint8Array(cap);
  tGap = new Uint8Array(cap);
  tInfo = new Uint8Array(cap);
}

function ensureUnits(n: number): void {
  if (units.length < n) units = new Uint16Array(Math.max(n, units.length * 2));
}

// Non-ASCII code points: 1 token character (letter, mark, digit), 4 emoji, 0 other; cached per code point.
const TOKEN_CHAR_RE = /^[\p{L}\p{M}\p{N}]$/u;
const EMOJI_CHAR_RE = /^\p{Extended_Pictographic}$/u;
const bmpClass = new Uint8Array(65536); // class + 1, 0 = not yet classified
const astralClass = new Map<number, number>();
function classifyCodePoint(cp: number): number {
  if (cp < 65536) {
    const k = bmpClass[cp];
    if (k !== 0) return k - 1;
  } else {
    const k = astralClass.get(cp);
    if (k !== undefined) return k;
  }
  const ch = String.fromCodePoint(cp);
  const k = TOKEN_CHAR_RE.test(ch) ? 1 : EMOJI_CHAR_RE.test(ch) ? 4 : 0;
  if (cp < 65536) bmpClass[cp] = k + 1;
  else if (astralClass.size < 65536) astralClass.set(cp, k);
  return k;
}

function pushRaw(n: number, start: number, end: number, gap: number, flags: number): void {
  if (n === rawCap) ensureRaw(n + 1);
  rStart[n] = start;
  rEnd[n] = end;
  rGap[n] = gap;
  rFlags[n] = flags;
}

/**
 * Finds tokens into rStart/rEnd/rGap/rFlags; returns their number. Tokens are maximal runs of letters,
 * marks, digits and '*', or a single emoji (the same as TOKEN_RE); the gap before each token records
 * clause punctuation and quote parity.
 */
function findTokens(s: string): number {
  const len = s.length;
  let n = 0;
  let gap = 0;
  let i = 0;
  while (i < len) {
    const c = s.charCodeAt(i);
    let k: number;
    let width = 1;
    if (c < 128) k = ASCII[c];
    else {
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) width = 2;
      k = classifyCodePoint(cp);
    }
    if (k === 1) {
      const start = i;
      i += width;
      while (i < len) {
        const d = s.charCodeAt(i);
        if (d < 128) {
          if (ASCII[d] !== 1) break;
          i++;
        } else {
          const cp = s.codePointAt(i)!;
          if (classifyCodePoint(cp) !== 1) break;
          i += cp > 0xffff ? 2 : 1;
        }
      }
      pushRaw(n++, start, i, gap, 0);
      gap = 0;
    } else if (k === 4) {
      pushRaw(n++, i, i + width, gap, F_EMOJI);
      gap = 0;
      i += width;
    } else {
      if (k === 2) gap |= 1;
      else if (k === 3) gap ^= 2;
      i += width;
    }
  }
  return n;
}

/** FNV-1a of s[start, end); also leaves the hash of each prefix in prefixHash (up to SPLIT_MAX). */
function hashToken(s: string, start: number, end: number): number {
  let h = FNV_OFFSET_BASIS;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    h = Math.imul(h ^ (c & 0xff), FNV_PRIME);
    h = Math.imul(h ^ (c >>> 8), FNV_PRIME);
    const k = i - start;
    if (k < SPLIT_MAX) prefixHash[k] = h;
  }
  return h >>> 0;
}

/**
 * For a token outside the lexicon, the length of a prefix such that prefix and rest are both lexicon
 * words, at least one with content (a slur, a negative or positive word, an identity term) of three or
 * more letters, the rest at least two letters: "fuckall" -> 4 ("fuck" + "all"), "ihate" -> 1,
 * "manybitches" -> 4. 0 if there is none. Uses the prefix hashes left in `prefixHash` by hashToken.
 */
function splitPoint(s: string, start: number, end: number): number {
  const L = end - start;
  for (let k = 1; k <= L - 2; k++) {
    const pc = lexInfo(prefixHash[k - 1] >>> 0) & LEX_CLASS_MASK;
    const pContent = SPLIT_CONTENT[pc] === 1 && k >= 3;
    if (!pContent && SPLIT_FUNC[pc] === 0) continue;
    let h = FNV_OFFSET_BASIS;
    for (let i = start + k; i < end; i++) {
      const c = s.charCodeAt(i);
      h = Math.imul(h ^ (c & 0xff), FNV_PRIME);
      h = Math.imul(h ^ (c >>> 8), FNV_PRIME);
    }
    const sc = lexInfo(h >>> 0) & LEX_CLASS_MASK;
    const sContent = SPLIT_CONTENT[sc] === 1 && L - k >= 3;
    if ((pContent && (sContent || SPLIT_FUNC[sc] === 1)) || (sContent && SPLIT_FUNC[pc] === 1)) return k;
  }
  return 0;
}

/** Pass 1: final tokens with hashes and lexicon info; returns their number. */
function analyse(s: string, negMax: number): number {
  const nr = findTokens(s);
  ensureTokens(2 * nr);
  let nt = 0;
  for (let r = 0; r < nr; r++) {
    const a = rStart[r];
    const b = rEnd[r];
    const h = hashToken(s, a, b);
    const info = lexInfo(h);
    // A single letter left over from spaced-out writing ("scu m", "dea d") is joined to its neighbour
    // when together they make a lexicon word with content; the hash continues over the second token.
    if (r + 1 < nr && rGap[r + 1] === 0 && rStart[r + 1] === b + 1 && (b - a === 1 || rEnd[r + 1] - rStart[r + 1] === 1) && !(rFlags[r] & F_EMOJI) && !(rFlags[r + 1] & F_EMOJI)) {
      let hj = h;
      for (let i = rStart[r + 1]; i < rEnd[r + 1]; i++) {
        const c = s.charCodeAt(i);
        hj = Math.imul(hj ^ (c & 0xff), FNV_PRIME);
        hj = Math.imul(hj ^ (c >>> 8), FNV_PRIME);
      }
      hj >>>= 0;
      const ij = lexInfo(hj);
      if (SPLIT_CONTENT[ij & LEX_CLASS_MASK] === 1 && rEnd[r + 1] - a >= 5) {
        tStart[nt] = a;
        tEnd[nt] = rEnd[r + 1];
        tGap[nt] = rGap[r];
        tFlags[nt] = F_JOINED;
        tHash[nt] = hj | 0;
        tClass[nt] = ij & LEX_CLASS_MASK;
        tInfo[nt] = ij & ~LEX_CLASS_MASK;
        nt++;
        r++;
        continue;
      }
    }
    const L = b - a;
    if ((info & LEX_CLASS_MASK) === C_NONE && L >= SPLIT_MIN && L <= SPLIT_MAX && !(rFlags[r] & F_EMOJI)) {
      const k = splitPoint(s, a, b);
      if (k > 0) {
        const hp = prefixHash[k - 1] >>> 0;
        const ip = lexInfo(hp);
        tStart[nt] = a;
        tEnd[nt] = a + k;
        tGap[nt] = rGap[r];
        tFlags[nt] = 0;
        tHash[nt] = hp | 0;
        tClass[nt] = ip & LEX_CLASS_MASK;
        tInfo[nt] = ip & ~LEX_CLASS_MASK;
        nt++;
        const hs = hashToken(s, a + k, b);
        const is = lexInfo(hs);
        tStart[nt] = a + k;
        tEnd[nt] = b;
        tGap[nt] = 0;
        tFlags[nt] = 0;
        tHash[nt] = hs | 0;
        tClass[nt] = is & LEX_CLASS_MASK;
        tInfo[nt] = is & ~LEX_CLASS_MASK;
        nt++;
        continue;
      }
    }
    tStart[nt] = a;
    tEnd[nt] = b;
    tGap[nt] = rGap[r];
    tFlags[nt] = rFlags[r];
    tHash[nt] = h | 0;
    tClass[nt] = info & LEX_CLASS_MASK;
    tInfo[nt] = info & ~LEX_CLASS_MASK;
    nt++;
  }

  // Negation and quotation scope.
  let inQuote = false;
  let negLeft = 0;
  for (let i = 0; i < nt; i++) {
    const c = tClass[i];
    const gap = tGap[i];
    if (gap & 2) inQuote = !inQuote;
    if (gap & 1) negLeft = 0;
    let f = tFlags[i];
    if (inQuote) f |= F_QUOTED;
    if (c === C_NEG) {
      // A cancelling word among the next two tokens of the clause ("nothing but", "not only", "isnt it
      // clear", "without a doubt") means the cue does not negate what follows.
      let cancel = false;
      for (let j = i + 1; j <= i + 2 && j < nt && !(tGap[j] & 1); j++) if (tInfo[j] & LEX_CANCEL) cancel = true;
      negLeft = cancel ? 0 : negMax;
    } else if (c === C_BREAK) negLeft = 0;
    else if (negLeft > 0) {
      f |= F_NEGATED;
      negLeft--;
    }
    tFlags[i] = f;
  }
  // Identity phrases: an IdentAdj followed by a person noun or identity noun names a group.
  for (let i = 0; i + 1 < nt; i++) {
    if (tClass[i] === C_IDENTADJ && (tClass[i + 1] === C_PERSON || tClass[i + 1] === C_IDENT)) {
      tClass[i] = C_IDENT;
      tFlags[i + 1] |= F_ABSORBED;
      i++;
    }
  }
  lastNt = nt;
  return nt;
}

/**
 * Whether the text analysed last (by extractFeatures or describeTokens) has a token whose word class
 * is marked in `classes` (indexed by class id) or whose FNV-1a hash (unsigned) is in `hashes`.
 * Person nouns absorbed into an identity phrase are skipped. No allocation: the offensive-evidence
 * guard calls it right after extractFeatures, on the scratch arrays that call filled.
 */
export function lastTextHasToken(classes: Uint8Array, hashes: ReadonlySet<number>): boolean {
  for (let i = 0; i < lastNt; i++) {
    if (tFlags[i] & F_ABSORBED) continue;
    if (classes[tClass[i]] === 1 || hashes.has(tHash[i] >>> 0)) return true;
  }
  return false;
}

/**
 * Every token of a prepared text as the extractor sees it (absorbed person nouns skipped): its text, word
 * class and scopes; its FNV-1a hash (unsigned; what `lastTextHasToken` compares) and whether that hash is the
 * text's (false for a token joined across a space, "scu m"). For training, tests and diagnostics; allocates.
 */
export function describeTokens(
  prepared: string,
  negMax = 8,
): { token: string; cls: Lex; negated: boolean; quoted: boolean; hash: number; exact: boolean }[] {
  const nt = analyse(prepared, negMax);
  const out = [];
  for (let i = 0; i < nt; i++) {
    if (tFlags[i] & F_ABSORBED) continue;
    const token = prepared.slice(tStart[i], tEnd[i]);
    const hash = tHash[i] >>> 0;
    out.push({
      token,
      cls: tClass[i] as Lex,
      negated: (tFlags[i] & F_NEGATED) !== 0,
      quoted: (tFlags[i] & F_QUOTED) !== 0,
      hash,
      exact: fnvString(FNV_OFFSET_BASIS, token) === hash,
    });
  }
  return out;
}

/**
 * Writes the features of an already prepared (normalised, lowercased) text into `buf`, replacing its
 * contents. Returns the number of features.
 */
export function extractFeatures(prepared: string, cfg: FeatureConfig, buf: FeatureBuffer): number {
  const s = prepared;
  const nt = analyse(s, cfg.negMax);
  const w = cfg.weights;
  const mask = (1 << cfg.bits) - 1;

  // Message context: who or what is talked about, and how negative cues are used.
  let hasIdent = false;
  let hasIdentQuoted = false;
  let hasYou = false;
  let hasQuote = false;
  let negCues = 0; // negative cues (and negated positives) outside quotes, not negated
  let negatedNegCues = 0; // negated negative cues
  let posCues = 0; // positive cues outside quotes, not negated
  let metaCues = false; // reporting or condemning speech outside quotes
  for (let i = 0; i < nt; i++) {
    const f = tFlags[i];
    if (f & F_QUOTED) hasQuote = true;
    if (f & F_ABSORBED) continue;
    const c = tClass[i];
    const quoted = (f & F_QUOTED) !== 0;
    if (c === C_IDENT) {
      if (quoted) hasIdentQuoted = true;
      else hasIdent = true;
    } else if (quoted) continue;
    else if (c === C_YOU) hasYou = true;
    else if (NEGATIVE[c]) {
      if (f & F_NEGATED) negatedNegCues++;
      else negCues++;
    } else if (c === C_POS) {
      // A negated positive ("never attractive", "no value") says something negative.
      if (f & F_NEGATED) negCues++;
      else posCues++;
    } else if (c === C_META || c === C_COUNTER) metaCues = true;
  }
  const ctx = (hasIdent ? 1 : 0) | (hasYou ? 2 : 0) | (metaCues ? 4 : 0);

  // Worst case: words 3 per token + 1, lex 4 per token + 9 flags, abs 2 per token + 2; char grams.
  let bound = 9 * nt + 12;
  const useChar = w.char !== 0 && cfg.charMax >= cfg.charMin;
  if (useChar) {
    const per = cfg.charMax - cfg.charMin + 1;
    for (let i = 0; i < nt; i++) bound += (tEnd[i] - tStart[i] + 2) * per;
  }
  buf.n = 0;
  buf.reserve(bound);
  const idx = buf.idx;
  const val = buf.val;
  let n = 0;

  // Words, bigrams, negated words.
  const ww = w.word;
  const wb = w.bigram;
  const wn = w.neg;
  let nWords = 0;
  let nBigrams = 0;
  let nNeg = 0;
  let prev = START;
  for (let i = 0; i < nt; i++) {
    const h = tHash[i];
    if (ww !== 0) {
      idx[n] = fmix32(h ^ NS_WORD) & mask;
      val[n++] = ww;
      nWords++;
    }
    if (wb !== 0) {
      idx[n] = fmix32(Math.imul(prev ^ NS_BIGRAM, 0x9e3779b1) ^ h) & mask;
      val[n++] = wb;
      nBigrams++;
    }
    if (wn !== 0 && tFlags[i] & F_NEGATED) {
      idx[n] = fmix32(h ^ NS_NEG) & mask;
      val[n++] = wn;
      nNeg++;
    }
    prev = h;
  }
  if (nt > 0 && wb !== 0) {
    idx[n] = fmix32(Math.imul(prev ^ NS_BIGRAM, 0x9e3779b1) ^ END) & mask;
    val[n++] = wb;
    nBigrams++;
  }
  let sumSq = nWords * ww * ww + nBigrams * wb * wb + nNeg * wn * wn;

  // Lexicon classes with scope, conjunctions and message flags.
  const wl = w.lex;
  if (wl !== 0) {
    let count = 0;
    for (let i = 0; i < nt; i++) {
      const c = tClass[i];
      if (SYMBOLIC[c] === 0 || tFlags[i] & F_ABSORBED) continue;
      const code = (c << 2) | (tFlags[i] & (F_NEGATED | F_QUOTED));
      idx[n] = fmix32(code ^ NS_LEX) & mask;
      val[n++] = wl;
      count++;
      if (hasIdent && c !== C_IDENT) {
        idx[n] = fmix32(code ^ NS_LEX_IDENT) & mask;
        val[n++] = wl;
        count++;
      }
      if (hasYou) {
        idx[n] = fmix32(code ^ NS_LEX_YOU) & mask;
        val[n++] = wl;
        count++;
      }
      idx[n] = fmix32(((code << 3) | ctx) ^ NS_LEX_CTX) & mask;
      val[n++] = wl;
      count++;
    }
    let flags = (hasIdent ? 1 : 0) | (hasIdentQuoted ? 2 : 0) | (hasYou ? 4 : 0) | (hasQuote ? 8 : 0);
    if (hasIdent && negCues === 0) flags |= 16; // a group is named, nothing negative said
    if (hasIdent && negCues === 0 && negatedNegCues > 0) flags |= 32; // only negated negatives
    if (hasIdent && negCues === 0 && posCues > 0) flags |= 64; // only positive things said
    if (hasIdent && negCues > 0 && metaCues) flags |= 128; // negatives about a group, reported or condemned
    if (!hasIdent && negCues > 0) flags |= 256; // negatives with no group named
    for (let k = 0; k < 9; k++) {
      if ((flags & (1 << k)) === 0) continue;
      idx[n] = fmix32((k + 1) ^ NS_FLAG) & mask;
      val[n++] = wl;
      count++;
    }
    sumSq += count * wl * wl;
  }

  // Abstracted token stream: bigrams and trigrams that contain a class symbol.
  const wa = w.abs;
  const wt = w.absTri;
  if (wa !== 0 || wt !== 0) {
    let a1 = START; // previous item: symbol or token hash
    let a2 = START;
    let s1 = 0; // whether a1 / a2 are symbols
    let s2 = 0;
    let c2 = 0;
    let c3 = 0;
    for (let i = 0; i <= nt; i++) {
      let a: number;
      let sa: number;
      if (i === nt) {
        if (nt === 0) break;
        a = END;
        sa = 0;
      } else {
        const f = tFlags[i];
        if (f & F_ABSORBED) continue;
        const c = tClass[i];
        if (SYMBOLIC[c] === 1 || ABS_ONLY[c] === 1) {
          a = (SYM_BASE + Math.imul((c << 2) | (f & (F_NEGATED | F_QUOTED)), 0x61c88647)) | 0;
          sa = 1;
        } else {
          a = tHash[i];
          sa = 0;
        }
      }
      if (wa !== 0 && (sa | s1) !== 0) {
        idx[n] = fmix32(Math.imul(a1 ^ NS_ABS2, 0x9e3779b1) ^ a) & mask;
        val[n++] = wa;
        c2++;
      }
      if (wt !== 0 && (sa | s1 | s2) !== 0) {
        idx[n] = fmix32(Math.imul(fmix32(Math.imul(a2 ^ NS_ABS3, 0x9e3779b1) ^ a1) ^ NS_ABS3, 0x9e3779b1) ^ a) & mask;
        val[n++] = wt;
        c3++;
      }
      a2 = a1;
      s2 = s1;
      a1 = a;
      s1 = sa;
    }
    sumSq += c2 * wa * wa + c3 * wt * wt;
  }
  buf.nWord = n;
  buf.sumSqWord = sumSq;

  // Character n-grams inside `<token>`, in the char space.
  let nChar = 0;
  if (useChar) {
    const cmask = (1 << cfg.charBits) - 1;
    const off = 1 << cfg.bits;
    const min = cfg.charMin;
    const max = cfg.charMax;
    const wc = w.char;
    for (let i = 0; i < nt; i++) {
      const a = tStart[i];
      const e = tEnd[i];
      ensureUnits(e - a + 2);
      units[0] = BOUNDARY_START;
      let L = 1;
      if (tFlags[i] & F_JOINED) {
        for (let k = a; k < e; k++) {
          const c = s.charCodeAt(k);
          if (c !== 0x20) units[L++] = c;
        }
      } else for (let k = a; k < e; k++) units[L++] = s.charCodeAt(k);
      units[L++] = BOUNDARY_END;
      for (let start = 0; start + min <= L; start++) {
        let h = NS_CHAR;
        const end = start + max < L ? start + max : L;
        for (let j = start; j < end; j++) {
          h = Math.imul(h ^ units[j], FNV_PRIME);
          if (j - start + 1 >= min) {
            idx[n] = off + (fmix32(h) & cmask);
            val[n++] = wc;
            nChar++;
          }
        }
      }
    }
    buf.sumSqChar = nChar * wc * wc;
  } else buf.sumSqChar = 0;
  buf.n = n;
  return n;
}
