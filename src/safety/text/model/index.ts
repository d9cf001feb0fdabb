/**
 * safety/text/model: a small hashed-n-gram logistic-regression classifier for message text.
 * Owns: the model file format (models/text-v1.bin), feature hashing, training and threshold logic.
 * Exposes: loadTextModel, modelFromBytes, modelFromData, DEFAULT_MODEL_PATH, TextModel, TextScores.
 *   (Training, tuning and metrics live beside it for scripts/train.ts and scripts/eval.ts.)
 * May import: safety/text/normalize (through prep.ts), node built-ins. Nothing else in the repo.
 * Never: decide enforcement on its own — scores and labels are signals for human review; never
 *   fetch anything at run time; never log message text.
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { extractFeatures, FeatureBuffer } from './features.js';
import { decodeModel, type ModelData } from './format.js';
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
  /** Probabilities for every category. */
  score(text: string): TextScores;
  /**
   * Same as score, for text already passed through safety/text/normalize `normalizeText` (the
   * pipeline normalises once for rules and model alike).
   */
  scoreNormalized(normalized: string): TextScores;
  /**
   * Decision thresholds tuned on the dev splits: `hate` and `offensive` for Davidson-style
   * three-way labels, `identity_hate` for the binary hateful/non-hateful decision.
   */
  thresholds: Record<string, number>;
  /**
   * 'davidson' (default): 'hate' | 'offensive' | 'none' (the dataset's own label names).
   * 'hatecheck': 'hateful' | 'non-hateful', from identity_hate.
   */
  predictLabel(text: string, dataset?: 'davidson' | 'hatecheck'): string;
}

/** The shipped model file, resolved relative to this source file. */
export const DEFAULT_MODEL_PATH = fileURLToPath(new URL('../../../../models/text-v1.bin', import.meta.url));

/** Builds a TextModel from decoded model data (used by the loader, training and tests). */
export function modelFromData(data: ModelData): TextModel {
  const { header, weights } = data;
  const K = header.categories.length;
  const S = header.softmaxCount;
  const cfg = header.features;
  const bias = Float64Array.from(header.bias);
  const buf = new FeatureBuffer();
  const z = new Float64Array(K);
  const iHate = header.categories.indexOf('hate');
  const iOff = header.categories.indexOf('offensive');
  const iIdent = header.categories.indexOf('identity_hate');

  // Fills `z` with probabilities; shares scratch buffers, which is safe because JS is single-threaded
  // and nothing here awaits.
  const probsPrepared = (prepared: string): Float64Array => {
    const n = extractFeatures(prepared, cfg, buf);
    for (let k = 0; k < K; k++) z[k] = bias[k];
    const idx = buf.idx;
    const val = buf.val;
    for (let j = 0; j < n; j++) {
      const base = idx[j] * K;
      const v = val[j];
      for (let k = 0; k < K; k++) z[k] += weights[base + k] * v;
    }
    let m = z[0];
    for (let k = 1; k < S; k++) if (z[k] > m) m = z[k];
    let sum = 0;
    for (let k = 0; k < S; k++) {
      z[k] = Math.exp(z[k] - m);
      sum += z[k];
    }
    for (let k = 0; k < S; k++) z[k] /= sum;
    for (let k = S; k < K; k++) z[k] = 1 / (1 + Math.exp(-z[k]));
    return z;
  };

  const probs = (text: string): Float64Array => probsPrepared(prepareText(text));
  const toScores = (p: Float64Array): TextScores => {
    const out: TextScores = {};
    for (let k = 0; k < K; k++) out[header.categories[k]] = p[k];
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
      const p = probs(text);
      if (dataset === 'hatecheck') return p[iIdent] >= thresholds.identity_hate ? 'hateful' : 'non-hateful';
      if (p[iHate] >= thresholds.hate) return 'hate';
      if (p[iOff] >= thresholds.offensive) return 'offensive';
      return 'none';
    },
  };
}

/** Decodes model bytes (checks magic, length and the weights sha256). */
export function modelFromBytes(bytes: Uint8Array): TextModel {
  const data = decodeModel(bytes);
  if (data.header.normalizer !== NORMALIZER_ID) {
    // Not fatal: the model still works, but features differ from training, so accuracy drops.
    process.emitWarning(
      `text model ${data.header.version} was trained with normaliser '${data.header.normalizer}' but '${NORMALIZER_ID}' is in use; retrain with npm run train`,
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
