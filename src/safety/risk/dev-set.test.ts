// Behaviour check on the grooming-functional development set (../shared/datasets/grooming-functional):
// the project's targets are >= 90 % of harmful conversations flagged and <= 5 % of benign ones, measured
// on a held-out set written the same way. This runs the shipped pipeline (normalise, built-in packs, text
// model if present, risk) turn by turn, and also our own extra cases (fixtures/), written to the README's
// description without reference to the held-out set, as a guard against tuning to the 40 dev cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scoreConversationTurns } from '../score-cli.js';
import { createTextEngine } from '../text/index.js';

const DEV = fileURLToPath(new URL('../../../../shared/datasets/grooming-functional/dev.jsonl', import.meta.url));
const EXTRA = [
  fileURLToPath(new URL('./fixtures/extra-cases.jsonl', import.meta.url)),
  fileURLToPath(new URL('./fixtures/extra-cases-2.jsonl', import.meta.url)),
  fileURLToPath(new URL('./fixtures/extra-cases-3.jsonl', import.meta.url)),
];

interface Case {
  id: string;
  label: string;
  turns: { from: string; text: string }[];
  ages?: Record<string, 'under13' | '13-15' | '16-17' | 'adult' | 'unknown'>;
}

const engine = createTextEngine();

function evaluate(cases: Case[]) {
  let harmful = 0;
  let caught = 0;
  let benign = 0;
  let falsePositives = 0;
  const misses: string[] = [];
  for (const c of cases) {
    const r = scoreConversationTurns(engine, c.turns, c.ages ? { ageBands: c.ages } : {});
    const flagged = r.flagged.length > 0;
    if (c.label === 'benign') {
      benign++;
      if (flagged) {
        falsePositives++;
        misses.push(`${c.id} (false positive: ${r.flagged.join(',')})`);
      }
    } else {
      harmful++;
      // A harmful conversation counts as caught when the harm it shows (or another) is flagged.
      if (flagged) caught++;
      else misses.push(`${c.id} (missed ${c.label})`);
    }
  }
  return { recall: caught / harmful, fpr: falsePositives / benign, harmful, benign, misses };
}

const load = (path: string): Case[] =>
  readFileSync(path, 'utf8').split('\n').filter((l) => l.trim().length > 0).map((l) => JSON.parse(l) as Case);

test('grooming-functional dev set: >= 90 % of harmful flagged, <= 5 % of benign', { skip: existsSync(DEV) ? false : 'skipped: dataset not present' }, () => {
  const r = evaluate(load(DEV));
  assert.equal(r.harmful + r.benign, 40);
  assert.ok(r.recall >= 0.9, `recall ${r.recall}; ${r.misses.join('; ')}`);
  assert.ok(r.fpr <= 0.05, `false-positive rate ${r.fpr}; ${r.misses.join('; ')}`);
});

test('extra written cases: >= 80 % of harmful flagged, <= 5 % of benign', () => {
  const r = evaluate(EXTRA.flatMap(load));
  assert.ok(r.recall >= 0.8, `recall ${r.recall}; ${r.misses.join('; ')}`);
  assert.ok(r.fpr <= 0.05, `false-positive rate ${r.fpr}; ${r.misses.join('; ')}`);
});
