/**
 * `npm run train`: rebuilds models/text-v4.bin from the licensed train splits, with thresholds tuned on
 * out-of-fold cross-validation predictions for the train splits plus the dev splits, and prints its
 * sha256. Same data and code give the same bytes (no randomness; fixed summation order), so the sha256
 * in models/README.md can be checked by anyone.
 *
 *   npm run train                 train on the full splits, write models/text-v4.bin
 *   npm run train -- --verify     train on the full splits, compare with the existing file, write nothing
 *   npm run train -- --check      train twice on a small subset and compare bytes (fast reproducibility check)
 *   --out PATH                    write somewhere else
 *
 * Exit code 1 when a --check or --verify comparison fails.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MODEL_PATH } from '../src/safety/text/model/index.js';
import { sha256Hex } from '../src/safety/text/model/format.js';
import {
  DATASET_DIR,
  DEFAULT_CONFIG,
  fileSha256,
  loadSplits,
  subsetSplits,
  trainFromConfig,
  type TrainConfig,
} from '../src/safety/text/model/pipeline.js';

const args = process.argv.slice(2);
const outPath = args.includes('--out') ? args[args.indexOf('--out') + 1] : DEFAULT_MODEL_PATH;
const log = (m: string) => console.error(`[train] ${m}`);

const DATA_FILES = ['davidson2017/train.jsonl', 'davidson2017/dev.jsonl', 'hatecheck/train.jsonl', 'hatecheck/dev.jsonl'];

if (args.includes('--check')) {
  // Small and quick: a subset, fewer buckets and iterations; identical bytes prove the pipeline is
  // deterministic end to end (features, optimiser, threshold tuning, encoding).
  const splits = subsetSplits(loadSplits(), 10);
  const cfg: TrainConfig = {
    ...DEFAULT_CONFIG,
    features: { ...DEFAULT_CONFIG.features, bits: 14, charBits: 14 },
    davidsonHead: { ...DEFAULT_CONFIG.davidsonHead, maxIter: 15 },
    identityHead: { ...DEFAULT_CONFIG.identityHead, maxIter: 15 },
  };
  const a = trainFromConfig(cfg, splits);
  const b = trainFromConfig(cfg, splits);
  console.log(`check run 1 sha256 ${a.sha256}`);
  console.log(`check run 2 sha256 ${b.sha256}`);
  if (a.sha256 !== b.sha256) {
    console.error('MISMATCH: training is not reproducible');
    process.exit(1);
  }
  console.log('identical: training is reproducible');
} else {
  const started = Date.now();
  const training = {
    data: Object.fromEntries(DATA_FILES.map((f) => [f, fileSha256(`${DATASET_DIR}/${f}`)])),
    node: process.versions.node.split('.')[0],
  };
  const result = trainFromConfig(DEFAULT_CONFIG, loadSplits(), { log, training });
  log(`trained in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (args.includes('--verify')) {
    const existing = sha256Hex(readFileSync(outPath));
    console.log(`rebuilt  sha256 ${result.sha256}`);
    console.log(`existing sha256 ${existing}  (${outPath})`);
    if (existing !== result.sha256) {
      console.error('MISMATCH: the rebuilt model differs from the shipped file');
      process.exit(1);
    }
    console.log('identical');
  } else {
    writeFileSync(outPath, result.bytes);
    console.log(`wrote ${outPath} (${result.bytes.length} bytes)`);
    console.log(`sha256 ${result.sha256}`);
    if (outPath === fileURLToPath(new URL('../models/text-v4.bin', import.meta.url))) {
      console.log('record this sha256 in models/README.md');
    }
  }
}
