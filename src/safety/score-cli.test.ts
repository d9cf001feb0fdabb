// Tests for `custodian score text|conversation`: JSONL in, one JSON line out per input line, shipped
// thresholds applied, bad lines reported by code without echoing text, usage errors exit 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { runScoreCommand } from './score-cli.js';
import { createTextEngine } from './text/index.js';
import { loadTextModel } from './text/model/index.js';

// Rules only, so the assertions do not depend on a trained model file being present.
const engine = createTextEngine({ model: null });

async function run(args: string[], lines: string[]) {
  const out: string[] = [];
  const code = await runScoreCommand(args, Readable.from(lines.map((l) => l + '\n')), (l) => out.push(l), engine);
  return { code, out: out.map((l) => JSON.parse(l) as Record<string, unknown>), raw: out };
}

test('score text: one line per message with scores and flagged categories', async () => {
  const { code, out } = await run(['text'], [
    JSON.stringify({ id: 'm1', text: 'i have ur nudes. pay or i post them' }),
    JSON.stringify({ id: 'm2', text: 'great game today!!' }),
  ]);
  assert.equal(code, 0);
  assert.equal(out.length, 2);
  assert.equal(out[0]!.id, 'm1');
  const s1 = out[0]!.scores as Record<string, number>;
  for (const k of ['hate', 'harassment', 'sexual', 'threat', 'sextortion']) assert.equal(typeof s1[k], 'number', k);
  assert.ok((out[0]!.flagged as string[]).includes('sextortion'));
  assert.ok((out[0]!.flagged as string[]).includes('threat'));
  assert.deepEqual(out[1]!.flagged, []);
});

test('score text with the shipped model: hate and offensive flags are what the model decides', async () => {
  const model = loadTextModel();
  const texts = [
    'see you at practice tomorrow', "i'm on my way", "i'll call you later", 'can you send me the homework',
    'shut the fuck up bitch', 'you are a stupid bitch', "you're such a dumb ass", 'I detest women.', 'faggot',
  ];
  const out: string[] = [];
  const code = await runScoreCommand(['text'], Readable.from(texts.map((t, i) => JSON.stringify({ id: i, text: t }) + '\n')), (l) => out.push(l), createTextEngine({ model }));
  assert.equal(code, 0);
  texts.forEach((t, i) => {
    const flagged = (JSON.parse(out[i]!) as { flagged: string[] }).flagged;
    const label = model.predictLabel(t);
    assert.equal(flagged.includes('offensive'), label === 'offensive', t);
    assert.equal(flagged.includes('hate'), label === 'hate' || model.predictLabel(t, 'hatecheck') === 'hateful', t);
  });
});

test('score text: context words (a birthday) are neither scored nor flagged', async () => {
  const { out } = await run(['text'], [JSON.stringify({ id: 'b', text: 'happy birthday!! its a surprise party' })]);
  assert.deepEqual(out[0]!.flagged, []);
  assert.equal((out[0]!.scores as Record<string, number>).context, undefined);
});

test('score conversation: grooming and sextortion flagged with signals; benign not', async () => {
  const grooming = {
    id: 'c1',
    turns: [
      { from: 'a', text: 'we should talk on sn@p instead' },
      { from: 'b', text: 'why' },
      { from: 'a', text: 'msgs disappear there so nobody can read them. dont tell ur parents' },
    ],
    ages: { a: 'adult', b: '13-15' },
  };
  const benign = { id: 'c2', turns: [{ from: 'a', text: 'hop on minecraft' }, { from: 'b', text: 'cant im grounded lol' }] };
  const { code, out } = await run(['conversation'], [JSON.stringify(grooming), JSON.stringify(benign)]);
  assert.equal(code, 0);
  assert.deepEqual(out[0]!.flagged, ['grooming']);
  const signals = out[0]!.signals as string[];
  assert.ok(signals.includes('grooming:a:evasion'));
  assert.ok(signals.includes('grooming:a:adult_to_minor'));
  assert.deepEqual(Object.keys(out[0]!.scores as object).sort(), ['grooming', 'harassment', 'sextortion']);
  assert.deepEqual(out[1]!.flagged, []);
});

test('bad lines are reported by code, never echoed, and scoring continues', async () => {
  const { code, out, raw } = await run(['conversation'], [
    '{not json canary-text',
    JSON.stringify({ id: 'x', turns: 'canary-text' }),
    JSON.stringify({ id: 'y', turns: [{ from: 'a', text: 'hi' }], ages: { a: 'elderly' } }),
    JSON.stringify({ id: 'z', turns: [{ from: 'a', text: 'hi' }] }),
  ]);
  assert.equal(code, 1);
  assert.deepEqual(out.map((o) => o.error ?? 'ok'), ['invalid_json', 'invalid_turns', 'invalid_ages', 'ok']);
  assert.ok(raw.every((l) => !l.includes('canary-text')));
});

test('unknown subcommand prints usage and exits 2', async () => {
  const { code, out } = await run(['image'], []);
  assert.equal(code, 2);
  assert.equal(out[0]!.error, 'usage');
});
