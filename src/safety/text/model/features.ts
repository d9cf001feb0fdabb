/**
 * Hashed text features: word unigrams and bigrams, character n-grams inside word boundaries, and
 * "squashed" character n-grams over the letters of the whole message with spaces removed.
 *
 * Why each family:
 * - words and bigrams carry meaning and short context ("not hate", "hate women");
 * - in-word char n-grams (`<word>` padded, lengths charMin..charMax) survive misspellings, inflections
 *   and leftover leetspeak ("womn", "b1tches");
 * - squashed n-grams bridge spacing tricks that word features cannot see: "h a t e" and "manybitches"
 *   both contain the squashed 4-grams of "hate"/"bitches".
 *
 * Each occurrence becomes (bucket, value) with bucket = FNV-1a(namespace + gram) mod 2^bits; duplicates
 * are not merged (the dot product sums them, which is the same as counting). Values are family weights
 * scaled by 1/sqrt(sum of squared weights), so long and short messages have comparable norms.
 * No substrings are allocated for n-grams: the hash is advanced one code unit at a time.
 */

import { FNV_OFFSET_BASIS, fnvStep, fnvString } from './hash.js';

export interface FeatureConfig {
  /** log2 of the number of buckets. */
  bits: number;
  charMin: number;
  charMax: number;
  /** Squashed n-gram lengths; squashMax 0 disables the family. */
  squashMin: number;
  squashMax: number;
  weights: { word: number; bigram: number; char: number; squash: number };
}

/** Growable scratch space for one message's features; reuse one per caller to avoid allocation. */
export class FeatureBuffer {
  idx: Int32Array;
  val: Float64Array;
  n = 0;
  constructor(capacity = 4096) {
    this.idx = new Int32Array(capacity);
    this.val = new Float64Array(capacity);
  }
  push(bucket: number, value: number): void {
    if (this.n === this.idx.length) {
      const idx = new Int32Array(this.idx.length * 2);
      idx.set(this.idx);
      const val = new Float64Array(this.val.length * 2);
      val.set(this.val);
      this.idx = idx;
      this.val = val;
    }
    this.idx[this.n] = bucket;
    this.val[this.n] = value;
    this.n++;
  }
}

// Namespaces keep families apart: the word "ab" and the char bigram "ab" land in different buckets.
const NS_WORD = fnvString(FNV_OFFSET_BASIS, 'w\u0001');
const NS_BIGRAM = fnvString(FNV_OFFSET_BASIS, 'b\u0001');
const NS_CHAR = fnvString(FNV_OFFSET_BASIS, 'c\u0001');
const NS_SQUASH = fnvString(FNV_OFFSET_BASIS, 's\u0001');
const BOUNDARY_START = 0x3c; // '<'
const BOUNDARY_END = 0x3e; // '>'

/** Tokens: runs of letters, marks, digits and '*' (kept for masked words like "f*ck"), or one emoji. */
const TOKEN_RE = /[\p{L}\p{M}\p{N}*]+|\p{Extended_Pictographic}/gu;

const EMOJI_RE = /^\p{Extended_Pictographic}/u;

export function tokenize(prepared: string): string[] {
  return prepared.match(TOKEN_RE) ?? [];
}

/** Scratch code units for the sequence being n-grammed (grown on demand, never shrunk). */
let units = new Uint16Array(1024);

function ensureUnits(n: number): void {
  if (units.length < n) {
    const next = new Uint16Array(Math.max(n, units.length * 2));
    next.set(units);
    units = next;
  }
}

/** Emits n-grams of lengths [min, max] of units[0..len), hashed from namespace `ns`. */
function emitGrams(buf: FeatureBuffer, len: number, ns: number, min: number, max: number, mask: number, w: number): void {
  for (let start = 0; start < len; start++) {
    let h = ns;
    const end = Math.min(len, start + max);
    for (let j = start; j < end; j++) {
      h = fnvStep(h, units[j]);
      if (j - start + 1 >= min) buf.push(h & mask, w);
    }
  }
}

/**
 * Writes the features of an already prepared (normalised, lowercased) text into `buf`, replacing its
 * contents. Returns the number of features.
 */
export function extractFeatures(prepared: string, cfg: FeatureConfig, buf: FeatureBuffer): number {
  buf.n = 0;
  const mask = (1 << cfg.bits) - 1;
  const tokens = tokenize(prepared);
  const { word: ww, bigram: wb, char: wc, squash: wsq } = cfg.weights;
  let sumSq = 0;

  let prev = '\u0002'; // sentence start marker for the first bigram
  for (const t of tokens) {
    buf.push(fnvString(NS_WORD, t) & mask, ww);
    let hb = fnvString(NS_BIGRAM, prev);
    hb = fnvStep(hb, 0x20);
    hb = fnvString(hb, t);
    buf.push(hb & mask, wb);
    sumSq += ww * ww + wb * wb;
    prev = t;
  }
  if (tokens.length > 0) {
    let hb = fnvString(NS_BIGRAM, prev);
    hb = fnvStep(hb, 0x20);
    hb = fnvStep(hb, 0x03); // sentence end marker
    buf.push(hb & mask, wb);
    sumSq += wb * wb;
  }

  if (wc !== 0) {
    for (const t of tokens) {
      const before = buf.n;
      ensureUnits(t.length + 2);
      units[0] = BOUNDARY_START;
      for (let i = 0; i < t.length; i++) units[i + 1] = t.charCodeAt(i);
      units[t.length + 1] = BOUNDARY_END;
      emitGrams(buf, t.length + 2, NS_CHAR, cfg.charMin, cfg.charMax, mask, wc);
      sumSq += (buf.n - before) * wc * wc;
    }
  }

  if (cfg.squashMax > 0 && wsq !== 0) {
    // Only letters, digits and '*' of word tokens, so "h a t e" and "hate" squash alike.
    let len = 0;
    for (const t of tokens) {
      if (EMOJI_RE.test(t)) continue;
      ensureUnits(len + t.length);
      for (let i = 0; i < t.length; i++) units[len++] = t.charCodeAt(i);
    }
    const before = buf.n;
    emitGrams(buf, len, NS_SQUASH, cfg.squashMin, cfg.squashMax, mask, wsq);
    sumSq += (buf.n - before) * wsq * wsq;
  }

  if (sumSq > 0) {
    const scale = 1 / Math.sqrt(sumSq);
    for (let i = 0; i < buf.n; i++) buf.val[i] *= scale;
  }
  return buf.n;
}
