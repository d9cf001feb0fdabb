/** Threshold tuning: hand-made score lists with a known best threshold. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tuneDavidson, tuneHatecheck } from './tune.js';

test('tuneHatecheck keeps every functionality above the floor, then maximises accuracy', () => {
  // f_h: hateful cases scored 0.6..0.9; f_nh: non-hateful cases scored 0.1..0.4; one hard nh case at 0.65.
  const p = [0.6, 0.7, 0.8, 0.9, 0.1, 0.2, 0.3, 0.4, 0.65];
  const labels = ['hateful', 'hateful', 'hateful', 'hateful', 'non-hateful', 'non-hateful', 'non-hateful', 'non-hateful', 'non-hateful'];
  const funcs = ['f_h', 'f_h', 'f_h', 'f_h', 'f_nh', 'f_nh', 'f_nh', 'f_nh', 'f_nh'];
  const t = tuneHatecheck(p, labels, funcs, 0.6);
  assert.ok(t.threshold > 0.4 && t.threshold <= 0.6, `threshold ${t.threshold}`);
  assert.equal(t.rule, 'accuracy@min>=0.6');
  assert.equal(t.perFunctionality.f_h, 1);
  assert.equal(t.perFunctionality.f_nh, 0.8);
});

test('tuneHatecheck falls back to the mean per-functionality accuracy when no threshold is feasible', () => {
  // Non-hateful scored above hateful: no threshold gets both functionalities to 0.5 with accuracy.
  const t = tuneHatecheck([0.2, 0.9], ['hateful', 'non-hateful'], ['a_h', 'b_nh'], 0.6);
  assert.equal(t.rule, 'mean-functionality');
});

test('tuneDavidson meets the hate recall floor', () => {
  const scores = [
    { hate: 0.9, offensive: 0.05 },
    { hate: 0.3, offensive: 0.6 },
    { hate: 0.35, offensive: 0.6 },
    { hate: 0.1, offensive: 0.8 },
    { hate: 0.05, offensive: 0.1 },
  ];
  const labels = ['hate', 'hate', 'offensive', 'offensive', 'none'];
  const t = tuneDavidson(scores, labels, 1);
  assert.ok(t.hateRecall === 1 && t.hate <= 0.3, JSON.stringify(t));
});
