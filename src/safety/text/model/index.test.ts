/**
 * The shipped model: it loads, it is the file the model card describes (sha256), scoring is deterministic,
 * and obvious cases point the right way. Example sentences are HateCheck dev cases (inputs only; the
 * assertions compare scores with each other, never with stored numbers).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MODEL_PATH, loadTextModel, modelFromBytes } from './index.js';
import { decodeModel } from './format.js';
import { LEXICON_ID } from './lexicon.js';
import { NORMALIZER_ID, normalizeForModel } from './prep.js';

const CARD = fileURLToPath(new URL('../../../../models/README.md', import.meta.url));

test('the model file matches the sha256 in the model card', () => {
  const card = readFileSync(CARD, 'utf8');
  const m = /sha256[^`]*`([0-9a-f]{64})`/.exec(card);
  assert.ok(m, 'model card states the file sha256');
  const actual = createHash('sha256').update(readFileSync(DEFAULT_MODEL_PATH)).digest('hex');
  assert.equal(actual, m[1]);
});

test('the model loads, is cached, and was trained with the normaliser in use', () => {
  const a = loadTextModel();
  assert.equal(loadTextModel(), a);
  assert.equal(a.version, 'text-v4');
  assert.deepEqual(a.categories, ['hate', 'offensive', 'neither', 'identity_hate']);
  for (const k of ['hate', 'offensive', 'identity_hate']) assert.ok(a.thresholds[k] > 0 && a.thresholds[k] < 1);
  const header = decodeModel(readFileSync(DEFAULT_MODEL_PATH)).header;
  assert.equal(header.normalizer, NORMALIZER_ID);
  assert.equal(header.lexicon, LEXICON_ID);
});

test('a corrupted file is refused', () => {
  const bytes = new Uint8Array(readFileSync(DEFAULT_MODEL_PATH));
  bytes[bytes.length - 1] ^= 0xff;
  assert.throws(() => modelFromBytes(bytes), /sha256/);
});

test('scores are probabilities and deterministic', () => {
  const m = loadTextModel();
  const texts = ['', 'hello there', 'I detest women.', 'RT @someone: http://t.co/x lol 😂😂', 'x'.repeat(5000)];
  for (const t of texts) {
    const s1 = m.score(t);
    const s2 = m.score(t);
    assert.deepEqual(s1, s2);
    for (const c of m.categories) assert.ok(s1[c] >= 0 && s1[c] <= 1, `${c} in [0,1]`);
    assert.ok(Math.abs(s1.hate + s1.offensive + s1.neither - 1) < 1e-9);
    // Scoring a second model instance from the same bytes gives the same numbers.
    assert.deepEqual(modelFromBytes(readFileSync(DEFAULT_MODEL_PATH)).score(t), s1);
  }
});

test('scoreNormalized on normalised text equals score on raw text', () => {
  const m = loadTextModel();
  for (const t of ['Too many b1tches in this country.', 'I h a t e women.', 'see you @ 5 at https://example.com']) {
    assert.deepEqual(m.scoreNormalized(normalizeForModel(t)), m.score(t));
  }
});

test('obvious cases score in the right direction', () => {
  const m = loadTextModel();
  const neutral = m.score('There is a woman on my football team.');
  const hateful = m.score('I detest women.');
  assert.ok(hateful.identity_hate > neutral.identity_hate);
  const slur = m.score("That's only natural for a faggot like you.");
  assert.ok(slur.hate > neutral.hate);
  assert.ok(m.score('shut the fuck up bitch').offensive > m.score('see you at practice tomorrow').offensive);
  assert.equal(m.predictLabel('There is a woman on my football team.', 'hatecheck'), 'non-hateful');
  assert.equal(m.predictLabel('see you at practice tomorrow'), 'none');
  assert.ok(['hate', 'offensive', 'none'].includes(m.predictLabel('I detest women.')));
});

// Ordinary direct messages, the bulk of this server's traffic: none of them may be labelled offensive or
// hate (Davidson's tweets have few such lines, so the head's prior leans to `offensive`; the
// offensive-evidence guard in the header is what keeps these at `none`).
const FRIENDLY = [
  'see you at practice tomorrow',
  'lol ok see you at 5',
  'can you send me the homework',
  'happy birthday!!',
  'my mom says i can come',
  'what time is practice',
  'are you coming to the game tonight',
  'omg that movie was so good',
  'wanna hang out this weekend?',
  'thanks for the help today',
  "i'm on my way",
  'did you finish the math worksheet',
  'good luck on your test tomorrow',
  "haha that's so funny",
  "can't wait for the trip!!",
  'where are you guys',
  "i'll call you later",
  'ok sounds good',
  'brb dinner',
  'miss you, come back soon',
  'what are you doing tonight',
  'is the bus late again',
];
const INSULTS = [
  'shut the fuck up bitch',
  'you are a stupid bitch',
  'fuck you',
  "you're such a dumb ass",
  'go fuck yourself you idiot',
  'you ugly ass hoe',
];

test('ordinary chat messages are labelled none', () => {
  const m = loadTextModel();
  for (const t of FRIENDLY) assert.equal(m.predictLabel(t), 'none', t);
});

test('obvious insults are labelled offensive or hate', () => {
  const m = loadTextModel();
  for (const t of INSULTS) assert.notEqual(m.predictLabel(t), 'none', t);
});

test('offensive-evidence guard: no evidence, no offensive mass; scores and labels agree', () => {
  const m = loadTextModel();
  const header = decodeModel(readFileSync(DEFAULT_MODEL_PATH)).header;
  assert.ok(header.offensiveGuard && header.offensiveGuard.classes.length > 0 && header.offensiveGuard.tokens.length > 0);
  const s = m.score("i'm on my way");
  assert.equal(s.offensive, 0);
  assert.ok(Math.abs(s.hate + s.neither - 1) < 1e-9);
  assert.ok(m.score('fuck you').offensive > 0);
  // The label is the cascade over the (guarded) scores, so thresholding the scores gives the label.
  for (const t of [...FRIENDLY, ...INSULTS, 'I detest women.', 'those niccas trash']) {
    const q = m.score(t);
    const byScores = q.hate >= m.thresholds.hate ? 'hate' : q.offensive >= m.thresholds.offensive ? 'offensive' : 'none';
    assert.equal(m.predictLabel(t), byScores, t);
  }
});

test('negation, positive statements and counter-speech lower identity_hate', () => {
  const m = loadTextModel();
  const hate = m.score('I really despise immigrants.').identity_hate;
  assert.ok(m.score('I really do not despise immigrants.').identity_hate < hate);
  assert.ok(m.score('I really admire immigrants.').identity_hate < hate);
  assert.ok(m.score('Saying "I really despise immigrants" makes you a bigot.').identity_hate < hate);
});
