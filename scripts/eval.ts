/**
 * `npm run eval`: measures the shipped text model (models/text-v4.bin, with its shipped thresholds) on
 * the dev splits and writes the numbers to models/eval-dev.json (the model card quotes them).
 *
 *   Davidson dev:   per-class precision / recall / F1, macro F1, accuracy (three-way labels)
 *   HateCheck dev:  the same for hateful / non-hateful, plus accuracy per functionality (flagged < 0.50)
 *   grooming dev:   harmful recall and benign false-positive rate of the whole safety pipeline, if the
 *                   conversation scorer (src/safety/score-cli.ts) is present; "not available" otherwise
 *
 * Every figure has a 95 % cluster-bootstrap interval (1000 resamples, fixed seed): by tweet for
 * Davidson, by template family (`group`) for HateCheck, by conversation for grooming.
 * Options: --model PATH, --out PATH, --resamples N.
 */

import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTextModel, DEFAULT_MODEL_PATH } from '../src/safety/text/model/index.js';
import { bootstrap, mulberry32, type Estimate } from '../src/safety/text/model/metrics.js';
import { DATASET_DIR, readJsonl, type DavidsonRow, type HatecheckRow } from '../src/safety/text/model/pipeline.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const modelPath = arg('--model') ?? DEFAULT_MODEL_PATH;
const outPath = arg('--out') ?? fileURLToPath(new URL('../models/eval-dev.json', import.meta.url));
const resamples = Number(arg('--resamples') ?? 1000);
const SEED = 20170305;

const fmt = (x: number) => x.toFixed(3);
const est = (e: Estimate) => `${fmt(e.value)} [${fmt(e.ci95[0])}, ${fmt(e.ci95[1])}]`;
const pad = (s: string, n: number) => s.padEnd(n);

function printReport(title: string, r: ReturnType<typeof bootstrap>): void {
  console.log(`\n## ${title} (n = ${r.n})`);
  console.log(`${pad('class', 14)}${pad('precision [95% CI]', 26)}${pad('recall [95% CI]', 26)}f1 [95% CI]`);
  for (const [c, m] of Object.entries(r.perClass)) {
    console.log(`${pad(c, 14)}${pad(est(m.precision), 26)}${pad(est(m.recall), 26)}${est(m.f1)}`);
  }
  console.log(`macro F1  ${est(r.macroF1)}`);
  console.log(`accuracy  ${est(r.accuracy)}`);
}

const model = loadTextModel(modelPath);
console.log(`text model ${model.version} (${modelPath})`);
console.log(`thresholds ${JSON.stringify(model.thresholds)}`);

// Davidson dev: three-way labels.
const dav = readJsonl<DavidsonRow>(`${DATASET_DIR}/davidson2017/dev.jsonl`);
const davPred = dav.map((r) => model.predictLabel(r.text, 'davidson'));
const davReport = bootstrap(
  dav.map((r) => r.label),
  davPred,
  dav.map((r) => r.group),
  ['hate', 'offensive', 'none'],
  { resamples, seed: SEED },
);
printReport('Davidson 2017 dev', davReport);

// HateCheck dev: binary labels, then per functionality.
const hc = readJsonl<HatecheckRow>(`${DATASET_DIR}/hatecheck/dev.jsonl`);
const hcGold = hc.map((r) => r.label);
const hcPred = hc.map((r) => model.predictLabel(r.text, 'hatecheck'));
const hcGroups = hc.map((r) => r.group);
const hcReport = bootstrap(hcGold, hcPred, hcGroups, ['hateful', 'non-hateful'], { resamples, seed: SEED });
printReport('HateCheck dev', hcReport);

const functionalities = [...new Set(hc.map((r) => r.functionality))].sort();
const perFunctionality: Record<string, { n: number; accuracy: Estimate; below050: boolean }> = {};
console.log(`\n${pad('functionality', 22)}${pad('n', 5)}accuracy [95% CI, by family]`);
for (const f of functionalities) {
  const rows = hc.map((r, i) => (r.functionality === f ? i : -1)).filter((i) => i >= 0);
  const b = bootstrap(
    rows.map((i) => hcGold[i]),
    rows.map((i) => hcPred[i]),
    rows.map((i) => hcGroups[i]),
    ['hateful', 'non-hateful'],
    { resamples, seed: SEED },
  );
  const below = b.accuracy.value < 0.5;
  perFunctionality[f] = { n: rows.length, accuracy: b.accuracy, below050: below };
  console.log(`${pad(f, 22)}${pad(String(rows.length), 5)}${est(b.accuracy)}${below ? '  << below 0.50' : ''}`);
}
const weak = functionalities.filter((f) => perFunctionality[f].below050);
console.log(weak.length ? `functionalities below 0.50: ${weak.join(', ')}` : 'no functionality below 0.50');

// Grooming-functional dev: only through the conversation scorer another capability owns.
interface Conversation {
  id: string;
  turns: { from: string; text: string }[];
  label: 'grooming' | 'sextortion' | 'benign';
}
type ScoreCli = {
  scoreConversationTurns: (engine: unknown, turns: { from: string; text: string }[]) => { flagged: string[] };
};
type TextIndex = { createTextEngine: (opts?: { model?: unknown }) => unknown };
let grooming: Record<string, unknown> = { available: false };
try {
  // Variable specifiers: this script must run (and type-check) before those modules exist.
  const cliSpec = '../src/safety/score-cli.js';
  const textSpec = '../src/safety/text/index.js';
  const cli = (await import(cliSpec)) as ScoreCli;
  const text = (await import(textSpec)) as TextIndex;
  // The engine scores with the model under evaluation (--model), not whatever file is shipped.
  const engine = text.createTextEngine({ model });
  const convs = readJsonl<Conversation>(`${DATASET_DIR}/grooming-functional/dev.jsonl`);
  const flaggedHarm = convs.map((c) => {
    const r = cli.scoreConversationTurns(engine, c.turns);
    return r.flagged.includes('grooming') || r.flagged.includes('sextortion');
  });
  const harmful = convs.map((c, i) => (c.label === 'benign' ? -1 : i)).filter((i) => i >= 0);
  const benign = convs.map((c, i) => (c.label === 'benign' ? i : -1)).filter((i) => i >= 0);
  const rate = (rows: number[], rand: () => number, B: number): Estimate => {
    const value = rows.filter((i) => flaggedHarm[i]).length / Math.max(1, rows.length);
    const xs: number[] = [];
    for (let b = 0; b < B; b++) {
      let k = 0;
      for (let j = 0; j < rows.length; j++) if (flaggedHarm[rows[Math.floor(rand() * rows.length)]]) k++;
      xs.push(k / Math.max(1, rows.length));
    }
    xs.sort((a, b) => a - b);
    return { value, ci95: [xs[Math.floor(0.025 * (B - 1))], xs[Math.ceil(0.975 * (B - 1))]] };
  };
  const rand = mulberry32(SEED);
  const recall = rate(harmful, rand, resamples);
  const fpr = rate(benign, rand, resamples);
  grooming = { available: true, n: convs.length, harmful: harmful.length, benign: benign.length, harmfulRecall: recall, benignFalsePositiveRate: fpr };
  console.log(`\n## grooming-functional dev (n = ${convs.length}; whole pipeline via safety/score-cli)`);
  console.log(`harmful recall (grooming|sextortion flagged)  ${est(recall)}  (${harmful.length} conversations)`);
  console.log(`benign false-positive rate                      ${est(fpr)}  (${benign.length} conversations)`);
} catch (err) {
  console.log(`\n## grooming-functional dev: not available (${(err as Error).message.split('\n')[0]})`);
}

const out = {
  model: { version: model.version, path: relative(process.cwd(), modelPath), thresholds: model.thresholds },
  bootstrap: { resamples, seed: SEED, interval: '95% percentile, cluster resampling by group' },
  davidsonDev: davReport,
  hatecheckDev: { ...hcReport, perFunctionality, functionalitiesBelow050: weak },
  groomingDev: grooming,
};
writeFileSync(outPath, JSON.stringify(out, null, 2) + '\n');
console.log(`\nwrote ${outPath}`);
