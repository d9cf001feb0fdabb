/**
 * Reproducibility: training is a pure function of data and config, so two runs on the same tiny data
 * must give byte-identical model files (the property `npm run train -- --check` checks on real data).
 * Uses a small synthetic corpus so the test needs neither the licensed datasets nor minutes of CPU.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeModel } from './format.js';
import { modelFromBytes } from './index.js';
import { DEFAULT_CONFIG, nbScale, trainFromConfig, type DavidsonRow, type HatecheckRow, type Splits, type TrainConfig } from './pipeline.js';
import { lbfgs, trainSoftmax, type SparseRows } from './trainer.js';

function davidson(id: number, text: string, label: DavidsonRow['label']): DavidsonRow {
  const votes = { hate: 0, offensive: 0, neither: 0, total: 3 };
  votes[label === 'none' ? 'neither' : label] = 3;
  return { id: `d-${id}`, text, label, group: `d-${id}`, votes };
}
function hatecheck(id: number, text: string, label: HatecheckRow['label']): HatecheckRow {
  return { id: `h-${id}`, text, label, group: `f-${id % 3}`, functionality: label === 'hateful' ? 'x_h' : 'x_nh', target_ident: null };
}

const NEUTRAL = ['lovely weather today', 'see you at practice', 'what time is the game', 'thanks for the help', 'the bus is late again'];
const RUDE = ['shut up you idiot', 'this is damn stupid', 'you are a clown lol', 'what a loser move', 'stop being a jerk'];
const HOSTILE = ['those people are vermin', 'i despise that whole group', 'they are subhuman filth', 'that group should vanish', 'they are all scum'];

function splits(): Splits {
  let i = 0;
  const dav: DavidsonRow[] = [];
  for (const t of NEUTRAL) dav.push(davidson(i++, t, 'none'));
  for (const t of RUDE) dav.push(davidson(i++, t, 'offensive'));
  for (const t of HOSTILE) dav.push(davidson(i++, t, 'hate'));
  const hc: HatecheckRow[] = [];
  for (const t of HOSTILE) hc.push(hatecheck(i++, t, 'hateful'));
  for (const t of NEUTRAL) hc.push(hatecheck(i++, t, 'non-hateful'));
  return { davidsonTrain: dav, davidsonDev: dav, hatecheckTrain: hc, hatecheckDev: hc };
}

const CFG: TrainConfig = {
  ...DEFAULT_CONFIG,
  features: { ...DEFAULT_CONFIG.features, bits: 12, charBits: 12 },
  // Toy data has 10 hate/offensive rows: guard words need only one row and a small log ratio here.
  davidsonHead: {
    ...DEFAULT_CONFIG.davidsonHead,
    maxIter: 20,
    offensiveGuard: { ...DEFAULT_CONFIG.davidsonHead.offensiveGuard!, minRows: 1, minLogRatio: 0.1 },
  },
  identityHead: { ...DEFAULT_CONFIG.identityHead, maxIter: 20 },
};

test('training twice on the same data gives identical bytes', () => {
  const a = trainFromConfig(CFG, splits());
  const b = trainFromConfig(CFG, splits());
  assert.equal(a.sha256, b.sha256);
  assert.deepEqual(a.bytes, b.bytes);
  const header = decodeModel(a.bytes).header;
  assert.deepEqual(header.categories, ['hate', 'offensive', 'neither', 'identity_hate']);
  for (const k of ['hate', 'offensive', 'identity_hate']) assert.ok(header.thresholds[k] > 0 && header.thresholds[k] < 1);
});

test('a model trained on toy data learns the direction of its labels', () => {
  const m = modelFromBytes(trainFromConfig(CFG, splits()).bytes);
  assert.ok(m.score('they are subhuman filth').identity_hate > m.score('lovely weather today').identity_hate);
  assert.ok(m.score('shut up you idiot').offensive > m.score('see you at practice').offensive);
});

test('lbfgs minimises a convex quadratic', () => {
  const target = Float64Array.from([3, -2, 0.5]);
  const x = lbfgs(
    (v, g) => {
      let f = 0;
      for (let i = 0; i < v.length; i++) {
        const d = v[i] - target[i];
        f += (i + 1) * d * d;
        g[i] = 2 * (i + 1) * d;
      }
      return f;
    },
    new Float64Array(3),
    100,
    5,
  );
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(x[i] - target[i]) < 1e-4);
});

test('a softmax fit with a scale of ones is bit-for-bit the unscaled fit', () => {
  const X: SparseRows = { offsets: Int32Array.from([0, 2, 3, 5]), idx: Int32Array.from([0, 1, 2, 1, 3]), val: Float64Array.from([0.6, 0.8, 1, 0.6, 0.8]) };
  const t = Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const w = Float64Array.from([1, 1, 2]);
  const opt = { K: 3, dim: 4, l2: 1e-3, maxIter: 30 };
  assert.deepEqual(trainSoftmax(X, t, w, { ...opt, scale: new Float64Array(12).fill(1) }), trainSoftmax(X, t, w, opt));
});

test('NB scaling favours buckets that separate a class', () => {
  // Bucket 0 occurs only in hate rows, bucket 1 in every row.
  const rows = [davidson(0, 'a', 'hate'), davidson(1, 'b', 'hate'), davidson(2, 'c', 'offensive'), davidson(3, 'd', 'none')];
  const X: SparseRows = { offsets: Int32Array.from([0, 2, 4, 5, 6]), idx: Int32Array.from([0, 1, 0, 1, 1, 1]), val: new Float64Array(6).fill(1) };
  const s = nbScale(X, rows, [0, 1, 2, 3], 2, { alpha: 1, beta: 1 });
  assert.ok(s[0 * 3 + 0] > s[1 * 3 + 0], 'hate-only bucket gets the larger hate scale');
  const plain = nbScale(X, rows, [0, 1, 2, 3], 2, { alpha: 1, beta: 0 });
  assert.deepEqual([...plain], [1, 1, 1, 1, 1, 1]);
});

test('offensive-evidence guard: words come from hate/offensive rows; no evidence, no offensive mass', () => {
  const bytes = trainFromConfig(CFG, splits()).bytes;
  const guard = decodeModel(bytes).header.offensiveGuard;
  assert.ok(guard);
  assert.ok(guard.tokens.includes('shut') && guard.tokens.includes('vermin'));
  assert.ok(!guard.tokens.includes('practice') && !guard.tokens.includes('at'));
  assert.deepEqual(guard.tokens, [...guard.tokens].sort());
  const m = modelFromBytes(bytes);
  const s = m.score('see you at practice');
  assert.equal(s.offensive, 0);
  assert.ok(Math.abs(s.hate + s.neither - 1) < 1e-9);
  assert.ok(m.score('shut up you idiot').offensive > 0);
  assert.ok(m.score('this is damn stupid').offensive > 0, 'profanity class counts as evidence');
});
