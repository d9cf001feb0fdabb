/**
 * safety/text/model: a small hashed-n-gram logistic-regression classifier for message text.
 * Owns: the model file format (models/text-v4.bin), feature hashing and the word-class lexicon,
 *   training and threshold logic.
 * Exposes: loadTextModel, modelFromBytes, modelFromData, DEFAULT_MODEL_PATH, TextModel, TextScores.
 *   (Training, tuning and metrics live beside it for scripts/train.ts and scripts/eval.ts.)
 * May import: safety/text/normalize (through prep.ts), node built-ins. Nothing else in the repo.
 * Never: decide enforcement on its own — scores and labels are signals for human review; never
 *   fetch anything at run time; never log message text.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { extractFeatures, FeatureBuffer, lastTextHasToken } from './features.js';
import { decodeModel, type ModelData } from './format.js';
import { fnv1a32 } from './hash.js';
import { LEXICON_ID } from './lexicon.js';
import { NORMALIZER_ID, prepareNormalized, prepareText } from './prep.js';

export type TextScores = Record<string, number>;

export interface TextModel {
  version: string;
  /**
   * Output categories: 'hate', 'offensive', 'neither' (one softmax, Davidson's three classes; they sum
   * to 1) and 'identity_hate' (an independent probability that the text attacks a protected group,
   * the HateCheck notion of hate).
   */
  categories: string[];
  /**
   * Probabilities for every category. With the header's `offensiveGuard` (text-v4), a text without
   * lexical evidence (no profanity, slur or gendered-insult token, none of the guard's words) has
   * offensive = 0, its mass moved to neither.
   */
  score(text: string): TextScores;
  /**
   * Same as score, for text already passed through safety/text/normalize `normalizeText` (the
   * pipeline normalises once for rules and model alike).
   */
  scoreNormalized(normalized: string): TextScores;
  /**
   * Decision thresholds: `hate` and `offensive` for Davidson-style three-way labels, `identity_hate`
   * for the binary hateful/non-hateful decision.
   */
  thresholds: Record<string, number>;
  /**
   * 'davidson' (default): 'hate' | 'offensive' | 'none' (the dataset's own label names).
   * 'hatecheck': 'hateful' | 'non-hateful', from identity_hate.
   */
  predictLabel(text: string, dataset?: 'davidson' | 'hatecheck'): string;
}

/** The shipped model file, resolved relative to this source file. */
export const DEFAULT_MODEL_PATH = fileURLToPath(new URL('../../../../models/text-v4.bin', import.meta.url));

/**
 * Builds a TextModel from decoded model data (used by the loader, training and tests). Supports the
 * shipped layout: a three-way softmax over both tables followed by sigmoids over the word table.
 */
export function modelFromData(data: ModelData): TextModel {
  const { header, word, char } = data;
  const K = header.categories.length;
  const S = header.softmaxCount;
  if (S !== 3 || K < S) throw new Error(`text model: unsupported layout (${K} categories, softmax ${S})`);
  const cfg = header.features;
  const wordSpace = 1 << cfg.bits;
  const b0 = header.bias[0];
  const b1 = header.bias[1];
  const b2 = header.bias[2];
  const sigBias = Float64Array.from(header.bias.slice(S));
  const nSig = K - S;
  const buf = new FeatureBuffer();
  const p = new Float64Array(K);
  const zs = new Float64Array(nSig);
  const iHate = header.categories.indexOf('hate');
  const iOff = header.categories.indexOf('offensive');
  const iIdent = header.categories.indexOf('identity_hate');
  // Offensive-evidence guard (format.ts `offensiveGuard`): word classes as a mask, words as FNV-1a hashes.
  const guard = header.offensiveGuard;
  const guardClasses = new Uint8Array(32);
  for (const c of guard?.classes ?? []) guardClasses[c] = 1;
  const guardHashes = new Set((guard?.tokens ?? []).map((t) => fnv1a32(t)));

  // Fills `p` with probabilities; shares scratch buffers, which is safe because JS is single-threaded
  // and nothing here awaits.
  const probsPrepared = (prepared: string): Float64Array => {
    const n = extractFeatures(prepared, cfg, buf);
    const idx = buf.idx;
    const val = buf.val;
    const nWord = buf.nWord;
    // Word space: all K columns; raw sums, scaled per head below.
    let z0 = 0;
    let z1 = 0;
    let z2 = 0;
    for (let s = 0; s < nSig; s++) zs[s] = 0;
    if (K === 4) {
      let z3 = 0;
      for (let j = 0; j < nWord; j++) {
        const base = idx[j] << 2;
        const v = val[j];
        z0 += word[base] * v;
        z1 += word[base + 1] * v;
        z2 += word[base + 2] * v;
        z3 += word[base + 3] * v;
      }
      zs[0] = z3;
    } else {
      for (let j = 0; j < nWord; j++) {
        const base = idx[j] * K;
        const v = val[j];
        z0 += word[base] * v;
        z1 += word[base + 1] * v;
        z2 += word[base + 2] * v;
        for (let s = 0; s < nSig; s++) zs[s] += word[base + S + s] * v;
      }
    }
    // Char space: the softmax columns only.
    for (let j = nWord; j < n; j++) {
      const base = (idx[j] - wordSpace) * 3;
      const v = val[j];
      z0 += char[base] * v;
      z1 += char[base + 1] * v;
      z2 += char[base + 2] * v;
    }
    const sa = buf.scaleAll();
    z0 = b0 + z0 * sa;
    z1 = b1 + z1 * sa;
    z2 = b2 + z2 * sa;
    let m = z0;
    if (z1 > m) m = z1;
    if (z2 > m) m = z2;
    const e0 = Math.exp(z0 - m);
    const e1 = Math.exp(z1 - m);
    const e2 = Math.exp(z2 - m);
    const sum = e0 + e1 + e2;
    p[0] = e0 / sum;
    p[1] = e1 / sum;
    p[2] = e2 / sum;
    // Reads the token arrays extractFeatures left above; nothing has analysed another text since.
    if (guard && !lastTextHasToken(guardClasses, guardHashes)) {
      p[2] += p[1];
      p[1] = 0;
    }
    const sw = buf.scaleWord();
    for (let s = 0; s < nSig; s++) p[S + s] = 1 / (1 + Math.exp(-(sigBias[s] + zs[s] * sw)));
    return p;
  };

  const probs = (text: string): Float64Array => probsPrepared(prepareText(text));
  const names = [...header.categories];
  // The shipped layout gets an object literal of fixed shape (cheaper to build than keyed inserts).
  const standard = names.join(',') === 'hate,offensive,neither,identity_hate';
  const toScores = (q: Float64Array): TextScores => {
    if (standard) return { hate: q[0], offensive: q[1], neither: q[2], identity_hate: q[3] };
    const out: TextScores = {};
    for (let k = 0; k < K; k++) out[names[k]] = q[k];
    return out;
  };

  const thresholds = { ...header.thresholds };
  return {
    version: header.version,
    categories: [...header.categories],
    thresholds,
    score: (text: string): TextScores => toScores(probs(text)),
    scoreNormalized: (normalized: string): TextScores => toScores(probsPrepared(prepareNormalized(normalized))),
    predictLabel(text: string, dataset: 'davidson' | 'hatecheck' = 'davidson'): string {
      const q = probs(text);
      if (dataset === 'hatecheck') return q[iIdent] >= thresholds.identity_hate ? 'hateful' : 'non-hateful';
      if (q[iHate] >= thresholds.hate) return 'hate';
      if (q[iOff] >= thresholds.offensive) return 'offensive';
      return 'none';
    },
  };
}

/** Decodes model bytes (checks magic, length and the weights sha256). */
export function modelFromBytes(bytes: Uint8Array): TextModel {
  const data = decodeModel(bytes);
  // Not fatal: the model still works, but features differ from training, so accuracy drops.
  if (data.header.normalizer !== NORMALIZER_ID) {
    process.emitWarning(
      `text model ${data.header.version} was trained with normaliser '${data.header.normalizer}' but '${NORMALIZER_ID}' is in use; retrain with npm run train`,
    );
  }
  if (data.header.lexicon !== LEXICON_ID) {
    process.emitWarning(
      `text model ${data.header.version} was trained with word classes '${data.header.lexicon}' but '${LEXICON_ID}' is in use; retrain with npm run train`,
    );
  }
  return modelFromData(data);
}

const cache = new Map<string, TextModel>();

/** Loads (once per path) and returns the text model. Synchronous so callers can load at start-up. */
export function loadTextModel(path: string = DEFAULT_MODEL_PATH): TextModel {
  let model = cache.get(path);
  if (!model) {
    model = modelFromBytes(readFileSync(path));
    cache.set(path, model);
  }
  return model;
}
