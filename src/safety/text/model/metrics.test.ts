/** Metrics and bootstrap intervals: hand-checked values and determinism for a fixed seed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrap, mulberry32, report } from './metrics.js';

test('report computes precision, recall, F1, macro F1 and accuracy', () => {
  const gold = ['a', 'a', 'a', 'b', 'b', 'c'];
  const pred = ['a', 'a', 'b', 'b', 'c', 'c'];
  const r = report(gold, pred, ['a', 'b', 'c']);
  assert.equal(r.perClass.a.precision, 1);
  assert.equal(r.perClass.a.recall, 2 / 3);
  assert.equal(r.perClass.b.precision, 0.5);
  assert.equal(r.perClass.b.recall, 0.5);
  assert.equal(r.perClass.c.precision, 0.5);
  assert.equal(r.perClass.c.recall, 1);
  assert.equal(r.accuracy, 4 / 6);
  const f1a = (2 * 1 * (2 / 3)) / (1 + 2 / 3);
  const f1c = (2 * 0.5 * 1) / 1.5;
  assert.ok(Math.abs(r.macroF1 - (f1a + 0.5 + f1c) / 3) < 1e-12);
});

test('bootstrap is deterministic for a seed and brackets the point estimate', () => {
  const rand = mulberry32(7);
  const gold: string[] = [];
  const pred: string[] = [];
  for (let i = 0; i < 200; i++) {
    const g = rand() < 0.3 ? 'x' : 'y';
    gold.push(g);
    pred.push(rand() < 0.8 ? g : g === 'x' ? 'y' : 'x');
  }
  const groups = gold.map((_, i) => `g${Math.floor(i / 4)}`);
  const a = bootstrap(gold, pred, groups, ['x', 'y'], { resamples: 200, seed: 1 });
  const b = bootstrap(gold, pred, groups, ['x', 'y'], { resamples: 200, seed: 1 });
  assert.deepEqual(a, b);
  assert.ok(a.accuracy.ci95[0] <= a.accuracy.value && a.accuracy.value <= a.accuracy.ci95[1]);
  assert.ok(a.macroF1.ci95[0] < a.macroF1.ci95[1]);
});
