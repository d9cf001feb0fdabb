/**
 * The training recipe: which data, which labels and weights, which hyper-parameters, and how the
 * shipped thresholds are chosen. `scripts/train.ts` is a thin CLI around `trainFromConfig`.
 *
 * Mixture: one 3-class model (hate / offensive / neither) on Davidson train plus HateCheck train,
 * HateCheck `hateful` → hate and `non-hateful` → neither. One model keeps inference to one dot
 * product; HateCheck's contrast cases (counter-speech, reclaimed slurs, non-hateful profanity,
 * non-protected targets) are exactly what Davidson lacks, and Davidson supplies real-world vocabulary.
 * Class weights lift the rare hate class (6 % of Davidson) so its recall is reachable at a usable
 * threshold; thresholds are then tuned on the dev splits only (see tune.ts).
 */

import { readFileSync } from 'node:fs';
import type { FeatureConfig } from './features.js';
import { encodeModel, sha256Hex } from './format.js';
import { modelFromData } from './index.js';
import { NORMALIZER_ID } from './prep.js';
import { buildRows, trainSoftmax } from './trainer.js';
import { tuneDavidson, tuneHatecheck } from './tune.js';

export const CATEGORIES = ['hate', 'offensive', 'neither', 'identity_hate'] as const;
const SOFTMAX_COUNT = 3;

export interface DavidsonRow {
  id: string;
  text: string;
  label: 'hate' | 'offensive' | 'none';
  group: string;
  votes: { hate: number; offensive: number; neither: number; total: number };
}
export interface HatecheckRow {
  id: string;
  text: string;
  label: 'hateful' | 'non-hateful';
  group: string;
  functionality: string;
  target_ident: string | null;
}

/** Example weight per source label; 0 leaves the row out. */
export interface HeadConfig<L extends string> {
  l2: number;
  maxIter: number;
  /** Mix of Davidson vote shares into the hard label: 0 = hard labels only, 1 = vote shares only. */
  softLabel: number;
  davidson: Record<'hate' | 'offensive' | 'none', [L, number]>;
  hatecheck: Record<'hateful' | 'non-hateful', [L, number]>;
}

export interface TrainConfig {
  version: string;
  features: FeatureConfig;
  /** Three-way head (hate / offensive / neither). */
  davidsonHead: HeadConfig<'hate' | 'offensive' | 'neither'>;
  /** Binary head: attacks a protected group (1) or not (0). */
  identityHead: HeadConfig<'1' | '0'>;
  /** Minimum dev hate recall when tuning Davidson thresholds. */
  minHateRecall: number;
}

/**
 * The shipped recipe. Choices measured on the dev splits (see models/README.md):
 * - char and squash weights 0.25 (words 1): word features carry most of Davidson's signal; heavier
 *   char weights lowered dev macro F1 by about 0.005-0.01 and did not help HateCheck measurably;
 * - Davidson head on vote shares (softLabel 1): +0.01 dev macro F1 over hard labels at equal recall;
 * - hate class weight 4 (and none 1.5) against offensive's 77 % share, so that recall >= 0.6 is reachable;
 * - identity head: HateCheck plus Davidson hate (positive) and none (negative) rows at low weight,
 *   Davidson offensive left out because its sexist slurs ("bitch") are labelled offensive there and
 *   hateful in HateCheck; HateCheck non-hateful rows weigh 2 to balance its 2:1 hateful majority, so that
 *   mentioning a group is not by itself evidence of hate (raised the worst dev functionality at p=0.5
 *   from 0.21 to 0.33 at equal best-threshold accuracy);
 * - l2 1e-5 (3e-6 was no better on dev and took twice as long to converge); the Davidson head runs 250
 *   L-BFGS iterations (dev macro F1 at hate recall >= 0.6: 80 iterations 0.734, 150 0.741, 250 0.745).
 */
export const DEFAULT_CONFIG: TrainConfig = {
  version: 'text-v1',
  features: {
    bits: 18,
    charMin: 2,
    charMax: 5,
    squashMin: 4,
    squashMax: 6,
    weights: { word: 1, bigram: 1, char: 0.25, squash: 0.25 },
  },
  davidsonHead: {
    l2: 1e-5,
    maxIter: 250,
    softLabel: 1,
    davidson: { hate: ['hate', 4], offensive: ['offensive', 1], none: ['neither', 1.5] },
    hatecheck: { hateful: ['hate', 1], 'non-hateful': ['neither', 1] },
  },
  identityHead: {
    l2: 1e-5,
    maxIter: 100,
    softLabel: 0,
    davidson: { hate: ['1', 0.3], offensive: ['0', 0], none: ['0', 0.3] },
    hatecheck: { hateful: ['1', 1], 'non-hateful': ['0', 2] },
  },
  minHateRecall: 0.6,
};

export const DATASET_DIR = '/work/shared/datasets';

export function readJsonl<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

export function fileSha256(path: string): string {
  return sha256Hex(readFileSync(path));
}

export interface Splits {
  davidsonTrain: DavidsonRow[];
  davidsonDev: DavidsonRow[];
  hatecheckTrain: HatecheckRow[];
  hatecheckDev: HatecheckRow[];
}

export function loadSplits(dir = DATASET_DIR): Splits {
  return {
    davidsonTrain: readJsonl<DavidsonRow>(`${dir}/davidson2017/train.jsonl`),
    davidsonDev: readJsonl<DavidsonRow>(`${dir}/davidson2017/dev.jsonl`),
    hatecheckTrain: readJsonl<HatecheckRow>(`${dir}/hatecheck/train.jsonl`),
    hatecheckDev: readJsonl<HatecheckRow>(`${dir}/hatecheck/dev.jsonl`),
  };
}

/**
 * Davidson annotator vote shares mapped onto a head's labels (through the head's label map), so a
 * tweet two of three coders called hate teaches "mostly hate", not "hate".
 */
function softTargets<L extends string>(labels: readonly L[], head: HeadConfig<L>, r: DavidsonRow): number[] {
  const out = labels.map(() => 0);
  const v = r.votes;
  const total = v.hate + v.offensive + v.neither;
  if (total === 0) return out;
  out[labels.indexOf(head.davidson.hate[0])] += v.hate / total;
  out[labels.indexOf(head.davidson.offensive[0])] += v.offensive / total;
  out[labels.indexOf(head.davidson.none[0])] += v.neither / total;
  return out;
}

/** Trains one head; returns weights (dim * labels.length, feature-major) then biases. */
function trainHead<L extends string>(
  labels: readonly L[],
  head: HeadConfig<L>,
  features: FeatureConfig,
  splits: Splits,
  log?: (m: string) => void,
): Float64Array {
  const texts: string[] = [];
  const ts: number[] = [];
  const ws: number[] = [];
  const add = (text: string, [label, weight]: [L, number], soft?: number[]) => {
    if (weight <= 0) return;
    texts.push(text);
    const y = labels.indexOf(label);
    for (let k = 0; k < labels.length; k++) {
      const hard = k === y ? 1 : 0;
      ts.push(soft ? (1 - head.softLabel) * hard + head.softLabel * soft[k] : hard);
    }
    ws.push(weight);
  };
  for (const r of splits.davidsonTrain) {
    const soft = head.softLabel > 0 ? softTargets(labels, head, r) : undefined;
    add(r.text, head.davidson[r.label], soft);
  }
  for (const r of splits.hatecheckTrain) add(r.text, head.hatecheck[r.label]);
  const X = buildRows(texts, features);
  const dim = 1 << features.bits;
  log?.(`head [${labels.join(',')}]: ${texts.length} rows, ${X.idx.length} feature occurrences`);
  return trainSoftmax(X, Float64Array.from(ts), Float64Array.from(ws), {
    K: labels.length,
    dim,
    l2: head.l2,
    maxIter: head.maxIter,
    log,
  });
}

export interface TrainResult {
  bytes: Uint8Array;
  sha256: string;
}

/**
 * Trains both heads, tunes thresholds on the dev rows given, and returns the model file bytes. A pure
 * function of its inputs: the same rows and config give the same bytes.
 */
export function trainFromConfig(
  cfg: TrainConfig,
  splits: Splits,
  extra: { log?: (m: string) => void; training?: Record<string, unknown> } = {},
): TrainResult {
  const dim = 1 << cfg.features.bits;
  const K = CATEGORIES.length;
  const a = trainHead(['hate', 'offensive', 'neither'] as const, cfg.davidsonHead, cfg.features, splits, extra.log);
  const b = trainHead(['0', '1'] as const, cfg.identityHead, cfg.features, splits, extra.log);
  // Merge into one feature-major matrix: three softmax columns, then the binary head as one sigmoid
  // column (a 2-class softmax equals a sigmoid of the logit difference).
  const theta = new Float64Array(dim * K + K);
  for (let f = 0; f < dim; f++) {
    for (let k = 0; k < 3; k++) theta[f * K + k] = a[f * 3 + k];
    theta[f * K + 3] = b[f * 2 + 1] - b[f * 2];
  }
  for (let k = 0; k < 3; k++) theta[dim * K + k] = a[dim * 3 + k];
  theta[dim * K + 3] = b[dim * 2 + 1] - b[dim * 2];
  // Round weights to float32 before tuning so thresholds are tuned on exactly what ships.
  const weights = new Float32Array(theta.subarray(0, dim * K));
  const bias = Array.from(theta.subarray(dim * K));
  const baseHeader = {
    format: 1 as const,
    version: cfg.version,
    categories: [...CATEGORIES],
    softmaxCount: SOFTMAX_COUNT,
    features: cfg.features,
    normalizer: NORMALIZER_ID,
    bias,
  };
  const draft = modelFromData({
    header: { ...baseHeader, thresholds: { hate: 0.5, offensive: 0.5, identity_hate: 0.5 }, weightsSha256: '', training: {} },
    weights,
  });
  const dav = tuneDavidson(
    splits.davidsonDev.map((r) => draft.score(r.text)),
    splits.davidsonDev.map((r) => r.label),
    cfg.minHateRecall,
  );
  const hc = tuneHatecheck(
    splits.hatecheckDev.map((r) => draft.score(r.text).identity_hate),
    splits.hatecheckDev.map((r) => r.label),
    splits.hatecheckDev.map((r) => r.functionality),
  );
  extra.log?.(`thresholds: hate ${dav.hate} offensive ${dav.offensive} identity_hate ${hc}`);
  const bytes = encodeModel(
    {
      ...baseHeader,
      thresholds: { hate: dav.hate, offensive: dav.offensive, identity_hate: hc },
      training: { ...extra.training, config: cfg },
    },
    weights,
  );
  return { bytes, sha256: sha256Hex(bytes) };
}

/** Every `step`-th row of each split: a small, deterministic subset for reproducibility checks. */
export function subsetSplits(s: Splits, step: number): Splits {
  const every = <T>(rows: T[]) => rows.filter((_, i) => i % step === 0);
  return {
    davidsonTrain: every(s.davidsonTrain),
    davidsonDev: every(s.davidsonDev),
    hatecheckTrain: every(s.hatecheckTrain),
    hatecheckDev: every(s.hatecheckDev),
  };
}
