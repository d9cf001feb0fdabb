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

export const CATEGORIES = ['hate', 'offensive', 'neither'] as const;

export interface DavidsonRow {
  id: string;
  text: string;
  label: 'hate' | 'offensive' | 'none';
  group: string;
}
export interface HatecheckRow {
  id: string;
  text: string;
  label: 'hateful' | 'non-hateful';
  group: string;
  functionality: string;
  target_ident: string | null;
}

export interface TrainConfig {
  version: string;
  features: FeatureConfig;
  l2: number;
  maxIter: number;
  /** Per-class example weights for Davidson rows. */
  davidsonWeights: { hate: number; offensive: number; none: number };
  /** Per-class example weights for HateCheck rows. */
  hatecheckWeights: { hateful: number; 'non-hateful': number };
  /** Minimum dev hate recall when tuning Davidson thresholds. */
  minHateRecall: number;
}

export const DEFAULT_CONFIG: TrainConfig = {
  version: 'text-v1',
  features: {
    bits: 18,
    charMin: 2,
    charMax: 5,
    squashMin: 4,
    squashMax: 6,
    weights: { word: 1, bigram: 1, char: 0.5, squash: 0.5 },
  },
  l2: 1e-5,
  maxIter: 150,
  davidsonWeights: { hate: 4, offensive: 1, none: 1.5 },
  hatecheckWeights: { hateful: 2, 'non-hateful': 2 },
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

const DAV_Y = { hate: 0, offensive: 1, none: 2 } as const;
const HC_Y = { hateful: 0, 'non-hateful': 2 } as const;

export interface TrainResult {
  bytes: Uint8Array;
  sha256: string;
}

/**
 * Trains, tunes thresholds on the dev rows given, and returns the model file bytes. Pure function of
 * its inputs: same rows and config give the same bytes.
 */
export function trainFromConfig(
  cfg: TrainConfig,
  splits: Splits,
  extra: { log?: (m: string) => void; training?: Record<string, unknown> } = {},
): TrainResult {
  const texts: string[] = [];
  const ys: number[] = [];
  const ws: number[] = [];
  for (const r of splits.davidsonTrain) {
    texts.push(r.text);
    ys.push(DAV_Y[r.label]);
    ws.push(cfg.davidsonWeights[r.label]);
  }
  for (const r of splits.hatecheckTrain) {
    texts.push(r.text);
    ys.push(HC_Y[r.label]);
    ws.push(cfg.hatecheckWeights[r.label]);
  }
  const X = buildRows(texts, cfg.features);
  const K = CATEGORIES.length;
  const dim = 1 << cfg.features.bits;
  extra.log?.(`features: ${texts.length} rows, ${X.idx.length} feature occurrences, ${dim} buckets`);
  const theta = trainSoftmax(X, Uint8Array.from(ys), Float64Array.from(ws), {
    K,
    dim,
    l2: cfg.l2,
    maxIter: cfg.maxIter,
    log: extra.log,
  });
  // Round weights to float32 before tuning so thresholds are tuned on exactly what ships.
  const weights = new Float32Array(theta.subarray(0, dim * K));
  const bias = Array.from(theta.subarray(dim * K));
  const baseHeader = {
    format: 1 as const,
    version: cfg.version,
    categories: [...CATEGORIES],
    features: cfg.features,
    normalizer: NORMALIZER_ID,
    bias,
  };
  const draft = modelFromData({
    header: { ...baseHeader, thresholds: { hate: 0.5, offensive: 0.5, 'hatecheck.hate': 0.5 }, weightsSha256: '', training: {} },
    weights,
  });
  const dav = tuneDavidson(
    splits.davidsonDev.map((r) => draft.score(r.text)),
    splits.davidsonDev.map((r) => r.label),
    cfg.minHateRecall,
  );
  const hc = tuneHatecheck(
    splits.hatecheckDev.map((r) => draft.score(r.text).hate),
    splits.hatecheckDev.map((r) => r.label),
    splits.hatecheckDev.map((r) => r.functionality),
  );
  extra.log?.(`thresholds: hate ${dav.hate} offensive ${dav.offensive} hatecheck.hate ${hc}`);
  const bytes = encodeModel(
    {
      ...baseHeader,
      thresholds: { hate: dav.hate, offensive: dav.offensive, 'hatecheck.hate': hc },
      training: { ...extra.training, config: cfg },
    },
    weights,
  );
  return { bytes, sha256: sha256Hex(bytes) };
}
