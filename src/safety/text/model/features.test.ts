/**
 * Token analysis behind the engineered features: the scanner, negation and quotation scope, identity
 * phrases, split and joined words, and the lexicon's misspelt variants. These pin behaviour the model
 * was trained with; changing any of it changes features, so retrain and bump the model version.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeTokens, scanTokens, tokenize } from './features.js';
import { fnv1a32 } from './hash.js';
import { Lex, lexClass, LEXICON, LEXICON_ID, LEXICON_TABLE, NOT_VARIANTS } from './lexicon.js';

const view = (s: string) => describeTokens(s).map((t) => `${t.token}${t.negated ? '~' : ''}${t.quoted ? '"' : ''}`).join(' ');
const classOf = (s: string, token: string) => describeTokens(s).find((t) => t.token === token)?.cls;

test('the scanner finds exactly the tokens of the token regular expression', () => {
  const cases = [
    'f*ck this, ok 😂!', 'a\u0301b c', '😂😂x', 'x😂y', '👍🏽 ok', 'İstanbul ǅ', '١٢٣ abc', 'a*b', 'e\u0301\u0301',
    '🏳️‍🌈 flag', '©️ ™', 'rt  xxuser : so "quoted" (x) [y]', '', '   ', 'tab\tnew\nline',
  ];
  for (const s of cases) assert.deepEqual(scanTokens(s), tokenize(s), JSON.stringify(s));
});

test('negation scope covers the following words up to punctuation or a contrast word', () => {
  assert.equal(view('i dont hate women'), 'i dont hate~ women~');
  assert.equal(view('we should not let women suffer'), 'we should not let~ women~ suffer~');
  assert.equal(view('not good. women are great'), 'not good~ women are great');
  assert.equal(view('i dont like people but i have no contempt for women'), 'i dont like~ people~ but i have no contempt~ for~ women~');
});

test('a cancelling word right after the cue means nothing is negated', () => {
  assert.equal(view('i feel nothing but contempt for women'), 'i feel nothing but contempt for women');
  assert.equal(view('isnt it clear how much i hate women'), 'isnt it clear how much i hate women');
  assert.equal(view('there is nothing worse than a woman'), 'there is nothing worse than a woman');
});

test('words inside double quotes are marked', () => {
  assert.equal(view('if you say "i hate women" you are a bigot'), 'if you say i" hate" women" you are a bigot');
});

test('a group adjective with a person noun is one identity term', () => {
  const t = describeTokens('i hate black people');
  assert.deepEqual(t.map((x) => x.token), ['i', 'hate', 'black']);
  assert.equal(t[2].cls, Lex.Ident);
  assert.equal(classOf('a black shirt', 'black'), Lex.IdentAdj);
});

test('run-together words are split and spaced-out letters joined, but ordinary words are left alone', () => {
  assert.deepEqual(describeTokens('fuckall women').map((t) => t.token), ['fuck', 'all', 'women']);
  assert.deepEqual(describeTokens('ihate them').map((t) => t.token), ['i', 'hate', 'them']);
  assert.deepEqual(describeTokens('too manybitches').map((t) => t.token), ['too', 'many', 'bitches']);
  for (const w of ['kinda', 'therapist', 'assume', 'homework', 'amen', 'island']) assert.deepEqual(describeTokens(w).map((t) => t.token), [w]);
  assert.deepEqual(describeTokens('they are scu m').map((t) => t.token), ['they', 'are', 'scu m']);
  assert.equal(classOf('they are scu m', 'scu m'), Lex.Dehum);
});

test('misspelt variants of longer lexicon words are in the table; listed ordinary words are not', () => {
  assert.equal(lexClass(fnv1a32('womn')), Lex.Ident);
  assert.equal(lexClass(fnv1a32('hatrd')), Lex.NegEmo);
  assert.equal(lexClass(fnv1a32('klil')), Lex.Viol);
  for (const w of NOT_VARIANTS) {
    const exact = Object.values(LEXICON).some((ws) => ws.includes(w));
    if (!exact) assert.equal(LEXICON_TABLE.has(w), false, w);
  }
  assert.equal(lexClass(fnv1a32('hello')), Lex.None);
  assert.match(LEXICON_ID, /^lexicon#[0-9a-f]{8}#\d+$/);
});

test('every exact lexicon word maps to a class (the first list that has it)', () => {
  for (const [c, words] of Object.entries(LEXICON)) {
    for (const w of words) assert.notEqual(lexClass(fnv1a32(w)), Lex.None, `${w} (${c})`);
  }
});
